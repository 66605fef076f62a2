"""OCPP 2.0.1 handlers of the reference CSMS."""

from csmscheck.csms.handlers.v201 import authorize, device_model, meter_values, provisioning, transactions

__all__ = ["authorize", "device_model", "meter_values", "provisioning", "transactions"]
