"""Chapter 3.17: reservations of a connector or of the whole charge point, and their cancellation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from csmscheck.expect import ANY_INT, ANY_STR, Matcher, assert_matches
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v16 as states
from csmscheck.station.states import v16_extra as extra
from csmscheck.station.v16 import Payload
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms, relayed_answer


def _not(value: Any) -> Any:
    return Matcher(f"<anything but {value!r}>", lambda v: v != value)


async def _reserve(station: Station, csms: Csms, payload: Payload, status: str, expected: dict[str, Any],
                   steps: tuple[str, str] = ("Step 1", "Step 2")) -> Payload:
    """The CSMS sends ReserveNow, which must match ``expected``; the station answers ``status``.

    Returns the ReserveNow.req.
    """
    async with station.expect("ReserveNow", reply={"status": status}) as got:
        reply = await csms.request(station, "ReserveNow", payload)
    assert_matches(got.payload, expected, f"{steps[0]}: ReserveNow.req")
    answer = relayed_answer(reply, steps[1])
    if answer is not None:
        assert_matches(answer, {"status": status}, f"{steps[1]}: the CSMS's record of ReserveNow.conf")
    return got.payload


async def _cancel(station: Station, csms: Csms, reservation_id: int, status: str, expected: dict[str, Any],
                  steps: tuple[str, str]) -> None:
    """The CSMS sends CancelReservation, which must match ``expected``; the station answers ``status``."""
    async with station.expect("CancelReservation", reply={"status": status}) as got:
        reply = await csms.request(station, "CancelReservation", {"reservationId": reservation_id})
    assert_matches(got.payload, expected, f"{steps[0]}: CancelReservation.req")
    answer = relayed_answer(reply, steps[1])
    if answer is not None:
        assert_matches(answer, {"status": status}, f"{steps[1]}: the CSMS's record of CancelReservation.conf")


def _configured(cfg: Settings) -> dict[str, Any]:
    """What each ReserveNow.req of a configured-connector case must hold."""
    return {"connectorId": cfg.connector_id, "idTag": cfg.valid_id_token}


@octt("TC_046", chapter="3.17")
async def test_tc_046(station: Station, csms: Csms, cfg: Settings) -> None:
    """Reservation of a Connector - Transaction."""
    request = await _reserve(station, csms, extra.reservation(station, cfg.connector_id), "Accepted",
                             _configured(cfg))
    await extra.report_connector(station, cfg.connector_id, "Reserved", "Step 4: StatusNotification.conf")
    await extra.charging_on_reservation(station, request["reservationId"],
                                        "Step 5: Charging state: StartTransaction.conf")


@octt("TC_047", chapter="3.17")
async def test_tc_047(station: Station, csms: Csms, cfg: Settings) -> None:
    """Reservation of a Connector - Expire."""
    expiry = datetime.now(UTC) + timedelta(seconds=cfg.expiry_date_offset)
    await _reserve(station, csms, extra.reservation(station, cfg.connector_id), "Accepted",
                   _configured(cfg) | {"expiryDate": extra.about(expiry)})
    await extra.report_connector(station, cfg.connector_id, "Reserved", "Step 4: StatusNotification.conf")
    # The EV driver does not come before the expiry date (the suite does not wait for it).
    await extra.report_connector(station, cfg.connector_id, "Available", "Step 6: StatusNotification.conf")


@octt("TC_048_1", chapter="3.17")
async def test_tc_048_1(station: Station, csms: Csms, cfg: Settings) -> None:
    """Reservation of a Connector - Faulted."""
    await _reserve(station, csms, extra.reservation(station, cfg.connector_id), "Faulted", _configured(cfg))


@octt("TC_048_2", chapter="3.17")
async def test_tc_048_2(station: Station, csms: Csms, cfg: Settings) -> None:
    """Reservation of a Connector - Occupied."""
    # The EV driver plugs in the cable.
    await extra.report_connector(station, cfg.connector_id, "Preparing", "Step 2: StatusNotification.conf")
    station.model.ev_connected = True
    await _reserve(station, csms, extra.reservation(station, cfg.connector_id), "Occupied", _configured(cfg),
                   ("Step 3", "Step 4"))
    # Clean-up: the driver leaves without charging.
    await states.connection_timeout(station)


@octt("TC_048_3", chapter="3.17")
async def test_tc_048_3(station: Station, csms: Csms, cfg: Settings) -> None:
    """Reservation of a Connector - Unavailable."""
    inoperative = {"connectorId": cfg.connector_id, "type": "Inoperative"}

    async def make_operative() -> None:
        async with station.expect("ChangeAvailability", reply={"status": "Accepted"}):
            await csms.request(station, "ChangeAvailability", {"connectorId": cfg.connector_id, "type": "Operative"})
        await states.set_status(station, cfg.connector_id, "Available")

    async with station.expect("ChangeAvailability", reply={"status": "Accepted"}) as got:
        await csms.request(station, "ChangeAvailability", inoperative)
    async with extra.restoring(station, make_operative):
        assert_matches(got.payload, inoperative, "Step 1: ChangeAvailability.req")
        await extra.report_connector(station, cfg.connector_id, "Unavailable", "Step 4: StatusNotification.conf")
        await _reserve(station, csms, extra.reservation(station, cfg.connector_id), "Unavailable", _configured(cfg),
                       ("Step 5", "Step 6"))


@octt("TC_048_4", chapter="3.17")
async def test_tc_048_4(station: Station, csms: Csms, cfg: Settings) -> None:
    """Reservation of a Connector - Rejected."""
    await _reserve(station, csms, extra.reservation(station, cfg.connector_id), "Rejected", _configured(cfg))


@octt("TC_049", chapter="3.17")
async def test_tc_049(station: Station, csms: Csms, cfg: Settings) -> None:
    """Reservation of a Charge Point - Transaction."""
    request = await _reserve(station, csms, extra.reservation(station, 0), "Accepted",
                             {"connectorId": 0, "idTag": ANY_STR, "reservationId": ANY_INT})
    # The station keeps its (last) connector for the reserved idTag.
    await extra.report_connector(station, cfg.connector_id, "Reserved", "Step 4: StatusNotification.conf")
    await extra.charging_on_reservation(station, request["reservationId"],
                                        "Charging on the reservation: StartTransaction.conf")


@octt("TC_051", chapter="3.17")
async def test_tc_051(station: Station, csms: Csms, cfg: Settings) -> None:
    """Cancel Reservation."""
    request = await _reserve(station, csms, extra.reservation(station, cfg.connector_id), "Accepted",
                             {"connectorId": _not(0), "idTag": ANY_STR, "expiryDate": ANY_STR})
    await extra.report_connector(station, request["connectorId"], "Reserved", "Step 4: StatusNotification.conf")
    await _cancel(station, csms, request["reservationId"], "Accepted", {"reservationId": request["reservationId"]},
                  ("Step 5", "Step 6"))
    await extra.report_connector(station, request["connectorId"], "Available", "Step 8: StatusNotification.conf")


@octt("TC_052", chapter="3.17")
async def test_tc_052(station: Station, csms: Csms, cfg: Settings) -> None:
    """Cancel Reservation - Rejected."""
    request = await _reserve(station, csms, extra.reservation(station, cfg.connector_id), "Accepted",
                             {"reservationId": ANY_INT})
    reserved_id, connector_id = request["reservationId"], request["connectorId"]

    async def cancel_for_real() -> None:
        await _cancel(station, csms, reserved_id, "Accepted", {}, ("Clean-up", "Clean-up"))
        await states.set_status(station, connector_id, "Available")

    # The real reservation is cancelled afterwards, so no later case finds the connector reserved.
    async with extra.restoring(station, cancel_for_real):
        await extra.report_connector(station, connector_id, "Reserved", "Step 4: StatusNotification.conf")
        await _cancel(station, csms, extra.fresh_id(), "Rejected", {"reservationId": _not(reserved_id)},
                      ("Step 5", "Step 6"))


@octt("TC_053", chapter="3.17")
async def test_tc_053(station: Station, csms: Csms, cfg: Settings) -> None:
    """Use a reserved Connector with parentIdTag."""
    # Prerequisite: a second idTag of the valid idTag's group.
    await csms.create_token(extra.GROUP_MEMBER_ID_TAG, "ISO14443", "Accepted", cfg.group_id)
    request = await _reserve(station, csms, extra.reservation(station, cfg.connector_id, parentIdTag=cfg.group_id),
                             "Accepted", {"connectorId": _not(0), "idTag": ANY_STR, "parentIdTag": ANY_STR})
    await extra.report_connector(station, request["connectorId"], "Reserved", "Step 4: StatusNotification.conf")
    await extra.charging_on_reservation(station, request["reservationId"],
                                        "Step 5: Charging state: StartTransaction.conf")
    # The driver swipes another card of the reservation's group.
    assert extra.GROUP_MEMBER_ID_TAG not in (request["idTag"], request["parentIdTag"]), \
        "Step 6: the second idTag must differ from the reservation's idTag and parentIdTag"
    authorized = await extra.confirm(station, "Authorize", {"idTag": extra.GROUP_MEMBER_ID_TAG},
                                     "Step 7: Authorize.conf")
    assert_matches(authorized, {"idTagInfo": {"status": "Accepted", "parentIdTag": request["parentIdTag"]}},
                   "Step 7: Authorize.conf")
    stopped = await extra.stop_transaction(station, "Local", extra.GROUP_MEMBER_ID_TAG, "Step 9: StopTransaction.conf")
    if "idTagInfo" in stopped:
        assert_matches(stopped["idTagInfo"], {"status": "Accepted"}, "Step 9: StopTransaction.conf")
    await extra.report_connector(station, cfg.connector_id, "Finishing", "Step 11: StatusNotification.conf")
    await states.set_status(station, cfg.connector_id, "Available")
    station.model.ev_connected = False
