"""Writes of many station messages committed together (group commit).

A message whose handling needs no read of the database (the common TransactionEvent of a
running transaction, see :mod:`csmscheck.csms.transaction_events`) describes its writes as
:class:`Insert` and :class:`Update` rows instead of opening a session. The committer takes
every such message waiting, writes their rows with one statement per table and kind
(``executemany``), commits once, and only then lets each message be answered: as durable as
a transaction per message, for a fraction of the statements. A batch that fails is written
again message by message, so one bad message fails alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

log = logging.getLogger("csmscheck.csms")

MAX_BATCH = 1_000  # messages per commit


@dataclass(frozen=True)
class Insert:
    table: Table
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class Update:
    """One row's new values, read when the write happens (other blocks may still change them)."""

    table: Table
    key: tuple[str, Any]  # (primary key column, value)
    values: Callable[[], dict[str, Any]]


Write = Insert | Update


async def apply(target: AsyncConnection | AsyncSession, writes: Sequence[Write]) -> None:
    """Execute ``writes``: the inserts of each table as one statement, then the updates of each
    table and set of columns as one."""
    inserts: dict[Table, list[dict[str, Any]]] = {}
    updates: dict[tuple[Table, str, tuple[str, ...]], list[dict[str, Any]]] = {}
    for write in writes:
        if isinstance(write, Insert):
            inserts.setdefault(write.table, []).extend(write.rows)
        else:
            values = write.values()
            column, key = write.key
            updates.setdefault((write.table, column, tuple(sorted(values))), []).append(
                {"k_" + column: key} | {"v_" + name: value for name, value in values.items()})
    for table, rows in inserts.items():
        if rows:
            await target.execute(insert(table), rows)
    for (table, column, names), params in updates.items():
        statement = (update(table).where(table.c[column] == bindparam("k_" + column))
                     .values({name: bindparam("v_" + name) for name in names}))
        await target.execute(statement, params)


Connect = Callable[[], AbstractAsyncContextManager[AsyncConnection]]


class GroupCommitter:
    """Commits the writes of waiting messages together; each waits until its writes are committed."""

    def __init__(self, connect: Connect) -> None:
        self._connect = connect  # a connection in a database transaction, committed on leaving
        self._waiting: asyncio.Queue[tuple[list[Write], asyncio.Future[None]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def commit(self, writes: list[Write]) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.put_nowait((writes, done))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="group-commit")
        await done

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        while not self._waiting.empty():
            _, done = self._waiting.get_nowait()
            if not done.done():
                done.set_exception(ConnectionError("the CSMS is shutting down"))

    async def _run(self) -> None:
        while True:
            batch = [await self._waiting.get()]
            while not self._waiting.empty() and len(batch) < MAX_BATCH:
                batch.append(self._waiting.get_nowait())
            await self._commit(batch)

    async def _commit(self, batch: list[tuple[list[Write], asyncio.Future[None]]]) -> None:
        try:
            async with self._connect() as connection:
                await apply(connection, [write for writes, _ in batch for write in writes])
        except Exception as exc:
            if len(batch) > 1:
                log.warning("a group commit of %d messages failed (%s): committing them one by one", len(batch), exc)
                for item in batch:
                    await self._commit([item])
                return
            _, done = batch[0]
            if not done.done():
                done.set_exception(exc)
            return
        for _, done in batch:
            if not done.done():
                done.set_result(None)
