"""A transaction as the reference CSMS stored it: the trigger API's read-back view.

Everything comes from the database (never from what a test sent): the transaction row,
the TransactionEvents applied to it (2.0.1) and the meter values stored for it. See
:class:`csmscheck.trigger.stored.StoredTransaction` for what each field means.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csmscheck.csms.authorization import as_utc
from csmscheck.csms.models import Transaction, TransactionEventLog
from csmscheck.csms.store import Store
from csmscheck.csms.tariff import seconds_between
from csmscheck.trigger.stored import StoredEvent, StoredTransaction
from csmscheck.wire.versions import OcppVersion


async def stored_transaction(store: Store, version: OcppVersion, station_id: str,
                             transaction_id: str) -> StoredTransaction | None:
    """The station's transaction ``transaction_id`` as stored, or None when the CSMS has no such transaction."""
    async with store.session() as db:
        tx = await db.scalar(select(Transaction).filter_by(station_id=station_id, transaction_id=transaction_id))
        if tx is None:
            return None
        events = await _events(db, tx) if version == "2.0.1" else []
    return StoredTransaction(
        transactionId=tx.transaction_id, stationId=tx.station_id, evseId=tx.evse_id, connectorId=tx.connector_id,
        idToken=tx.id_token, remoteStartId=tx.remote_start_id, chargingState=tx.charging_state,
        startedAt=as_utc(tx.started_at),
        stoppedAt=as_utc(tx.stopped_at) if tx.stopped_at else None, stoppedReason=tx.stopped_reason,
        meterStartWh=tx.meter_start_wh, meterStopWh=tx.meter_stop_wh, energyWh=_energy(tx), durationS=_duration(tx),
        totalCost=tx.total_cost, events=events)


async def _events(db: AsyncSession, tx: Transaction) -> list[StoredEvent]:
    rows = (await db.scalars(select(TransactionEventLog).filter_by(transaction_pk=tx.pk)
                             .order_by(TransactionEventLog.seq_no))).all()
    return [StoredEvent(seqNo=row.seq_no, eventType=row.event_type, triggerReason=row.trigger_reason,
                        timestamp=as_utc(row.timestamp), offline=row.offline) for row in rows]


def _energy(tx: Transaction) -> float | None:
    """Stopped: meter stop minus meter start. Running: the latest register reading minus the start
    (1.6: meterStart; 2.0.1: the Transaction.Begin reading, else the earliest)."""
    if tx.stopped_at is not None and tx.meter_start_wh is not None and tx.meter_stop_wh is not None:
        return tx.meter_stop_wh - tx.meter_start_wh
    if tx.meter_start_wh is None or tx.meter_last_wh is None:
        return None
    return tx.meter_last_wh - tx.meter_start_wh


def _duration(tx: Transaction) -> float | None:
    """Seconds from start to stop, instant to instant (both are kept in UTC, so a DST change in the station's
    zone neither adds nor removes an hour); None while it runs."""
    if tx.stopped_at is None:
        return None
    return seconds_between(tx.started_at, tx.stopped_at)
