"""Block F: remote control — remote start, unlock connector, trigger message."""

from __future__ import annotations

import secrets

from csmscheck.checks import v201 as checks
from csmscheck.errors import StepFailed
from csmscheck.expect import about_now, assert_matches, step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.station.states import v201 as states
from csmscheck.station.timing import scenario_wait
from csmscheck.station.v201 import Payload
from csmscheck.suite.findings import beyond_the_octt, check_matches
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms


def _remote_start_id() -> int:
    """A remoteStartId earlier runs did not use, so a long-running CSMS cannot confuse requests."""
    return secrets.randbelow(2**31 - 2) + 1


async def _request_start(station: Station, csms: Csms, reply: Payload) -> Payload:
    """Steps 1-2: the CSMS asks for a transaction for the valid token; the station answers ``reply``.

    Returns the RequestStartTransactionRequest the CSMS sent.
    """
    cfg = station.cfg
    token = states.valid_token(station)
    with step("Step 1"):
        async with station.expect("RequestStartTransaction", reply=reply) as got:
            await csms.request(station, "RequestStartTransaction",
                               {"idToken": token, "remoteStartId": _remote_start_id(), "evseId": cfg.evse_id})
    assert_matches(got.payload, {"idToken": {"idToken": cfg.valid_id_token, "type": cfg.valid_id_token_type}},
                   "Step 1: RequestStartTransactionRequest")
    return got.payload


async def _remote_start_event(station: Station, request: Payload, event_type: str, sent_at: int) -> None:
    """The station reports the transaction the remote start caused, naming its remoteStartId (F02.FR.01).

    The definitions validate nothing of the CSMS's answer; that it accepts the token it sent itself is a
    csmscheck check.
    """
    with step(f"Step {sent_at}"):
        response = await states.send_event(station, event_type, "RemoteStart", token=request["idToken"],
                                           remote_start_id=request["remoteStartId"])
    check_matches(station, checks.VALID_TOKEN_IN_TRANSACTION, response, states.ACCEPTED_TOKEN,
                  f"Step {sent_at + 1}: TransactionEventResponse")
    station.model.authorized = True


@octt("TC_F_01")
async def test_tc_f_01(station: Station, csms: Csms) -> None:
    """Remote start transaction - Cable plugin first."""
    await states.ev_connected_pre_session(station)
    tx = station.model.transaction
    if tx is None:
        raise StepFailed("EVConnectedPreSession state: the station has no transaction")
    request = await _request_start(station, csms, {"status": "Accepted", "transactionId": tx.id})
    await _remote_start_event(station, request, "Updated", 3)
    await states.energy_transfer_started(station)


@octt("TC_F_02", reqs=["F02.FR.01", "F01.FR.01"])
async def test_tc_f_02(station: Station, csms: Csms) -> None:
    """Remote start transaction - Remote start first - AuthorizeRemoteStart is true."""
    station.device_model.set("AuthCtrlr", "AuthorizeRemoteStart", "true")
    request = await _request_start(station, csms, {"status": "Accepted"})
    with step("Step 3"):
        response = await states.authorize(station, request["idToken"])
    assert_matches(response, {"idTokenInfo": {"status": "Accepted"}}, "Step 4: AuthorizeResponse")
    await _remote_start_event(station, request, "Started", 5)
    await states.energy_transfer_started(station)


@octt("TC_F_03", reqs=["F02.FR.01", "F01.FR.02"])
async def test_tc_f_03(station: Station, csms: Csms) -> None:
    """Remote start transaction - Remote start first - AuthorizeRemoteStart is false."""
    station.device_model.set("AuthCtrlr", "AuthorizeRemoteStart", "false")
    request = await _request_start(station, csms, {"status": "Accepted"})
    await _remote_start_event(station, request, "Started", 3)
    await states.energy_transfer_started(station)


@octt("TC_F_04", reqs=["E03.FR.04", "E03.FR.05"])
async def test_tc_f_04(station: Station, csms: Csms, cfg: Settings) -> None:
    """Remote start transaction - Remote start first - Cable plugin timeout."""
    station.device_model.set("AuthCtrlr", "AuthorizeRemoteStart", "false")
    request = await _request_start(station, csms, {"status": "Accepted"})
    await _remote_start_event(station, request, "Started", 3)
    await scenario_wait(cfg.transaction_duration)  # the EV connection timeout runs out
    with step("Step 5"):
        await states.send_event(station, "Updated", "EVConnectTimeout")
    station.model.authorized = False


@octt("TC_F_06")
async def test_tc_f_06(station: Station, csms: Csms, cfg: Settings) -> None:
    """Remote unlock Connector - Without ongoing transaction - Accepted."""
    with step("Step 1"):
        async with station.expect("UnlockConnector", reply={"status": "Unlocked"}) as got:
            await csms.request(station, "UnlockConnector", {"evseId": cfg.evse_id, "connectorId": cfg.connector_id})
    assert_matches(got.payload, {"evseId": cfg.evse_id, "connectorId": cfg.connector_id},
                   "Step 1: UnlockConnectorRequest")


async def _trigger(station: Station, csms: Csms, payload: Payload, expected: Payload,
                   status: str = "Accepted") -> None:
    """Steps 1-2: the CSMS sends TriggerMessage(``payload``); the station answers ``status``."""
    with step("Step 1"):
        async with station.expect("TriggerMessage", reply={"status": status}) as got:
            await csms.request(station, "TriggerMessage", payload)
    assert_matches(got.payload, expected, "Step 1: TriggerMessageRequest")


async def _triggered(station: Station, action: str, payload: Payload, label: str) -> Payload:
    """The station sends the requested message; a CALLERROR or invalid answer fails ``label``."""
    with step(label):
        return await station.call(action, payload)


@octt("TC_F_11", reqs=["F06.FR.01", "F06.FR.02"])
async def test_tc_f_11(station: Station, csms: Csms, cfg: Settings) -> None:
    """Trigger message - MeterValues - Specific EVSE."""
    await _trigger(station, csms, {"requestedMessage": "MeterValues", "evse": {"id": cfg.evse_id}},
                   {"requestedMessage": "MeterValues", "evse": {"id": cfg.evse_id}})
    await _triggered(station, "MeterValues", {
        "evseId": cfg.evse_id, "meterValue": [msg.energy_meter_value(station.model.meter_wh, "Trigger")]},
        "Step 4: MeterValuesResponse")


@octt("TC_F_12", reqs=["F06.FR.01"])
async def test_tc_f_12(station: Station, csms: Csms, cfg: Settings) -> None:
    """Trigger message - MeterValues - All EVSE."""
    await _trigger(station, csms, {"requestedMessage": "MeterValues"}, {"requestedMessage": "MeterValues"})
    for evse_id in range(1, cfg.number_of_evses + 1):
        await _triggered(station, "MeterValues", {
            "evseId": evse_id, "meterValue": [msg.energy_meter_value(station.model.meter_wh, "Trigger")]},
            f"Step 4: MeterValuesResponse (EVSE {evse_id})")


def _triggered_event(station: Station, with_evse: bool) -> Payload:
    """The TransactionEvent a trigger asks for: the running transaction, charging, meter values of context Trigger."""
    tx = station.model.transaction
    if tx is None:
        raise StepFailed("EnergyTransferStarted state: the station has no transaction")
    payload = msg.transaction_event(tx, "Updated", "Trigger", charging_state="Charging", meter_context="Trigger")
    payload.pop("evse", None)
    if with_evse:
        payload["evse"] = {"id": tx.evse_id, "connectorId": tx.connector_id}
    return payload


@octt("TC_F_13", reqs=["F06.FR.01", "F06.FR.02"])
async def test_tc_f_13(station: Station, csms: Csms, cfg: Settings) -> None:
    """Trigger message - TransactionEvent - Specific EVSE."""
    await states.energy_transfer_started(station)
    await _trigger(station, csms, {"requestedMessage": "TransactionEvent", "evse": {"id": cfg.evse_id}},
                   {"requestedMessage": "TransactionEvent", "evse": {"id": cfg.evse_id}})
    await _triggered(station, "TransactionEvent", _triggered_event(station, with_evse=True),
                     "Step 4: TransactionEventResponse")


@octt("TC_F_14", reqs=["F06.FR.01"])
async def test_tc_f_14(station: Station, csms: Csms) -> None:
    """Trigger message - TransactionEvent - All EVSE."""
    await states.energy_transfer_started(station)
    await _trigger(station, csms, {"requestedMessage": "TransactionEvent"}, {"requestedMessage": "TransactionEvent"})
    # Only the configured EVSE has a transaction, so it is the only one to report.
    await _triggered(station, "TransactionEvent", _triggered_event(station, with_evse=False),
                     "Step 4: TransactionEventResponse")


@octt("TC_F_15", reqs=["F06.FR.01"])
async def test_tc_f_15(station: Station, csms: Csms) -> None:
    """Trigger message - LogStatusNotification - Idle."""
    await _trigger(station, csms, {"requestedMessage": "LogStatusNotification"},
                   {"requestedMessage": "LogStatusNotification"})
    await _triggered(station, "LogStatusNotification", {"status": "Idle"}, "Step 4: LogStatusNotificationResponse")


@octt("TC_F_18", reqs=["F06.FR.01"])
async def test_tc_f_18(station: Station, csms: Csms) -> None:
    """Trigger message - FirmwareStatusNotification - Idle."""
    await _trigger(station, csms, {"requestedMessage": "FirmwareStatusNotification"},
                   {"requestedMessage": "FirmwareStatusNotification"})
    await _triggered(station, "FirmwareStatusNotification", {"status": "Idle"},
                     "Step 4: FirmwareStatusNotificationResponse")


@octt("TC_F_20", reqs=["F06.FR.01"])
async def test_tc_f_20(station: Station, csms: Csms) -> None:
    """Trigger message - Heartbeat."""
    await _trigger(station, csms, {"requestedMessage": "Heartbeat"}, {"requestedMessage": "Heartbeat"})
    response = await _triggered(station, "Heartbeat", {}, "Step 4: HeartbeatResponse")
    check_matches(station, checks.HEARTBEAT_TIME, response, {"currentTime": about_now()}, "Step 4: HeartbeatResponse")


async def _connector_reported(station: Station, status: str, label: str) -> None:
    """StatusNotification and NotifyEvent(AvailabilityState) for the configured connector, both answered."""
    with step(label):
        await states.connector_event(station, status)


@octt("TC_F_23", reqs=["F06.FR.01", "F06.FR.02", "F06.FR.13"])
async def test_tc_f_23(station: Station, csms: Csms, cfg: Settings) -> None:
    """Trigger message - StatusNotification - Specific EVSE - Available."""
    await _trigger(station, csms, {"requestedMessage": "StatusNotification", "evse": {"id": cfg.evse_id}},
                   {"requestedMessage": "StatusNotification", "evse": {"id": cfg.evse_id}})
    await _connector_reported(station, "Available", "Step 4")


@octt("TC_F_24", reqs=["F06.FR.01", "F06.FR.02", "F06.FR.13"])
async def test_tc_f_24(station: Station, csms: Csms, cfg: Settings) -> None:
    """Trigger message - StatusNotification - Specific EVSE - Occupied."""
    await _connector_reported(station, "Occupied", "Step 2")
    # The definition's steps 3-4 (the trigger) are its tool validation's "Step 1".
    await _trigger(station, csms, {"requestedMessage": "StatusNotification", "evse": {"id": cfg.evse_id}},
                   {"requestedMessage": "StatusNotification", "evse": {"id": cfg.evse_id}})
    await _connector_reported(station, "Occupied", "Step 6")


@octt("TC_F_27", reqs=["F06.FR.08"])
async def test_tc_f_27(station: Station, csms: Csms) -> None:
    """Trigger message - NotImplemented."""
    # A message this station does not implement: it is no local controller.
    wanted = {"requestedMessage": "PublishFirmwareStatusNotification"}
    await _trigger(station, csms, wanted, wanted, status="NotImplemented")
    # Beyond the OCTT (whose definition validates nothing here): the CSMS goes on serving the station.
    async with beyond_the_octt(station, checks.SERVES_AFTER_NOT_IMPLEMENTED, "After step 2"):
        await station.call("Heartbeat", {})
