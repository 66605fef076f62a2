"""OCPP request handlers of the reference CSMS, one module per functional block."""

from csmscheck.csms.handlers import v16, v201

__all__ = ["v16", "v201"]
