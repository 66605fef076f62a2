"""The reference CSMS's persistence: an async SQLAlchemy engine over SQLite by default."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from csmscheck.csms.credentials import hash_password
from csmscheck.csms.models import Base, IdToken, Station


def now() -> datetime:
    return datetime.now(UTC)


def async_url(url: str) -> str:
    """Accept plain ``sqlite:///file.db`` (and a bare path) as well as async driver URLs."""
    if "://" not in url:
        url = f"sqlite:///{url}"
    parsed = make_url(url)
    if parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


class Store:
    """Owns the engine; hands out sessions that commit on success."""

    def __init__(self, url: str) -> None:
        self.url = async_url(url)
        self.engine: AsyncEngine = create_async_engine(self.url)
        if self.url.startswith("sqlite"):
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def create_schema(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session, session.begin():
            yield session

    async def close(self) -> None:
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


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
