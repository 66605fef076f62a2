"""Block H: reservations — of a specific EVSE, of any EVSE, of a connector type, for a group;
cancelled, expired, removed and refused.

Beyond the OCTT's steps, as csmscheck checks (findings, never the verdict): where a case
names use case H03 (use a reserved EVSE), the driver the reservation is for then arrives
and charges, naming the reservation; where a reservation ends (used, cancelled, expired,
removed, refused), another driver then charges on the EVSE: the CSMS must not hold it for
a reservation that is over.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from csmscheck.checks import ExtraCheck
from csmscheck.checks import v201 as checks
from csmscheck.expect import ABSENT, ANY, assert_matches, step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.station.states import v201 as states
from csmscheck.station.timing import scenario_wait
from csmscheck.suite.findings import beyond_the_octt, check_matches
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.timestamps import parse_time, rfc3339

Payload = dict[str, Any]
ACCEPTED = states.ACCEPTED_TOKEN
LIFETIME = timedelta(minutes=5)  # how long a reservation lasts unless the case says otherwise




def _reservation(cfg: Settings, *, evse: bool = True, group: bool = False, connector_type: bool = False,
                 lifetime: timedelta = LIFETIME) -> Payload:
    """The ReserveNow the CSMS is asked to send: for the configured valid token."""
    payload: Payload = {"id": secrets.randbelow(2**31 - 2) + 1,
                        "expiryDateTime": rfc3339(datetime.now(UTC) + lifetime),
                        "idToken": msg.id_token(cfg.valid_id_token, cfg.valid_id_token_type)}
    if evse:
        payload["evseId"] = cfg.evse_id
    if group:
        payload["groupIdToken"] = {"idToken": cfg.group_id, "type": "Central"}
    if connector_type:
        payload["connectorType"] = cfg.connector_type
    return payload


def _validations(cfg: Settings, asked: Payload) -> Payload:
    """The tool validations of a ReserveNowRequest: the EVSE (or none), the connector type (or none), the token,
    and a groupIdToken where the reservation is for a group."""
    expected: Payload = {
        "evseId": asked.get("evseId", ABSENT),
        "connectorType": asked.get("connectorType", ABSENT),
        "idToken": {"idToken": cfg.valid_id_token, "type": cfg.valid_id_token_type},
    }
    if "groupIdToken" in asked:
        expected["groupIdToken"] = ANY  # "groupIdToken must be provided"
    return expected


async def _reserve(station: Station, csms: Csms, asked: Payload, held: list[int], status: str = "Accepted",
                   *, check: ExtraCheck | None = None) -> Payload:
    """Steps 1-2: the CSMS sends ReserveNow, the station answers ``status``; returns the request. The request is
    validated as the definition's step 1 does, or, where the definition validates nothing, as ``check``."""
    with step("Step 1"):
        async with station.expect("ReserveNow", reply={"status": status}) as got:
            await csms.request(station, "ReserveNow", asked)
    if status == "Accepted":
        held.append(got.payload["id"])
    if check is None:
        assert_matches(got.payload, _validations(station.cfg, asked), "Step 1: ReserveNowRequest")
    else:
        check_matches(station, check, got.payload, _validations(station.cfg, asked), "Step 1: ReserveNowRequest")
    return got.payload


async def _status_update(station: Station, reservation_id: int, status: str, held: list[int], label: str) -> None:
    """The station tells the CSMS a reservation ended (Expired or Removed); the CSMS must answer."""
    with step(label):
        await station.call("ReservationStatusUpdate",
                           {"reservationId": reservation_id, "reservationUpdateStatus": status})
    held.remove(reservation_id)


async def _start(station: Station, token: Payload, evse_id: int, reservation_id: int | None = None) -> Payload:
    """The driver's transaction starts on ``evse_id`` (TransactionEvent Started, Authorized)."""
    tx = station.model.new_transaction(evse_id, station.cfg.connector_id)
    payload = msg.transaction_event(tx, "Started", "Authorized", token=token)
    if reservation_id is not None:
        payload["reservationId"] = reservation_id
    response = await station.call("TransactionEvent", payload)
    tx.started = station.model.authorized = True
    return response


async def _holder_charges(station: Station, token: Payload, reservation_id: int, held: list[int],
                          group: str | None = None) -> None:
    """Beyond the OCTT (H03): the driver the reservation is for (or of its ``group``) arrives and charges on the
    reserved EVSE, naming the reservation."""
    label = "Post scenario (H03)"
    check = checks.RESERVATION_HOLDER_SERVED
    accepted = {"idTokenInfo": {"status": "Accepted"} | ({"groupIdToken": {"idToken": group}} if group else {})}
    async with beyond_the_octt(station, check, label):
        response = await states.authorize(station, token)
        check_matches(station, check, response, accepted, f"{label}: AuthorizeResponse for the reservation's holder")
        response = await _start(station, token, station.cfg.evse_id, reservation_id)
        check_matches(station, check, response, ACCEPTED, f"{label}: TransactionEventResponse for the holder "
                                                          f"starting with reservationId {reservation_id}")
        held.remove(reservation_id)
        if group:
            await states.send_event(station, "Ended", "EVConnectTimeout", stopped_reason="Timeout")
            return
        await states.energy_transfer_started(station)
        await states.stop_authorized(station, token)
        await states.ev_disconnected(station)


async def _other_driver_charges(station: Station, why: str) -> None:
    """Beyond the OCTT: another driver (the second valid token) starts on the EVSE, which the reservation must
    no longer hold."""
    cfg = station.cfg
    label = "Post scenario"
    check = checks.RESERVATION_RELEASED
    token = msg.id_token(cfg.valid_id_token_2, cfg.valid_id_token_type_2)
    async with beyond_the_octt(station, check, label):
        response = await states.authorize(station, token)
        check_matches(station, check, response, ACCEPTED, f"{label}: AuthorizeResponse for another driver ({why})")
        response = await _start(station, token, cfg.evse_id)
        check_matches(station, check, response, ACCEPTED, f"{label}: TransactionEventResponse for another driver "
                                                          f"on EVSE {cfg.evse_id} ({why}: the EVSE is no longer held)")
        await states.send_event(station, "Ended", "EVConnectTimeout", stopped_reason="Timeout")


@octt("TC_H_01")
async def test_tc_h_01(station: Station, csms: Csms, cfg: Settings, held: list[int]) -> None:
    """Reserve a specific EVSE - Accepted - Valid idToken."""
    asked = _reservation(cfg)
    request = await states.reserved(station, csms, asked)
    held.append(request["id"])
    # The definition validates nothing of the request (tool validations: N/a).
    check_matches(station, checks.RESERVATION_NAMES_EVSE_AND_TOKEN, request, _validations(cfg, asked),
                  "Reserved state: Step 1: ReserveNowRequest")
    await _holder_charges(station, states.valid_token(station), request["id"], held)
    await _other_driver_charges(station, "the reservation was used")


@octt("TC_H_07")
async def test_tc_h_07(station: Station, csms: Csms, cfg: Settings, held: list[int]) -> None:
    """Reserve a specific EVSE - Reservation Ended / not used."""
    asked = _reservation(cfg, lifetime=timedelta(seconds=cfg.transaction_duration))
    request = await _reserve(station, csms, asked, held)
    with step("Step 3"):
        await states.connector_event(station, "Reserved")
    with step("Step 5"):
        await states.connector_event(station, "Available")
    # the OCTT waits for the reservation to expire
    await scenario_wait((parse_time(request["expiryDateTime"]) - datetime.now(UTC)).total_seconds())
    await _status_update(station, request["id"], "Expired", held, "Step 7")
    await _other_driver_charges(station, "the reservation expired")


@octt("TC_H_08")
async def test_tc_h_08(unbooted_station: Station, csms: Csms, cfg: Settings, held: list[int]) -> None:
    """Reserve an unspecified EVSE - Accepted."""
    station = unbooted_station
    # The case is defined for a station of one EVSE: the station presents itself so.
    station.cfg = cfg.replace(number_of_evses=1, evse_id=1)
    await states.booted(station)
    request = await _reserve(station, csms, _reservation(station.cfg, evse=False), held)
    with step("Step 3"):
        await states.connector_event(station, "Reserved")
    await _holder_charges(station, states.valid_token(station), request["id"], held)


@octt("TC_H_14")
async def test_tc_h_14(station: Station, csms: Csms, cfg: Settings, held: list[int]) -> None:
    """Reserve an unspecified EVSE - Amount of EVSEs available equals the amount of reservations."""
    for _ in range(cfg.number_of_evses):
        await _reserve(station, csms, _reservation(cfg, evse=False), held)
    for evse_id in range(1, cfg.number_of_evses + 1):
        with step("Step 3"):
            await states.connector_event(station, "Reserved", evse_id, 1)


@octt("TC_H_15")
async def test_tc_h_15(station: Station, csms: Csms, cfg: Settings, held: list[int]) -> None:
    """Reserve a connector with a specific type - Success."""
    request = await _reserve(station, csms, _reservation(cfg, evse=False, connector_type=True), held)
    with step("Step 3"):
        await states.connector_event(station, "Reserved")
    await _holder_charges(station, states.valid_token(station), request["id"], held)


@octt("TC_H_17")
async def test_tc_h_17(station: Station, csms: Csms, cfg: Settings, held: list[int]) -> None:
    """Cancel reservation of an EVSE - Success."""
    request = await _reserve(station, csms, _reservation(cfg), held)
    with step("Step 3"):
        await states.connector_event(station, "Reserved")
    with step("Step 5"):
        async with station.expect("CancelReservation", reply={"status": "Accepted"}) as got:
            await csms.request(station, "CancelReservation", {"reservationId": request["id"]})
    assert_matches(got.payload, {"reservationId": request["id"]}, "Step 5: CancelReservationRequest")
    held.remove(request["id"])
    with step("Step 7"):
        await states.connector_event(station, "Available")
    await _other_driver_charges(station, "the reservation was cancelled")


@octt("TC_H_19")
async def test_tc_h_19(station: Station, csms: Csms, cfg: Settings, held: list[int]) -> None:
    """Reserve a specific EVSE - Use a reserved EVSE with GroupId."""
    request = await _reserve(station, csms, _reservation(cfg, group=True), held)
    with step("Step 3"):
        await states.connector_event(station, "Reserved")
    # Another driver of the reserved group arrives: the station learns the driver's group from the CSMS
    # (AuthorizeResponse) to match it with the reservation.
    member = msg.id_token(cfg.valid_id_token_2, cfg.valid_id_token_type_2)
    await _holder_charges(station, member, request["id"], held, group=cfg.group_id)


@octt("TC_H_20")
async def test_tc_h_20(station: Station, csms: Csms, cfg: Settings, held: list[int]) -> None:
    """Charging Station cancels reservation when Faulted."""
    request = await _reserve(station, csms, _reservation(cfg), held)
    with step("Step 3"):
        await states.connector_event(station, "Reserved")
    with step("Step 5"):
        await states.connector_event(station, "Faulted")
    await _status_update(station, request["id"], "Removed", held, "Step 7")
    await states.connector_event(station, "Available")  # the fault clears
    await _other_driver_charges(station, "the station removed the reservation")


@octt("TC_H_22")
async def test_tc_h_22(station: Station, csms: Csms, cfg: Settings, held: list[int]) -> None:
    """Reserve a specific EVSE - Configured to Reject."""
    await _reserve(station, csms, _reservation(cfg), held, status="Rejected",
                   check=checks.RESERVATION_NAMES_EVSE_AND_TOKEN)
    await _other_driver_charges(station, "the station refused the reservation")
