"""OCPP 2.0.1 handlers of the reference CSMS."""

from csmscheck.csms.handlers.v201 import (
    authorize,
    availability,
    certificate_management,
    cost,
    device_model,
    external_limits,
    load_levelling,
    local_list,
    meter_values,
    profile_vetting,
    provisioning,
    remote_control,
    reservation,
    security,
    smart_charging,
    transactions,
)

__all__ = [
    "authorize",
    "availability",
    "certificate_management",
    "cost",
    "device_model",
    "external_limits",
    "load_levelling",
    "local_list",
    "meter_values",
    "profile_vetting",
    "provisioning",
    "remote_control",
    "reservation",
    "security",
    "smart_charging",
    "transactions",
]
