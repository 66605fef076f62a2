"""Monitoring (block N), OCPP 2.0.1: the variable monitors each station holds, as the CSMS knows them, and its events.

SetMonitoringBase, SetMonitoringLevel, SetVariableMonitoring, ClearVariableMonitoring and
GetMonitoringReport go out through the trigger API, after the vetting here found nothing wrong
with them. From the station's answers and notifications the CSMS keeps:

- the base and level the station last accepted (and what was last asked, with the answer): a
  Rejected level leaves the one in force;
- every monitor the station accepted, by the id it gave; a ClearVariableMonitoring removes the
  ids answered Accepted or NotFound (then the station held none); FactoryDefault and
  HardWiredOnly clear the custom monitors (N03);
- a GetMonitoringReport (recorded before it goes out) and its NotifyMonitoringReport parts; a
  report of all monitors (no criteria, no componentVariable) replaces what the CSMS believed;
- every event of a NotifyEvent, with its trigger, cleared flag and monitor.

A ClearVariableMonitoring of more than one id is split so no message carries more ids (or bytes)
than the station takes (N06.FR.04): the CSMS asks the station for MonitoringCtrlr.ItemsPerMessage
and BytesPerMessage[ClearVariableMonitoring] right before, as limits it reported long ago may be stale.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import delete, select

from csmscheck.csms.authorization import as_utc
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.handlers.v201.device_model import variable_value
from csmscheck.csms.monitoring_models import (
    REPORTED,
    SET,
    MonitoringEvent,
    MonitoringReport,
    MonitoringSetup,
    StationMonitor,
)
from csmscheck.csms.router import Payload, before_call, handles, observes, on_response, shapes, vets
from csmscheck.csms.store import Store, get_or_create, now
from csmscheck.timestamps import rfc3339
from csmscheck.wire import CallResult

if TYPE_CHECKING:
    from csmscheck.csms.app import CsmsContext

log = logging.getLogger("csmscheck.csms")

SEVERITIES = range(10)  # 0 Danger .. 9 Debug (OCPP 2.0.1 part 2, 3.77 / N05)
PERIODIC = ("Periodic", "PeriodicClockAligned")
CLEAR_LIMITS = ("ItemsPerMessage", "BytesPerMessage")
_FRAME_OVERHEAD = 80  # [2,"<uuid>","ClearVariableMonitoring", ...] around the payload


# -- vetting: what the CSMS refuses to send -------------------------------------------------


@vets("2.0.1", "SetMonitoringLevel")
async def vet_level(_csms: CsmsContext, _station_id: str, request: Payload) -> list[str]:
    """A severity outside 0-9 is no level a station can take (N05.FR.02 has it rejected): never sent."""
    severity = request["severity"]
    return [] if severity in SEVERITIES else [f"severity {severity}: a monitoring level is 0 (Danger) to 9 (Debug)"]


@vets("2.0.1", "SetVariableMonitoring")
async def vet_monitors(_csms: CsmsContext, _station_id: str, request: Payload) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for n, data in enumerate(request["setMonitoringData"]):
        at, kind, value = f"setMonitoringData[{n}]", data["type"], data["value"]
        if data["severity"] not in SEVERITIES:
            problems.append(f"{at}.severity {data['severity']}: a severity is 0 (Danger) to 9 (Debug)")
        if kind == "Delta" and value < 0:
            problems.append(f"{at}.value {value}: a Delta monitor triggers on a change of at least value, "
                            "which cannot be negative")
        if kind in PERIODIC and value <= 0:
            problems.append(f"{at}.value {value}: a {kind} monitor reports every value seconds, which must be "
                            "above 0")
        key = orjson.dumps([data["component"], data["variable"], kind, data["severity"], data.get("id")],
                           option=orjson.OPT_SORT_KEYS).decode()
        if key in seen:  # the station would answer the second Duplicate (same type and severity)
            problems.append(f"{at}: the same {kind} monitor of severity {data['severity']} on "
                            f"{data['variable']['name']} is asked twice")
        seen.add(key)
    return problems


@vets("2.0.1", "ClearVariableMonitoring")
async def vet_clear(_csms: CsmsContext, _station_id: str, request: Payload) -> list[str]:
    ids = request["id"]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    return [f"id {i} is listed more than once" for i in twice]


# -- base and level ------------------------------------------------------------------------


async def _setup(db: Any, station_id: str) -> MonitoringSetup:
    setup: MonitoringSetup = await get_or_create(db, MonitoringSetup, {"station_id": station_id}, updated_at=now())
    return setup


@on_response("2.0.1", "SetMonitoringBase")
async def base_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    base, accepted = request["monitoringBase"], response["status"] == "Accepted"
    async with connection.csms.store.session() as db:
        setup = await _setup(db, connection.station_id)
        setup.base_asked, setup.base_status, setup.updated_at = base, response["status"], now()
        if accepted:
            setup.base = base
        if accepted and base != "All":  # FactoryDefault and HardWiredOnly clear the custom monitors
            await db.execute(delete(StationMonitor).filter_by(station_id=connection.station_id, learnt_from=SET))


@on_response("2.0.1", "SetMonitoringLevel")
async def level_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    async with connection.csms.store.session() as db:
        setup = await _setup(db, connection.station_id)
        setup.level_asked, setup.level_status, setup.updated_at = request["severity"], response["status"], now()
        if response["status"] == "Accepted":
            setup.level = request["severity"]


# -- monitors ------------------------------------------------------------------------------


async def _keep(db: Any, station_id: str, monitor_id: int, component: Payload, variable: Payload,
                monitoring: Payload, learnt_from: str) -> None:
    await db.merge(StationMonitor(
        station_id=station_id, monitor_id=monitor_id, component=component, variable=variable,
        type=monitoring["type"], value=float(monitoring["value"]), severity=monitoring["severity"],
        transaction=bool(monitoring.get("transaction", False)), learnt_from=learnt_from, updated_at=now()))


@on_response("2.0.1", "SetVariableMonitoring")
async def monitors_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    """Each Accepted result (with the id the station gave) is a monitor the station holds now."""
    async with connection.csms.store.session() as db:
        for data, result in zip(request["setMonitoringData"], response["setMonitoringResult"], strict=False):
            monitor_id = result.get("id", data.get("id"))
            if result["status"] != "Accepted" or monitor_id is None:
                continue
            await _keep(db, connection.station_id, monitor_id, data["component"], data["variable"], data, SET)


@on_response("2.0.1", "ClearVariableMonitoring")
async def cleared(connection: StationConnection, _request: Payload, response: Payload) -> None:
    gone = [r["id"] for r in response["clearMonitoringResult"] if r["status"] in ("Accepted", "NotFound")]
    if gone:
        async with connection.csms.store.session() as db:
            await db.execute(delete(StationMonitor).where(StationMonitor.station_id == connection.station_id,
                                                          StationMonitor.monitor_id.in_(gone)))


def _limit(result: Payload | None) -> int | None:
    if result is None or result.get("attributeStatus") != "Accepted":
        return None
    try:
        return max(1, int(result.get("attributeValue", "")))
    except ValueError:
        return None


async def clear_limits(connection: StationConnection) -> tuple[int | None, int | None]:
    """(items, bytes) one ClearVariableMonitoringRequest may carry, as the station says now (or said before)."""
    wanted = [{"component": {"name": "MonitoringCtrlr"},
               "variable": {"name": name, "instance": "ClearVariableMonitoring"}} for name in CLEAR_LIMITS]
    answer = await connection.call("GetVariables", {"getVariableData": wanted}, connection.csms.config.call_timeout)
    results: dict[str, Payload] = {}
    if isinstance(answer, CallResult):
        results = {r["variable"]["name"]: r for r in answer.payload.get("getVariableResult", [])}
    limits = []
    for name in CLEAR_LIMITS:
        limit = _limit(results.get(name))
        if limit is None:  # what an earlier report or answer said
            limit = _limit({"attributeStatus": "Accepted", "attributeValue": await variable_value(
                connection, "MonitoringCtrlr", name, "ClearVariableMonitoring") or ""})
        limits.append(limit)
    return limits[0], limits[1]


def split_ids(request: Payload, items: int | None, size: int | None) -> list[Payload]:
    """The ids in parts of at most ``items`` ids and ``size`` bytes a message (None: no limit)."""
    parts: list[list[int]] = [[]]
    for monitor_id in request["id"]:
        candidate = parts[-1] + [monitor_id]
        too_long = size is not None and len(orjson.dumps(request | {"id": candidate})) + _FRAME_OVERHEAD > size
        if parts[-1] and ((items is not None and len(candidate) > items) or too_long):
            parts.append([monitor_id])
        else:
            parts[-1] = candidate
    return [request | {"id": part} for part in parts]


@shapes("2.0.1", "ClearVariableMonitoring")
async def split_clear(connection: StationConnection, request: Payload) -> list[Payload]:
    """Never more ids a message than the station takes (N06.FR.04)."""
    if len(request["id"]) < 2:
        return [request]
    items, size = await clear_limits(connection)
    return split_ids(request, items, size)


# -- reports -------------------------------------------------------------------------------


@before_call("2.0.1", "GetMonitoringReport")
async def report_requested(connection: StationConnection, request: Payload) -> None:
    """Recorded before it goes out: the first part may come before the CSMS reads the answer."""
    async with connection.csms.store.session() as db:
        row = await get_or_create(db, MonitoringReport, {"station_id": connection.station_id,
                                                         "request_id": request["requestId"]},
                                  request=request, status="Requested", requested_at=now())
        row.request, row.status, row.parts, row.monitors, row.complete = request, "Requested", 0, 0, False
        row.requested_at, row.completed_at = now(), None


@on_response("2.0.1", "GetMonitoringReport")
async def report_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    async with connection.csms.store.session() as db:
        row = await db.get(MonitoringReport, {"station_id": connection.station_id, "request_id": request["requestId"]})
        if row is not None:
            row.status = response["status"]
            if response["status"] != "Accepted":  # no parts will come
                row.complete, row.completed_at = True, now()


def _full(request: Payload | None) -> bool:
    return request is not None and not request.get("monitoringCriteria") and not request.get("componentVariable")


@handles("2.0.1", "NotifyMonitoringReport")
async def notify_monitoring_report(connection: StationConnection, request: Payload) -> Payload:
    station_id = connection.station_id
    async with connection.csms.store.session() as db:
        key = {"station_id": station_id, "request_id": request["requestId"]}
        report = await get_or_create(db, MonitoringReport, key, request=None, status="Unsolicited",
                                     requested_at=now())
        if request["seqNo"] == 0 and _full(report.request):  # the station's whole set replaces what was believed
            await db.execute(delete(StationMonitor).filter_by(station_id=station_id))
        count = 0
        for item in request.get("monitor", []):
            for monitoring in item["variableMonitoring"]:
                await _keep(db, station_id, monitoring["id"], item["component"], item["variable"], monitoring,
                            REPORTED)
                count += 1
        report.parts = (report.parts or 0) + 1
        report.monitors = (report.monitors or 0) + count
        if not request.get("tbc", False):
            report.complete, report.completed_at = True, now()
    return {}


# -- events --------------------------------------------------------------------------------


@observes("2.0.1", "NotifyEvent")
async def record_events(connection: StationConnection, request: Payload, _response: Payload) -> None:
    """Every event is kept with what raised it (the device model's handler stores the values)."""
    async with connection.csms.store.session() as db:
        for event in request["eventData"]:
            db.add(MonitoringEvent(
                station_id=connection.station_id, event_id=event["eventId"], timestamp=event["timestamp"],
                trigger=event["trigger"], notification_type=event["eventNotificationType"],
                monitor_id=event.get("variableMonitoringId"), component=event["component"],
                variable=event["variable"], actual_value=event["actualValue"], cleared=event.get("cleared", False),
                cause=event.get("cause"), tech_code=event.get("techCode"), transaction_id=event.get("transactionId"),
                received_at=now()))


# -- what the station detail shows ----------------------------------------------------------


async def monitoring_view(store: Store, station_id: str) -> dict[str, Any]:
    """The station's monitors, base and level, its 10 latest reports and 20 latest events."""
    async with store.session() as db:
        monitors = (await db.scalars(select(StationMonitor).filter_by(station_id=station_id)
                                     .order_by(StationMonitor.monitor_id))).all()
        setup = await db.get(MonitoringSetup, station_id)
        reports = (await db.scalars(select(MonitoringReport).filter_by(station_id=station_id)
                                    .order_by(MonitoringReport.requested_at.desc()).limit(10))).all()
        events = (await db.scalars(select(MonitoringEvent).filter_by(station_id=station_id)
                                   .order_by(MonitoringEvent.pk.desc()).limit(20))).all()
    return {
        "monitors": [{"id": m.monitor_id, "component": m.component, "variable": m.variable, "type": m.type,
                      "value": m.value, "severity": m.severity, "transaction": m.transaction,
                      "learntFrom": m.learnt_from} for m in monitors],
        "monitoring": None if setup is None else {
            "monitoringBase": setup.base, "monitoringLevel": setup.level, "baseAsked": setup.base_asked,
            "baseStatus": setup.base_status, "levelAsked": setup.level_asked, "levelStatus": setup.level_status},
        "monitoringReports": [{"requestId": r.request_id, "request": r.request, "status": r.status,
                               "parts": r.parts, "monitors": r.monitors, "complete": r.complete} for r in reports],
        "events": [{"eventId": e.event_id, "timestamp": e.timestamp, "trigger": e.trigger,
                    "eventNotificationType": e.notification_type, "variableMonitoringId": e.monitor_id,
                    "component": e.component, "variable": e.variable, "actualValue": e.actual_value,
                    "cleared": e.cleared, "receivedAt": rfc3339(as_utc(e.received_at))} for e in events],
    }
