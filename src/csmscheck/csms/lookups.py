"""Rows one station message looks up more than once (handler, then other blocks' observers),
read from the database once per unit of work (see :mod:`csmscheck.csms.store`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csmscheck.csms.models import Transaction

_TRANSACTIONS = "transactions"


async def find_transaction(db: AsyncSession, station_id: str, transaction_id: str) -> Transaction | None:
    """The station's transaction with this id (2.0.1: the station's id; 1.6: the one the CSMS handed out)."""
    cache: dict[tuple[str, str], Transaction | None] = db.info.setdefault(_TRANSACTIONS, {})
    key = (station_id, transaction_id)
    if key not in cache:
        cache[key] = await db.scalar(select(Transaction).filter_by(station_id=station_id,
                                                                   transaction_id=transaction_id))
    return cache[key]


def remember_transaction(db: AsyncSession, tx: Transaction) -> None:
    """A transaction this unit of work created: later look-ups find it without asking the database."""
    db.info.setdefault(_TRANSACTIONS, {})[(tx.station_id, tx.transaction_id)] = tx
