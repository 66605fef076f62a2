"""Stations registered at run time: one at a time, many at once (load tests), and removed.

The rules (each ``*_problem`` answers None or the rule broken, phrased to follow "must
be") serve the trigger API (400 with the reason) and the ``[csms] provision`` setting
(a one-line ConfigError) alike.

Bulk provisioning hashes the password once: scrypt costs ~16 ms, 10,000 hashes would
take minutes. Every station of one bulk request shares that hash (same salt), so they
share one credential.
"""

from __future__ import annotations

import asyncio
import string
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from csmscheck import idtokens
from csmscheck.csms.credentials import hash_password
from csmscheck.csms.models import Base, MeterValue, Station, Transaction
from csmscheck.csms.store import Store
from csmscheck.wire.versions import OcppVersion

IDENTITY_MAX_LENGTH = 48  # OCPP 2.0.1 identityString; the stations.id column
MAX_BULK = 100_000
MAX_START = 2**31 - 1
_IDENTITY_CHARACTERS = frozenset(string.printable[:94]) - {"/"}  # printable ASCII, no space, no /
_CHUNK = 5_000  # ids per SELECT ... IN (...), well under any driver's parameter limit


class ProvisioningError(Exception):
    """A request the CSMS refuses: ``status`` is the HTTP status it answers with."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


# -- the rules -------------------------------------------------------------------------------


def identity_problem(station_id: str) -> str | None:
    """A station id is the last segment of its connection URL (OCPP 2.0.1 identityString)."""
    if not 1 <= len(station_id) <= IDENTITY_MAX_LENGTH:
        return f"1 to {IDENTITY_MAX_LENGTH} characters (OCPP 2.0.1 identity string), got {len(station_id)}"
    if not set(station_id) <= _IDENTITY_CHARACTERS:
        return "printable ASCII without spaces or '/' (it is the last segment of the station's URL)"
    return None


def password_problem(version: OcppVersion, profile: int, password: str | None) -> str | None:
    """What the station's basic-auth password must be: the rule of its version; required unless profile 3."""
    if password is None:
        return None if profile == 3 else "given: security profiles 1 and 2 authenticate with a password"
    if version == "2.0.1":
        return idtokens.basic_auth_password_problem(password)
    return idtokens.authorization_key_problem(password)


def pattern_problem(pattern: str) -> str | None:
    """A bulk id pattern has exactly one ``{n...}`` field (``LOAD{n:05d}``) and nothing else to fill."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]
    except ValueError as exc:
        return f"a format string with one {{n}} field such as LOAD{{n:05d}} ({exc})"
    if fields != ["n"]:
        return f"a format string with exactly one {{n}} field such as LOAD{{n:05d}}, got fields {fields}"
    try:
        pattern.format(n=0)
    except (ValueError, TypeError) as exc:
        return f"a format string whose {{n}} field takes an integer ({exc})"
    return None


@dataclass(frozen=True)
class BulkStations:
    """``count`` stations named by ``pattern`` for n = start, start + 1, ..., sharing one password."""

    pattern: str
    count: int
    password: str | None
    ocpp_version: OcppVersion = "2.0.1"
    security_profile: int = 1
    start: int = 0

    def problem(self) -> tuple[str, str] | None:
        """The first field that breaks a rule and the rule, or None."""
        if rule := pattern_problem(self.pattern):
            return "pattern", rule
        if not 1 <= self.count <= MAX_BULK:
            return "count", f"1 to {MAX_BULK}, got {self.count}"
        if not 0 <= self.start <= MAX_START:
            return "start", f"0 to {MAX_START}, got {self.start}"
        if self.security_profile not in (1, 2, 3):
            return "security_profile", f"1, 2 or 3, got {self.security_profile}"
        if rule := password_problem(self.ocpp_version, self.security_profile, self.password):
            return "password", rule
        for station_id in (self.pattern.format(n=self.start), self.pattern.format(n=self.start + self.count - 1)):
            if rule := identity_problem(station_id):
                return "pattern", f"a pattern that makes valid station ids ({station_id!r}: {rule})"
        return None

    def station_ids(self) -> Iterator[str]:
        return (self.pattern.format(n=n) for n in range(self.start, self.start + self.count))


# -- the database ----------------------------------------------------------------------------


async def add_station(store: Store, station_id: str, version: OcppVersion, profile: int,
                      password: str | None) -> Station:
    """Register one station; ProvisioningError 409 if the id is taken."""
    digest = None if password is None else await asyncio.to_thread(hash_password, password)
    station = Station(id=station_id, ocpp_version=version, security_profile=profile, password_hash=digest)
    try:
        async with store.session() as db:
            if await db.get(Station, station_id) is not None:
                raise ProvisioningError(409, f"station {station_id!r} exists")
            db.add(station)
    except IntegrityError:  # created by a concurrent request between the look-up and the insert
        raise ProvisioningError(409, f"station {station_id!r} exists") from None
    return station


async def add_stations(store: Store, bulk: BulkStations) -> tuple[int, int]:
    """Register every station of ``bulk`` that does not exist yet, in one database transaction.

    Answers (created, existing); an existing station is left as it is (its password included).
    """
    digest = None if bulk.password is None else await asyncio.to_thread(hash_password, bulk.password)
    wanted = list(dict.fromkeys(bulk.station_ids()))
    try:
        async with store.session() as db:
            existing: set[str] = set()
            for i in range(0, len(wanted), _CHUNK):
                chunk = wanted[i:i + _CHUNK]
                existing.update(await db.scalars(select(Station.id).where(Station.id.in_(chunk))))
            rows = [{"id": station_id, "ocpp_version": bulk.ocpp_version, "security_profile": bulk.security_profile,
                     "password_hash": digest, "override_boots": 0}
                    for station_id in wanted if station_id not in existing]
            if rows:
                await db.execute(insert(Station), rows)
    except IntegrityError:
        raise ProvisioningError(409, "some of the stations were created by a concurrent request: "
                                     "send the request again") from None
    return len(rows), len(existing)


async def remove_station(store: Store, station_id: str) -> None:
    """Delete the station and what the CSMS keeps about it; refused (409) once it has charged.

    Transactions and meter values are the CSMS's billing record: deleting them would lose
    what a driver was billed for, so a station with any is kept (409 with the reason).
    Everything else (status, device model, certificates, security events, set-up) goes.
    """
    try:
        await _remove(store, station_id)
    except IntegrityError:  # the connected station stored something between the deletes
        raise ProvisioningError(409, f"station {station_id!r} stored data while it was being deleted: "
                                     "send the request again") from None


async def _remove(store: Store, station_id: str) -> None:
    async with store.session() as db:
        if await db.get(Station, station_id) is None:
            raise ProvisioningError(404, f"unknown station {station_id!r}")
        transactions = await db.scalar(select(func.count()).select_from(Transaction)
                                       .where(Transaction.station_id == station_id))
        readings = await db.scalar(select(func.count()).select_from(MeterValue)
                                   .where(MeterValue.station_id == station_id))
        if transactions or readings:
            raise ProvisioningError(409, f"station {station_id!r} has {transactions} transaction(s) and "
                                         f"{readings} meter value(s): the CSMS keeps billing records, so it "
                                         "does not delete a station that has charged")
        for table, column in _station_tables():
            await db.execute(delete(table).where(table.c[column] == station_id))
        await db.execute(delete(Station).where(Station.id == station_id))


def _station_tables() -> list[tuple[Table, str]]:
    """Every table with a foreign key to stations.id (and that column), dependents first."""
    found = []
    for table in reversed(Base.metadata.sorted_tables):
        for key in table.foreign_keys:
            if key.column.table.name == Station.__tablename__ and isinstance(table, Table):
                found.append((table, key.parent.name))
    return found
