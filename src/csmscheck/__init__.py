"""csmscheck: conformance, load and robustness testing for OCPP CSMS backends."""

__version__ = "0.1.0"
