"""How a virtual station answers the CSMS: reply policies as data, not subclasses.

A reply is a payload dict, a function of the request payload that returns one (or a
coroutine function, for a station that does something before it answers), or a
:class:`~csmscheck.wire.CallError` to answer with a CALLERROR. A policy maps an action
to its reply; tests override single actions with ``session.expect(action, reply=...)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

from csmscheck.wire import CallError
from csmscheck.wire.versions import OcppVersion

Payload: TypeAlias = dict[str, Any]
Reply: TypeAlias = (Payload | Callable[[Payload], Payload] | Callable[[Payload], Awaitable[Payload | CallError]]
                    | CallError)
ReplyPolicy: TypeAlias = dict[str, Reply]

_ACCEPTED: Payload = {"status": "Accepted"}

# What a healthy station answers when a test sets nothing else.
_V201_DEFAULTS: ReplyPolicy = {
    action: dict(_ACCEPTED)
    for action in (
        "CancelReservation", "CertificateSigned", "ChangeAvailability", "ClearCache",
        "ClearChargingProfile", "ClearDisplayMessage", "ClearVariableMonitoring", "CustomerInformation",
        "DeleteCertificate", "GetBaseReport", "GetChargingProfiles", "GetDisplayMessages",
        "GetMonitoringReport", "GetReport", "InstallCertificate", "PublishFirmware",
        "RequestStartTransaction", "RequestStopTransaction", "ReserveNow", "Reset", "SendLocalList",
        "SetChargingProfile", "SetDisplayMessage", "SetMonitoringBase", "SetMonitoringLevel",
        "SetNetworkProfile", "TriggerMessage", "UnpublishFirmware", "UpdateFirmware",
    )
}
_V201_DEFAULTS |= {
    "ClearedChargingLimit": {},
    "DataTransfer": {"status": "UnknownVendorId"},
    "GetLocalListVersion": {"versionNumber": 0},
    # A Station answers (and reports the upload) from station/logs.py; this is the answer of a bare session.
    "GetLog": lambda request: {"status": "Accepted", "filename": f"{request['logType']}.log"},
    "UnlockConnector": {"status": "Unlocked"},
    "GetCompositeSchedule": {"status": "Rejected"},
    "GetInstalledCertificateIds": {"status": "NotFound"},
    "GetTransactionStatus": {"messagesInQueue": False},
    "SetVariableMonitoring": lambda request: {
        "setMonitoringResult": [
            {"status": "Rejected", "type": d["type"], "severity": d["severity"],
             "component": d["component"], "variable": d["variable"]}
            for d in request["setMonitoringData"]
        ]
    },
}

_V16_DEFAULTS: ReplyPolicy = {
    action: dict(_ACCEPTED)
    for action in (
        "CancelReservation", "ChangeAvailability", "ChangeConfiguration", "ClearCache",
        "ClearChargingProfile", "RemoteStartTransaction", "RemoteStopTransaction", "ReserveNow",
        "Reset", "SendLocalList", "SetChargingProfile", "TriggerMessage", "CertificateSigned",
        "DeleteCertificate", "ExtendedTriggerMessage", "InstallCertificate", "SignedUpdateFirmware",
    )
}
_V16_DEFAULTS |= {
    "DataTransfer": {"status": "UnknownVendorId"},
    "GetConfiguration": {"configurationKey": [], "unknownKey": []},
    "GetDiagnostics": {"fileName": "diagnostics.log"},
    "GetLocalListVersion": {"listVersion": 0},
    "GetCompositeSchedule": {"status": "Rejected"},
    "UnlockConnector": {"status": "Unlocked"},
    "UpdateFirmware": {},
    "GetInstalledCertificateIds": {"status": "NotFound"},
    "GetLog": {"status": "Accepted", "filename": "csmscheck.log"},
}


def default_replies(version: OcppVersion) -> ReplyPolicy:
    """A fresh, mutable copy of the default policy for ``version``."""
    return dict(_V16_DEFAULTS if version == "1.6" else _V201_DEFAULTS)


def reply_payload(reply: Reply, request: Payload) -> Payload | CallError | Awaitable[Payload | CallError]:
    """The answer to ``request``; awaitable when the reply does something first."""
    if callable(reply):
        return reply(request)
    return reply
