"""OCPP 1.6 Reservation: reservations the stations accepted, and who may use them.

ReserveNow and CancelReservation go out through the trigger API. An accepted
reservation is recorded; a StartTransaction naming it consumes it when the idTag is the
reserved one or shares the reservation's parentIdTag. A transaction that names someone
else's reservation gets idTagInfo Invalid (the station then stops it) and the
reservation stays. A reserved connector reported Available again without a transaction
has lost its reservation (expired or cancelled at the station).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from csmscheck.csms.authorization import as_utc, verdict_for
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.models import Transaction
from csmscheck.csms.router import Payload, observes, on_response
from csmscheck.csms.store import now
from csmscheck.csms.v16_models import Reservation
from csmscheck.timestamps import parse_time

ACTIVE, USED, CANCELLED, ENDED = "Active", "Used", "Cancelled", "Ended"


async def active_reservation(db: AsyncSession, station_id: str, reservation_id: int) -> Reservation | None:
    """The station's reservation ``reservation_id`` if it is still open and not past its expiry."""
    row = await db.scalar(select(Reservation).filter_by(station_id=station_id, reservation_id=reservation_id,
                                                        status=ACTIVE))
    if row is None or as_utc(row.expiry) <= now():
        return None
    return row


def holds_reservation(reservation: Reservation, connector_id: int, id_tag: str, parent_id_tag: str | None) -> bool:
    """Whether a transaction of ``id_tag`` (in group ``parent_id_tag``) on ``connector_id`` may use it."""
    if reservation.connector_id not in (0, connector_id):
        return False
    if id_tag == reservation.id_tag:
        return True
    return reservation.parent_id_tag is not None and parent_id_tag == reservation.parent_id_tag


@on_response("1.6", "ReserveNow")
async def record_reservation(connection: StationConnection, request: Payload, response: Payload) -> None:
    """An Accepted ReserveNow is recorded; one with a known reservationId replaces that reservation."""
    if response["status"] != "Accepted":
        return
    stamp = now()
    async with connection.csms.store.session() as db:
        row = await db.scalar(select(Reservation).filter_by(station_id=connection.station_id,
                                                            reservation_id=request["reservationId"]))
        if row is None:
            row = Reservation(station_id=connection.station_id, reservation_id=request["reservationId"],
                              created_at=stamp)
            db.add(row)
        row.connector_id, row.id_tag = request["connectorId"], request["idTag"]
        row.parent_id_tag = request.get("parentIdTag")
        row.expiry, row.status, row.transaction_pk = parse_time(request["expiryDate"]), ACTIVE, None
        row.updated_at = stamp


@on_response("1.6", "CancelReservation")
async def record_cancellation(connection: StationConnection, request: Payload, response: Payload) -> None:
    if response["status"] != "Accepted":
        return  # Rejected: the station knows no such reservation, so nothing changes
    async with connection.csms.store.session() as db:
        await db.execute(update(Reservation)
                         .filter_by(station_id=connection.station_id, reservation_id=request["reservationId"],
                                    status=ACTIVE)
                         .values(status=CANCELLED, updated_at=now()))


@observes("1.6", "StartTransaction")
async def consume_reservation(connection: StationConnection, request: Payload, response: Payload) -> None:
    """A transaction started on a reservation ends it, if the reservation is its idTag's to use."""
    if "reservationId" not in request:
        return
    store = connection.csms.store
    verdict = await verdict_for(store, request["idTag"])
    async with store.session() as db:
        reservation = await active_reservation(db, connection.station_id, request["reservationId"])
        if reservation is None:
            return  # expired, cancelled or unknown: the transaction is judged on its idTag alone
        if not holds_reservation(reservation, request["connectorId"], request["idTag"], verdict.group_id):
            if response["idTagInfo"]["status"] == "Accepted":
                response["idTagInfo"]["status"] = "Invalid"
            return
        tx = await db.scalar(select(Transaction).filter_by(station_id=connection.station_id,
                                                           transaction_id=str(response["transactionId"])))
        reservation.status, reservation.updated_at = USED, now()
        reservation.transaction_pk = tx.pk if tx is not None else None


@observes("1.6", "StatusNotification")
async def end_unused_reservation(connection: StationConnection, request: Payload, _response: Payload) -> None:
    """A reserved connector that is Available again no longer holds its reservation."""
    connector_id = request["connectorId"]
    if request["status"] != "Available" or connector_id == 0:
        return
    async with connection.csms.store.session() as db:
        await db.execute(update(Reservation)
                         .filter_by(station_id=connection.station_id, connector_id=connector_id, status=ACTIVE)
                         .values(status=ENDED, updated_at=now()))
