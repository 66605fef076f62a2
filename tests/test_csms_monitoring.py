"""The reference CSMS's OCPP 2.0.1 monitoring, driven by a raw station session and the trigger API.

What it records of the monitors a station holds (set, cleared, reported in parts), of its monitoring
base and level, of its events; what it refuses to send (400 with reasons, nothing on the wire); and
how it splits a ClearVariableMonitoring by the limits the station reports.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from conftest import RunningCsms, StationOpener
from trigger_calls import refused, relayed

from csmscheck.csms.handlers.v201.monitoring import split_ids
from csmscheck.station.session import StationSession
from csmscheck.timestamps import rfc3339

STATION = "CP201_SP1"
Payload = dict[str, Any]
CS, POWER, AVAILABILITY = {"name": "ChargingStation"}, {"name": "Power"}, {"name": "AvailabilityState"}


def _id() -> int:
    return secrets.randbelow(2**30) + 1


def _data(type_: str = "Delta", value: float = 1, severity: int = 8, **more: Any) -> Payload:
    return {"type": type_, "value": value, "severity": severity, "component": CS, "variable": AVAILABILITY, **more}


@pytest.fixture
async def api(reference_csms: RunningCsms) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=reference_csms.api, timeout=10.0) as client:
        yield client


async def _detail(api: httpx.AsyncClient) -> Payload:
    response = await api.get(f"/api/stations/{STATION}")
    assert response.status_code == 200, response.text
    detail: Payload = response.json()
    return detail


async def _monitors(api: httpx.AsyncClient) -> dict[int, Payload]:
    return {m["id"]: m for m in (await _detail(api))["monitors"]}


async def test_accepted_monitors_are_stored_and_cleared(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                        open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    kept, refused_id = _id(), _id()
    await relayed(api, station, "SetVariableMonitoring", {"setMonitoringData": [_data(), _data("Periodic", 60)]},
                  reply={"setMonitoringResult": [
                      {"status": "Accepted", "id": kept, "type": "Delta", "severity": 8, "component": CS,
                       "variable": AVAILABILITY},
                      {"status": "Rejected", "id": refused_id, "type": "Periodic", "severity": 8, "component": CS,
                       "variable": AVAILABILITY}]})
    monitors = await _monitors(api)
    assert monitors[kept]["type"] == "Delta" and monitors[kept]["learntFrom"] == "SetVariableMonitoring"
    assert refused_id not in monitors
    # Rejected keeps it; NotFound means the station has none, so the record drops it too
    await relayed(api, station, "ClearVariableMonitoring", {"id": [kept]},
                  reply={"clearMonitoringResult": [{"id": kept, "status": "Rejected"}]})
    assert kept in await _monitors(api)
    await relayed(api, station, "ClearVariableMonitoring", {"id": [kept]},
                  reply={"clearMonitoringResult": [{"id": kept, "status": "NotFound"}]})
    assert kept not in await _monitors(api)


async def test_level_and_base_recorded_as_answered(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                   open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    await relayed(api, station, "SetMonitoringLevel", {"severity": 5})
    await relayed(api, station, "SetMonitoringLevel", {"severity": 3}, reply={"status": "Rejected"})
    shown = (await _detail(api))["monitoring"]
    assert shown["monitoringLevel"] == 5 and shown["levelAsked"] == 3 and shown["levelStatus"] == "Rejected"
    custom = _id()
    await relayed(api, station, "SetVariableMonitoring", {"setMonitoringData": [_data()]},
                  reply={"setMonitoringResult": [{"status": "Accepted", "id": custom, "type": "Delta", "severity": 8,
                                                  "component": CS, "variable": AVAILABILITY}]})
    await relayed(api, station, "SetMonitoringBase", {"monitoringBase": "HardWiredOnly"})
    shown = (await _detail(api))["monitoring"]
    assert shown["monitoringBase"] == "HardWiredOnly"
    assert custom not in await _monitors(api), "HardWiredOnly clears the custom monitors (N03.FR.05)"


async def test_vetting_refuses_impossible_levels_and_monitors(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                              open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    assert any("severity 10" in r for r in await refused(api, station, "set-monitoring-level", {"severity": 10}))
    assert await refused(api, station, "set-monitoring-level", {"severity": -1})
    reasons = await refused(api, station, "set-variable-monitoring", {"setMonitoringData": [
        _data("Delta", -5), _data("Periodic", 0), _data(severity=12), _data("Delta", 2), _data("Delta", 2)]})
    text = "\n".join(reasons)
    assert "setMonitoringData[0].value -5" in text and "setMonitoringData[1].value 0" in text
    assert "setMonitoringData[2].severity 12" in text
    assert "setMonitoringData[4]: the same Delta monitor of severity 8" in text
    assert await refused(api, station, "clear-variable-monitoring", {"id": [4, 4]})


async def test_clear_split_by_the_limits_the_station_reports(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                             open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    limits = {"getVariableResult": [
        {"attributeStatus": "Accepted", "attributeValue": "3", "component": {"name": "MonitoringCtrlr"},
         "variable": {"name": "ItemsPerMessage", "instance": "ClearVariableMonitoring"}},
        {"attributeStatus": "UnknownVariable", "component": {"name": "MonitoringCtrlr"},
         "variable": {"name": "BytesPerMessage", "instance": "ClearVariableMonitoring"}}]}
    station.replies["GetVariables"] = limits
    station.replies["ClearVariableMonitoring"] = lambda r: {"clearMonitoringResult": [
        {"id": i, "status": "Accepted"} for i in r["id"]]}
    since = len(station.calls)
    response = await api.post(f"/api/octt/2.0.1/{STATION}/clear-variable-monitoring", json={"id": list(range(1, 8))})
    assert response.status_code == 200, response.text
    calls = station.calls[since:]
    assert [c.action for c in calls] == ["GetVariables"] + ["ClearVariableMonitoring"] * 3
    assert [c.payload["id"] for c in calls[1:]] == [[1, 2, 3], [4, 5, 6], [7]]
    assert [r["id"] for r in response.json()["response"]["clearMonitoringResult"]] == list(range(1, 8))
    # one id: no need to ask
    since = len(station.calls)
    await relayed(api, station, "ClearVariableMonitoring", {"id": [9]},
                  reply={"clearMonitoringResult": [{"id": 9, "status": "NotFound"}]})
    assert [c.action for c in station.calls[since:]] == ["ClearVariableMonitoring"]


def test_split_ids_keeps_within_items_and_bytes() -> None:
    request = {"id": list(range(100, 120))}
    assert [len(p["id"]) for p in split_ids(request, 8, None)] == [8, 8, 4]
    parts = split_ids(request, None, 120)
    assert all(len(str(p).replace(" ", "")) + 80 <= 130 for p in parts) and len(parts) > 1
    assert [i for p in parts for i in p["id"]] == request["id"]
    assert split_ids(request, None, None) == [request]


async def _report_part(station: StationSession, request_id: int, seq_no: int, tbc: bool,
                       *monitors: tuple[int, str]) -> None:
    await station.call("NotifyMonitoringReport", {
        "requestId": request_id, "seqNo": seq_no, "generatedAt": rfc3339(), "tbc": tbc,
        "monitor": [{"component": CS, "variable": POWER, "variableMonitoring": [
            {"id": i, "transaction": False, "value": 10, "type": t, "severity": 4} for i, t in monitors]}]})


async def test_a_full_report_in_parts_replaces_what_the_csms_believed(
        reference_csms: RunningCsms, api: httpx.AsyncClient, open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    believed = _id()
    await relayed(api, station, "SetVariableMonitoring", {"setMonitoringData": [_data()]},
                  reply={"setMonitoringResult": [{"status": "Accepted", "id": believed, "type": "Delta",
                                                  "severity": 8, "component": CS, "variable": AVAILABILITY}]})
    request_id, first, second = _id(), _id(), _id()
    await relayed(api, station, "GetMonitoringReport", {"requestId": request_id})
    await _report_part(station, request_id, 0, True, (first, "UpperThreshold"))
    await _report_part(station, request_id, 1, False, (second, "Periodic"))
    monitors = await _monitors(api)
    assert believed not in monitors and {first, second} <= monitors.keys()
    assert monitors[second]["learntFrom"] == "NotifyMonitoringReport"
    (report, *_) = [r for r in (await _detail(api))["monitoringReports"] if r["requestId"] == request_id]
    assert report["parts"] == 2 and report["monitors"] == 2 and report["complete"] is True
    # a filtered report adds what it lists and replaces nothing
    filtered = _id()
    await relayed(api, station, "GetMonitoringReport", {"requestId": filtered,
                                                        "monitoringCriteria": ["ThresholdMonitoring"]})
    await _report_part(station, filtered, 0, False, (first, "UpperThreshold"))
    assert {first, second} <= (await _monitors(api)).keys()


async def test_events_stored_with_trigger_cleared_and_monitor(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                              open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    event_id = _id()
    assert await station.call("NotifyEvent", {"generatedAt": rfc3339(), "seqNo": 0, "eventData": [{
        "eventId": event_id, "timestamp": rfc3339(), "trigger": "Alerting", "actualValue": "0", "cleared": True,
        "eventNotificationType": "HardWiredMonitor", "variableMonitoringId": 1, "component": CS,
        "variable": POWER}]}) == {}
    (event,) = [e for e in (await _detail(api))["events"] if e["eventId"] == event_id]
    assert event["cleared"] is True and event["trigger"] == "Alerting" and event["variableMonitoringId"] == 1
    assert event["eventNotificationType"] == "HardWiredMonitor"
