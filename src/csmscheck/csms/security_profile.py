"""Moving a station to a higher security profile (OCPP 1.6 security extension, configuration key SecurityProfile).

The operator has the CSMS send ChangeConfiguration SecurityProfile=<n>. When the station
accepts, the CSMS admits it on profile ``n`` as well as on its current one, because the
station reconnects with the new profile and falls back to the old one if that fails.
The first connection on the new profile makes the move final: from then on the lower
profile is refused. A station can never be moved down.

The WebSocket listener asks :func:`admitted_profiles` at the handshake and calls
:func:`connected_with` once a station is admitted.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from csmscheck.csms.models import Station
from csmscheck.csms.security_models import SecurityProfileChange
from csmscheck.csms.store import Store, now

PROFILES = (1, 2, 3)


async def request_change(store: Store, station_id: str, value: str) -> bool:
    """The station accepted SecurityProfile=``value``; True if that is a pending upgrade now."""
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


async def admitted_profiles(db: AsyncSession, station: Station) -> set[int]:
    """The profiles the station may connect with: its own, and one it is moving to."""
    change = await db.get(SecurityProfileChange, station.id)
    return {station.security_profile} | ({change.profile} if change is not None else set())


async def connected_with(db: AsyncSession, station_id: str, profile: int) -> None:
    """The station connected with ``profile``: a pending move to it becomes its profile."""
    change = await db.get(SecurityProfileChange, station_id)
    if change is None or change.profile != profile:
        return
    station = await db.get(Station, station_id)
    if station is not None:
        station.security_profile = profile
    await db.delete(change)
