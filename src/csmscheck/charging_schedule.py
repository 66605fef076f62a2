"""OCPP 2.0.1 charging profiles as numbers: rule checks, the limit in force, composite schedules.

Pure functions over camelCase profile dicts (as on the wire), shared by the virtual station
(what it holds and reports) and the reference CSMS (what it vets before sending, and what
it believes the station holds). No I/O, nothing from the station, CSMS or suite.

How a composite schedule is formed here (OCPP 2.0.1 part 2, smart charging, use case K08):

- A profile is in force at an instant when the instant lies inside its validity
  (validFrom ≤ t < validTo) and inside its schedule: from the schedule's start (Absolute:
  startSchedule; Recurring: the latest daily or weekly repetition of startSchedule; Relative,
  or an Absolute one without startSchedule: the transaction's start) for ``duration`` seconds,
  or without end when no duration is given (a Recurring one ends with its day or week). The
  limit is that of the last period that has begun. Only a profile's first chargingSchedule
  counts (the others are ISO 15118 alternatives the EV may choose from).
- For an EVSE, the transaction's TxProfile (that EVSE, that transactionId) decides where one
  is in force; elsewhere the TxDefaultProfiles do. Within one purpose the highest stack level
  in force wins, and for TxDefaultProfiles one for the EVSE itself beats one for the whole
  station (evseId 0) of the same stack level. A lower stack level fills in where the higher
  one's schedule has ended.
- That limit is capped by the station's ChargingStationMaxProfile (evseId 0, the highest
  stack level in force) and by every ChargingStationExternalConstraints profile in force for
  the EVSE or the whole station: the lowest of them all applies.
- For evseId 0 (the grid connection) only the station-wide caps count: the
  ChargingStationMaxProfile and the external constraints of evseId 0.
- Limits are compared and reported in the requested unit: amperes per phase and watts convert
  at 230 V per phase, with the period's numberPhases (3 when not given).
- Where nothing is in force the composite carries ``default_limit`` (the station's own
  maximum; 32 A on 3 phases unless the caller knows better). Periods with equal limit and
  phases are merged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from csmscheck.timestamps import parse_time, rfc3339

Profile = dict[str, Any]

VOLTS = 230.0  # nominal voltage per phase for converting amperes and watts
DEFAULT_PHASES = 3
DEFAULT_AMPS = 32.0  # what a station delivers where no profile limits it, per phase, unless told otherwise
RECURRENCE_SECONDS = {"Daily": 86_400, "Weekly": 7 * 86_400}

TX_PROFILE = "TxProfile"
TX_DEFAULT = "TxDefaultProfile"
STATION_MAX = "ChargingStationMaxProfile"
EXTERNAL = "ChargingStationExternalConstraints"


# -- rules a profile must keep -------------------------------------------------------------


def profile_problems(profile: Profile, *, evse_id: int | None = None, in_remote_start: bool = False) -> list[str]:
    """Every rule of OCPP 2.0.1 the chargingProfile breaks, one sentence each naming the field.

    ``evse_id`` is the SetChargingProfile's evseId (None: not known, EVSE rules unchecked);
    ``in_remote_start``: the profile rides in a RequestStartTransaction. The JSON schema is
    assumed checked; fields it requires but that are missing are skipped quietly.
    """
    problems: list[str] = []
    purpose, kind = profile.get("chargingProfilePurpose"), profile.get("chargingProfileKind")
    if purpose == EXTERNAL:
        problems.append("chargingProfilePurpose ChargingStationExternalConstraints is set by an external system, "
                        "never by the CSMS")
    if in_remote_start:
        if purpose is not None and purpose != TX_PROFILE:
            problems.append(f"chargingProfilePurpose is {purpose}: a profile in RequestStartTransaction must be a "
                            "TxProfile (F01.FR.09)")
        if "transactionId" in profile:
            problems.append("chargingProfile.transactionId must be omitted in RequestStartTransaction: the "
                            "transaction does not exist yet (F01.FR.11)")
    else:
        if purpose == TX_PROFILE and "transactionId" not in profile:
            problems.append("chargingProfile.transactionId is missing: a TxProfile names its transaction (K01.FR.03)")
        if evse_id is not None and purpose == TX_PROFILE and evse_id == 0:
            problems.append("evseId is 0: a TxProfile belongs on the EVSE of its transaction")
    if purpose not in (TX_PROFILE, None) and "transactionId" in profile:
        problems.append(f"chargingProfile.transactionId is set on a {purpose}: only a TxProfile names a transaction")
    if purpose == STATION_MAX:
        if evse_id is not None and evse_id != 0:
            problems.append(f"evseId is {evse_id}: a ChargingStationMaxProfile applies to the whole station, "
                            "evseId 0")
        if kind == "Relative":
            problems.append("chargingProfileKind is Relative: not allowed for a ChargingStationMaxProfile "
                            "(K01.FR.38)")
    recurrency = profile.get("recurrencyKind")
    if kind == "Recurring" and recurrency is None:
        problems.append("chargingProfile.recurrencyKind is missing: a Recurring profile says Daily or Weekly")
    if kind != "Recurring" and recurrency is not None:
        problems.append(f"chargingProfile.recurrencyKind is {recurrency} on a {kind} profile: only for Recurring")
    problems += _validity_problems(profile)
    for index, schedule in enumerate(schedules(profile)):
        problems += _schedule_problems(schedule, kind, f"chargingSchedule[{index}]")
    return problems


def _validity_problems(profile: Profile) -> list[str]:
    try:
        valid_from, valid_to = _time(profile.get("validFrom")), _time(profile.get("validTo"))
    except ValueError as error:
        return [f"chargingProfile validity is not a time: {error}"]
    if valid_from is not None and valid_to is not None and valid_from >= valid_to:
        return [f"chargingProfile.validFrom {profile['validFrom']} is not before validTo {profile['validTo']}"]
    return []


def _schedule_problems(schedule: Profile, kind: str | None, where: str) -> list[str]:
    problems: list[str] = []
    has_start = "startSchedule" in schedule
    if kind == "Relative" and has_start:
        problems.append(f"{where}.startSchedule is set on a Relative profile: it counts from the transaction's start")
    if kind in ("Absolute", "Recurring") and not has_start:
        problems.append(f"{where}.startSchedule is missing: an {kind} profile needs it")
    duration = schedule.get("duration")
    if duration is not None and duration <= 0:
        problems.append(f"{where}.duration is {duration}: a schedule that is given a duration lasts > 0 seconds")
    periods = schedule.get("chargingSchedulePeriod") or []
    if periods and periods[0].get("startPeriod") != 0:
        problems.append(f"{where}.chargingSchedulePeriod[0].startPeriod is {periods[0].get('startPeriod')}: "
                        "the first period starts at 0 (K01.FR.31)")
    for index, (before, period) in enumerate(pairwise(periods), start=1):
        if period.get("startPeriod", 0) <= before.get("startPeriod", 0):
            problems.append(f"{where}.chargingSchedulePeriod[{index}].startPeriod {period.get('startPeriod')} "
                            f"does not come after the previous one ({before.get('startPeriod')})")
    for index, period in enumerate(periods):
        field = f"{where}.chargingSchedulePeriod[{index}]"
        limit, phases, phase_to_use = period.get("limit"), period.get("numberPhases"), period.get("phaseToUse")
        if limit is not None and limit < 0:
            problems.append(f"{field}.limit is {limit}: a limit is never negative")
        if phases is not None and not 1 <= phases <= 3:
            problems.append(f"{field}.numberPhases is {phases}: 1, 2 or 3")
        if phase_to_use is not None and phases != 1:
            problems.append(f"{field}.phaseToUse is set but numberPhases is {phases}: only with a single phase")
        if phase_to_use is not None and not 1 <= phase_to_use <= 3:
            problems.append(f"{field}.phaseToUse is {phase_to_use}: 1, 2 or 3")
    return problems


# -- the limit one profile sets --------------------------------------------------------------


def schedules(profile: Profile) -> list[Profile]:
    """The profile's chargingSchedules (2.0.1 carries a list; a single dict is taken as one)."""
    value = profile.get("chargingSchedule")
    if value is None:
        return []
    return [value] if isinstance(value, dict) else list(value)


def limit_at(profile: Profile, when: datetime, *,
             transaction_start: datetime | None = None) -> tuple[float, int | None] | None:
    """(limit, numberPhases) the profile sets at ``when``, in its own unit; None where it does not apply.

    Relative profiles (and Absolute ones without startSchedule) count from ``transaction_start``
    and set nothing without one.
    """
    window = _window(profile, when, transaction_start)
    if window is None:
        return None
    schedule, offset = window
    current: Profile | None = None
    for period in schedule.get("chargingSchedulePeriod") or []:
        if period["startPeriod"] > offset:
            break
        current = period
    if current is None:
        return None
    return float(current["limit"]), current.get("numberPhases")


def _window(profile: Profile, when: datetime,
            transaction_start: datetime | None) -> tuple[Profile, float] | None:
    """The schedule in force at ``when`` and the seconds since it began, or None."""
    valid_from, valid_to = _time(profile.get("validFrom")), _time(profile.get("validTo"))
    if (valid_from is not None and when < valid_from) or (valid_to is not None and when >= valid_to):
        return None
    found = schedules(profile)
    if not found:
        return None
    schedule = found[0]
    start = schedule_start(profile, when, transaction_start)
    if start is None:
        return None
    offset = (when - start).total_seconds()
    duration = schedule.get("duration")
    if offset < 0 or (duration is not None and offset >= duration):
        return None
    return schedule, offset


def schedule_start(profile: Profile, when: datetime, transaction_start: datetime | None = None) -> datetime | None:
    """When the profile's (first) schedule began, as seen at ``when``: for a Recurring profile the latest
    repetition of startSchedule at or before ``when`` (repetitions run both ways; validity bounds them)."""
    found = schedules(profile)
    start = _time(found[0].get("startSchedule")) if found else None
    kind = profile.get("chargingProfileKind")
    if kind == "Relative" or start is None:
        return transaction_start
    if kind == "Recurring":
        period = RECURRENCE_SECONDS.get(profile.get("recurrencyKind") or "Daily", 86_400)
        cycles = math.floor((when - start).total_seconds() / period)
        return start + timedelta(seconds=cycles * period)
    return start


def convert(limit: float, from_unit: str, to_unit: str, phases: int | None) -> float:
    """``limit`` in ``to_unit`` ("A" per phase or "W"), at 230 V per phase on ``phases`` (3 when unknown)."""
    if from_unit == to_unit:
        return limit
    factor = VOLTS * (phases or DEFAULT_PHASES)
    if from_unit == "A" and to_unit == "W":
        return limit * factor
    if from_unit == "W" and to_unit == "A":
        return limit / factor
    raise ValueError(f"cannot convert {from_unit!r} to {to_unit!r}: units are 'A' and 'W'")


def unit_of(profile: Profile) -> str:
    found = schedules(profile)
    return str(found[0].get("chargingRateUnit", "A")) if found else "A"


# -- composite schedules ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """From ``offset`` seconds on, ``limit`` (None: nothing in force) on ``phases`` phases."""

    offset: int
    limit: float | None
    phases: int | None


def composite_schedule(profiles: Iterable[tuple[int, Profile]], evse_id: int, start: datetime, duration: int,
                       unit: str, *, transaction_id: str | None = None, transaction_start: datetime | None = None,
                       default_limit: float | None = None) -> Profile:
    """The CompositeSchedule (as in GetCompositeScheduleResponse.schedule) of ``evse_id`` over
    ``duration`` seconds from ``start``, in ``unit``; ``profiles`` are the (evseId, chargingProfile)
    pairs the station holds. Rules: see the module docstring."""
    if default_limit is None:
        default_limit = convert(DEFAULT_AMPS, "A", unit, DEFAULT_PHASES)
    periods: list[Profile] = []
    for step in composite_steps(profiles, evse_id, start, duration, unit, transaction_id=transaction_id,
                                transaction_start=transaction_start):
        limit = default_limit if step.limit is None else step.limit
        period: Profile = {"startPeriod": step.offset, "limit": round(limit, 1)}
        if step.phases is not None and step.limit is not None:
            period["numberPhases"] = step.phases
        if periods and {k: v for k, v in periods[-1].items() if k != "startPeriod"} == \
                {k: v for k, v in period.items() if k != "startPeriod"}:
            continue
        periods.append(period)
    return {"evseId": evse_id, "duration": duration, "scheduleStart": rfc3339(start),
            "chargingRateUnit": unit, "chargingSchedulePeriod": periods}


def composite_steps(profiles: Iterable[tuple[int, Profile]], evse_id: int, start: datetime, duration: int,
                    unit: str, *, transaction_id: str | None = None,
                    transaction_start: datetime | None = None) -> list[Step]:
    """The composite limit over the window as steps, one where it may change, merged where equal;
    ``limit`` None marks time where no profile is in force (the station's own maximum applies).

    Relative profiles count from ``transaction_start``, or from ``start`` when no transaction runs
    (they would begin with the next one).
    """
    held = [(evse, profile) for evse, profile in profiles if _concerns(evse, profile, evse_id, transaction_id)]
    base = transaction_start or start
    offsets = sorted({0} | {o for _, profile in held for o in _changes(profile, start, duration, base)})
    steps: list[Step] = []
    for offset in offsets:
        limit, phases = _limit(held, evse_id, start + timedelta(seconds=offset), unit, base)
        if steps and steps[-1].limit == limit and steps[-1].phases == phases:
            continue
        steps.append(Step(offset, limit, phases))
    return steps


def _concerns(evse: int, profile: Profile, evse_id: int, transaction_id: str | None) -> bool:
    purpose = profile.get("chargingProfilePurpose")
    if evse_id == 0:
        return evse == 0 and purpose in (STATION_MAX, EXTERNAL)
    if purpose == TX_PROFILE:
        return evse == evse_id and transaction_id is not None and profile.get("transactionId") == transaction_id
    if purpose == STATION_MAX:
        return evse == 0
    return evse in (0, evse_id)


def _limit(held: list[tuple[int, Profile]], evse_id: int, when: datetime, unit: str,
           base: datetime) -> tuple[float | None, int | None]:
    """The lowest of the deciding limit and the caps at ``when``, in ``unit``, with its phases."""
    in_force: dict[str, list[tuple[int, int, float, int | None]]] = {}
    for evse, profile in held:
        found = limit_at(profile, when, transaction_start=base)
        if found is not None:
            limit, phases = found
            converted = convert(limit, unit_of(profile), unit, phases)
            in_force.setdefault(profile["chargingProfilePurpose"], []).append(
                (profile.get("stackLevel", 0), evse, converted, phases))
    candidates: list[tuple[float, int | None]] = []
    deciding = in_force.get(TX_PROFILE) or in_force.get(TX_DEFAULT)
    if deciding:
        # highest stack level; on a tie the EVSE's own profile (evse > 0) before the station-wide one
        _, _, limit, phases = max(deciding, key=lambda item: (item[0], item[1] != 0))
        candidates.append((limit, phases))
    if in_force.get(STATION_MAX):
        _, _, limit, phases = max(in_force[STATION_MAX], key=lambda item: item[0])
        candidates.append((limit, phases))
    candidates += [(limit, phases) for _, _, limit, phases in in_force.get(EXTERNAL, [])]
    if not candidates:
        return None, None
    return min(candidates, key=lambda item: item[0])


def _changes(profile: Profile, start: datetime, duration: int, base: datetime) -> Iterator[int]:
    """Whole-second offsets in [0, duration) where ``profile``'s limit may change."""
    end = start + timedelta(seconds=duration)
    moments: list[datetime] = [t for t in (_time(profile.get("validFrom")), _time(profile.get("validTo")))
                               if t is not None]
    found = schedules(profile)
    if found:
        schedule = found[0]
        first = schedule_start(profile, start, base)
        if first is not None:
            period_seconds = RECURRENCE_SECONDS.get(profile.get("recurrencyKind") or "Daily", 86_400)
            repeats = math.ceil(duration / period_seconds) + 1 if profile.get("chargingProfileKind") == "Recurring" \
                else 1
            for cycle in range(repeats):
                begun = first + timedelta(seconds=cycle * period_seconds) if repeats > 1 else first
                moments.append(begun)
                moments += [begun + timedelta(seconds=p["startPeriod"])
                            for p in schedule.get("chargingSchedulePeriod") or []]
                if schedule.get("duration") is not None:
                    moments.append(begun + timedelta(seconds=schedule["duration"]))
    for moment in moments:
        if start <= moment < end:
            offset = math.ceil((moment - start).total_seconds())
            if offset < duration:
                yield offset


def _time(value: str | None) -> datetime | None:
    return None if value is None else parse_time(value)
