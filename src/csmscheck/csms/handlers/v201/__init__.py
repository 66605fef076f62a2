"""OCPP 2.0.1 handlers of the reference CSMS."""

from csmscheck.csms.handlers.v201 import (
    authorize,
    availability,
    cost,
    device_model,
    local_list,
    meter_values,
    provisioning,
    remote_control,
    reservation,
    security,
    transactions,
)

__all__ = [
    "authorize",
    "availability",
    "cost",
    "device_model",
    "local_list",
    "meter_values",
    "provisioning",
    "remote_control",
    "reservation",
    "security",
    "transactions",
]
