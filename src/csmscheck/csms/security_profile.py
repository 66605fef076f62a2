"""Moving a station to a higher security profile, in either OCPP version.

OCPP 1.6 security extension: the operator has the CSMS send ChangeConfiguration
SecurityProfile=<n>. OCPP 2.0.1 (A05): the CSMS sends SetNetworkProfile with a profile of
security profile ``n`` into a slot, then SetVariables OCPPCommCtrlr.NetworkConfigurationPriority
that puts the slot first (see :mod:`csmscheck.csms.handlers.v201.security`). When the
station accepts, the CSMS admits it on profile ``n`` as well as on its current one, because the
station reconnects with the new profile and falls back to the old one if that fails.
The first connection on the new profile makes the move final: from then on the lower
profile is refused. A station can never be moved down.

The WebSocket listener reads the station's :func:`admission` at the handshake, asks
:func:`admitted_profiles` and calls :func:`connected_with` once a station is admitted.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csmscheck.csms.models import Station
from csmscheck.csms.security_models import SecurityProfileChange
from csmscheck.csms.store import Store, now

PROFILES = (1, 2, 3)


async def request_change(store: Store, station_id: str, value: str | int) -> bool:
    """The station accepted to move to security profile ``value``; True if that is a pending upgrade now."""
    try:
        profile = int(value)
    except ValueError:
        return False
    async with store.session() as db:
        station = await db.get(Station, station_id)
        if station is None or profile not in PROFILES or profile <= station.security_profile:
            return False
        change = await db.get(SecurityProfileChange, station_id)
        if change is None:
            change = SecurityProfileChange(station_id=station_id)
            db.add(change)
        change.profile, change.requested_at = profile, now()
    return True


@dataclass(frozen=True)
class Admission:
    """What a handshake needs to know of a station."""

    id: str
    ocpp_version: str
    security_profile: int
    password_hash: str | None
    last_boot_status: str | None
    moving_to: int | None  # the higher profile it is moving to, if it is


async def admission(db: AsyncSession, station_id: str) -> Admission | None:
    """The station as a handshake sees it, in one query; None for a station the CSMS does not know."""
    row = (await db.execute(
        select(Station.id, Station.ocpp_version, Station.security_profile, Station.password_hash,
               Station.last_boot_status, SecurityProfileChange.profile)
        .outerjoin(SecurityProfileChange, SecurityProfileChange.station_id == Station.id)
        .where(Station.id == station_id))).first()
    return None if row is None else Admission(*row)


def admitted_profiles(station: Admission) -> set[int]:
    """The profiles the station may connect with: its own, and one it is moving to."""
    return {station.security_profile} | ({station.moving_to} if station.moving_to is not None else set())


async def connected_with(db: AsyncSession, station_id: str, profile: int) -> None:
    """The station connected with ``profile``: a pending move to it becomes its profile."""
    change = await db.get(SecurityProfileChange, station_id)
    if change is None or change.profile != profile:
        return
    station = await db.get(Station, station_id)
    if station is not None:
        station.security_profile = profile
    await db.delete(change)


async def current_profile(db: AsyncSession, station_id: str) -> int | None:
    """The security profile the CSMS admits the station with (a pending move aside); None: unknown station."""
    station = await db.get(Station, station_id)
    return None if station is None else station.security_profile
