"""Reservations (block H), OCPP 2.0.1.

The CSMS sends ReserveNow and CancelReservation when an operator asks (trigger API);
from the station's answers it keeps each reservation (:class:`Reservation`) and follows
it to its end:

- a ReserveNow the station accepted is Active until its expiryDateTime; a new ReserveNow
  with the same id replaces it (H01.FR.02);
- a transaction of its holder uses it up: a TransactionEvent naming its reservationId, or
  starting on its EVSE (or, for a reservation of no particular EVSE, anywhere on the station)
  with the reserved idToken or a token of the reserved groupIdToken;
- a CancelReservation the station accepted cancels it; ReservationStatusUpdate ends it as
  Expired or Removed.

While an EVSE-specific reservation is active, the EVSE is held for its holder: a
transaction another driver starts there is answered ``NotAtThisTime``. A reservation of
no particular EVSE holds none (the CSMS does not know which EVSE the station set aside).
Authorize never uses a reservation up: it names no EVSE and may only be a check.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select

from csmscheck.csms.authorization import as_utc, verdict_for
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.lookups import find_transaction
from csmscheck.csms.models import Transaction
from csmscheck.csms.reservation_models import ACTIVE, Reservation
from csmscheck.csms.router import Payload, handles, observes, on_response
from csmscheck.csms.store import now
from csmscheck.timestamps import parse_time

log = logging.getLogger("csmscheck.csms")

# The status that tells a driver the EVSE is held for someone else right now.
HELD_FOR_ANOTHER = "NotAtThisTime"


@on_response("2.0.1", "ReserveNow")
async def reserve_now_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    """Record the reservation the station accepted (or, if refused, why it was not made)."""
    key = (connection.station_id, request["id"])
    async with connection.csms.store.session() as db:
        row = await db.get(Reservation, key)
        if response["status"] != "Accepted":
            if row is None:  # keep the refusal for the record; an existing reservation stays as it was
                db.add(_reservation(connection.station_id, request, response["status"]))
            return
        if row is not None:
            await db.delete(row)
            await db.flush()
        db.add(_reservation(connection.station_id, request, ACTIVE))


def _reservation(station_id: str, request: Payload, status: str) -> Reservation:
    group = request.get("groupIdToken")
    return Reservation(
        station_id=station_id, reservation_id=request["id"], evse_id=request.get("evseId"),
        connector_type=request.get("connectorType"), id_token=request["idToken"]["idToken"],
        id_token_type=request["idToken"]["type"], group_id=group["idToken"] if group else None,
        expiry=parse_time(request["expiryDateTime"]), status=status, created_at=now(),
        ended_at=None if status == ACTIVE else now())


@on_response("2.0.1", "CancelReservation")
async def cancel_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    """Accepted: the reservation is cancelled. Rejected: the station has no such reservation."""
    await end_reservation(connection, request["reservationId"],
                          "Cancelled" if response["status"] == "Accepted" else "NotFound")


@handles("2.0.1", "ReservationStatusUpdate")
async def reservation_status_update(connection: StationConnection, request: Payload) -> Payload:
    """The station ended a reservation: it expired, or it was removed (e.g. the EVSE became inoperative)."""
    await end_reservation(connection, request["reservationId"], request["reservationUpdateStatus"])
    return {}


async def end_reservation(connection: StationConnection, reservation_id: int, status: str) -> None:
    async with connection.csms.store.session() as db:
        row = await db.get(Reservation, (connection.station_id, reservation_id))
        if row is None:
            log.info("%s: reservation %s ended (%s) but the CSMS never made it", connection.station_id,
                     reservation_id, status)
        elif row.status == ACTIVE:
            row.status, row.ended_at = status, now()


def holds(reservation: Reservation, id_token: str, group_id: str | None) -> bool:
    """Whether the driver with ``id_token`` (of group ``group_id``) is the one the reservation is for."""
    return bool(reservation.id_token == id_token
                or (reservation.group_id is not None and reservation.group_id == group_id))


def active(reservations: Sequence[Reservation]) -> list[Reservation]:
    moment = now()
    return [r for r in reservations if r.status == ACTIVE and as_utc(r.expiry) > moment]


def reservation_for(candidates: Sequence[Reservation], reservation_id: int | None, evse_id: int | None,
                    id_token: str, group_id: str | None) -> Reservation | None:
    """The active reservation this transaction concerns: the one it names, else the driver's own
    on this EVSE, else the driver's own of no particular EVSE."""
    if reservation_id is not None:
        return next((r for r in candidates if r.reservation_id == reservation_id), None)
    own = [r for r in candidates if holds(r, id_token, group_id)]
    return (next((r for r in own if r.evse_id is not None and r.evse_id == evse_id), None)
            or next((r for r in own if r.evse_id is None), None))


def use(reservation: Reservation, tx: Transaction) -> None:
    """The holder's transaction takes the reservation."""
    reservation.status, reservation.ended_at, reservation.transaction_pk = "Used", now(), tx.pk
    tx.reservation_id = reservation.reservation_id


def _starts_authorization(request: Payload) -> bool:
    return bool(request["eventType"] == "Started" or request["triggerReason"] == "Authorized")


@observes("2.0.1", "TransactionEvent")
async def honour_reservation(connection: StationConnection, request: Payload, response: Payload) -> None:
    """Use up the holder's reservation; keep a reserved EVSE from another driver."""
    token = request.get("idToken")
    reservation_id: int | None = request.get("reservationId")
    if token is None and reservation_id is None:
        return
    store = connection.csms.store
    async with store.session() as db:
        tx = await find_transaction(db, connection.station_id, request["transactionInfo"]["transactionId"])
    if tx is None:
        return
    id_token = token["idToken"] if token else tx.id_token
    if id_token is None:
        return  # a reservation named before the driver is known: decided when the token arrives
    if reservation_id is None:
        reservation_id = tx.reservation_id  # named by an earlier event of the transaction
    verdict = await verdict_for(store, id_token)
    async with store.session() as db:
        candidates = active((await db.scalars(select(Reservation).filter_by(
            station_id=connection.station_id, status=ACTIVE))).all())
        reservation = reservation_for(candidates, reservation_id, tx.evse_id, id_token, verdict.group_id)
        if reservation is not None and holds(reservation, id_token, verdict.group_id):
            row = await db.get(Transaction, tx.pk)
            if verdict.status == "Accepted" and row is not None:
                use(reservation, row)
            return
        held = reservation or next((r for r in candidates if r.evse_id is not None and r.evse_id == tx.evse_id),
                                   None)
    info = response.get("idTokenInfo")
    if held is not None and token is not None and info and info["status"] == "Accepted" \
            and _starts_authorization(request):
        log.info("%s: EVSE %s is reserved (reservation %s) for another driver than %s", connection.station_id,
                 tx.evse_id, held.reservation_id, id_token)
        info["status"] = HELD_FOR_ANOTHER
