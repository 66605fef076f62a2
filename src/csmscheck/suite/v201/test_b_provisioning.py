"""Block B: provisioning — boot, device model, reports, reset, network profile, subprotocol."""

from __future__ import annotations

from typing import Any

import orjson
import websockets

from csmscheck.checks import v201 as checks
from csmscheck.errors import StepFailed
from csmscheck.expect import ABSENT, Matcher, absent_or, assert_matches, at_least, mismatches, one_of, step, unordered
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.station.session import ReceivedCall, connect_failure
from csmscheck.station.states import v201 as states
from csmscheck.station.timing import scenario_wait
from csmscheck.suite.findings import beyond_the_octt
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms, relayed_answer
from csmscheck.suite.plugin import StationFactory
from csmscheck.timestamps import rfc3339
from csmscheck.wire import CallError, CallResult

READ_TYPES = absent_or("Actual", "Target", "MinSet", "MaxSet")


def variable(component: str, name: str, instance: str | None = None) -> dict[str, object]:
    var: dict[str, object] = {"name": name}
    if instance is not None:
        var["instance"] = instance
    return {"component": {"name": component}, "variable": var}


def describe_answer(answer: CallResult | CallError) -> str:
    """A CSMS's answer in OCPP terms: ``a CALLRESULT {...}`` or ``CALLERROR <code> (<description>)``."""
    if isinstance(answer, CallError):
        return f"CALLERROR {answer.code}" + (f" ({answer.description!r})" if answer.description else "")
    return f"a CALLRESULT {orjson.dumps(answer.payload).decode()}"


def retry_interval(response: dict[str, object], cfg: Settings) -> float:
    """How long the OCTT waits before its next BootNotification after a Pending one (TC_B_02's notes):
    the interval the CSMS gave, or the configured heartbeatInterval when that is 0."""
    interval = response.get("interval")
    return float(interval) if isinstance(interval, int) and interval > 0 else float(cfg.heartbeat_interval)


@octt("TC_B_01", reqs=["B01.FR.02"])
async def test_tc_b_01(unbooted_station: Station) -> None:
    """Cold Boot Charging Station - Accepted."""
    await states.boot(unbooted_station, "PowerUp", expect_status="Accepted", label="Step 2")
    with step("Step 4"):
        await states.notify_connectors(unbooted_station)


@octt("TC_B_02", reqs=["B02.FR.01", "B02.FR.06"])
async def test_tc_b_02(unbooted_station: Station, csms: Csms, cfg: Settings) -> None:
    """Cold Boot Charging Station - Pending."""
    station = unbooted_station
    async with csms.registration(station, "Pending", boots=1):
        first = await states.boot(station, "PowerUp", expect_status="Pending", label="Step 2")
        # The OCTT waits the interval of the Pending answer before it boots again.
        await scenario_wait(retry_interval(first, cfg))
        if not station.session.connected:
            raise StepFailed(f"Step 3: the connection was closed after the Pending BootNotificationResponse "
                             f"({station.session.closed_how}); expected it to stay open (B02.FR.06)")
        await states.boot(station, "PowerUp", expect_status="Accepted", label="Step 4")
    with step("Step 6"):
        await states.notify_connectors(station)


def _read_back(reply: dict[str, object] | None, got: ReceivedCall, what: str) -> None:
    """Post scenario validation: the CSMS got the station's answer right (as the trigger API relays it;
    in manual mode the operator checks it)."""
    response = relayed_answer(reply, "Post scenario")
    if response is not None:
        assert_matches(response, got.answer, f"Post scenario: {what}")


@octt("TC_B_06", reqs=["B06.FR.01", "B06.FR.02", "B06.FR.03", "B06.FR.04", "B06.FR.10", "B06.FR.11"])
async def test_tc_b_06(station: Station, csms: Csms) -> None:
    """Get Variables - single value."""
    async with station.expect("GetVariables") as got:
        reply = await csms.request(station, "GetVariables",
                                   {"getVariableData": [variable("OCPPCommCtrlr", "OfflineThreshold")]})
    assert_matches(got.payload, {"getVariableData": [
        {"attributeType": READ_TYPES, "component": {"name": "OCPPCommCtrlr"},
         "variable": {"name": "OfflineThreshold"}}]}, "Step 1: GetVariablesRequest")
    _read_back(reply, got, "what the CSMS read")


@octt("TC_B_07", reqs=["B06.FR.01", "B06.FR.02", "B06.FR.03"])
async def test_tc_b_07(station: Station, csms: Csms) -> None:
    """Get Variables - multiple values."""
    async with station.expect("GetVariables") as got:
        reply = await csms.request(station, "GetVariables", {"getVariableData": [
            variable("OCPPCommCtrlr", "OfflineThreshold"), variable("AuthCtrlr", "AuthorizeRemoteStart")]})
    assert_matches(got.payload, {"getVariableData": unordered(
        {"attributeType": READ_TYPES, "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}},
        {"attributeType": READ_TYPES, "component": {"name": "AuthCtrlr"}, "variable": {"name": "AuthorizeRemoteStart"}},
    )}, "Step 1: GetVariablesRequest")
    _read_back(reply, got, "what the CSMS read")


def _items(got: ReceivedCall) -> list[dict[str, object]]:
    items: list[dict[str, object]] = got.payload["getVariableData"]
    return items


@octt("TC_B_08", reqs=["B06.FR.05"])
async def test_tc_b_08(station: Station, csms: Csms) -> None:
    """Get Variables - limit to maximum number of values."""
    # Configuration state: the CSMS reads ItemsPerMessageGetVariables, which the station holds at 4.
    station.device_model.set("DeviceDataCtrlr", "ItemsPerMessage", "4", "GetVariables")
    with step("Configuration state"):
        async with station.expect("GetVariables"):
            await csms.request(station, "GetVariables", {"getVariableData": [
                variable("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables")]})

    wanted = [
        variable("DeviceDataCtrlr", "ItemsPerMessage", "GetReport"),
        variable("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables"),
        variable("DeviceDataCtrlr", "BytesPerMessage", "GetReport"),
        variable("DeviceDataCtrlr", "BytesPerMessage", "GetVariables"),
        variable("AuthCtrlr", "AuthorizeRemoteStart"),
    ]
    with step("Step 1"):
        async with station.expect("GetVariables") as first:
            await csms.request(station, "GetVariables", {"getVariableData": wanted})
    if len(_items(first)) not in (1, 4):
        raise StepFailed(f"Step 1: expected a GetVariablesRequest for 4 variables and one for 1 variable, got one "
                         f"for {len(_items(first))} variables")
    with step("Step 1"):
        second = await station.wait_for("GetVariables")
    sizes = sorted((len(_items(first)), len(_items(second))))
    if sizes != [1, 4]:
        raise StepFailed(f"Step 1: expected a GetVariablesRequest for 4 variables and one for 1 variable, got "
                         f"requests for {sizes[1]} and {sizes[0]} variables")
    assert_matches(_items(first) + _items(second), unordered(*wanted), "Step 1: the variables of both requests")


@octt("TC_B_09", reqs=["B05.FR.01", "B05.FR.02", "B05.FR.03", "B05.FR.10", "B05.FR.12"])
async def test_tc_b_09(station: Station, csms: Csms) -> None:
    """Set Variables - single value."""
    async with station.expect("SetVariables") as got:
        reply = await csms.request(station, "SetVariables", {"setVariableData": [
            variable("OCPPCommCtrlr", "OfflineThreshold") | {"attributeValue": "123"}]})
    assert_matches(got.payload, {"setVariableData": [
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"},
         "attributeValue": "123", "attributeType": absent_or("Actual")}]}, "Step 1: SetVariablesRequest")
    _read_back(reply, got, "what the CSMS set")


@octt("TC_B_10", reqs=["B05.FR.01", "B05.FR.02", "B05.FR.03"])
async def test_tc_b_10(station: Station, csms: Csms) -> None:
    """Set Variables - multiple values."""
    async with station.expect("SetVariables") as got:
        reply = await csms.request(station, "SetVariables", {"setVariableData": [
            variable("OCPPCommCtrlr", "OfflineThreshold") | {"attributeValue": "123"},
            variable("AuthCtrlr", "AuthorizeRemoteStart") | {"attributeValue": "false"}]})
    assert_matches(got.payload, {"setVariableData": unordered(
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"},
         "attributeValue": "123", "attributeType": absent_or("Actual")},
        {"component": {"name": "AuthCtrlr"}, "variable": {"name": "AuthorizeRemoteStart"},
         "attributeValue": "false", "attributeType": absent_or("Actual")},
    )}, "Step 1: SetVariablesRequest")
    _read_back(reply, got, "what the CSMS set")


async def _base_report(station: Station, csms: Csms, report_base: str) -> None:
    """Steps of B07: the CSMS asks for a base report; the station accepts and sends it in two parts."""
    async with station.expect("GetBaseReport", reply={"status": "Accepted"}) as got:
        await csms.request(station, "GetBaseReport", {"requestId": 1, "reportBase": report_base})
    assert_matches(got.payload, {"requestId": at_least(0), "reportBase": report_base}, "Step 1: GetBaseReportRequest")
    # Post scenario: the CSMS receives every NotifyReportRequest of the report.
    data = station.device_model.report_data()
    half = len(data) // 2
    for seq_no, (part, more) in enumerate(((data[:half], True), (data[half:], False))):
        with step(f"Post scenario: NotifyReportRequest seqNo {seq_no}"):
            await station.call("NotifyReport", {
                "requestId": got.payload["requestId"], "generatedAt": rfc3339(), "tbc": more,
                "seqNo": seq_no, "reportData": part})


@octt("TC_B_12", reqs=["B07.FR.07"])
async def test_tc_b_12(station: Station, csms: Csms) -> None:
    """Get Base Report - ConfigurationInventory."""
    await _base_report(station, csms, "ConfigurationInventory")


@octt("TC_B_13", reqs=["B07.FR.08"])
async def test_tc_b_13(station: Station, csms: Csms) -> None:
    """Get Base Report - FullInventory."""
    await _base_report(station, csms, "FullInventory")


@octt("TC_B_14", reqs=["B07.FR.09"])
async def test_tc_b_14(station: Station, csms: Csms) -> None:
    """Get Base Report - SummaryInventory."""
    await _base_report(station, csms, "SummaryInventory")


def first_element(pattern: dict[str, object]) -> Any:
    """A list whose first element matches ``pattern`` (what the OCTT reads as ``field[0]``)."""
    return Matcher(f"<a list whose first element matches {orjson.dumps(pattern).decode()}>",
                   lambda v: isinstance(v, list) and bool(v) and not mismatches(v[0], pattern))


@octt("TC_B_18", reqs=["B08.FR.01", "B08.FR.03"])
async def test_tc_b_18(station: Station, csms: Csms) -> None:
    """Get Custom Report - with componentCriteria and component/variables."""
    evse_availability = {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "AvailabilityState"}}
    first_variable = first_element(evse_availability)
    async with station.expect("GetReport", reply={"status": "EmptyResultSet"}) as problem:
        await csms.request(station, "GetReport", {"requestId": 2, "componentCriteria": ["Problem"],
                                                  "componentVariable": [evse_availability]})
    assert_matches(problem.payload, {"componentCriteria": ["Problem"], "componentVariable": first_variable},
                   "Step 1: GetReportRequest")
    async with station.expect("GetReport", reply={"status": "Accepted"}) as available:
        await csms.request(station, "GetReport", {"requestId": 3, "componentCriteria": ["Available"],
                                                  "componentVariable": [evse_availability]})
    assert_matches(available.payload, {"componentCriteria": ["Available"], "componentVariable": first_variable},
                   "Step 3: GetReportRequest")
    with step("Step 5"):
        await station.call("NotifyReport", {
            "requestId": available.payload["requestId"], "generatedAt": rfc3339(), "seqNo": 0,
            "reportData": [evse_availability | {"variableAttribute": [
                {"type": "Actual", "value": "Available", "mutability": "ReadOnly"}]}]})


async def _reset(station: Station, csms: Csms, payload: dict[str, object], status: str) -> dict[str, object]:
    with step("Step 1"):
        async with station.expect("Reset", reply={"status": status}) as got:
            await csms.request(station, "Reset", payload)
    return got.payload


async def _reboot(station: Station, reason: str, boot_step: int) -> None:
    """The station restarts: new connection, BootNotification (its answer is step ``boot_step``, which must be
    Accepted), then the connectors reported (the steps after)."""
    with step(f"Step {boot_step - 1}"):
        await station.reconnect()
    await states.boot(station, reason, expect_status="Accepted", label=f"Step {boot_step}")
    with step(f"Step {boot_step + 1}"):
        await states.notify_connectors(station)


@octt("TC_B_20", reqs=["B11.FR.04"])
async def test_tc_b_20(station: Station, csms: Csms) -> None:
    """Reset Charging Station - Without ongoing transaction - OnIdle."""
    request = await _reset(station, csms, {"type": "OnIdle"}, "Accepted")
    assert_matches(request, {"evseId": ABSENT}, "Step 1: ResetRequest")
    await _reboot(station, "RemoteReset", 4)


async def _stop_on_idle(station: Station) -> None:
    """Steps 3-6 of an OnIdle reset during a transaction: the driver stops, the EV leaves."""
    with step("Step 3"):
        await states.send_event(station, "Updated", "StopAuthorized", token=msg.id_token(
            station.cfg.valid_id_token, station.cfg.valid_id_token_type))
    with step("Step 5"):
        await states.send_event(station, "Ended", "EVCommunicationLost", charging_state="Idle",
                                stopped_reason="EVDisconnected")


@octt("TC_B_21", reqs=["B12.FR.01", "B12.FR.03", "E07.FR.03"])
async def test_tc_b_21(station: Station, csms: Csms) -> None:
    """Reset Charging Station - With Ongoing Transaction - OnIdle."""
    await states.energy_transfer_started(station)
    request = await _reset(station, csms, {"type": "OnIdle"}, "Scheduled")
    assert_matches(request, {"type": "OnIdle", "evseId": ABSENT}, "Step 1: ResetRequest")
    await _stop_on_idle(station)
    await _reboot(station, "ScheduledReset", 8)


async def _immediate_end(station: Station) -> None:
    """Step 3 of an Immediate reset: the station ends the transaction."""
    with step("Step 3"):
        await states.send_event(station, "Ended", "ResetCommand", charging_state="Idle",
                                stopped_reason="ImmediateReset")


@octt("TC_B_22")
async def test_tc_b_22(station: Station, csms: Csms) -> None:
    """Reset Charging Station - With Ongoing Transaction - Immediate."""
    await states.energy_transfer_started(station)
    request = await _reset(station, csms, {"type": "Immediate"}, "Accepted")
    assert_matches(request, {"type": "Immediate", "evseId": ABSENT}, "Step 1: ResetRequest")
    await _immediate_end(station)
    await _reboot(station, "RemoteReset", 6)


@octt("TC_B_25", reqs=["B11.FR.04"])
async def test_tc_b_25(station: Station, csms: Csms, cfg: Settings) -> None:
    """Reset EVSE - Without ongoing transaction."""
    request = await _reset(station, csms, {"type": "OnIdle", "evseId": cfg.evse_id}, "Accepted")
    assert_matches(request, {"type": "OnIdle", "evseId": cfg.evse_id}, "Step 1: ResetRequest")


@octt("TC_B_26", reqs=["B12.FR.07"])
async def test_tc_b_26(station: Station, csms: Csms, cfg: Settings) -> None:
    """Reset EVSE - With Ongoing Transaction - OnIdle."""
    await states.energy_transfer_started(station)
    request = await _reset(station, csms, {"type": "OnIdle", "evseId": cfg.evse_id}, "Scheduled")
    assert_matches(request, {"type": "OnIdle", "evseId": cfg.evse_id}, "Step 1: ResetRequest")
    await _stop_on_idle(station)


@octt("TC_B_27")
async def test_tc_b_27(station: Station, csms: Csms, cfg: Settings) -> None:
    """Reset EVSE - With Ongoing Transaction - Immediate."""
    await states.energy_transfer_started(station)
    request = await _reset(station, csms, {"type": "Immediate", "evseId": cfg.evse_id}, "Accepted")
    assert_matches(request, {"type": "Immediate", "evseId": cfg.evse_id}, "Step 1: ResetRequest")
    await _immediate_end(station)


@octt("TC_B_30", reqs=["B02.FR.09", "B03.FR.07"])
async def test_tc_b_30(unbooted_station: Station, csms: Csms, cfg: Settings) -> None:
    """Cold Boot Charging Station - Pending/Rejected - SecurityError."""
    station = unbooted_station
    async with csms.registration(station, "Pending", boots=1):
        response = await states.boot(station, "PowerUp", expect_status=None, label="Step 2")
        assert_matches(response, {"status": one_of("Pending", "Rejected")}, "Step 2: BootNotificationResponse")
        with step("Step 4"):
            answer = await station.send("StatusNotification",
                                        msg.status_notification(cfg.evse_id, cfg.connector_id, "Available"))
    if not isinstance(answer, CallError) or answer.code != "SecurityError":
        raise StepFailed(f"Step 4: expected CALLERROR SecurityError to a StatusNotificationRequest sent before the "
                         f"CSMS accepted the station, got {describe_answer(answer)}")


@octt("TC_B_31")
async def test_tc_b_31(unbooted_station: Station, csms: Csms) -> None:
    """Cold Boot Charging Station - Pending/Rejected - TriggerMessage."""
    station = unbooted_station
    async with csms.registration(station, "Pending", boots=1):
        response = await states.boot(station, "PowerUp", expect_status=None, label="Step 2")
        assert_matches(response, {"status": one_of("Pending", "Rejected")}, "Step 2: BootNotificationResponse")
        # The station boots again when the CSMS triggers it, which may be before the interval it gave runs out:
        # no unprompted BootNotification goes out meanwhile.
        with step("Step 3"):
            async with station.expect("TriggerMessage", reply={"status": "Accepted"}) as got:
                await csms.request(station, "TriggerMessage", {"requestedMessage": "BootNotification"})
        assert_matches(got.payload, {"requestedMessage": "BootNotification"}, "Step 3: TriggerMessageRequest")
        await states.boot(station, "Triggered", expect_status="Accepted", label="Step 6")
    with step("Step 7"):
        await states.notify_connectors(station)


def _network_profile(cfg: Settings) -> dict[str, object]:
    return {"configurationSlot": cfg.configuration_slot, "connectionData": {
        "ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": cfg.ocpp_csms_url,
        "messageTimeout": cfg.message_timeout, "securityProfile": cfg.security_profile,
        "ocppInterface": cfg.ocpp_interface}}


@octt("TC_B_42", reqs=["B09.FR.01"])
async def test_tc_b_42(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set new NetworkConnectionProfile - Accepted."""
    with step("Step 1"):
        async with station.expect("SetNetworkProfile", reply={"status": "Accepted"}) as got:
            await csms.request(station, "SetNetworkProfile", _network_profile(cfg))
    assert_matches(got.payload, _network_profile(cfg), "Step 1: SetNetworkProfileRequest")


@octt("TC_B_44", reqs=["B09.FR.03"])
async def test_tc_b_44(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set new NetworkConnectionProfile - Failed."""
    with step("Step 1"):
        async with station.expect("SetNetworkProfile", reply={"status": "Failed"}):
            await csms.request(station, "SetNetworkProfile", _network_profile(cfg))
    # Beyond the OCTT: the CSMS goes on serving the station after the Failed answer.
    async with beyond_the_octt(station, checks.SERVES_AFTER_FAILED_PROFILE, "After step 2"):
        await station.call("Heartbeat", {})


@octt("TC_B_58", reqs=["Part 4 3.1.2"])
async def test_tc_b_58(make_station: StationFactory, cfg: Settings) -> None:
    """WebSocket Subprotocol validation."""
    station = await make_station("2.0.1", cfg.cp201_sp1, connect=False)
    try:
        await station.connect(subprotocols=["ocpp0.1"])
    except (websockets.InvalidHandshake, OSError, TimeoutError):
        pass  # Step 2: refused, as it must be
    else:
        selected = station.session.subprotocol
        await station.close()
        raise StepFailed(f"Step 2: expected the CSMS to refuse the upgrade of a connection offering only ocpp0.1, "
                         f"but it upgraded it (subprotocol {selected or '(none)'})")
    try:
        await station.connect(subprotocols=["ocpp0.1", "ocpp2.0.1"])
    except (websockets.InvalidHandshake, OSError, TimeoutError) as exc:
        raise StepFailed(f"Step 4: expected the CSMS to upgrade a connection offering ocpp0.1 and ocpp2.0.1, "
                         f"got: {connect_failure(exc, cfg.message_wait)}") from None
    if station.session.subprotocol != "ocpp2.0.1":
        raise StepFailed(f"Step 4: expected Sec-WebSocket-Protocol ocpp2.0.1 in the upgrade response, got "
                         f"{station.session.subprotocol or '(none)'}")
