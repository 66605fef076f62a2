"""OCPP 1.6J handlers of the reference CSMS."""

from csmscheck.csms.handlers.v16 import core

__all__ = ["core"]
