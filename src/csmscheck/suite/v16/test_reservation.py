"""Chapter 3.17: reservations of a connector or of the whole charge point, and their cancellation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from csmscheck.checks import v16 as checks
from csmscheck.errors import StepFailed
from csmscheck.expect import Matcher, assert_matches, mismatches, step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v16 as states
from csmscheck.station.states import v16_extra as extra
from csmscheck.station.v16 import Payload
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v16.csms_calls import check_relayed, csms_sends


def _not(value: Any) -> Any:
    return Matcher(f"<anything but {value!r}>", lambda v: v != value)


async def _reserve(station: Station, csms: Csms, payload: Payload, status: str, expected: dict[str, Any],
                   steps: tuple[str, str] = ("Step 1", "Step 2")) -> Payload:
    """The CSMS sends ReserveNow, which must match ``expected`` (what the OCTT validates); the station
    answers ``status``. Returns the ReserveNow.req."""
    sent = await csms_sends(station, csms, "ReserveNow", payload, f"{steps[0]}: ReserveNow.req",
                            reply={"status": status})
    assert_matches(sent.payload, expected, f"{steps[0]}: ReserveNow.req")
    check_relayed(station, sent, f"{steps[1]}: ReserveNow.conf")
    return sent.payload


async def _cancel(station: Station, csms: Csms, reservation_id: int, status: str, expected: dict[str, Any],
                  steps: tuple[str, str]) -> None:
    """The CSMS sends CancelReservation, which must match ``expected``; the station answers ``status``."""
    sent = await csms_sends(station, csms, "CancelReservation", {"reservationId": reservation_id},
                            f"{steps[0]}: CancelReservation.req", reply={"status": status})
    assert_matches(sent.payload, expected, f"{steps[0]}: CancelReservation.req")
    check_relayed(station, sent, f"{steps[1]}: CancelReservation.conf")


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
    await states.plug_in(station, "Step 2: StatusNotification.conf")
    await _reserve(station, csms, extra.reservation(station, cfg.connector_id), "Occupied", _configured(cfg),
                   ("Step 3", "Step 4"))
    # Clean-up: the driver leaves without charging.
    await states.connection_timeout(station, "Clean-up (the cable unplugged): StatusNotification.conf")


@octt("TC_048_3", chapter="3.17")
async def test_tc_048_3(station: Station, csms: Csms, cfg: Settings) -> None:
    """Reservation of a Connector - Unavailable."""
    inoperative = {"connectorId": cfg.connector_id, "type": "Inoperative"}

    async def make_operative() -> None:
        await csms_sends(station, csms, "ChangeAvailability", {"connectorId": cfg.connector_id, "type": "Operative"},
                         "Clean-up: ChangeAvailability.req (Operative)", reply={"status": "Accepted"})
        await states.set_status(station, cfg.connector_id, "Available", step="Clean-up: StatusNotification.conf")

    sent = await csms_sends(station, csms, "ChangeAvailability", inoperative, "Step 1: ChangeAvailability.req",
                            reply={"status": "Accepted"})
    async with extra.restoring(station, make_operative):
        assert_matches(sent.payload, inoperative, "Step 1: ChangeAvailability.req")
        check_relayed(station, sent, "Step 2: ChangeAvailability.conf")
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
    request = await _reserve(station, csms, extra.reservation(station, 0), "Accepted", {"connectorId": 0})
    # The station keeps its (last) connector for the reserved idTag.
    await extra.report_connector(station, cfg.connector_id, "Reserved", "Step 4: StatusNotification.conf")
    await _use_reservation(station, request)


async def _use_reservation(station: Station, request: Payload) -> None:
    """Beyond the OCTT's steps (its description: "a charging transaction takes place"): the reserved idTag
    starts a transaction naming the reservation, which the Central System accepts (CSC-16-RES-01).

    It also ends the reservation, so no later case finds the charge point reserved.
    """
    used = "After step 4 (the reservation used)"
    try:
        await states.plug_in(station, f"{used}: StatusNotification.conf")
        response = await states.start_transaction(station, str(request["idTag"]),
                                                  reservation_id=request["reservationId"],
                                                  step=f"{used}: StartTransaction.conf")
        station.findings.check(checks.RESERVATION_USED, not mismatches(response, states.ACCEPTED_TAG),
                               f"{used}: StartTransaction.conf: idTagInfo.status: expected \"Accepted\" for the "
                               f"idTag the reservation is for, got {states.shown(response['idTagInfo'], 'status')}")
        await states.set_status(station, station.cfg.connector_id, "Charging", step=f"{used}: StatusNotification.conf")
        station.model.charging = True
    except StepFailed as exc:
        station.findings.check(checks.RESERVATION_USED, False, str(exc))


@octt("TC_051", chapter="3.17")
async def test_tc_051(station: Station, csms: Csms, cfg: Settings) -> None:
    """Cancel Reservation."""
    request = await _reserve(station, csms, extra.reservation(station, cfg.connector_id), "Accepted",
                             {"connectorId": _not(0)})
    await extra.report_connector(station, request["connectorId"], "Reserved", "Step 4: StatusNotification.conf")
    await _cancel(station, csms, request["reservationId"], "Accepted", {"reservationId": request["reservationId"]},
                  ("Step 5", "Step 6"))
    await extra.report_connector(station, request["connectorId"], "Available", "Step 8: StatusNotification.conf")


@octt("TC_052", chapter="3.17")
async def test_tc_052(station: Station, csms: Csms, cfg: Settings) -> None:
    """Cancel Reservation - Rejected."""
    request = await _reserve(station, csms, extra.reservation(station, cfg.connector_id), "Accepted", {})
    reserved_id, connector_id = request["reservationId"], request["connectorId"]

    async def cancel_for_real() -> None:
        await csms_sends(station, csms, "CancelReservation", {"reservationId": reserved_id},
                         "Clean-up: CancelReservation.req", reply={"status": "Accepted"})
        await states.set_status(station, connector_id, "Available", step="Clean-up: StatusNotification.conf")

    # The real reservation is cancelled afterwards, so no later case finds the connector reserved.
    async with extra.restoring(station, cancel_for_real):
        await extra.report_connector(station, connector_id, "Reserved", "Step 4: StatusNotification.conf")
        await _cancel(station, csms, extra.fresh_id(), "Rejected", {"reservationId": _not(reserved_id)},
                      ("Step 5", "Step 6"))


@octt("TC_053", chapter="3.17")
async def test_tc_053(station: Station, csms: Csms, cfg: Settings) -> None:
    """Use a reserved Connector with parentIdTag."""
    # Prerequisite: a second idTag of the valid idTag's group.
    with step("Prerequisite: a second idTag in the valid idTag's group"):
        await csms.create_token(extra.GROUP_MEMBER_ID_TAG, "ISO14443", "Accepted", cfg.group_id)
    request = await _reserve(station, csms, extra.reservation(station, cfg.connector_id, parentIdTag=cfg.group_id),
                             "Accepted", {"connectorId": _not(0)})
    await extra.report_connector(station, request["connectorId"], "Reserved", "Step 4: StatusNotification.conf")
    await extra.charging_on_reservation(station, request["reservationId"],
                                        "Step 5: Charging state: StartTransaction.conf")
    # The driver swipes another card of the reservation's group.
    if extra.GROUP_MEMBER_ID_TAG in (request["idTag"], request.get("parentIdTag")):
        raise StepFailed(f"Step 6: Authorize.req: the reservation of step 1 names {extra.GROUP_MEMBER_ID_TAG} "
                         f"itself, so the charge point has no other idTag of the group to present")
    authorized = await extra.confirm(station, "Authorize", {"idTag": extra.GROUP_MEMBER_ID_TAG},
                                     "Step 7: Authorize.conf")
    assert_matches(authorized, {"idTagInfo": {"status": "Accepted"}}, "Step 7: Authorize.conf")
    if "parentIdTag" not in request:
        raise StepFailed("Step 7: Authorize.conf: idTagInfo.parentIdTag cannot match the parentIdTag of step 1: "
                         "the ReserveNow.req of step 1 carried none")
    assert_matches(authorized, {"idTagInfo": {"parentIdTag": request["parentIdTag"]}}, "Step 7: Authorize.conf")
    stopped = await states.stop_transaction(station, "Local", extra.GROUP_MEMBER_ID_TAG,
                                            step="Step 9: StopTransaction.conf")
    states.check_stop_answer(station, stopped, "Step 9: StopTransaction.conf")
    await extra.report_connector(station, cfg.connector_id, "Finishing", "Step 11: StatusNotification.conf")
    await states.unplug(station, "Clean-up (the cable unplugged): StatusNotification.conf")
