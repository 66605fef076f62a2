"""The virtual 2.0.1 station's monitors: base, level, set/clear by id, reports by criteria, events."""

from __future__ import annotations

from csmscheck.station.monitoring import CUSTOM, HARD_WIRED, PRECONFIGURED, Monitor, Monitoring
from csmscheck.wire import CallError

CS = {"name": "ChargingStation"}
POWER, AVAILABILITY = {"name": "Power"}, {"name": "AvailabilityState"}


def _evse(evse_id: int) -> dict[str, object]:
    return {"name": "EVSE", "evse": {"id": evse_id}}


def _data(component: dict[str, object], variable: dict[str, str], type_: str = "Delta", value: float = 1,
          severity: int = 8, **more: object) -> dict[str, object]:
    return {"component": component, "variable": variable, "type": type_, "value": value, "severity": severity,
            **more}


def test_set_variable_monitoring_answers_each_element_for_its_component_and_variable() -> None:
    station = Monitoring(lambda: 2)
    answer = station.set_variable_monitoring({"setMonitoringData": [
        _data(_evse(1), AVAILABILITY), _data(CS, AVAILABILITY, severity=5),
        _data({"name": "Nonsense"}, POWER), _data(CS, {"name": "Nonsense"}),
        _data(CS, AVAILABILITY, "UpperThreshold"), _data(_evse(3), POWER),
        _data(CS, POWER, "Periodic", 0)]})
    results = answer["setMonitoringResult"]
    assert [r["status"] for r in results] == ["Accepted", "Duplicate", "UnknownComponent", "UnknownVariable",
                                              "UnsupportedMonitorType", "UnknownComponent", "Rejected"]
    assert results[0]["component"] == _evse(1) and results[0]["variable"] == AVAILABILITY
    assert station.set_variable_monitoring({"setMonitoringData": [_data(CS, AVAILABILITY, severity=3)]})[
        "setMonitoringResult"][0]["status"] == "Accepted"  # another severity: another monitor
    new_id = results[0]["id"]
    assert station.monitors[new_id].kind == CUSTOM and station.monitors[new_id].type == "Delta"


def test_a_monitor_is_replaced_by_id_but_a_hard_wired_one_is_not() -> None:
    station = Monitoring()
    replaced = station.set_variable_monitoring({"setMonitoringData": [_data(CS, POWER, "Delta", 50, id=2)]})
    hard = station.set_variable_monitoring({"setMonitoringData": [_data(CS, POWER, "Delta", 50, id=1)]})
    assert replaced["setMonitoringResult"][0]["status"] == "Accepted" and replaced["setMonitoringResult"][0]["id"] == 2
    assert station.monitors[2].value == 50 and station.monitors[2].kind == PRECONFIGURED
    assert hard["setMonitoringResult"][0]["status"] == "Rejected"


def test_clear_by_id_rejects_hard_wired_and_reports_unknown_ids() -> None:
    station = Monitoring(clear_items=3)
    answer = station.clear_variable_monitoring({"id": [1, 2, 99]})
    assert isinstance(answer, dict)
    assert answer["clearMonitoringResult"] == [{"id": 1, "status": "Rejected"}, {"id": 2, "status": "Accepted"},
                                               {"id": 99, "status": "NotFound"}]
    assert 2 not in station.monitors and 1 in station.monitors


def test_more_ids_than_items_per_message_is_a_callerror() -> None:
    station = Monitoring(clear_items=2)
    answer = station.clear_variable_monitoring({"id": [2, 3, 4]})
    assert isinstance(answer, CallError) and answer.code == "OccurrenceConstraintViolation"
    assert {2, 3} <= set(station.monitors)


def test_level_outside_0_to_9_is_rejected_and_keeps_the_level() -> None:
    station = Monitoring()
    assert station.set_monitoring_level({"severity": 4}) == {"status": "Accepted"}
    assert station.set_monitoring_level({"severity": 10})["status"] == "Rejected"
    assert station.set_monitoring_level({"severity": -1})["status"] == "Rejected"
    assert station.level == 4


def test_monitoring_base_decides_which_monitors_are_active() -> None:
    station = Monitoring()
    station.set_variable_monitoring({"setMonitoringData": [_data(_evse(1), AVAILABILITY)]})
    assert {m.kind for m in station.active()} == {HARD_WIRED, PRECONFIGURED, CUSTOM}
    station.set_monitoring_base({"monitoringBase": "FactoryDefault"})
    assert [m.id for m in station.active()] == [1, 2]  # the periodic one is not a factory default; custom gone
    station.set_monitoring_base({"monitoringBase": "HardWiredOnly"})
    assert [m.kind for m in station.active()] == [HARD_WIRED]
    station.set_monitoring_base({"monitoringBase": "All"})
    assert [m.id for m in station.active()] == [1, 2, 3]


def test_report_by_criteria_and_component_variable() -> None:
    station = Monitoring()
    station.hold(Monitor(1, CS, POWER, "UpperThreshold", 22000, 2, HARD_WIRED),
                 Monitor(2, _evse(1), AVAILABILITY, "Delta", 1, 5, PRECONFIGURED))
    assert station.get_monitoring_report({"requestId": 1, "monitoringCriteria": ["DeltaMonitoring"],
                                          "componentVariable": [{"component": CS, "variable": POWER}]}) == {
        "status": "EmptyResultSet"}
    asked = {"requestId": 7, "componentVariable": [{"component": _evse(1), "variable": AVAILABILITY}]}
    assert station.get_monitoring_report(asked) == {"status": "Accepted"}
    (part,) = station.reports(asked)
    assert part["requestId"] == 7 and part["tbc"] is False
    assert part["monitor"] == [{"component": _evse(1), "variable": AVAILABILITY, "variableMonitoring": [
        {"id": 2, "transaction": False, "value": 1, "type": "Delta", "severity": 5}]}]
    assert station.matching({"requestId": 2, "componentVariable": [{"component": _evse(2)}]}) == []


def test_a_full_report_comes_in_parts_with_tbc() -> None:
    station = Monitoring()
    station.hold(*(Monitor(n, _evse(1) if n % 2 else CS, {"name": f"V{n}"}, "Delta", 1, 5) for n in range(1, 6)))
    parts = station.reports({"requestId": 3}, per_part=2)
    assert [p["seqNo"] for p in parts] == [0, 1, 2] and [p["tbc"] for p in parts] == [True, True, False]
    assert sum(len(p["monitor"]) for p in parts) == 5


def test_events_name_their_monitor_and_level_filters_them() -> None:
    station = Monitoring()
    alarm = station.monitors[1]
    event = station.event(alarm, "Alerting", "0", cleared=True)
    (data,) = event["eventData"]
    assert data["eventNotificationType"] == HARD_WIRED and data["variableMonitoringId"] == 1
    assert data["cleared"] is True and data["trigger"] == "Alerting"
    station.set_monitoring_level({"severity": 1})
    assert not station.reported(alarm)  # severity 2 is less severe than level 1
    station.set_monitoring_level({"severity": 2})
    assert station.reported(alarm)
