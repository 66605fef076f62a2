"""What the reference CSMS knows about a 2.0.1 station's smart charging, read and written over its database.

Shared by the smart charging, external limit and load levelling handlers: the profiles the
station holds (and how a new one replaces old ones), the station's smart charging abilities
from its device model, its external limits as profiles, and its running transactions.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from csmscheck.charging_schedule import EXTERNAL, TX_PROFILE
from csmscheck.csms.authorization import as_utc
from csmscheck.csms.models import Transaction, Variable
from csmscheck.csms.smart_charging_models import (
    CSMS_SOURCE,
    CompositeCheck,
    ExternalLimit,
    LoadLevelling,
    StationProfile,
)
from csmscheck.csms.store import Store, now
from csmscheck.timestamps import rfc3339

Payload = dict[str, Any]
CTRLR = "SmartChargingCtrlr"


@dataclass(frozen=True)
class Abilities:
    """What the station reported of its smart charging (SmartChargingCtrlr); None: not known."""

    rate_units: frozenset[str] | None = None
    stack_levels: int | None = None  # the highest stack level it takes (ProfileStackLevel)
    periods: int | None = None  # periods per schedule (PeriodsPerSchedule)


async def abilities(db: AsyncSession, station_id: str) -> Abilities:
    rows = (await db.scalars(select(Variable).filter_by(
        station_id=station_id, component=CTRLR, variable_instance="", attribute_type="Actual"))).all()
    values = {row.variable: row.value for row in rows if row.value not in (None, "")}
    units = values.get("RateUnit")
    return Abilities(frozenset(u.strip() for u in units.split(",") if u.strip()) if units else None,
                     _integer(values.get("ProfileStackLevel")), _integer(values.get("PeriodsPerSchedule")))


def _integer(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


# -- the profiles a station holds ---------------------------------------------------------------


async def held(db: AsyncSession, station_id: str, evse_ids: Collection[int] | None = None) -> Sequence[StationProfile]:
    """The profiles the station holds (on ``evse_ids`` only, if given); TxProfiles waiting for their
    remote-started transaction are not held yet."""
    query = select(StationProfile).where(StationProfile.station_id == station_id,
                                         or_(StationProfile.purpose != TX_PROFILE,
                                             StationProfile.transaction_id.is_not(None)))
    if evse_ids is not None:
        query = query.where(StationProfile.evse_id.in_(evse_ids))
    return (await db.scalars(query.order_by(StationProfile.evse_id, StationProfile.profile_id))).all()


async def install(db: AsyncSession, station_id: str, evse_id: int, profile: Payload, learnt_from: str, *,
                  source: str = CSMS_SOURCE, remote_start_id: int | None = None) -> StationProfile:
    """Record ``profile`` on ``evse_id``; it replaces the profile with its id, and the one of the same
    stack level and purpose on the same EVSE (for a TxProfile: of the same transaction) (K01.FR.05/06)."""
    transaction_id = profile.get("transactionId")
    same_slot = ((StationProfile.evse_id == evse_id) & (StationProfile.stack_level == profile["stackLevel"])
                 & (StationProfile.purpose == profile["chargingProfilePurpose"]))
    if profile["chargingProfilePurpose"] == TX_PROFILE:
        same_slot &= (StationProfile.transaction_id == transaction_id if transaction_id is not None
                      else StationProfile.transaction_id.is_(None))
    await db.execute(delete(StationProfile).where(
        StationProfile.station_id == station_id, or_(StationProfile.profile_id == profile["id"], same_slot)))
    row = StationProfile(station_id=station_id, evse_id=evse_id, profile_id=profile["id"],
                         stack_level=profile["stackLevel"], purpose=profile["chargingProfilePurpose"],
                         kind=profile["chargingProfileKind"], transaction_id=transaction_id,
                         remote_start_id=remote_start_id, source=source, learnt_from=learnt_from,
                         profile=profile, installed_at=now())
    db.add(row)
    await db.flush()
    return row


def as_pairs(rows: Sequence[StationProfile]) -> list[tuple[int, Payload]]:
    return [(row.evse_id, row.profile) for row in rows]


async def tx_profile_of(db: AsyncSession, station_id: str, transaction_id: str) -> StationProfile | None:
    return await db.scalar(select(StationProfile).filter_by(station_id=station_id, purpose=TX_PROFILE,
                                                            transaction_id=transaction_id)
                           .order_by(StationProfile.pk.desc()).limit(1))


# -- external limits ----------------------------------------------------------------------------


async def external_profiles(db: AsyncSession, station_id: str) -> list[tuple[int, Payload]]:
    """The station's external limits (NotifyChargingLimit) as ChargingStationExternalConstraints profiles.

    A schedule without startSchedule counts from when the limit was notified.
    """
    pairs: list[tuple[int, Payload]] = []
    limits = (await db.scalars(select(ExternalLimit).filter_by(station_id=station_id))).all()
    for limit in limits:
        for schedule in limit.schedules or []:
            start = schedule.get("startSchedule") or rfc3339(as_utc(limit.notified_at))
            pairs.append((limit.evse_id, {
                "id": 0, "stackLevel": 0, "chargingProfilePurpose": EXTERNAL, "chargingProfileKind": "Absolute",
                "chargingSchedule": [schedule | {"startSchedule": start}]}))
    return pairs


async def limiting_profiles(db: AsyncSession, station_id: str) -> list[tuple[int, Payload]]:
    """Everything that may limit the station's charging: the profiles it holds and its external limits."""
    return as_pairs(await held(db, station_id)) + await external_profiles(db, station_id)


# -- transactions ---------------------------------------------------------------------------------


async def ongoing_transaction(db: AsyncSession, station_id: str, evse_id: int) -> Transaction | None:
    """The transaction running on the EVSE (the latest started, should the record hold more)."""
    return await db.scalar(select(Transaction).filter_by(station_id=station_id, evse_id=evse_id, stopped_at=None)
                           .order_by(Transaction.started_at.desc()).limit(1))


def started(tx: Transaction | None) -> datetime | None:
    return as_utc(tx.started_at) if tx is not None else None


# -- read-out -------------------------------------------------------------------------------------


async def smart_charging_view(store: Store, station_id: str) -> dict[str, list[Payload]]:
    """The station's profiles, external limits, composite checks and load levelling (its 20 latest
    transactions), as the station detail shows them."""
    async with store.session() as db:
        profiles = (await db.scalars(select(StationProfile).filter_by(station_id=station_id)
                                     .order_by(StationProfile.evse_id, StationProfile.profile_id))).all()
        limits = (await db.scalars(select(ExternalLimit).filter_by(station_id=station_id)
                                   .order_by(ExternalLimit.evse_id, ExternalLimit.source))).all()
        checks = (await db.scalars(select(CompositeCheck).filter_by(station_id=station_id)
                                   .order_by(CompositeCheck.evse_id))).all()
        levelling = (await db.scalars(select(LoadLevelling).filter_by(station_id=station_id)
                                      .order_by(LoadLevelling.updated_at.desc()).limit(20))).all()
    return {
        "chargingProfiles": [{"evseId": p.evse_id, "source": p.source, "learntFrom": p.learnt_from,
                              "waitingForRemoteStartId": p.remote_start_id if p.transaction_id is None
                              and p.remote_start_id is not None else None,
                              "installedAt": rfc3339(as_utc(p.installed_at)), "chargingProfile": p.profile}
                             for p in profiles],
        "externalLimits": [{"evseId": x.evse_id, "chargingLimitSource": x.source, "isGridCritical": x.grid_critical,
                            "chargingSchedule": x.schedules, "notifiedAt": rfc3339(as_utc(x.notified_at))}
                           for x in limits],
        "compositeChecks": [{"evseId": c.evse_id, "checkedAt": rfc3339(as_utc(c.checked_at)),
                             "reported": c.reported, "expected": c.expected, "discrepancies": c.discrepancies}
                            for c in checks],
        "loadLevelling": [{"transactionId": x.transaction_id, "evseId": x.evse_id, "needsStatus": x.needs_status,
                           "granted": x.granted, "grantedUnit": x.granted_unit, "profileId": x.profile_id,
                           "profileStatus": x.profile_status, "scheduleStatus": x.schedule_status,
                           "renegotiations": x.renegotiations, "updatedAt": rfc3339(as_utc(x.updated_at))}
                          for x in levelling],
    }
