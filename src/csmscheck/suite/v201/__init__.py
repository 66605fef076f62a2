"""OCPP 2.0.1 CSMS test cases, one module per block."""
