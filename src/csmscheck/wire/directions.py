"""Which side of OCPP-J may send which CALL.

The ``ocpp`` package's schemas name every action of a version but not who sends it, so
the actions a charging station sends are listed here (OCPP 1.6 §4 and the 1.6 security
white paper; OCPP 2.0.1 Part 2, "Messages"); every other action of the version is sent
by the CSMS. DataTransfer goes both ways.
"""

from __future__ import annotations

from functools import cache

from csmscheck.wire.schemas import validators
from csmscheck.wire.versions import OcppVersion

BOTH_WAYS = frozenset({"DataTransfer"})
STATION_INITIATED: dict[OcppVersion, frozenset[str]] = {
    "1.6": frozenset({
        "Authorize", "BootNotification", "DataTransfer", "DiagnosticsStatusNotification",
        "FirmwareStatusNotification", "Heartbeat", "MeterValues", "StartTransaction", "StatusNotification",
        "StopTransaction",
        # security white paper
        "LogStatusNotification", "SecurityEventNotification", "SignCertificate",
        "SignedFirmwareStatusNotification",
    }),
    "2.0.1": frozenset({
        "Authorize", "BootNotification", "ClearedChargingLimit", "DataTransfer", "FirmwareStatusNotification",
        "Get15118EVCertificate", "GetCertificateStatus", "Heartbeat", "LogStatusNotification", "MeterValues",
        "NotifyChargingLimit", "NotifyCustomerInformation", "NotifyDisplayMessages", "NotifyEVChargingNeeds",
        "NotifyEVChargingSchedule", "NotifyEvent", "NotifyMonitoringReport", "NotifyReport",
        "PublishFirmwareStatusNotification", "ReportChargingProfiles", "ReservationStatusUpdate",
        "SecurityEventNotification", "SignCertificate", "StatusNotification", "TransactionEvent",
    }),
}


@cache
def csms_initiated(version: OcppVersion) -> frozenset[str]:
    """The actions the CSMS sends in ``version`` (DataTransfer included)."""
    every = frozenset(validators(version).actions())
    return (every - STATION_INITIATED[version]) | BOTH_WAYS
