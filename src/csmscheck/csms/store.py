"""The reference CSMS's persistence: an async SQLAlchemy engine over SQLite by default.

Units of work: everything the CSMS does for one station message (its handler and the
observers of other blocks) is one database transaction, committed before the answer goes
out and rolled back whole when anything in it fails. Code inside a unit opens
``store.session()`` as often as it likes and always gets the unit's session; outside a unit,
``store.session()`` is a unit of its own.

Units wait for a free connection slot instead of failing: SQLite has one writer at a
time, so its units run one after another over one connection (no "database is locked"
under any load); PostgreSQL runs ``POSTGRES_POOL_SIZE`` of them at once. SQLite statements go
to aiosqlite's thread in one trip each (:mod:`csmscheck.csms.sqlite_driver`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.schema import CreateColumn

from csmscheck.csms import group_commit, sqlite_driver
from csmscheck.csms.credentials import hash_password
from csmscheck.csms.group_commit import Write
from csmscheck.csms.models import Base, IdToken, Station
from csmscheck.errors import ConfigError

POSTGRES_POOL_SIZE = 20

Row = TypeVar("Row", bound=Base)


def now() -> datetime:
    return datetime.now(UTC)


def async_url(url: str) -> str:
    """Accept plain ``sqlite:///file.db`` (and a bare path) as well as async driver URLs."""
    if "://" not in url:
        url = f"sqlite:///{url}"
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"csms setting db: {url!r} is not a database URL") from None
    if parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


async def get_or_create(db: AsyncSession, model: type[Row], key: dict[str, Any], **values: Any) -> Row:
    """The ``model`` row with primary key ``key``, inserted with ``values`` when there is none.

    Safe when two units of work insert the same row at once (a station's status notification
    racing the recording of the request it reports on): the second finds the first's row.
    """
    row = await db.get(model, key)
    if row is None:
        insert = sqlite.insert if db.get_bind().dialect.name == "sqlite" else postgresql.insert
        await db.execute(insert(model).values(**key, **values).on_conflict_do_nothing())
        row = await db.get(model, key)
        assert row is not None
    return row


@dataclass(eq=False)
class _Unit:
    """One unit of work: the task it belongs to, its session once used, and what it defers."""

    owner: asyncio.Task[object] | None
    session: AsyncSession | None = None
    writes: list[Write] = field(default_factory=list)  # rows written at the end (see group_commit)
    committed: list[Callable[[], None]] = field(default_factory=list)  # run once the unit is committed
    done: list[Callable[[], None]] = field(default_factory=list)  # run when it ends, committed or not
    shared: dict[str, Any] = field(default_factory=dict)  # what its handler leaves for the observers


# A task started inside a unit inherits this variable; the owner check keeps it out of the unit.
_current_unit: ContextVar[_Unit | None] = ContextVar("csms_unit_of_work", default=None)


class Store:
    """Owns the engine; hands out sessions, one per unit of work."""

    def __init__(self, url: str) -> None:
        self.url = async_url(url)
        self.sqlite = self.url.startswith("sqlite")
        slots = 1 if self.sqlite else POSTGRES_POOL_SIZE
        # SQLite: statements go to aiosqlite's thread in one trip each (see sqlite_driver).
        connect_args = {"async_creator_fn": sqlite_driver.connect} if self.sqlite else {}
        try:
            self.engine: AsyncEngine = create_async_engine(self.url, pool_size=slots, max_overflow=0,
                                                           connect_args=connect_args)
        except ModuleNotFoundError as exc:
            extra = " (pip install 'csmscheck[postgres]')" if exc.name == "asyncpg" else ""
            raise ConfigError(f"csms setting db: {make_url(self.url).drivername} needs {exc.name}{extra}") from None
        except ArgumentError as exc:  # a database SQLAlchemy has no dialect for
            raise ConfigError(f"csms setting db: {exc} (use sqlite:///FILE or postgresql://...)") from None
        if self.sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_connect)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._slots = asyncio.Semaphore(slots)
        self._committer = group_commit.GroupCommitter(self._batch_connection)

    async def create_schema(self) -> None:
        try:
            async with self.engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
                await conn.run_sync(_add_missing_columns)
        except (OSError, SQLAlchemyError) as exc:
            reason = getattr(exc, "orig", None) or exc
            shown = make_url(self.url).render_as_string(hide_password=True)
            raise ConfigError(f"csms setting db: cannot open {shown}: {reason}") from None

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[None]:
        """Make everything inside one database transaction, opened at its first ``session()``,
        committed at the end, rolled back if anything inside raises."""
        unit = _Unit(asyncio.current_task())
        token = _current_unit.set(unit)
        try:
            yield
            if unit.session is not None:
                await group_commit.apply(unit.session, unit.writes)
                await unit.session.commit()
            elif unit.writes:  # no session needed: committed together with other units' writes
                await self._committer.commit(unit.writes)
            for callback in unit.committed:
                callback()
        finally:
            _current_unit.reset(token)
            try:
                if unit.session is not None:
                    try:
                        await unit.session.close()  # rolls back whatever was not committed
                    finally:  # even when the close fails or is cancelled: a lost slot would stop every station
                        self._slots.release()
            finally:
                for callback in unit.done:
                    callback()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """The current unit of work's session (a unit of its own outside one)."""
        unit = _current_unit.get()
        if unit is None or unit.owner is not asyncio.current_task():
            async with self.unit_of_work(), self.session() as db:
                yield db
            return
        if unit.session is None:
            await self._slots.acquire()
            unit.session = self._sessions()
        yield unit.session

    def defer(self, *writes: Write) -> None:
        """Write these rows when the current unit of work commits (with other units' writes when
        the unit opened no session). Outside a unit there is nothing to defer to."""
        self._own_unit().writes.extend(writes)

    def when_committed(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the current unit of work has committed (never if it fails)."""
        self._own_unit().committed.append(callback)

    def when_done(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` when the current unit of work ends, committed or not."""
        self._own_unit().done.append(callback)

    def shared(self) -> dict[str, Any]:
        """A dict the current unit of work's handler and observers share (no session needed)."""
        return self._own_unit().shared

    @staticmethod
    def _own_unit() -> _Unit:
        unit = _current_unit.get()
        if unit is None or unit.owner is not asyncio.current_task():
            raise RuntimeError("not inside a unit of work (Store.unit_of_work)")
        return unit

    @asynccontextmanager
    async def _batch_connection(self) -> AsyncIterator[AsyncConnection]:
        """A connection slot in a database transaction, committed on leaving (for the group committer)."""
        async with self._slots, self.engine.begin() as connection:
            yield connection

    async def close(self) -> None:
        await self._committer.close()
        await self.engine.dispose()

    async def seed_station(self, station_id: str, version: str, profile: int, password: str) -> None:
        """Create the station if it is new; an existing one keeps its (maybe changed) password."""
        async with self.session() as db:
            if await db.get(Station, station_id) is None:
                db.add(
                    Station(
                        id=station_id,
                        ocpp_version=version,
                        security_profile=profile,
                        password_hash=hash_password(password),
                    )
                )

    async def seed_token(self, token: str, type_: str, status: str, group_id: str | None = None,
                         expiry: datetime | None = None) -> None:
        async with self.session() as db:
            if await db.get(IdToken, token) is None:
                db.add(IdToken(id_token=token, type=type_, status=status, group_id=group_id, expiry=expiry))


def _sqlite_connect(dbapi_connection: object, _record: object) -> None:
    # The driver's own transaction handling would start transactions late and break
    # SAVEPOINTs; SQLAlchemy's "begin" event below starts them instead.
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def _add_missing_columns(connection: Connection) -> None:
    """Bring a database written by an earlier version up to date: columns and indexes added
    since are created (new columns are all nullable), so its data stays where it is."""
    inspector = inspect(connection)
    for table in Base.metadata.sorted_tables:
        existing = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in existing:
                ddl = CreateColumn(column).compile(dialect=connection.dialect)
                connection.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {ddl}")
        for index in table.indexes:
            index.create(connection, checkfirst=True)
