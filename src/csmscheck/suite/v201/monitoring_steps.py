"""Steps the OCPP 2.0.1 monitoring cases (block N, N02-N08) share.

The virtual station answers from its monitors (``station.monitoring``); a case first makes it hold
what the definition's answers presume (a Threshold monitor where the OCTT answers Accepted, none
where it answers EmptyResultSet), so its reports are what the station really holds.
"""

from __future__ import annotations

from typing import Any

from csmscheck.checks import monitoring as checks
from csmscheck.errors import StepFailed
from csmscheck.expect import step
from csmscheck.station import Station
from csmscheck.station.monitoring import CUSTOM, HARD_WIRED, PRECONFIGURED, Monitor
from csmscheck.suite.v201.operations_steps import shown
from csmscheck.wire import CallError

Payload = dict[str, Any]

CHARGING_STATION: Payload = {"name": "ChargingStation"}
POWER: Payload = {"name": "Power"}
AVAILABILITY: Payload = {"name": "AvailabilityState"}


def evse(evse_id: int) -> Payload:
    return {"name": "EVSE", "evse": {"id": evse_id}}


def monitor(monitor_id: int, component: Payload, variable: Payload, type_: str, value: float = 1.0, *,
            severity: int = 5, kind: str = PRECONFIGURED) -> Monitor:
    return Monitor(monitor_id, component, variable, type_, value, severity, kind)


def over_power(monitor_id: int = 1) -> Monitor:
    """The station's hard-wired alarm: ChargingStation.Power above 22 kW."""
    return monitor(monitor_id, CHARGING_STATION, POWER, "UpperThreshold", 22000.0, severity=2, kind=HARD_WIRED)


def custom_monitors(first_id: int, count: int) -> list[Monitor]:
    """``count`` monitors the CSMS set earlier (Delta on power), ids from ``first_id``."""
    return [monitor(first_id + n, CHARGING_STATION, POWER, "Delta", 100.0 + n, kind=CUSTOM) for n in range(count)]


async def send_report(station: Station, request: Payload, label: str) -> None:
    """The station reports what ``request`` asked for (NotifyMonitoringReport parts); a CALLERROR of the
    CSMS, or no answer, fails step ``label``."""
    for part in station.monitoring.reports(request):
        with step(label):
            answer = await station.send("NotifyMonitoringReport", part)
        if isinstance(answer, CallError):
            raise StepFailed(f"{label}: the CSMS answered NotifyMonitoringReportRequest (seqNo {part['seqNo']}, "
                             f"tbc {str(part['tbc']).lower()}) with CALLERROR {answer.code} ({answer.description})")


def check_monitors(station: Station, request: Payload, label: str) -> None:
    """csmscheck check CSC-201-N-02: every monitor of a SetVariableMonitoringRequest can be applied as meant."""
    problems, seen = [], []
    for n, data in enumerate(request.get("setMonitoringData", [])):
        at, kind, value = f"setMonitoringData[{n}]", data.get("type"), data.get("value", 0)
        if not 0 <= data.get("severity", 0) <= 9:
            problems.append(f"{at}.severity {data.get('severity')} is not 0-9")
        if kind == "Delta" and value < 0:
            problems.append(f"{at}: a Delta monitor with the negative value {value}")
        if kind in ("Periodic", "PeriodicClockAligned") and value <= 0:
            problems.append(f"{at}: a {kind} monitor with the interval {value}")
        key = (shown(data.get("component")), shown(data.get("variable")), kind, data.get("severity"), data.get("id"))
        if key in seen:
            problems.append(f"{at}: the same {kind} monitor as an earlier element")
        seen.append(key)
    station.findings.check(checks.MONITORS_WELL_FORMED, not problems, f"{label}: " + "; ".join(problems))


async def answered_empty(station: Station, payload: Payload, label: str, *, verdict: bool) -> Payload:
    """The station sends NotifyEvent ``payload``; the CSMS must answer (step ``label``) with an empty
    NotifyEventResponse: the OCTT verdict where the definition validates it (``verdict``), else
    csmscheck check CSC-201-N-03."""
    with step(label):
        response = await station.call("NotifyEvent", payload)
    if response != {}:
        message = f"{label}: NotifyEventResponse: expected an empty body, got {shown(response)}"
        if verdict:
            raise StepFailed(message)
        station.findings.check(checks.EVENT_RESPONSE_EMPTY, False, message)
    return response
