"""Smart charging requests an operator asks the CSMS to send, checked before they go out (OCPP 2.0.1).

A request that breaks a rule of OCPP 2.0.1 or does not fit what the CSMS knows of the station
is refused with the reasons (trigger API: 400) and never sent: a station should never have to
reject a frame the CSMS could have known was wrong.

- SetChargingProfile, RequestStartTransaction: the profile's own rules (:func:`profile_problems`);
  a TxProfile for a transaction the CSMS knows has ended, or runs on another EVSE, is refused
  (an unknown transaction is not: the station may have started one the CSMS has not heard of,
  and it decides); one transaction has one TxProfile: another id at another stack level is
  refused (the same id, or the same stack level, replaces it);
- what the station reported of itself (SmartChargingCtrlr): the rate unit must be one it
  supports, the stack level and the number of periods within its limits; unknown: allowed;
- GetChargingProfiles names profile ids or at least one of stackLevel, chargingLimitSource,
  chargingProfilePurpose (K09.FR.03); ClearChargingProfile an id or at least one criterion (K10.FR.02).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from csmscheck.charging_schedule import TX_PROFILE, profile_problems, schedules
from csmscheck.csms.models import Transaction
from csmscheck.csms.router import Payload, vets
from csmscheck.csms.smart_charging_state import Abilities, abilities, tx_profile_of

if TYPE_CHECKING:
    from csmscheck.csms.app import CsmsContext


@vets("2.0.1", "SetChargingProfile")
async def vet_set_profile(csms: CsmsContext, station_id: str, request: Payload) -> list[str]:
    profile = request["chargingProfile"]
    problems = profile_problems(profile, evse_id=request["evseId"])
    async with csms.store.session() as db:
        problems += _within(profile, await abilities(db, station_id))
        transaction_id = profile.get("transactionId")
        if profile["chargingProfilePurpose"] != TX_PROFILE or transaction_id is None:
            return problems
        tx = await db.scalar(select(Transaction).filter_by(station_id=station_id, transaction_id=transaction_id))
        if tx is not None and tx.stopped_at is not None:
            problems.append(f"chargingProfile.transactionId {transaction_id}: that transaction has ended")
        elif tx is not None and tx.evse_id is not None and tx.evse_id != request["evseId"]:
            problems.append(f"chargingProfile.transactionId {transaction_id} runs on EVSE {tx.evse_id}, "
                            f"not on evseId {request['evseId']}")
        other = await tx_profile_of(db, station_id, transaction_id)
        if other is not None and other.profile_id != profile["id"] and other.stack_level != profile["stackLevel"]:
            problems.append(f"transaction {transaction_id} has TxProfile {other.profile_id} (stack level "
                            f"{other.stack_level}): one TxProfile per transaction; send id {other.profile_id} "
                            f"or stack level {other.stack_level} to replace it")
    return problems


@vets("2.0.1", "RequestStartTransaction")
async def vet_remote_start(csms: CsmsContext, station_id: str, request: Payload) -> list[str]:
    profile = request.get("chargingProfile")
    if profile is None:
        return []
    problems = profile_problems(profile, in_remote_start=True)
    async with csms.store.session() as db:
        return problems + _within(profile, await abilities(db, station_id))


@vets("2.0.1", "GetChargingProfiles")
async def vet_get_profiles(csms: CsmsContext, station_id: str, request: Payload) -> list[str]:
    criteria = request["chargingProfile"]
    if criteria.get("chargingProfileId") or any(
            field in criteria for field in ("stackLevel", "chargingLimitSource", "chargingProfilePurpose")):
        return []
    return ["chargingProfile names no chargingProfileId and none of stackLevel, chargingLimitSource, "
            "chargingProfilePurpose (K09.FR.03)"]


@vets("2.0.1", "ClearChargingProfile")
async def vet_clear_profile(csms: CsmsContext, station_id: str, request: Payload) -> list[str]:
    criteria = request.get("chargingProfileCriteria") or {}
    if "chargingProfileId" in request or any(
            field in criteria for field in ("evseId", "stackLevel", "chargingProfilePurpose")):
        return []
    return ["no chargingProfileId and no chargingProfileCriteria field (evseId, stackLevel, "
            "chargingProfilePurpose): the request would name no profile (K10.FR.02)"]


@vets("2.0.1", "GetCompositeSchedule")
async def vet_composite(csms: CsmsContext, station_id: str, request: Payload) -> list[str]:
    unit = request.get("chargingRateUnit")
    async with csms.store.session() as db:
        known = await abilities(db, station_id)
    if unit is None or known.rate_units is None or unit in known.rate_units:
        return []
    return [f"chargingRateUnit {unit}: the station supports {_listed(known.rate_units)} "
            "(SmartChargingCtrlr.RateUnit)"]


def _within(profile: Payload, known: Abilities) -> list[str]:
    """What in ``profile`` exceeds what the station reported it supports."""
    problems: list[str] = []
    if known.stack_levels is not None and profile["stackLevel"] > known.stack_levels:
        problems.append(f"chargingProfile.stackLevel {profile['stackLevel']} is above the station's highest, "
                        f"{known.stack_levels} (SmartChargingCtrlr.ProfileStackLevel)")
    for index, schedule in enumerate(schedules(profile)):
        unit, periods = schedule.get("chargingRateUnit"), len(schedule.get("chargingSchedulePeriod") or [])
        if known.rate_units is not None and unit not in known.rate_units:
            problems.append(f"chargingSchedule[{index}].chargingRateUnit {unit}: the station supports "
                            f"{_listed(known.rate_units)} (SmartChargingCtrlr.RateUnit)")
        if known.periods is not None and periods > known.periods:
            problems.append(f"chargingSchedule[{index}] has {periods} periods; the station takes at most "
                            f"{known.periods} (SmartChargingCtrlr.PeriodsPerSchedule)")
    return problems


def _listed(units: frozenset[str]) -> str:
    return ", ".join(sorted(units)) or "no unit"
