"""OCPP 2.0.1 handlers of the reference CSMS."""

from csmscheck.csms.handlers.v201 import device_model, provisioning, transactions

__all__ = ["device_model", "provisioning", "transactions"]
