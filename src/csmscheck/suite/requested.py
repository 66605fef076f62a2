"""Requested calls checked field by field: what the operator asked for is what the station got.

When the suite asks the CSMS (through the trigger API, or an operator) to send a call
with a payload, the CALL that arrives must carry every requested field with the
requested value. The CSMS may add fields, split a list over several CALLs (GetVariables
by ItemsPerMessage, ...) and choose its own identifiers where it owns them (a report's
requestId, a local list's version, a reservation's or a charging profile's id). A field
that did not come as asked is a finding of ``CSC-REQ-01``, one check for every case.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import orjson

from csmscheck.checks import AS_REQUESTED
from csmscheck.expect import mismatches
from csmscheck.station.session import ReceivedCall
from csmscheck.station.station import Station
from csmscheck.timestamps import parse_time

Payload = dict[str, Any]

CSMS_CHOSEN: dict[str, tuple[str, ...]] = {
    "*": ("requestId",),
    "SendLocalList": ("versionNumber", "listVersion"),
    "ReserveNow": ("id", "reservationId"),
    "SetChargingProfile": ("chargingProfile.id", "csChargingProfiles.chargingProfileId"),
    "RequestStartTransaction": ("chargingProfile.id",),
    "RemoteStartTransaction": ("chargingProfile.chargingProfileId",),
}
"""Fields (dotted paths) a CSMS may fill in itself, per action."""

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass
class Asked:
    """One request to the CSMS: what it was asked to send, and which of the station's CALLs answer it."""

    station: Station
    action: str
    payload: Payload
    since: int  # index into station.session.calls when it was asked
    until: int | None = None
    checked: bool = False

    def close(self) -> None:
        """No later CALL belongs to this request; check what arrived (once)."""
        if self.until is None:
            self.until = len(self.station.session.calls)
        if not self.checked:
            self.checked = True
            check_as_requested(self.station, self.action, self.payload,
                               self.station.session.calls[self.since:self.until])


def check_as_requested(station: Station, action: str, requested: Payload, calls: list[ReceivedCall]) -> None:
    """A finding of CSC-REQ-01 for every requested field the ``calls`` of ``action`` did not carry as asked.

    No such call at all is the case's own business (its OCTT step waits for it): nothing to check.
    """
    sent = [_normalised(call.payload) for call in calls if call.action == action]
    if not sent:
        return
    wanted = _normalised(_without(requested, CSMS_CHOSEN["*"] + CSMS_CHOSEN.get(action, ())))
    problems: list[str] = []
    for key, value in wanted.items():
        if isinstance(value, list):  # in any order, maybe split over several CALLs
            problems += _list_problems(key, value, [item for payload in sent for item in payload.get(key) or []])
            continue
        for payload in sent:
            if key in payload:
                problems += mismatches(payload[key], value, key)
            else:
                problems.append(f"{key}: missing (asked for {_show(value)})")
    name = f"{action}.req" if station.version == "1.6" else f"{action}Request"
    for problem in dict.fromkeys(problems):
        station.findings.check(AS_REQUESTED, False, f"{name}, as asked through the trigger API: {problem}")


def _list_problems(key: str, wanted: list[Any], merged: list[Any]) -> list[str]:
    """Each requested element must have come in one of the CALLs a list was split over."""
    return [f"{key}: {_show(element)} was asked for but not sent" for element in wanted
            if not any(not mismatches(item, element) for item in merged)]


def _without(payload: Payload, paths: tuple[str, ...]) -> Payload:
    trimmed = copy.deepcopy(payload)
    for path in paths:
        *parents, leaf = path.split(".")
        node: Any = trimmed
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(leaf, None)
    return trimmed


def _normalised(value: Any) -> Any:
    """Values compared by what they mean, not how they are written: PEM text by its content (a CSMS may
    re-wrap a certificate it passes on), shown by a short digest; a timestamp as the UTC second it names
    (a CSMS may write another offset or fewer decimals)."""
    if isinstance(value, dict):
        return {key: _normalised(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normalised(item) for item in value]
    if isinstance(value, str) and "-----BEGIN" in value:
        return f"<PEM, SHA-256 {hashlib.sha256(''.join(value.split()).encode()).hexdigest()[:16]}>"
    if isinstance(value, str) and _TIMESTAMP.match(value):
        try:
            return parse_time(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return value
    return value


def _show(value: Any) -> str:
    return orjson.dumps(value).decode()
