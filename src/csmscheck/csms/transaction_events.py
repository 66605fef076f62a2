"""How the reference CSMS records OCPP 2.0.1 TransactionEvents.

- Each event is applied once per (transaction, seqNo): a station that resends an event
  (it lost the answer, or replays its offline queue) changes nothing the second time.
- Events may arrive out of order: a station that was offline delivers its queue later,
  with past timestamps and ``offline`` set, and seqNos that fill gaps. Every event is
  applied; what describes the transaction's *current* state (charging state, meter
  start/stop) is derived from the events ordered by (timestamp, seqNo), not by arrival.
- Transaction ids are unique per station; each transaction has its own seqNo series,
  so a new transaction may start at seqNo 0 again.
- The routine event (an Updated event of a running transaction, in order, naming no
  token, reservation or remote start, no signed readings) is applied to the transaction
  as last committed, kept in memory, and its rows go to the group committer
  (:mod:`csmscheck.csms.group_commit`): no read, no session. Any other event takes the
  full path through the ORM; an ORM change to a transaction drops the copy in memory.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Table, event, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from csmscheck.csms.authorization import TokenVerdict, as_utc
from csmscheck.csms.group_commit import Insert, Update
from csmscheck.csms.lookups import find_transaction, remember_transaction
from csmscheck.csms.meter import Reading, deferred_readings, follow_readings, sampled_rows, store_readings
from csmscheck.csms.models import Transaction, TransactionEventLog
from csmscheck.csms.router import Payload
from csmscheck.csms.store import Store, now
from csmscheck.timestamps import parse_time

# Inserted as a table (a Core statement): the ORM has no use for the row afterwards.
_EVENT_LOG = cast(Table, TransactionEventLog.__table__)
_TRANSACTIONS = cast(Table, Transaction.__table__)
# What a routine event may change on its transaction (and only routine events change).
_ROUTINE_COLUMNS = ("last_seq_no", "evse_id", "connector_id", "started_at", "charging_state", "charging_state_at",
                    "charging_state_seq_no", "meter_start_wh", "meter_start_at", "meter_start_is_begin",
                    "meter_last_wh", "meter_last_at", "meter_stop_wh", "total_cost")

# Per store: running transactions as last committed, by (station id, transaction id), and
# those whose routine event is waiting for its commit.
_running: WeakKeyDictionary[Store, dict[tuple[str, str], Transaction]] = WeakKeyDictionary()
_committing: WeakKeyDictionary[Store, dict[tuple[str, str], asyncio.Event]] = WeakKeyDictionary()


async def settled(store: Store, station_id: str, transaction_id: str) -> None:
    """Wait until the routine event of this transaction another message is committing has ended.

    A station's old and new connection may deliver events of one transaction at once; the
    second must read what the first wrote. Call it before the message opens a session (on
    SQLite the commit waited for needs the one connection).
    """
    committing = _committing.get(store, {}).get((station_id, transaction_id))
    if committing is not None:
        await committing.wait()


@event.listens_for(Session, "after_flush")
def _forget_changed(session: Session, _context: object) -> None:
    """A transaction the ORM writes is read again from the database next time."""
    for row in chain(session.new, session.dirty, session.deleted):
        if isinstance(row, Transaction):
            for running in _running.values():
                running.pop((row.station_id, row.transaction_id), None)


@dataclass(frozen=True)
class Recorded:
    """What recording one event did: which transaction, and whether it was a replay."""

    transaction_pk: int
    replay: bool


async def record_event(store: Store, station_id: str, request: Payload,
                       verdict: TokenVerdict | None = None) -> Recorded:
    """Apply ``request`` to its transaction unless this (transaction, seqNo) was applied before.

    ``verdict`` is the CSMS's decision on the event's idToken, if it carries one. The work
    is the same for the first and the ten-thousandth event of a transaction: what depends on
    earlier events (charging state, meter start, latest reading) is kept on the transaction.
    """
    key = (station_id, request["transactionInfo"]["transactionId"])
    running = _running.setdefault(store, {})
    known = running.get(key)
    if known is not None and _routine(known, request):
        del running[key]  # back once this message is committed; a failure leaves it to be read again
        return _record_routine(store, known, request)
    async with store.session() as db:
        if store.sqlite:  # units of work run one at a time: no other delivery can commit in between
            recorded = await _record(db, station_id, request, verdict)
        else:
            try:
                async with db.begin_nested():
                    recorded = await _record(db, station_id, request, verdict)
            except IntegrityError:
                # Another delivery of the same event (or of the same new transaction) committed
                # first; recording again finds it and treats this one as the replay it is.
                db.info.clear()
                recorded = await _record(db, station_id, request, verdict)
        tx = await find_transaction(db, *key)
        if tx is not None and tx.stopped_at is None:
            store.when_committed(lambda: running.__setitem__(key, tx))
    return recorded


def _routine(tx: Transaction, request: Payload) -> bool:
    info = request["transactionInfo"]
    return (request["eventType"] == "Updated" and tx.stopped_at is None and request["seqNo"] > tx.last_seq_no
            and "idToken" not in request and "reservationId" not in request and "remoteStartId" not in info
            and not any("signedMeterValue" in sample for value in request.get("meterValue", ())
                        for sample in value["sampledValue"]))


def _record_routine(store: Store, tx: Transaction, request: Payload) -> Recorded:
    """A routine event: applied to the transaction in memory, its rows written by the group committer."""
    stamp = parse_time(request["timestamp"])
    event_row = _event_row(tx, request, stamp)
    _apply(tx, request, stamp, None)
    rows = sampled_rows(tx.station_id, tx.pk, tx.evse_id, request.get("meterValue", []))
    _follow(tx, request, stamp, rows)
    store.defer(Insert(_EVENT_LOG, [event_row]), deferred_readings(rows),
                Update(_TRANSACTIONS, ("pk", tx.pk), lambda: {name: getattr(tx, name) for name in _ROUTINE_COLUMNS}))
    key = (tx.station_id, tx.transaction_id)
    routine_transactions(store)[key] = tx
    store.when_committed(lambda: _running.setdefault(store, {}).__setitem__(key, tx))
    committing = _committing.setdefault(store, {})
    ended = committing[key] = asyncio.Event()

    def end() -> None:
        if committing.get(key) is ended:
            del committing[key]
        ended.set()

    store.when_done(end)
    return Recorded(tx.pk, replay=False)


def routine_transactions(store: Store) -> dict[tuple[str, str], Transaction]:
    """The transactions the current message updated in memory (an observer adds to them, e.g. the cost)."""
    found: dict[tuple[str, str], Transaction] = store.shared().setdefault("routine_transactions", {})
    return found


async def _record(db: AsyncSession, station_id: str, request: Payload, verdict: TokenVerdict | None) -> Recorded:
    stamp = parse_time(request["timestamp"])
    seq_no = request["seqNo"]
    tx = await _transaction(db, station_id, request, stamp)
    # Every applied seqNo is at most last_seq_no: a higher one (events in order) is new for sure.
    seen = None if seq_no > tx.last_seq_no else await db.scalar(
        select(TransactionEventLog.pk).filter_by(transaction_pk=tx.pk, seq_no=seq_no))
    if seen is not None:
        await db.execute(update(TransactionEventLog).where(TransactionEventLog.pk == seen)
                         .values(replays=TransactionEventLog.replays + 1))
        return Recorded(tx.pk, replay=True)
    await db.execute(insert(_EVENT_LOG).values(_event_row(tx, request, stamp)))
    _apply(tx, request, stamp, verdict)
    rows = sampled_rows(station_id, tx.pk, tx.evse_id, request.get("meterValue", []))
    await store_readings(db, rows)
    _follow(tx, request, stamp, rows)
    return Recorded(tx.pk, replay=False)


def _event_row(tx: Transaction, request: Payload, stamp: datetime) -> dict[str, Any]:
    """The event as the log of applied events keeps it."""
    return {"transaction_pk": tx.pk, "seq_no": request["seqNo"], "event_type": request["eventType"],
            "trigger_reason": request["triggerReason"], "timestamp": stamp, "offline": request.get("offline", False),
            "charging_state": request["transactionInfo"].get("chargingState"), "received_at": now(), "replays": 0}


async def _transaction(db: AsyncSession, station_id: str, request: Payload, stamp: datetime) -> Transaction:
    """The station's transaction with this id; the first event of any type creates it."""
    transaction_id = request["transactionInfo"]["transactionId"]
    tx = await find_transaction(db, station_id, transaction_id)
    if tx is None:
        tx = Transaction(station_id=station_id, transaction_id=transaction_id, started_at=stamp)
        db.add(tx)
        await db.flush()
        remember_transaction(db, tx)
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


def _follow(tx: Transaction, request: Payload, stamp: datetime, rows: list[Reading]) -> None:
    """What describes the transaction's current state, by event time whatever the arrival order:
    the charging state of the latest event that reports one; the meter start and the latest
    reading, which is the meter stop once the transaction has ended."""
    state = request["transactionInfo"].get("chargingState")
    if state is not None and (tx.charging_state_at is None
                              or (stamp, request["seqNo"]) >= (as_utc(tx.charging_state_at),
                                                              tx.charging_state_seq_no or 0)):
        tx.charging_state, tx.charging_state_at, tx.charging_state_seq_no = state, stamp, request["seqNo"]
    follow_readings(tx, rows, with_start=True)
    if tx.stopped_at is not None and tx.meter_last_wh is not None:
        tx.meter_stop_wh = tx.meter_last_wh

