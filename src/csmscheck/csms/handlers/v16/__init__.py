"""OCPP 1.6J handlers of the reference CSMS."""

from csmscheck.csms.handlers.v16 import (
    configuration,
    core,
    data_transfer,
    firmware,
    local_list,
    reservation,
    security,
    smart_charging,
)

__all__ = ["configuration", "core", "data_transfer", "firmware", "local_list", "reservation", "security",
           "smart_charging"]
