"""How the reference CSMS records OCPP 2.0.1 TransactionEvents.

- Each event is applied once per (transaction, seqNo): a station that resends an event
  (it lost the answer, or replays its offline queue) changes nothing the second time.
- Events may arrive out of order: a station that was offline delivers its queue later,
  with past timestamps and ``offline`` set, and seqNos that fill gaps. Every event is
  applied; what describes the transaction's *current* state (charging state, meter
  start/stop) is derived from the events ordered by (timestamp, seqNo), not by arrival.
- Transaction ids are unique per station; each transaction has its own seqNo series,
  so a new transaction may start at seqNo 0 again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from csmscheck.csms.authorization import TokenVerdict, as_utc
from csmscheck.csms.meter import ENERGY_REGISTER, sampled_rows
from csmscheck.csms.models import MeterValue, Transaction, TransactionEventLog
from csmscheck.csms.router import Payload
from csmscheck.csms.store import Store, now
from csmscheck.timestamps import parse_time


@dataclass(frozen=True)
class Recorded:
    """What recording one event did: which transaction, and whether it was a replay."""

    transaction_pk: int
    replay: bool


async def record_event(store: Store, station_id: str, request: Payload,
                       verdict: TokenVerdict | None = None) -> Recorded:
    """Apply ``request`` to its transaction unless this (transaction, seqNo) was applied before.

    ``verdict`` is the CSMS's decision on the event's idToken, if it carries one.
    """
    try:
        return await _record(store, station_id, request, verdict)
    except IntegrityError:
        # Another delivery of the same event (or of the same new transaction) committed
        # first; recording again finds it and treats this one as the replay it is.
        return await _record(store, station_id, request, verdict)


async def _record(store: Store, station_id: str, request: Payload, verdict: TokenVerdict | None) -> Recorded:
    stamp = parse_time(request["timestamp"])
    seq_no = request["seqNo"]
    async with store.session() as db:
        tx = await _transaction(db, station_id, request, stamp)
        seen = await db.scalar(select(TransactionEventLog.pk).filter_by(transaction_pk=tx.pk, seq_no=seq_no))
        if seen is not None:
            await db.execute(update(TransactionEventLog).where(TransactionEventLog.pk == seen)
                             .values(replays=TransactionEventLog.replays + 1))
            return Recorded(tx.pk, replay=True)
        info = request["transactionInfo"]
        db.add(TransactionEventLog(
            transaction_pk=tx.pk, seq_no=seq_no, event_type=request["eventType"],
            trigger_reason=request["triggerReason"], timestamp=stamp, offline=request.get("offline", False),
            charging_state=info.get("chargingState"), received_at=now(), replays=0))
        _apply(tx, request, stamp, verdict)
        db.add_all(sampled_rows(station_id, tx.pk, tx.evse_id, request.get("meterValue", [])))
        await db.flush()
        await _derive_state(db, tx)
        return Recorded(tx.pk, replay=False)


async def _transaction(db: AsyncSession, station_id: str, request: Payload, stamp: datetime) -> Transaction:
    """The station's transaction with this id; the first event of any type creates it."""
    transaction_id = request["transactionInfo"]["transactionId"]
    tx = await db.scalar(select(Transaction).filter_by(station_id=station_id, transaction_id=transaction_id))
    if tx is None:
        tx = Transaction(station_id=station_id, transaction_id=transaction_id, started_at=stamp)
        db.add(tx)
        await db.flush()
    return tx


def _apply(tx: Transaction, request: Payload, stamp: datetime, verdict: TokenVerdict | None) -> None:
    """Facts an event states once (evse, token, ids, end); they do not depend on arrival order."""
    info = request["transactionInfo"]
    evse = request.get("evse") or {}
    tx.last_seq_no = max(tx.last_seq_no, request["seqNo"])
    if tx.evse_id is None and "id" in evse:
        tx.evse_id, tx.connector_id = evse["id"], evse.get("connectorId")
    if request["eventType"] == "Started" or stamp < as_utc(tx.started_at):
        tx.started_at = stamp
    token = request.get("idToken")
    if token is not None and tx.id_token is None:
        tx.id_token, tx.id_token_type = token["idToken"], token["type"]
        tx.group_id = verdict.group_id if verdict else None
    if "remoteStartId" in info and tx.remote_start_id is None:
        tx.remote_start_id = info["remoteStartId"]
    if "reservationId" in request and tx.reservation_id is None:
        tx.reservation_id = request["reservationId"]
    if request["eventType"] == "Ended":
        tx.stopped_at = stamp
        # E03.FR.05: a station may leave out stoppedReason when it is Local.
        tx.stopped_reason = info.get("stoppedReason", "Local")


async def _derive_state(db: AsyncSession, tx: Transaction) -> None:
    """Charging state from the latest event that reports one; meter start from the Transaction.Begin
    reading (else the earliest), meter stop from the latest — all by event time, whatever the arrival order."""
    latest = (select(TransactionEventLog.charging_state)
              .filter(TransactionEventLog.transaction_pk == tx.pk, TransactionEventLog.charging_state.is_not(None))
              .order_by(TransactionEventLog.timestamp.desc(), TransactionEventLog.seq_no.desc()).limit(1))
    tx.charging_state = await db.scalar(latest) or tx.charging_state
    # The station's own import register: no phase, at the outlet (as csmscheck.csms.meter reads it).
    register = select(MeterValue.value).filter(
        MeterValue.transaction_pk == tx.pk, MeterValue.measurand == ENERGY_REGISTER, MeterValue.phase.is_(None),
        or_(MeterValue.location.is_(None), MeterValue.location == "Outlet"))
    oldest_first = (MeterValue.timestamp.asc(), MeterValue.pk.asc())
    begin = await db.scalar(register.filter(MeterValue.context == "Transaction.Begin").order_by(*oldest_first).limit(1))
    start = begin if begin is not None else await db.scalar(register.order_by(*oldest_first).limit(1))
    if start is not None:
        tx.meter_start_wh = start
    if tx.stopped_at is not None:
        last = await db.scalar(register.order_by(MeterValue.timestamp.desc(), MeterValue.pk.desc()).limit(1))
        tx.meter_stop_wh = last if last is not None else tx.meter_stop_wh
