"""OCPP 1.6J Central System test cases, one module per group of chapters."""
