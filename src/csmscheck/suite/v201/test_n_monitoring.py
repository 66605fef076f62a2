"""Block N, monitoring: reports of monitors, monitoring base and level, setting and clearing monitors (N02-N06).

The operator has the CSMS send each request (the trigger API); the case checks what arrived
against the definition's tool validations, in their order. The virtual station answers from
the monitors it holds (``station.monitoring``), which each case sets to what its definition's
answers presume.
"""

from __future__ import annotations

from csmscheck.checks import monitoring as checks
from csmscheck.errors import StepFailed
from csmscheck.expect import ABSENT, assert_matches, step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v201.monitoring_steps import (
    AVAILABILITY,
    CHARGING_STATION,
    POWER,
    Payload,
    check_monitors,
    custom_monitors,
    evse,
    monitor,
    over_power,
    send_report,
)
from csmscheck.suite.v201.operations_steps import check_reported, declined, fresh_id, operator_asks, shown

REPORT_REQS = ["N02.FR.05", "N02.FR.10"]
REPORT = "GetMonitoringReportRequest"
EMPTY, ACCEPTED = {"status": "EmptyResultSet"}, {"status": "Accepted"}


async def _report(station: Station, csms: Csms, label: str, reply: Payload, **asked: object) -> Payload:
    return await operator_asks(station, csms, "GetMonitoringReport", {"requestId": fresh_id(), **asked}, reply, label)


# -- N02: monitoring reports -----------------------------------------------------------------


@octt("TC_N_01", reqs=REPORT_REQS)
async def test_tc_n_01(station: Station, csms: Csms) -> None:
    """Get Monitoring Report - with monitoringCriteria."""
    station.monitoring.hold(over_power())  # a Threshold monitor, no Delta one
    request = await _report(station, csms, "Step 1", EMPTY, monitoringCriteria=["DeltaMonitoring"])
    assert_matches(request, {"monitoringCriteria": ["DeltaMonitoring"]}, f"Step 1: {REPORT}")
    request = await _report(station, csms, "Step 3", ACCEPTED, monitoringCriteria=["ThresholdMonitoring"])
    assert_matches(request, {"monitoringCriteria": ["ThresholdMonitoring"]}, f"Step 3: {REPORT}")
    await send_report(station, request, "Step 5/6")


@octt("TC_N_02", reqs=REPORT_REQS)
async def test_tc_n_02(station: Station, csms: Csms) -> None:
    """Get Monitoring Report - with component/variable."""
    station.monitoring.hold(monitor(2, evse(1), AVAILABILITY, "Delta"))  # none on ChargingStation.Power
    power = {"component": CHARGING_STATION, "variable": POWER}
    request = await _report(station, csms, "Step 1", EMPTY, componentVariable=[power])
    assert_matches(request, {"componentVariable": [{"component": {"name": "ChargingStation"},
                                                    "variable": {"name": "Power"}}]}, f"Step 1: {REPORT}")
    # The definition validates componentVariable[1] of step 3: the operator asks for both pairs.
    request = await _report(station, csms, "Step 3", ACCEPTED,
                            componentVariable=[power, {"component": evse(1), "variable": AVAILABILITY}])
    wanted = request.get("componentVariable") or []
    assert_matches(wanted[1] if len(wanted) > 1 else None,
                   {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "AvailabilityState"}},
                   f"Step 3: {REPORT} componentVariable[1]")
    await send_report(station, request, "Step 5/6")


@octt("TC_N_03", reqs=REPORT_REQS)
async def test_tc_n_03(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get Monitoring Report - with component criteria and component/variable."""
    station.monitoring.hold(over_power())  # a Threshold monitor on ChargingStation.Power, no Delta one
    request = await _report(station, csms, "Step 1", EMPTY, monitoringCriteria=["DeltaMonitoring"],
                            componentVariable=[{"component": evse(cfg.evse_id), "variable": AVAILABILITY}])
    assert_matches(request, {"monitoringCriteria": ["DeltaMonitoring"], "componentVariable": [
        {"component": {"name": "EVSE", "evse": {"id": cfg.evse_id}}, "variable": {"name": "AvailabilityState"}}]},
        f"Step 1: {REPORT}")
    request = await _report(station, csms, "Step 3", ACCEPTED, monitoringCriteria=["ThresholdMonitoring"],
                            componentVariable=[{"component": CHARGING_STATION, "variable": POWER}])
    assert_matches(request, {"monitoringCriteria": ["ThresholdMonitoring"], "componentVariable": [
        {"component": {"name": "ChargingStation"}, "variable": {"name": "Power"}}]}, f"Step 3: {REPORT}")
    await send_report(station, request, "Step 5/6")


@octt("TC_N_47")
async def test_tc_n_47(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get Monitoring report - Report all."""
    station.monitoring.hold(over_power(), monitor(2, CHARGING_STATION, AVAILABILITY, "Delta"),
                            monitor(3, CHARGING_STATION, POWER, "Periodic", 60.0, severity=8),
                            monitor(4, evse(cfg.evse_id), AVAILABILITY, "Delta"),
                            monitor(5, evse(cfg.evse_id), POWER, "UpperThreshold", 11000.0))  # reported in 2 parts
    request = await _report(station, csms, "Step 1", ACCEPTED)
    assert_matches(request, {"monitoringCriteria": ABSENT, "componentVariable": ABSENT}, f"Step 1: {REPORT}")
    await send_report(station, request, "Step 3/4")


@octt("TC_N_60", reqs=REPORT_REQS)
async def test_tc_n_60(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get Monitoring Report - with component criteria and list of components/variables."""
    # A Threshold monitor on availability (as the OCTT answers step 3), no Delta one on either variable.
    station.monitoring.hold(monitor(6, CHARGING_STATION, AVAILABILITY, "UpperThreshold"))
    pairs = [{"component": CHARGING_STATION, "variable": AVAILABILITY},
             {"component": evse(cfg.evse_id), "variable": AVAILABILITY}]
    expected = [{"component": {"name": "ChargingStation"}, "variable": {"name": "AvailabilityState"}},
                {"component": {"name": "EVSE", "evse": {"id": cfg.evse_id}}, "variable": {"name": "AvailabilityState"}}]
    request = await _report(station, csms, "Step 1", EMPTY, monitoringCriteria=["DeltaMonitoring"],
                            componentVariable=pairs)
    assert_matches(request, {"monitoringCriteria": ["DeltaMonitoring"], "componentVariable": expected},
                   f"Step 1: {REPORT}")
    request = await _report(station, csms, "Step 3", ACCEPTED, monitoringCriteria=["ThresholdMonitoring"],
                            componentVariable=pairs)
    assert_matches(request, {"monitoringCriteria": ["ThresholdMonitoring"], "componentVariable": expected},
                   f"Step 3: {REPORT}")
    await send_report(station, request, "Step 5/6")


# -- N03, N05: monitoring base and level ------------------------------------------------------


@octt("TC_N_05", reqs=["N03.FR.03", "N03.FR.04", "N03.FR.05"])
async def test_tc_n_05(station: Station, csms: Csms) -> None:
    """Set Monitoring Base - success."""
    for number, base in ((1, "All"), (3, "FactoryDefault"), (5, "HardWiredOnly")):
        request = await operator_asks(station, csms, "SetMonitoringBase", {"monitoringBase": base}, ACCEPTED,
                                      f"Step {number}")
        assert_matches(request, {"monitoringBase": base}, f"Step {number}: SetMonitoringBaseRequest")


@octt("TC_N_16", reqs=["N05.FR.01"])
async def test_tc_n_16(station: Station, csms: Csms) -> None:
    """Set Monitoring Level - Success."""
    request = await operator_asks(station, csms, "SetMonitoringLevel", {"severity": 4}, ACCEPTED, "Step 1")
    assert_matches(request, {"severity": 4}, "Step 1: SetMonitoringLevelRequest")


@octt("TC_N_17", reqs=["N05.FR.02"])
async def test_tc_n_17(station: Station, csms: Csms) -> None:
    """Set Monitoring Level - Out of range."""
    # The OCTT rejects whatever level comes (a station would for one out of its range).
    request = await operator_asks(station, csms, "SetMonitoringLevel", {"severity": 4}, {"status": "Rejected"},
                                  "Step 1")
    assert_matches(request, {"severity": 4}, "Step 1: SetMonitoringLevelRequest")
    await _out_of_range_refused(station, csms)


async def _out_of_range_refused(station: Station, csms: Csms) -> None:
    """csmscheck check CSC-201-N-01: asked for level 10, the CSMS refuses it itself and sends nothing."""
    if station.cfg.manual:
        return  # an operator would not type it in
    since = len(station.session.calls)
    outcome = "relayed the station's answer"
    try:
        await csms.trigger.request(station.version, station.id, "SetMonitoringLevel", {"severity": 10})
    except StepFailed as exc:
        outcome = "refused it" if declined(exc) else str(exc)
    sent = [c.payload for c in station.session.calls[since:] if c.action == "SetMonitoringLevel"]
    station.findings.check(checks.LEVEL_IN_RANGE, outcome == "refused it" and not sent,
                           f"After step 2: asked for monitoring level 10, the CSMS {outcome}"
                           + (f" and sent SetMonitoringLevelRequest {shown(sent[0])}" if sent else ""))


# -- N04, N06: setting and clearing monitors ------------------------------------------------


def _delta_on_availability(component: Payload) -> Payload:
    return {"value": 1, "type": "Delta", "severity": 8, "component": component, "variable": AVAILABILITY}


def _expected_delta(component: Payload) -> Payload:
    return {"value": 1, "type": "Delta", "severity": 8, "component": component,
            "variable": {"name": "AvailabilityState"}}


@octt("TC_N_08", reqs=["N04.FR.01", "N04.FR.02", "N04.FR.17"])
async def test_tc_n_08(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Variable Monitoring - One SetMonitoringData element."""
    asked = {"setMonitoringData": [_delta_on_availability(evse(cfg.evse_id))]}
    request = await operator_asks(station, csms, "SetVariableMonitoring", asked,
                                  station.monitoring.set_variable_monitoring, "Step 1")
    data = request.get("setMonitoringData") or []
    assert_matches(data[0] if data else None, _expected_delta({"name": "EVSE", "evse": {"id": cfg.evse_id}}),
                   "Step 1: SetVariableMonitoringRequest setMonitoringData[0]")
    check_monitors(station, request, "Step 1: SetVariableMonitoringRequest")


@octt("TC_N_09", reqs=["N04.FR.01", "N04.FR.02", "N04.FR.17"])
async def test_tc_n_09(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Variable Monitoring - Multiple elements on different component and variable."""
    station.monitoring.hold(over_power())  # no Delta monitor on availability yet
    asked = {"setMonitoringData": [_delta_on_availability(evse(cfg.evse_id)),
                                   _delta_on_availability(CHARGING_STATION)]}
    request = await operator_asks(station, csms, "SetVariableMonitoring", asked,
                                  station.monitoring.set_variable_monitoring, "Step 1")
    data = request.get("setMonitoringData") or []
    assert_matches(data, [_expected_delta({"name": "EVSE", "evse": {"id": cfg.evse_id}}),
                          _expected_delta({"name": "ChargingStation"})],
                   "Step 1: SetVariableMonitoringRequest setMonitoringData")
    check_monitors(station, request, "Step 1: SetVariableMonitoringRequest")


@octt("TC_N_18", reqs=["N06.FR.04"])
async def test_tc_n_18(station: Station, csms: Csms, cfg: Settings) -> None:
    """Clear Monitoring - Too many elements."""
    limit = cfg.clear_monitoring_items
    held = custom_monitors(201, 2 * limit + 1)  # more than two requests' worth
    station.monitoring.hold(over_power(), *held)
    ids = [m.id for m in held]
    since = len(station.session.calls)
    with step("Step 3"):
        async with station.expect("ClearVariableMonitoring"):  # the station answers from what it holds
            reported = await csms.request(station, "ClearVariableMonitoring", {"id": ids})
        while station.cfg.manual and _ids_cleared(station, since) < len(ids):  # an operator's request returns
            async with station.expect("ClearVariableMonitoring"):  # before the CSMS sent every part
                pass
    calls = station.session.calls[since:]
    clears = [c for c in calls if c.action == "ClearVariableMonitoring"]
    counts = [len(c.payload.get("id", [])) for c in clears]
    if len(clears) < 2 or max(counts) > limit:
        raise StepFailed(f"Step 3: expected two or more ClearVariableMonitoringRequests of at most {limit} ids "
                         f"(ItemsPerMessage[ClearVariableMonitoring]), got {len(clears)} of {counts} ids")
    refused = [c for c in clears if not isinstance(c.answer, dict)]
    if refused:
        raise StepFailed(f"Step 4: the station answered {shown(refused[0].payload)} with a CALLERROR")
    merged = [r for c in clears if isinstance(c.answer, dict) for r in c.answer["clearMonitoringResult"]]
    check_reported(station, reported, {"clearMonitoringResult": merged}, "Step 4: ClearVariableMonitoringResponse")
    sent = sorted(i for c in clears for i in c.payload.get("id", []))
    station.findings.check(checks.CLEARED_AS_ASKED, sent == sorted(ids),
                           f"Step 3: the requests cleared ids {sent}, asked were {sorted(ids)}")
    reads = [c.payload for c in calls if c.action == "GetVariables"]
    station.findings.check(checks.CLEAR_LIMIT_READ, not reads or any(_asks_clear_limit(r) for r in reads),
                           f"Step 1: GetVariablesRequest {shown(reads[0] if reads else None)} does not ask for "
                           "MonitoringCtrlr.ItemsPerMessage[ClearVariableMonitoring]")


def _ids_cleared(station: Station, since: int) -> int:
    return sum(len(c.payload.get("id", [])) for c in station.session.calls[since:]
               if c.action == "ClearVariableMonitoring")


def _asks_clear_limit(request: Payload) -> bool:
    return any(d.get("component", {}).get("name") == "MonitoringCtrlr"
               and d.get("variable") == {"name": "ItemsPerMessage", "instance": "ClearVariableMonitoring"}
               for d in request.get("getVariableData", []))


@octt("TC_N_44")
async def test_tc_n_44(station: Station, csms: Csms) -> None:
    """Clear Monitoring - Rejected."""
    station.monitoring.hold(over_power(), *custom_monitors(301, 1))
    # The hard-wired monitor cannot be cleared: the station rejects it, as the OCTT does.
    reply = {"clearMonitoringResult": [{"id": 1, "status": "Rejected"}]}
    await operator_asks(station, csms, "ClearVariableMonitoring", {"id": [1]}, reply, "Step 1")
