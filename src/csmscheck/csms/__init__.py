"""The reference CSMS: a real, persistent OCPP 1.6J + 2.0.1 backend."""
