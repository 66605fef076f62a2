"""aiosqlite with one trip to its thread per statement.

SQLAlchemy's aiosqlite adapter makes four trips to aiosqlite's thread for each statement
(open a cursor, execute, fetch, close), and each trip hands the GIL between two threads
and wakes the event loop: measured here, those hand-offs were half of the CSMS's CPU per
TransactionEvent. The connection below keeps aiosqlite (its thread runs every SQLite
call, so the event loop never blocks on the database) but gives SQLAlchemy cursors that
run a statement, read its rows and close in one call on that thread; the rows wait in
the cursor for SQLAlchemy to fetch.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from threading import Thread
from typing import Any, cast

import aiosqlite

Row = tuple[Any, ...]
_Outcome = tuple[Any, int, int | None, list[Row]]  # description, rowcount, lastrowid, rows


class OneTripCursor:
    """The part of aiosqlite's cursor SQLAlchemy uses; each statement is one trip to the thread."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Row] = []

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> OneTripCursor:
        outcome = await self._connection.run(_execute, sql, parameters)
        self.description, self.rowcount, self.lastrowid, self._rows = outcome
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any] | dict[str, Any]]) -> OneTripCursor:
        outcome = await self._connection.run(_executemany, sql, list(parameters))
        self.description, self.rowcount, self.lastrowid, self._rows = outcome
        return self

    async def fetchall(self) -> list[Row]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Row | None:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Row]:
        count = self.arraysize if size is None else size
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def close(self) -> None:
        self._rows = []


class _OpenCursor:
    """What ``connection.cursor()`` gives: awaitable, or an async context manager."""

    def __init__(self, connection: OneTripConnection) -> None:
        self._cursor = OneTripCursor(connection)

    def __await__(self) -> Any:
        return self._cursor.__aenter__().__await__()

    async def __aenter__(self) -> OneTripCursor:
        return self._cursor

    async def __aexit__(self, *_exc: object) -> None:
        await self._cursor.close()


class OneTripConnection(aiosqlite.Connection):
    def cursor(self) -> _OpenCursor:  # type: ignore[override]
        return _OpenCursor(self)

    async def run(self, function: Callable[..., _Outcome], *args: Any) -> _Outcome:
        """``function(sqlite3_connection, *args)`` on the connection's thread."""
        outcome = await self._execute(function, self._conn, *args)  # type: ignore[no-untyped-call]
        return cast(_Outcome, outcome)


def _outcome(cursor: sqlite3.Cursor) -> _Outcome:
    description = cursor.description
    rows = cursor.fetchall() if description else []
    outcome = (description, cursor.rowcount, cursor.lastrowid, rows)
    cursor.close()
    return outcome


def _execute(connection: sqlite3.Connection, sql: str, parameters: Sequence[Any] | dict[str, Any]) -> _Outcome:
    return _outcome(connection.execute(sql, parameters))


def _executemany(connection: sqlite3.Connection, sql: str,
                 parameters: list[Sequence[Any] | dict[str, Any]]) -> _Outcome:
    return _outcome(connection.executemany(sql, parameters))


def connect(database: str, **kwargs: Any) -> OneTripConnection:
    """For SQLAlchemy's ``connect_args={"async_creator_fn": connect}``."""
    kwargs.pop("iter_chunk_size", None)
    connection = OneTripConnection(lambda: sqlite3.connect(database, **kwargs), iter_chunk_size=64)
    # As SQLAlchemy does for aiosqlite's own connections (before aiosqlite 0.22 the connection is the thread).
    thread = cast(Thread, getattr(connection, "_thread", connection))
    thread.daemon = True
    return connection
