"""Block B: provisioning — boot, device model, reports, reset, network profile, subprotocol."""

from __future__ import annotations

import pytest
import websockets

from csmscheck.errors import StepFailed
from csmscheck.expect import ABSENT, ANY_INT, absent_or, assert_matches, at_least, one_of, unordered
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.station.states import v201 as states
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms, relayed_answer
from csmscheck.suite.plugin import StationFactory
from csmscheck.timestamps import rfc3339
from csmscheck.wire import CallError

READ_TYPES = absent_or("Actual", "Target", "MinSet", "MaxSet")


def variable(component: str, name: str, instance: str | None = None) -> dict[str, object]:
    var: dict[str, object] = {"name": name}
    if instance is not None:
        var["instance"] = instance
    return {"component": {"name": component}, "variable": var}


@octt("TC_B_01", reqs=["B01.FR.02"])
async def test_tc_b_01(unbooted_station: Station) -> None:
    """Cold Boot Charging Station - Accepted."""
    await states.boot(unbooted_station, "PowerUp", expect_status="Accepted")
    await states.notify_connectors(unbooted_station)


@octt("TC_B_02", reqs=["B02.FR.01", "B02.FR.06"])
async def test_tc_b_02(unbooted_station: Station, csms: Csms) -> None:
    """Cold Boot Charging Station - Pending."""
    station = unbooted_station
    async with csms.registration(station, "Pending", boots=1):
        first = await states.boot(station, "PowerUp", expect_status="Pending")
        assert_matches(first, {"interval": at_least(0)}, "Step 2: BootNotificationResponse")
        assert station.session.connected, "Step 2: the CSMS closed the connection after Pending (B02.FR.06)"
        await states.boot(station, "PowerUp", expect_status="Accepted")
    await states.notify_connectors(station)


@octt("TC_B_06", reqs=["B06.FR.01", "B06.FR.02", "B06.FR.03", "B06.FR.04", "B06.FR.10", "B06.FR.11"])
async def test_tc_b_06(station: Station, csms: Csms) -> None:
    """Get Variables - single value."""
    async with station.expect("GetVariables") as got:
        reply = await csms.request(station, "GetVariables",
                                   {"getVariableData": [variable("OCPPCommCtrlr", "OfflineThreshold")]})
    assert_matches(got.payload, {"getVariableData": [
        {"attributeType": READ_TYPES, "component": {"name": "OCPPCommCtrlr"},
         "variable": {"name": "OfflineThreshold"}}]}, "Step 1: GetVariablesRequest")
    response = relayed_answer(reply, "Step 2")
    if response is not None:
        assert_matches(response, got.answer, "Post scenario: what the CSMS read")


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
    response = relayed_answer(reply, "Step 2")
    if response is not None:
        assert_matches(response, got.answer, "Post scenario: what the CSMS read")


@octt("TC_B_08", reqs=["B06.FR.05"])
async def test_tc_b_08(station: Station, csms: Csms) -> None:
    """Get Variables - limit to maximum number of values."""
    station.device_model.set("DeviceDataCtrlr", "ItemsPerMessage", "4", "GetVariables")
    limit = variable("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables")
    async with station.expect("GetVariables") as configured:
        await csms.request(station, "GetVariables", {"getVariableData": [limit]})
    assert_matches(configured.payload, {"getVariableData": [limit]}, "Configuration state: GetVariablesRequest")

    wanted = [
        variable("DeviceDataCtrlr", "ItemsPerMessage", "GetReport"),
        variable("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables"),
        variable("DeviceDataCtrlr", "BytesPerMessage", "GetReport"),
        variable("DeviceDataCtrlr", "BytesPerMessage", "GetVariables"),
        variable("AuthCtrlr", "AuthorizeRemoteStart"),
    ]
    async with station.expect("GetVariables") as first, station.expect("GetVariables") as second:
        await csms.request(station, "GetVariables", {"getVariableData": wanted})
    sizes = sorted(len(got.payload["getVariableData"]) for got in (first, second))
    assert sizes == [1, 4], f"Step 1: expected GetVariablesRequests of 4 and 1 variables, got sizes {sizes}"
    sent = [d for got in (first, second) for d in got.payload["getVariableData"]]
    assert_matches(sent, unordered(*wanted), "Step 1: the variables requested over both messages")


@octt("TC_B_09", reqs=["B05.FR.01", "B05.FR.02", "B05.FR.03", "B05.FR.10", "B05.FR.12"])
async def test_tc_b_09(station: Station, csms: Csms) -> None:
    """Set Variables - single value."""
    async with station.expect("SetVariables") as got:
        reply = await csms.request(station, "SetVariables", {"setVariableData": [
            variable("OCPPCommCtrlr", "OfflineThreshold") | {"attributeValue": "123"}]})
    assert_matches(got.payload, {"setVariableData": [
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"},
         "attributeValue": "123", "attributeType": absent_or("Actual")}]}, "Step 1: SetVariablesRequest")
    response = relayed_answer(reply, "Step 2")
    if response is not None:
        assert_matches(response, {"setVariableResult": [{"attributeStatus": "Accepted"}]},
                       "Post scenario: what the CSMS set")


@octt("TC_B_10", reqs=["B05.FR.01", "B05.FR.02", "B05.FR.03"])
async def test_tc_b_10(station: Station, csms: Csms) -> None:
    """Set Variables - multiple values."""
    async with station.expect("SetVariables") as got:
        await csms.request(station, "SetVariables", {"setVariableData": [
            variable("OCPPCommCtrlr", "OfflineThreshold") | {"attributeValue": "123"},
            variable("AuthCtrlr", "AuthorizeRemoteStart") | {"attributeValue": "false"}]})
    assert_matches(got.payload, {"setVariableData": unordered(
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"},
         "attributeValue": "123", "attributeType": absent_or("Actual")},
        {"component": {"name": "AuthCtrlr"}, "variable": {"name": "AuthorizeRemoteStart"},
         "attributeValue": "false", "attributeType": absent_or("Actual")},
    )}, "Step 1: SetVariablesRequest")


async def _base_report(station: Station, csms: Csms, report_base: str) -> None:
    """Steps of B07: the CSMS asks for a base report, the station sends it in two parts."""
    async with station.expect("GetBaseReport", reply={"status": "Accepted"}) as got:
        await csms.request(station, "GetBaseReport", {"requestId": 1, "reportBase": report_base})
    assert_matches(got.payload, {"requestId": at_least(0), "reportBase": report_base}, "Step 1: GetBaseReportRequest")
    assert_matches(got.payload, {"requestId": ANY_INT}, "Step 1: GetBaseReportRequest")
    data = station.device_model.report_data()
    half = len(data) // 2
    for seq_no, (part, more) in enumerate(((data[:half], True), (data[half:], False))):
        response = await station.call("NotifyReport", {
            "requestId": got.payload["requestId"], "generatedAt": rfc3339(), "tbc": more,
            "seqNo": seq_no, "reportData": part})
        assert_matches(response, {}, f"Post scenario: NotifyReportResponse {seq_no}")


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


@octt("TC_B_18", reqs=["B08.FR.01", "B08.FR.03"])
async def test_tc_b_18(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get Custom Report - with componentCriteria and component/variables."""
    evse_availability = {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "AvailabilityState"}}
    expected_variable = [{"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "AvailabilityState"}}]
    async with station.expect("GetReport", reply={"status": "EmptyResultSet"}) as problem:
        await csms.request(station, "GetReport", {"requestId": 2, "componentCriteria": ["Problem"],
                                                  "componentVariable": [evse_availability]})
    assert_matches(problem.payload, {"componentCriteria": ["Problem"], "componentVariable": expected_variable},
                   "Step 1: GetReportRequest")
    async with station.expect("GetReport", reply={"status": "Accepted"}) as available:
        await csms.request(station, "GetReport", {"requestId": 3, "componentCriteria": ["Available"],
                                                  "componentVariable": [evse_availability]})
    assert_matches(available.payload, {"componentCriteria": ["Available"], "componentVariable": expected_variable},
                   "Step 3: GetReportRequest")
    response = await station.call("NotifyReport", {
        "requestId": available.payload["requestId"], "generatedAt": rfc3339(), "seqNo": 0,
        "reportData": [{"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "AvailabilityState"},
                        "variableAttribute": [{"type": "Actual", "value": "Available", "mutability": "ReadOnly"}]}]})
    assert_matches(response, {}, "Step 6: NotifyReportResponse")


async def _reset(station: Station, csms: Csms, payload: dict[str, object], status: str) -> dict[str, object]:
    async with station.expect("Reset", reply={"status": status}) as got:
        await csms.request(station, "Reset", payload)
    return got.payload


async def _reboot(station: Station, reason: str) -> None:
    """The station restarts: new connection, BootNotification Accepted, connectors reported."""
    await station.reconnect()
    await states.boot(station, reason, expect_status="Accepted")
    await states.notify_connectors(station)


@octt("TC_B_20", reqs=["B11.FR.04"])
async def test_tc_b_20(station: Station, csms: Csms) -> None:
    """Reset Charging Station - Without ongoing transaction - OnIdle."""
    request = await _reset(station, csms, {"type": "OnIdle"}, "Accepted")
    assert_matches(request, {"evseId": ABSENT}, "Step 1: ResetRequest")
    await _reboot(station, "RemoteReset")


async def _stop_on_idle(station: Station) -> None:
    """Steps 3-6 of an OnIdle reset during a transaction: the driver stops, the EV leaves."""
    await states.send_event(station, "Updated", "StopAuthorized", token=msg.id_token(
        station.cfg.valid_id_token, station.cfg.valid_id_token_type))
    await states.send_event(station, "Ended", "EVCommunicationLost", charging_state="Idle",
                            stopped_reason="EVDisconnected")


@octt("TC_B_21", reqs=["B12.FR.01", "B12.FR.03", "E07.FR.03"])
async def test_tc_b_21(station: Station, csms: Csms) -> None:
    """Reset Charging Station - With Ongoing Transaction - OnIdle."""
    await states.energy_transfer_started(station)
    request = await _reset(station, csms, {"type": "OnIdle"}, "Scheduled")
    assert_matches(request, {"type": "OnIdle", "evseId": ABSENT}, "Step 1: ResetRequest")
    await _stop_on_idle(station)
    await _reboot(station, "ScheduledReset")


@octt("TC_B_22")
async def test_tc_b_22(station: Station, csms: Csms) -> None:
    """Reset Charging Station - With Ongoing Transaction - Immediate."""
    await states.energy_transfer_started(station)
    request = await _reset(station, csms, {"type": "Immediate"}, "Accepted")
    assert_matches(request, {"type": "Immediate", "evseId": ABSENT}, "Step 1: ResetRequest")
    await states.send_event(station, "Ended", "ResetCommand", charging_state="Idle", stopped_reason="ImmediateReset")
    await _reboot(station, "RemoteReset")


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
    await states.send_event(station, "Ended", "ResetCommand", charging_state="Idle", stopped_reason="ImmediateReset")


@octt("TC_B_30", reqs=["B02.FR.09", "B03.FR.07"])
async def test_tc_b_30(unbooted_station: Station, csms: Csms, cfg: Settings) -> None:
    """Cold Boot Charging Station - Pending/Rejected - SecurityError."""
    station = unbooted_station
    async with csms.registration(station, "Pending", boots=1):
        response = await states.boot(station, "PowerUp", expect_status=None)
        assert_matches(response, {"status": one_of("Pending", "Rejected")}, "Step 2: BootNotificationResponse")
        answer = await station.send("StatusNotification",
                                    msg.status_notification(cfg.evse_id, cfg.connector_id, "Available"))
    if not isinstance(answer, CallError) or answer.code != "SecurityError":
        raise StepFailed(f"Step 4: expected CALLERROR SecurityError for a StatusNotification before acceptance, "
                         f"got {answer}")


@octt("TC_B_31")
async def test_tc_b_31(unbooted_station: Station, csms: Csms) -> None:
    """Cold Boot Charging Station - Pending/Rejected - TriggerMessage."""
    station = unbooted_station
    async with csms.registration(station, "Pending", boots=1):
        response = await states.boot(station, "PowerUp", expect_status=None)
        assert_matches(response, {"status": one_of("Pending", "Rejected")}, "Step 2: BootNotificationResponse")
        async with station.expect("TriggerMessage", reply={"status": "Accepted"}) as got:
            await csms.request(station, "TriggerMessage", {"requestedMessage": "BootNotification"})
        assert_matches(got.payload, {"requestedMessage": "BootNotification"}, "Step 3: TriggerMessageRequest")
        await states.boot(station, "Triggered", expect_status="Accepted")
    await states.notify_connectors(station)


def _network_profile(cfg: Settings) -> dict[str, object]:
    return {"configurationSlot": cfg.configuration_slot, "connectionData": {
        "ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": cfg.ocpp_csms_url,
        "messageTimeout": cfg.message_timeout, "securityProfile": cfg.security_profile,
        "ocppInterface": cfg.ocpp_interface}}


@octt("TC_B_42", reqs=["B09.FR.01"])
async def test_tc_b_42(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set new NetworkConnectionProfile - Accepted."""
    async with station.expect("SetNetworkProfile", reply={"status": "Accepted"}) as got:
        await csms.request(station, "SetNetworkProfile", _network_profile(cfg))
    assert_matches(got.payload, _network_profile(cfg), "Step 1: SetNetworkProfileRequest")


@octt("TC_B_44", reqs=["B09.FR.03"])
async def test_tc_b_44(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set new NetworkConnectionProfile - Failed."""
    async with station.expect("SetNetworkProfile", reply={"status": "Failed"}):
        reply = await csms.request(station, "SetNetworkProfile", _network_profile(cfg))
    response = relayed_answer(reply, "Step 2")
    if response is not None:
        assert_matches(response, {"status": "Failed"}, "Step 2: the CSMS's record of the station's answer")
    # The CSMS must carry on normally after a Failed answer.
    await station.call("Heartbeat", {})


@octt("TC_B_58", reqs=["Part 4 3.1.2"])
async def test_tc_b_58(make_station: StationFactory, cfg: Settings) -> None:
    """WebSocket Subprotocol validation."""
    station = await make_station("2.0.1", cfg.cp201_sp1, connect=False)
    with pytest.raises(websockets.InvalidHandshake):
        await station.connect(subprotocols=["ocpp0.1"])
        raise StepFailed(f"Step 2: the CSMS upgraded a connection offering only ocpp0.1 "
                         f"(selected {station.session.subprotocol!r})")
    await station.connect(subprotocols=["ocpp0.1", "ocpp2.0.1"])
    assert station.session.subprotocol == "ocpp2.0.1", (
        f"Step 4: Sec-WebSocket-Protocol must be ocpp2.0.1, got {station.session.subprotocol!r}")
