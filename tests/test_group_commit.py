"""Group commit: routine TransactionEvents share commits, are answered only once committed,
never undo what the ORM wrote, and one bad message fails alone."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, closing
from pathlib import Path
from typing import Any

import pytest
from conftest import DEFAULTS, PASSWORD, RunningCsms, StationOpener
from sqlalchemy import Column, Integer, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from csmscheck.csms import group_commit
from csmscheck.csms.group_commit import GroupCommitter, Insert, Update
from csmscheck.csms.models import Transaction
from csmscheck.csms.store import Store
from csmscheck.csms.transaction_events import record_event, settled
from csmscheck.timestamps import rfc3339

STATION = "CP201_SP1"


def _event(transaction_id: str, seq_no: int, wh: float, **extra: Any) -> dict[str, Any]:
    return {"eventType": "Updated" if seq_no else "Started", "timestamp": rfc3339(),
            "triggerReason": "MeterValuePeriodic" if seq_no else "CablePluggedIn", "seqNo": seq_no,
            "transactionInfo": {"transactionId": transaction_id, "chargingState": "Charging"},
            "evse": {"id": 1, "connectorId": 1},
            "meterValue": [{"timestamp": rfc3339(), "sampledValue": [
                {"value": wh, "measurand": "Energy.Active.Import.Register", "unitOfMeasure": {"unit": "Wh"}}]}]} | extra


def _stored(csms: RunningCsms, transaction_id: str) -> tuple[Any, ...]:
    with closing(sqlite3.connect(csms.db_path)) as db:
        row = db.execute("SELECT id_token, meter_last_wh, last_seq_no, total_cost, pk FROM transactions "
                         "WHERE transaction_id = ?", (transaction_id,)).fetchone()
        events = db.execute("SELECT count(*) FROM transaction_events WHERE transaction_pk = ?", (row[4],)).fetchone()
    return (*row[:4], events[0])


async def test_a_routine_event_is_committed_before_it_is_answered(reference_csms: RunningCsms,
                                                                  open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    tx = f"gc-{uuid.uuid4().hex[:12]}"
    await station.call("TransactionEvent", _event(tx, 0, 1000))
    for seq_no in range(1, 4):
        answer = await station.call("TransactionEvent", _event(tx, seq_no, 1000 + 4000 * seq_no))
        # read by another connection the moment the answer is here: the event is stored
        assert _stored(reference_csms, tx)[1:] == (1000 + 4000 * seq_no, seq_no, answer["totalCost"], seq_no + 1)


async def test_what_the_orm_wrote_survives_the_routine_events_after_it(reference_csms: RunningCsms,
                                                                       open_station: StationOpener) -> None:
    """An event naming a token goes through the ORM (it sets the transaction's token); the routine
    events around it must neither undo that nor be undone by it."""
    station = await open_station(reference_csms, STATION)
    tx = f"gc-{uuid.uuid4().hex[:12]}"
    await station.call("TransactionEvent", _event(tx, 0, 1000))
    await station.call("TransactionEvent", _event(tx, 1, 2000))
    token = {"idToken": DEFAULTS.valid_id_token, "type": DEFAULTS.valid_id_token_type}
    await station.call("TransactionEvent", _event(tx, 2, 3000, idToken=token, triggerReason="Authorized"))
    await station.call("TransactionEvent", _event(tx, 3, 4000))
    assert _stored(reference_csms, tx)[:3] == (DEFAULTS.valid_id_token, 4000.0, 3)


async def test_a_routine_event_whose_commit_fails_is_answered_so_and_changes_nothing(
        reference_csms: RunningCsms, open_station: StationOpener, monkeypatch: pytest.MonkeyPatch) -> None:
    station = await open_station(reference_csms, STATION)
    tx = f"gc-{uuid.uuid4().hex[:12]}"
    await station.call("TransactionEvent", _event(tx, 0, 1000))
    await station.call("TransactionEvent", _event(tx, 1, 2000))
    real = group_commit.apply
    failures = [OSError("disk I/O error")]

    async def failing(target: Any, writes: Any) -> None:
        if failures and any(isinstance(w, Insert) and w.rows and w.rows[0].get("seq_no") == 2 for w in writes):
            raise failures.pop()
        await real(target, writes)

    monkeypatch.setattr(group_commit, "apply", failing)
    failed = await station.send("TransactionEvent", _event(tx, 2, 3000))
    assert getattr(failed, "code", None) == "InternalError"
    assert _stored(reference_csms, tx)[1:3] == (2000.0, 1)  # nothing of it stored, nothing kept in memory
    await station.call("TransactionEvent", _event(tx, 2, 3000))  # the station sends it again
    await station.call("TransactionEvent", _event(tx, 3, 4000))
    assert _stored(reference_csms, tx)[1:] == (4000.0, 3, _stored(reference_csms, tx)[3], 4)


@asynccontextmanager
async def _memory_database() -> AsyncIterator[tuple[Table, AsyncEngine]]:
    engine = create_async_engine("sqlite+aiosqlite://")
    table = Table("rows", MetaData(), Column("pk", Integer, primary_key=True), Column("name", String(10)))
    async with engine.begin() as connection:
        await connection.run_sync(table.metadata.create_all)
    try:
        yield table, engine
    finally:
        await engine.dispose()


def _counting(engine: AsyncEngine, commits: list[int]) -> Callable[[], AbstractAsyncContextManager[AsyncConnection]]:
    """The committer's connections to ``engine``, each commit counted in ``commits``."""
    @asynccontextmanager
    async def connect() -> AsyncIterator[AsyncConnection]:
        async with engine.begin() as connection:
            yield connection
        commits.append(1)

    return connect


async def test_a_bad_message_in_a_batch_fails_alone() -> None:
    async with _memory_database() as (table, engine):
        commits: list[int] = []
        committer = GroupCommitter(_counting(engine, commits))
        good = [[Insert(table, [{"pk": n, "name": f"row{n}"}])] for n in range(1, 6)]
        bad = [Insert(table, [{"pk": 1, "name": "duplicate key"}])]  # collides with the first good row
        update = [Update(table, ("pk", 2), lambda: {"name": "renamed"})]
        outcomes = await asyncio.gather(*(committer.commit(writes) for writes in [*good, bad, update]),
                                        return_exceptions=True)
        await committer.close()
        async with engine.connect() as connection:
            rows = dict((await connection.execute(select(table.c.pk, table.c.name))).all())
    assert [isinstance(outcome, Exception) for outcome in outcomes] == [False] * 5 + [True, False]
    assert rows == {1: "row1", 2: "renamed", 3: "row3", 4: "row4", 5: "row5"}
    # the batch failed as a whole, then each message was committed on its own
    assert len(commits) == 6


async def test_waiting_messages_share_one_commit() -> None:
    async with _memory_database() as (table, engine):
        commits: list[int] = []
        committer = GroupCommitter(_counting(engine, commits))
        await asyncio.gather(*(committer.commit([Insert(table, [{"pk": n, "name": "x"}])]) for n in range(50)))
        await committer.close()
    assert 1 <= len(commits) <= 2  # the first message may go alone, the 49 waiting meanwhile together


async def test_an_event_waits_for_its_transactions_routine_event_being_committed(tmp_path: Path) -> None:
    """As over a station's old and new connection at once: the second event reads what the first wrote."""
    store = Store(f"sqlite:///{tmp_path / 'race.db'}")
    await store.create_schema()
    await store.seed_station("RACE", "2.0.1", 1, PASSWORD)
    tx = "race-1"

    async def message(payload: dict[str, Any], *, session_first: bool = False) -> None:
        """What the TransactionEvent handler does; one naming a token opens a session before recording."""
        async with store.unit_of_work():
            await settled(store, "RACE", tx)
            if session_first:
                async with store.session() as db:
                    await db.execute(select(1))
            await record_event(store, "RACE", payload)

    try:
        await message(_event(tx, 0, 1000))
        await message(_event(tx, 1, 2000))  # read through the ORM: from now on kept in memory
        await asyncio.gather(message(_event(tx, 2, 3000)), message(_event(tx, 3, 4000), session_first=True))
        async with store.session() as db:
            stored = (await db.execute(select(Transaction.last_seq_no, Transaction.meter_last_wh)
                                       .filter_by(transaction_id=tx))).one()
    finally:
        await store.close()
    assert tuple(stored) == (3, 4000.0)


async def test_a_routine_event_opens_no_database_session(reference_csms: RunningCsms,
                                                         open_station: StationOpener) -> None:
    """Routine events are written by the group committer: no block's logic may open an ORM session for one
    (a session slot and a commit per event would undo what group commit is for)."""
    station = await open_station(reference_csms, STATION)
    tx = f"gc-{uuid.uuid4().hex[:12]}"
    await station.call("TransactionEvent", _event(tx, 0, 1000))
    await station.call("TransactionEvent", _event(tx, 1, 2000))
    store = reference_csms.thread.csms.context.store
    real, opened = store._sessions, []

    def counted() -> Any:
        opened.append(1)
        return real()

    store._sessions = counted  # type: ignore[method-assign]
    try:
        for seq_no in range(2, 6):
            await station.call("TransactionEvent", _event(tx, seq_no, 1000 + 1000 * seq_no))
    finally:
        store._sessions = real  # type: ignore[method-assign]
    assert not opened, f"{len(opened)} ORM sessions opened for 4 routine TransactionEvents"
