"""csmscheck cases (OCPP 2.0.1) of reservations (H), remote control (F) and availability (G).

Negative and real-world scenarios the OCTT has no case for. A reservation holds its own
EVSE for its holder until it is used, cancelled or over: other drivers are served
elsewhere, and on that EVSE once it is over. Whether the CSMS also refuses another driver
on the reserved EVSE during the reservation OCPP leaves to the CSMS; if it does, it must not
say the token is bad. A remote start with a token the CSMS itself issued is the CSMS's own transaction.
The operator's requests arrive as asked (CSC-REQ-01), and what the station answered is
what the CSMS reports (CSC-201-F-03).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta

import pytest_asyncio

from csmscheck.errors import NotApplicable, StepFailed
from csmscheck.expect import ABSENT, assert_matches, step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.station.model import next_event_id
from csmscheck.station.states import v201 as states
from csmscheck.station.timing import scenario_wait
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v201.operations_steps import (
    ACCEPTED,
    Payload,
    authorized,
    charges_and_leaves,
    declined,
    fresh_id,
    holder,
    operator_asks,
    other_driver,
    other_evse,
    reconnect,
    report_status,
    require,
    reservation,
    reservation_ended,
    reserve,
    shown,
    starts,
)
from csmscheck.timestamps import parse_time, rfc3339

RESERVATION = ["reservation"]




# -- H: reservations ------------------------------------------------------------------------


@octt("CC_H_01", reqs=["H01", "H03", "C01", "E01.FR.11"], features=RESERVATION)
async def test_cc_h_01(station: Station, csms: Csms, cfg: Settings, held: list[int]) -> None:
    """Reserved EVSE - another driver is authorized and served on another EVSE."""
    free = other_evse(cfg)
    request = await reserve(station, csms, reservation(cfg, evse_id=cfg.evse_id), held, "Step 1")
    await report_status(station, "Reserved", cfg.evse_id, "Step 3")
    why = f"EVSE {cfg.evse_id} is reserved for {cfg.valid_id_token}, EVSE {free} is not"
    # An AuthorizeRequest names no EVSE: the CSMS answers for the token, which may charge elsewhere.
    await charges_and_leaves(station, other_driver(cfg), free, ("Step 5", "Step 7", "Step 9"), why)
    await charges_and_leaves(station, holder(cfg), cfg.evse_id, ("Step 11", "Step 13", "Step 15"),
                             "the reservation's own idToken, naming the reservation", reservation_id=request["id"])
    held.remove(request["id"])


@octt("CC_H_02", reqs=["H01", "H04", "E01.FR.11"], features=RESERVATION)
async def test_cc_h_02(station: Station, csms: Csms, cfg: Settings, held: list[int]) -> None:
    """Reservation past its expiryDateTime - the EVSE is free though the station's Expired report was lost."""
    lifetime = timedelta(seconds=max(cfg.transaction_duration, 2.0))
    request = await reserve(station, csms, reservation(cfg, evse_id=cfg.evse_id, lifetime=lifetime), held, "Step 1")
    await report_status(station, "Reserved", cfg.evse_id, "Step 3")
    # The station is offline when the reservation expires: its ReservationStatusUpdate(Expired) is lost.
    await station.close()
    expiry = parse_time(request["expiryDateTime"])
    await scenario_wait((expiry - datetime.now(UTC)).total_seconds() + 2.0)  # past it, on a clock a little off too
    await reconnect(station, "Step 5: the station reconnects")
    await report_status(station, "Available", cfg.evse_id, "Step 6")
    await charges_and_leaves(station, other_driver(cfg), cfg.evse_id, ("Step 8", "Step 10", "Step 12"),
                             f"the reservation expired at {request['expiryDateTime']}")
    await reservation_ended(station, request["id"], "Expired", held, "Step 14: the late ReservationStatusUpdate")


@octt("CC_H_03", reqs=["H02.FR.02", "H03", "E01.FR.11"], features=RESERVATION)
async def test_cc_h_03(station: Station, csms: Csms, cfg: Settings, held: list[int]) -> None:
    """Cancel a reservation already used - the station answers Rejected, the holder's transaction goes on."""
    request = await reserve(station, csms, reservation(cfg, evse_id=cfg.evse_id), held, "Step 1")
    await report_status(station, "Reserved", cfg.evse_id, "Step 3")
    token = holder(cfg)
    await starts(station, token, cfg.evse_id, "Step 5", "the reservation's own idToken, naming the reservation",
                 reservation_id=request["id"])
    held.remove(request["id"])
    # The operator cancels the reservation the driver has just used: the station has none by that id any more.
    try:
        cancel = await operator_asks(station, csms, "CancelReservation", {"reservationId": request["id"]},
                                     {"status": "Rejected"}, "Step 7")
    except StepFailed as exc:
        if not declined(exc):
            raise
        # The CSMS knows the reservation was used and sends nothing: as good as the station's Rejected.
    else:
        require(cancel, {"reservationId": request["id"]}, "Step 7: CancelReservationRequest")
    with step("Step 9"):
        response = await states.send_event(station, "Updated", "StopAuthorized", token=token,
                                           meter_context="Transaction.End")
    assert_matches(response, ACCEPTED, f"Step 9: TransactionEventResponse for {cfg.valid_id_token} stopping the "
                                       "transaction (a refused cancellation changes nothing)")
    with step("Step 11"):
        await states.send_event(station, "Ended", "StopAuthorized", stopped_reason="Local")
    await charges_and_leaves(station, other_driver(cfg), cfg.evse_id, ("Step 13", "Step 15", "Step 17"),
                             "the reservation was used")


@octt("CC_H_04", reqs=["H01", "E01.FR.11"], features=RESERVATION)
async def test_cc_h_04(station: Station, csms: Csms, cfg: Settings, held: list[int]) -> None:
    """ReserveNow answered Occupied, Faulted or Unavailable - no reservation holds the EVSE."""
    for number, status in enumerate(("Occupied", "Faulted", "Unavailable")):
        base = 1 + 8 * number
        await reserve(station, csms, reservation(cfg, evse_id=cfg.evse_id), held, f"Step {base} ({status})", status)
        await charges_and_leaves(station, other_driver(cfg), cfg.evse_id,
                                 (f"Step {base + 2}", f"Step {base + 4}", f"Step {base + 6}"),
                                 f"the station answered the ReserveNowRequest {status}")


@octt("CC_H_05", reqs=["H01.FR.02", "H03", "E01.FR.11"], features=RESERVATION)
async def test_cc_h_05(station: Station, csms: Csms, cfg: Settings, held: list[int]) -> None:
    """ReserveNow with the id of a reservation - it replaces that reservation (another EVSE)."""
    moved_to = other_evse(cfg)
    first = await reserve(station, csms, reservation(cfg, evse_id=cfg.evse_id), held, "Step 1")
    await report_status(station, "Reserved", cfg.evse_id, "Step 3")
    asked = reservation(cfg, evse_id=moved_to, reservation_id=first["id"])
    try:
        second = await reserve(station, csms, asked, held, "Step 5")
    except StepFailed as exc:
        if not declined(exc):
            raise
        raise NotApplicable(f"the CSMS declines a ReserveNow with the id of a reservation it made ({exc}): it "
                            "cannot be asked to replace a reservation") from None
    if second["id"] != first["id"]:  # both are held, and dropped when the case ends
        raise NotApplicable(f"the CSMS numbers reservations itself (asked for id {first['id']}, it sent "
                            f"{second['id']}): it cannot be asked to replace a reservation")
    held.remove(first["id"])  # the second replaced the first: one reservation
    await report_status(station, "Available", cfg.evse_id, "Step 7")
    await report_status(station, "Reserved", moved_to, "Step 8")
    await charges_and_leaves(station, other_driver(cfg), cfg.evse_id, ("Step 10", "Step 12", "Step 14"),
                             f"reservation {first['id']} moved to EVSE {moved_to} (H01.FR.02)")
    await charges_and_leaves(station, holder(cfg), moved_to, ("Step 16", "Step 18", "Step 20"),
                             "the reservation's own idToken, naming the reservation", reservation_id=first["id"])
    held.remove(first["id"])


@octt("CC_H_06", reqs=["H01", "H03", "E01.FR.11"], features=RESERVATION)
async def test_cc_h_06(station: Station, csms: Csms, cfg: Settings, held: list[int]) -> None:
    """Reservation of a connector type on no particular EVSE - another EVSE stays free."""
    kept = other_evse(cfg)
    request = await reserve(station, csms, reservation(cfg, evse_id=None, connector_type=True), held, "Step 1")
    require(request, {"evseId": ABSENT, "connectorType": cfg.connector_type}, "Step 1: ReserveNowRequest")
    # The station sets one EVSE of that connector type aside for the reservation.
    await report_status(station, "Reserved", kept, "Step 3")
    await charges_and_leaves(station, other_driver(cfg), cfg.evse_id, ("Step 5", "Step 7", "Step 9"),
                             f"the reservation names no EVSE and the station keeps EVSE {kept} for it")
    await charges_and_leaves(station, holder(cfg), kept, ("Step 11", "Step 13", "Step 15"),
                             "the reservation's own idToken, naming the reservation", reservation_id=request["id"])
    held.remove(request["id"])


# Statuses that turn a driver away from a reserved EVSE without saying anything false of the token (a station caches
# what the CSMS says of a token, C10): it may be used, only not here or not now.
TURNED_AWAY = ("NotAtThisTime", "NotAtThisLocation")


@octt("CC_H_07", reqs=["H01", "H03", "E01.FR.11", "C10"], features=RESERVATION)
async def test_cc_h_07(station: Station, csms: Csms, cfg: Settings, held: list[int]) -> None:
    """Another driver on the reserved EVSE - accepted or turned away, never told the token is bad."""
    request = await reserve(station, csms, reservation(cfg, evse_id=cfg.evse_id), held, "Step 1")
    await report_status(station, "Reserved", cfg.evse_id, "Step 3")
    other = other_driver(cfg)
    tx = station.model.new_transaction(cfg.evse_id, 1)
    with step("Step 5"):
        response = await station.call("TransactionEvent", msg.transaction_event(tx, "Started", "Authorized",
                                                                                  token=other))
    tx.started = True
    status = response.get("idTokenInfo", {}).get("status")
    if status not in ("Accepted", *TURNED_AWAY):
        raise StepFailed(f"Step 5: TransactionEventResponse for {other['idToken']} on EVSE {cfg.evse_id}, reserved "
                         f"for {cfg.valid_id_token}: idTokenInfo.status: expected \"Accepted\" or a status that keeps "
                         f"the valid token usable elsewhere ({' or '.join(TURNED_AWAY)}), got {shown(status)}")
    with step("Step 7"):
        await states.send_event(station, "Ended", "Deauthorized" if status != "Accepted" else "EVConnectTimeout",
                                stopped_reason="DeAuthorized" if status != "Accepted" else "Timeout")
    await authorized(station, other, "Step 9", "the token is valid; only EVSE "
                                                f"{cfg.evse_id} is reserved for another driver")
    await charges_and_leaves(station, holder(cfg), cfg.evse_id, ("Step 11", "Step 13", "Step 15"),
                             "the reservation's own idToken, naming the reservation", reservation_id=request["id"])
    held.remove(request["id"])


# -- F: remote control ----------------------------------------------------------------------


def _start_request(cfg: Settings, token: Payload, **extra: object) -> Payload:
    return {"idToken": token, "remoteStartId": fresh_id(), "evseId": cfg.evse_id} | extra


async def _remote_start(station: Station, csms: Csms, asked: Payload, reply: Payload) -> Payload:
    """Steps 1-2: the CSMS sends RequestStartTransaction as asked (its token and remoteStartId checked)."""
    request = await operator_asks(station, csms, "RequestStartTransaction", asked, reply, "Step 1")
    require(request, {"idToken": asked["idToken"], "remoteStartId": asked["remoteStartId"]},
            "Step 1: RequestStartTransactionRequest")
    return request


async def _remote_started(station: Station, request: Payload, event_type: str, label: str) -> None:
    """The station reports the transaction of the remote start, with its token and remoteStartId (F02.FR.01); the
    CSMS must accept the token it sent itself."""
    with step(label):
        response = await states.send_event(station, event_type, "RemoteStart", token=request["idToken"],
                                           remote_start_id=request["remoteStartId"])
    token = request["idToken"]
    assert_matches(response, ACCEPTED, f"{label}: TransactionEventResponse for the {token['type']} idToken "
                                       f"{token['idToken']!r} of the CSMS's own RequestStartTransactionRequest "
                                       f"(remoteStartId {request['remoteStartId']})")
    station.model.authorized = True


async def _ended(station: Station, label: str, reason: str = "EVDisconnected", trigger: str = "EVCommunicationLost"
                 ) -> None:
    with step(label):
        await states.send_event(station, "Ended", trigger, charging_state="Idle", stopped_reason=reason,
                                meter_context="Transaction.End")


def _issued_token(type_: str = "Central") -> Payload:
    """An idToken the CSMS issues itself for a remote start (Central: no format defined, e.g. a UUID)."""
    return {"idToken": str(uuid.uuid4()) if type_ == "Central" else "", "type": type_}


@octt("CC_F_01", reqs=["F01", "K05", "F02.FR.01", "F03.FR.01"], features=["smart_charging"])
async def test_cc_f_01(station: Station, csms: Csms, cfg: Settings) -> None:
    """Remote start with a charging profile, then a remote stop of that transaction."""
    station.device_model.set("AuthCtrlr", "AuthorizeRemoteStart", "false")
    schedule = {"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}
    profile = {"id": fresh_id(), "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
               "chargingProfileKind": "Relative", "chargingSchedule": [schedule]}
    asked = _start_request(cfg, holder(cfg), chargingProfile=profile)
    request = await _remote_start(station, csms, asked, {"status": "Accepted"})
    # The profile is for the transaction the request starts: a TxProfile, and no transaction yet to name.
    require(request, {"chargingProfile": {"chargingProfilePurpose": "TxProfile", "transactionId": ABSENT,
                                          "chargingProfileKind": "Relative", "chargingSchedule": [schedule]}},
            "Step 1: RequestStartTransactionRequest")
    await _remote_started(station, request, "Started", "Step 3")
    await states.energy_transfer_started(station)
    tx = station.model.transaction
    if tx is None:
        raise StepFailed("EnergyTransferStarted state: the station has no transaction")
    stop = await operator_asks(station, csms, "RequestStopTransaction", {"transactionId": tx.id},
                               {"status": "Accepted"}, "Step 6")
    require(stop, {"transactionId": tx.id}, "Step 6: RequestStopTransactionRequest")
    await _ended(station, "Step 8", reason="Remote", trigger="RemoteStop")


@octt("CC_F_02", reqs=["F01.FR.02", "F02.FR.01", "E01.FR.11"])
async def test_cc_f_02(station: Station, csms: Csms, cfg: Settings) -> None:
    """Remote start with a Central idToken - Remote start first."""
    # AuthorizeRemoteStart is true, yet a Central idToken starts without an AuthorizeRequest (F01.FR.02).
    station.device_model.set("AuthCtrlr", "AuthorizeRemoteStart", "true")
    request = await _remote_start(station, csms, _start_request(cfg, _issued_token()), {"status": "Accepted"})
    await _remote_started(station, request, "Started", "Step 3")
    await states.energy_transfer_started(station)
    await _ended(station, "Step 6")


@octt("CC_F_03", reqs=["F01.FR.02", "F02.FR.01", "E01.FR.11"])
async def test_cc_f_03(station: Station, csms: Csms, cfg: Settings) -> None:
    """Remote start with a Central idToken - Cable plugin first (the answer names the transaction)."""
    await states.ev_connected_pre_session(station)
    tx = station.model.transaction
    if tx is None:
        raise StepFailed("EVConnectedPreSession state: the station has no transaction")
    request = await _remote_start(station, csms, _start_request(cfg, _issued_token()),
                                  {"status": "Accepted", "transactionId": tx.id})
    await _remote_started(station, request, "Updated", "Step 3")
    await states.energy_transfer_started(station)
    await _ended(station, "Step 6")


@octt("CC_F_04", reqs=["F01.FR.02", "F02.FR.01", "E01.FR.11"])
async def test_cc_f_04(station: Station, csms: Csms, cfg: Settings) -> None:
    """Remote start with a NoAuthorization idToken - Remote start first."""
    request = await _remote_start(station, csms, _start_request(cfg, _issued_token("NoAuthorization")),
                                  {"status": "Accepted"})
    await _remote_started(station, request, "Started", "Step 3")
    await states.energy_transfer_started(station)
    await _ended(station, "Step 6")


@octt("CC_F_05", reqs=["F01", "F03", "F05", "F06"])
async def test_cc_f_05(station: Station, csms: Csms, cfg: Settings) -> None:
    """Remote control refused by the station - each refusal is reported as the station answered."""
    await operator_asks(station, csms, "RequestStartTransaction", _start_request(cfg, holder(cfg)),
                        {"status": "Rejected"}, "Step 1")
    try:
        await operator_asks(station, csms, "RequestStopTransaction", {"transactionId": uuid.uuid4().hex[:20]},
                            {"status": "Rejected"}, "Step 3")
    except StepFailed as exc:
        if not declined(exc):  # a CSMS may refuse to stop a transaction it knows nothing of, and send nothing
            raise
    await operator_asks(station, csms, "UnlockConnector", {"evseId": cfg.evse_id, "connectorId": cfg.connector_id},
                        {"status": "UnlockFailed"}, "Step 5")
    await operator_asks(station, csms, "TriggerMessage", {"requestedMessage": "MeterValues",
                                                          "evse": {"id": cfg.evse_id}},
                        {"status": "Rejected"}, "Step 7")
    with step("Step 9"):
        await station.call("Heartbeat", {})


@octt("CC_F_06", reqs=["F05", "F06.FR.01", "F06.FR.02", "F06.FR.13"])
async def test_cc_f_06(station: Station, csms: Csms, cfg: Settings) -> None:
    """Trigger message and unlock for another EVSE and a connector of it."""
    target = other_evse(cfg)
    connector = {"id": target, "connectorId": 1}
    trigger = await operator_asks(station, csms, "TriggerMessage",
                                  {"requestedMessage": "StatusNotification", "evse": connector},
                                  {"status": "Accepted"}, "Step 1")
    require(trigger, {"requestedMessage": "StatusNotification", "evse": connector}, "Step 1: TriggerMessageRequest")
    with step("Step 3"):
        await station.call("StatusNotification", msg.status_notification(target, 1, "Available"))
    trigger = await operator_asks(station, csms, "TriggerMessage",
                                  {"requestedMessage": "MeterValues", "evse": {"id": target}},
                                  {"status": "Accepted"}, "Step 5")
    require(trigger, {"requestedMessage": "MeterValues", "evse": {"id": target}}, "Step 5: TriggerMessageRequest")
    with step("Step 7"):
        await station.call("MeterValues", {"evseId": target,
                                           "meterValue": [msg.energy_meter_value(station.model.meter_wh, "Trigger")]})
    unlock = await operator_asks(station, csms, "UnlockConnector", {"evseId": target, "connectorId": 1},
                                 {"status": "Unlocked"}, "Step 9")
    require(unlock, {"evseId": target, "connectorId": 1}, "Step 9: UnlockConnectorRequest")


# -- G: availability ------------------------------------------------------------------------


def _availability_event(component: Payload, status: str) -> Payload:
    """NotifyEvent: AvailabilityState of the station or of an EVSE changed (trigger Delta)."""
    return {"generatedAt": rfc3339(), "seqNo": 0, "eventData": [{
        "eventId": next_event_id(), "timestamp": rfc3339(), "trigger": "Delta", "actualValue": status,
        "eventNotificationType": "HardWiredNotification", "component": component,
        "variable": {"name": "AvailabilityState"}}]}


async def _report(station: Station, status: str, evse_ids: list[int], label: str, *, whole: bool) -> None:
    """Each connector reports ``status`` and, with ``whole``, its EVSE too; every report must be answered."""
    for evse_id in evse_ids:
        await report_status(station, status, evse_id, f"{label}: connector 1 of EVSE {evse_id}")
        if whole:
            with step(f"{label}: EVSE {evse_id}"):
                await station.call("NotifyEvent", _availability_event({"name": "EVSE", "evse": {"id": evse_id}},
                                                                      status))


async def _change(station: Station, csms: Csms, status: str, scope: Payload | None, answer: str, label: str) -> None:
    """The CSMS sends ChangeAvailability for ``scope`` (None: the station) as asked; the station answers ``answer``."""
    asked: Payload = {"operationalStatus": status} | ({"evse": scope} if scope is not None else {})
    request = await operator_asks(station, csms, "ChangeAvailability", asked, {"status": answer}, label)
    expected_scope = ABSENT if scope is None else {"id": scope["id"], "connectorId": scope.get("connectorId", ABSENT)}
    require(request, {"operationalStatus": status, "evse": expected_scope}, f"{label}: ChangeAvailabilityRequest")


@pytest_asyncio.fixture
async def operative_afterwards(station: Station, csms: Csms) -> AsyncIterator[None]:
    """Clean-up, never part of the verdict: the CSMS sets the whole station Operative again when the case ends."""
    yield
    if station.session.connected:
        with suppress(Exception):
            await _change(station, csms, "Operative", None, "Accepted", "Clean-up")
            await _report(station, "Available", list(range(1, station.cfg.number_of_evses + 1)), "Clean-up",
                          whole=False)


@octt("CC_G_01", reqs=["G03", "G04", "G01"])
async def test_cc_g_01(station: Station, csms: Csms, cfg: Settings, operative_afterwards: None) -> None:
    """Change availability of another EVSE, of its connector and of the station; a refusal reported."""
    target = other_evse(cfg)
    every = list(range(1, cfg.number_of_evses + 1))
    await _change(station, csms, "Inoperative", {"id": target}, "Accepted", "Step 1")
    await _report(station, "Unavailable", [target], "Step 3", whole=True)
    await _change(station, csms, "Operative", {"id": target, "connectorId": 1}, "Accepted", "Step 5")
    await _report(station, "Available", [target], "Step 7", whole=True)
    await _change(station, csms, "Inoperative", None, "Rejected", "Step 9")
    await _change(station, csms, "Inoperative", None, "Accepted", "Step 11")
    with step("Step 13: the station"):
        await station.call("NotifyEvent", _availability_event({"name": "ChargingStation"}, "Unavailable"))
    await _report(station, "Unavailable", every, "Step 13", whole=False)
    await _change(station, csms, "Operative", None, "Accepted", "Step 15")
    with step("Step 17: the station"):
        await station.call("NotifyEvent", _availability_event({"name": "ChargingStation"}, "Available"))
    await _report(station, "Available", every, "Step 17", whole=False)


@octt("CC_G_02", reqs=["G03", "B01", "G01"])
async def test_cc_g_02(station: Station, csms: Csms, cfg: Settings, operative_afterwards: None) -> None:
    """Inoperative EVSE across a reboot - the station keeps it so, then the CSMS sets it Operative."""
    await _change(station, csms, "Inoperative", {"id": cfg.evse_id}, "Accepted", "Step 1")
    await _report(station, "Unavailable", [cfg.evse_id], "Step 3", whole=False)
    await station.close()
    station.model.booted = False
    await reconnect(station, "Step 5: the station reboots and reconnects")
    await states.boot(station, "PowerUp", label="Step 6")
    # The operational status survives the reboot: the EVSE is still Unavailable, the others Available.
    for evse_id in range(1, cfg.number_of_evses + 1):
        await report_status(station, "Unavailable" if evse_id == cfg.evse_id else "Available", evse_id,
                            f"Step 8: connector 1 of EVSE {evse_id}")
    await _change(station, csms, "Operative", {"id": cfg.evse_id}, "Accepted", "Step 10")
    await _report(station, "Available", [cfg.evse_id], "Step 12", whole=False)
