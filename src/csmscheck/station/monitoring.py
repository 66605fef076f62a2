"""The variable monitors of a virtual OCPP 2.0.1 station (block N), and how it answers the CSMS about them.

A station holds hard-wired monitors (always there), pre-configured ones (active as the monitoring
base says) and custom ones the CSMS set with SetVariableMonitoring; it reports them on
GetMonitoringReport (NotifyMonitoringReport parts after an Accepted answer, ``tbc`` on all but the
last) and sends NotifyEvent when one of them trips, if its severity is within the monitoring level.
:func:`serve_monitoring` makes a session answer so by policy; a case that gives its own ``reply``
takes over that answer.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from csmscheck.station.reports import send_parts
from csmscheck.station.session import StationSession
from csmscheck.timestamps import rfc3339
from csmscheck.wire import CallError
from csmscheck.wire.errors import ErrorCode, error_code

Payload = dict[str, Any]

HARD_WIRED, PRECONFIGURED, CUSTOM = "HardWiredMonitor", "PreconfiguredMonitor", "CustomMonitor"
THRESHOLD, DELTA, PERIODIC = ("UpperThreshold", "LowerThreshold"), ("Delta",), ("Periodic", "PeriodicClockAligned")
CRITERIA = {"ThresholdMonitoring": THRESHOLD, "DeltaMonitoring": DELTA, "PeriodicMonitoring": PERIODIC}

# What the station can monitor: (component, variable) → numeric? ; EVSE components need an EVSE id it has.
MONITORABLE: dict[tuple[str, str], bool] = {
    ("ChargingStation", "AvailabilityState"): False,
    ("ChargingStation", "Power"): True,
    ("EVSE", "AvailabilityState"): False,
    ("EVSE", "Power"): True,
    ("Connector", "AvailabilityState"): False,
    ("SecurityCtrlr", "BasicAuthPassword"): False,  # write-only: its events carry an empty actualValue
}
MAX_MONITORS = 20  # what MonitoringCtrlr would report as its capacity
REPORT_ITEMS = 2  # monitors (component/variable pairs) per NotifyMonitoringReport part


@dataclass(slots=True)
class Monitor:
    """One monitor on one component/variable; ``kind`` is how it came to be (HARD_WIRED, PRECONFIGURED, CUSTOM)."""

    id: int
    component: Payload
    variable: Payload
    type: str
    value: float
    severity: int
    kind: str = CUSTOM
    transaction: bool = False
    factory_default: bool = True  # a pre-configured monitor that FactoryDefault keeps active

    @property
    def target(self) -> tuple[str, int, str]:
        return (self.component["name"], (self.component.get("evse") or {}).get("id", 0), self.variable["name"])

    def as_reported(self) -> Payload:
        """VariableMonitoringType of a NotifyMonitoringReport."""
        return {"id": self.id, "transaction": self.transaction, "value": self.value, "type": self.type,
                "severity": self.severity}


def _cs(variable: str) -> tuple[Payload, Payload]:
    return {"name": "ChargingStation"}, {"name": variable}


def default_monitors() -> list[Monitor]:
    """A hard-wired over-power alarm, a pre-configured availability watch and a periodic power reading."""
    return [Monitor(1, *_cs("Power"), "UpperThreshold", 22000.0, 2, HARD_WIRED),
            Monitor(2, *_cs("AvailabilityState"), "Delta", 1.0, 5, PRECONFIGURED),
            Monitor(3, *_cs("Power"), "Periodic", 60.0, 8, PRECONFIGURED, factory_default=False)]


@dataclass
class Monitoring:
    """The monitors of one station by id, with its monitoring base and level."""

    evses: Callable[[], int] = lambda: 1
    monitors: dict[int, Monitor] = field(default_factory=lambda: {m.id: m for m in default_monitors()})
    base: str = "All"
    level: int = 9  # severities 0 (Danger) .. 9 (Debug): events up to this one are reported
    clear_items: int = 10  # MonitoringCtrlr.ItemsPerMessage[ClearVariableMonitoring]
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(100))
    _event_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    # -- what the station holds ------------------------------------------------------------

    def hold(self, *monitors: Monitor) -> None:
        """Hold exactly ``monitors`` (what a case's prerequisites say the station has); no checks."""
        self.monitors = {m.id: m for m in monitors}

    def active(self) -> list[Monitor]:
        """The monitors in force under the monitoring base, in id order."""
        def on(m: Monitor) -> bool:
            if m.kind != PRECONFIGURED:
                return True
            return self.base == "All" or (self.base == "FactoryDefault" and m.factory_default)
        return [m for _, m in sorted(self.monitors.items()) if on(m)]

    def matching(self, request: Payload) -> list[Monitor]:
        """The active monitors a GetMonitoringReportRequest asks for: of its criteria (any), on its
        component/variables (any); an omitted filter holds for all."""
        types = {t for c in request.get("monitoringCriteria") or [] for t in CRITERIA[c]}
        wanted = request.get("componentVariable") or []
        return [m for m in self.active() if (not types or m.type in types)
                and (not wanted or any(_selects(cv, m) for cv in wanted))]

    # -- answers ---------------------------------------------------------------------------

    def set_monitoring_base(self, request: Payload) -> Payload:
        """All, FactoryDefault or HardWiredOnly; the last two clear the custom monitors (N03)."""
        self.base = request["monitoringBase"]
        if self.base != "All":
            self.monitors = {i: m for i, m in self.monitors.items() if m.kind != CUSTOM}
        return {"status": "Accepted"}

    def set_monitoring_level(self, request: Payload) -> Payload:
        severity = request["severity"]
        if not 0 <= severity <= 9:
            return {"status": "Rejected", "statusInfo": {"reasonCode": "OutOfRange",
                                                         "additionalInfo": f"severity {severity} is not 0-9"}}
        self.level = severity
        return {"status": "Accepted"}

    def set_variable_monitoring(self, request: Payload) -> Payload:
        """One result per element, for the same component and variable (N04.FR.01/02)."""
        return {"setMonitoringResult": [self._set(data) for data in request["setMonitoringData"]]}

    def _set(self, data: Payload) -> Payload:
        result: Payload = {"type": data["type"], "severity": data["severity"], "component": data["component"],
                           "variable": data["variable"]}
        status, reason = self._refusal(data)
        if status is not None:
            return result | {"status": status, "statusInfo": {"reasonCode": status, "additionalInfo": reason}}
        monitor_id = data.get("id")
        if monitor_id is None:
            monitor_id = next(self._ids)
        replaced = self.monitors.get(monitor_id)  # a pre-configured monitor stays one when the CSMS changes it
        self.monitors[monitor_id] = Monitor(monitor_id, data["component"], data["variable"], data["type"],
                                            float(data["value"]), data["severity"],
                                            replaced.kind if replaced is not None else CUSTOM,
                                            data.get("transaction", False))
        return result | {"status": "Accepted", "id": monitor_id}

    def _refusal(self, data: Payload) -> tuple[str | None, str]:
        component, variable, kind = data["component"], data["variable"], data["type"]
        names = {c for c, _ in MONITORABLE}
        if component["name"] not in names:
            return "UnknownComponent", f"the station has no component {component['name']}"
        evse = (component.get("evse") or {}).get("id")
        if component["name"] in ("EVSE", "Connector") and (evse is None or not 1 <= evse <= self.evses()):
            return "UnknownComponent", f"the station has no EVSE {evse}"
        numeric = MONITORABLE.get((component["name"], variable["name"]))
        if numeric is None:
            return "UnknownVariable", f"{component['name']} has no variable {variable['name']}"
        if kind in THRESHOLD and not numeric:
            return "UnsupportedMonitorType", f"{variable['name']} is not numeric: no thresholds"
        if not 0 <= data["severity"] <= 9:
            return "Rejected", f"severity {data['severity']} is not 0-9"
        if kind in PERIODIC and data["value"] <= 0:
            return "Rejected", f"a {kind} monitor needs an interval above 0 s"
        existing = self.monitors.get(data["id"]) if "id" in data else None
        if "id" in data and (existing is None or existing.kind == HARD_WIRED):
            return "Rejected", f"no monitor {data['id']} the CSMS may replace"
        target = (component["name"], (component.get("evse") or {}).get("id", 0), variable["name"])
        if "id" not in data and any(m.target == target and m.type == kind and m.severity == data["severity"]
                                    for m in self.monitors.values()):
            return "Duplicate", f"a {kind} monitor of severity {data['severity']} on {variable['name']} exists"
        if len(self.monitors) >= MAX_MONITORS and existing is None:
            return "Rejected", f"the station holds {MAX_MONITORS} monitors already"
        return None, ""

    def clear_variable_monitoring(self, request: Payload) -> Payload | CallError:
        """Per id: Accepted (removed), Rejected (hard-wired: it cannot be cleared) or NotFound; more ids than
        ItemsPerMessage[ClearVariableMonitoring] allows is a CALLERROR (what the station said it takes)."""
        if len(request["id"]) > self.clear_items:
            return CallError("", error_code(ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION, "2.0.1"),
                             f"{len(request['id'])} ids; ItemsPerMessage[ClearVariableMonitoring] is "
                             f"{self.clear_items}")
        results = []
        for monitor_id in request["id"]:
            monitor = self.monitors.get(monitor_id)
            if monitor is None:
                results.append({"id": monitor_id, "status": "NotFound"})
            elif monitor.kind == HARD_WIRED:
                results.append({"id": monitor_id, "status": "Rejected"})
            else:
                del self.monitors[monitor_id]
                results.append({"id": monitor_id, "status": "Accepted"})
        return {"clearMonitoringResult": results}

    def get_monitoring_report(self, request: Payload) -> Payload:
        return {"status": "Accepted" if self.matching(request) else "EmptyResultSet"}

    def reports(self, request: Payload, per_part: int = REPORT_ITEMS) -> list[Payload]:
        """The NotifyMonitoringReport parts answering ``request``: monitors grouped by component/variable,
        ``per_part`` groups a part, ``tbc`` on all but the last."""
        groups: dict[str, Payload] = {}
        for monitor in self.matching(request):
            key = repr((monitor.component, monitor.variable))
            groups.setdefault(key, {"component": monitor.component, "variable": monitor.variable,
                                    "variableMonitoring": []})["variableMonitoring"].append(monitor.as_reported())
        items = list(groups.values())
        parts = [items[i:i + per_part] for i in range(0, len(items), per_part)] or [[]]
        return [{"requestId": request["requestId"], "seqNo": n, "generatedAt": rfc3339(), "tbc": n < len(parts) - 1,
                 **({"monitor": part} if part else {})} for n, part in enumerate(parts)]

    # -- events ----------------------------------------------------------------------------

    def event(self, monitor: Monitor, trigger: str, actual_value: str, *, cleared: bool = False,
              seq_no: int = 0) -> Payload:
        """A NotifyEventRequest of ``monitor`` tripping (``trigger``: Alerting, Delta or Periodic)."""
        data: Payload = {"eventId": next(self._event_ids), "timestamp": rfc3339(), "trigger": trigger,
                         "actualValue": actual_value, "eventNotificationType": monitor.kind,
                         "variableMonitoringId": monitor.id, "component": monitor.component,
                         "variable": monitor.variable}
        if cleared:
            data["cleared"] = True
        return {"generatedAt": rfc3339(), "seqNo": seq_no, "tbc": False, "eventData": [data]}

    def reported(self, monitor: Monitor) -> bool:
        """Whether the monitoring level lets ``monitor``'s events out (severity 0 is the most severe)."""
        return monitor.severity <= self.level and monitor in self.active()


def _selects(selector: Payload, monitor: Monitor) -> bool:
    component, variable = selector["component"], selector.get("variable")
    if component["name"] != monitor.component["name"]:
        return False
    evse = component.get("evse")
    if evse is not None and evse.get("id") != (monitor.component.get("evse") or {}).get("id"):
        return False
    if "instance" in component and component["instance"] != monitor.component.get("instance"):
        return False
    return variable is None or variable["name"] == monitor.variable["name"]


def serve_monitoring(session: StationSession, monitoring: Monitoring) -> None:
    """Make ``session`` answer the monitoring calls from ``monitoring`` and send the reports it accepts."""

    async def report(request: Payload, answer: Payload | CallError) -> None:
        if isinstance(answer, dict) and answer.get("status") == "Accepted":
            await send_parts(session, "NotifyMonitoringReport", monitoring.reports(request))

    session.replies["SetMonitoringBase"] = monitoring.set_monitoring_base
    session.replies["SetMonitoringLevel"] = monitoring.set_monitoring_level
    session.replies["SetVariableMonitoring"] = monitoring.set_variable_monitoring
    async def clear(request: Payload) -> Payload | CallError:  # a reply that may be a CALLERROR
        return monitoring.clear_variable_monitoring(request)

    session.replies["ClearVariableMonitoring"] = clear
    session.replies["GetMonitoringReport"] = monitoring.get_monitoring_report
    session.follow_ups["GetMonitoringReport"] = report
