"""Steps and validations the OCPP 2.0.1 smart charging cases (block K) share.

The OCTT names fields of a charging profile as ``chargingProfile.chargingSchedule.
chargingSchedulePeriod.limit`` although schedules and periods are lists on the wire:
:func:`validate` reads such a path through the first element of each list ("the" schedule,
"the" period) and checks the validations of a step in the definition's order.

A case that leaves profiles installed on the station has them cleared through the CSMS
afterwards (fixture ``profiles_cleared``), so neither the station nor what the CSMS stored
of it changes a later case.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest_asyncio

from csmscheck.charging_schedule import profile_problems
from csmscheck.checks import smart_charging as checks
from csmscheck.checks.operations import ANSWER_REPORTED
from csmscheck.errors import ConnectionLost, StepFailed
from csmscheck.expect import ABSENT, Matcher, absent_or, mismatches, one_of, step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.charging_profiles import CSMS_SOURCE
from csmscheck.suite.operator import Csms
from csmscheck.suite.v201.operations_steps import check_reported, fresh_id, shown
from csmscheck.timestamps import parse_time, rfc3339
from csmscheck.wire import CallError

Payload = dict[str, Any]
ACCEPTED: Payload = {"status": "Accepted"}
NOT_OMITTED: Any = Matcher("<not omitted>", lambda _value: True)
Validations = Sequence[tuple[str, Any]]
"""(path as the OCTT writes it, expected value or matcher), in the definition's order."""


# -- values ---------------------------------------------------------------------------------


def configured_limit(cfg: Settings, amps: float) -> float:
    """A limit of ``amps`` in the configured charging rate unit: 6 → 6.0 A, or 6000.0 W."""
    return float(amps) if cfg.charging_rate_unit == "A" else float(amps) * 1000.0


def limit_of(amps: float) -> Any:
    """What the OCTT accepts as that limit: "6.0 or 6000.0"."""
    return one_of(float(amps), float(amps) * 1000.0)


def number_phases(cfg: Settings, *, may_omit_three: bool = True) -> Any:
    """<Configured numberPhases>; where that is 3, the CSMS may omit it (3 is what a station assumes)."""
    return absent_or(3) if cfg.number_phases == 3 and may_omit_three else cfg.number_phases


def about(moment: datetime, tolerance_s: float = 120.0) -> Any:
    """An RFC 3339 timestamp within ``tolerance_s`` of ``moment``."""

    def near(value: Any) -> bool:
        return isinstance(value, str) and abs(parse_time(value) - moment) <= timedelta(seconds=tolerance_s)

    return Matcher(f"<a timestamp within {tolerance_s:g}s of {rfc3339(moment)}>", near)


def requested_profile(cfg: Settings, purpose: str, kind: str, *, amps: float, profile_id: int | None = None,
                      stack_level: int | None = None, transaction_id: str | None = None,
                      recurrency_kind: str | None = None, valid_for: timedelta | None = None) -> Payload:
    """The chargingProfile the operator asks the CSMS to send: one schedule of the configured unit and
    duration, one period of ``amps`` from 0 with the configured phases; startSchedule now unless the kind is
    Relative; validFrom now and validTo ``valid_for`` later where asked; a fresh id unless given."""
    now = datetime.now(UTC).replace(microsecond=0)
    schedule: Payload = {"id": fresh_id(), "chargingRateUnit": cfg.charging_rate_unit,
                         "duration": cfg.schedule_duration,
                         "chargingSchedulePeriod": [{"startPeriod": 0, "limit": configured_limit(cfg, amps),
                                                     "numberPhases": cfg.number_phases}]}
    if kind != "Relative":
        schedule["startSchedule"] = rfc3339(now)
    profile: Payload = {"id": profile_id if profile_id is not None else fresh_id(),
                        "stackLevel": cfg.stack_level if stack_level is None else stack_level,
                        "chargingProfilePurpose": purpose, "chargingProfileKind": kind}
    if kind == "Recurring":
        profile["recurrencyKind"] = recurrency_kind or cfg.recurrency_kind
    if transaction_id is not None:
        profile["transactionId"] = transaction_id
    if valid_for is not None:
        profile["validFrom"], profile["validTo"] = rfc3339(now), rfc3339(now + valid_for)
    profile["chargingSchedule"] = [schedule]
    return profile


def first_period(cfg: Settings, amps: float, prefix: str = "chargingProfile.",
                 *, may_omit_three: bool = True) -> list[tuple[str, Any]]:
    """The validations of "the" period the OCTT repeats: startPeriod 0, limit "6.0 or 6000.0", numberPhases."""
    period = f"{prefix}chargingSchedule.chargingSchedulePeriod"
    return [(f"{period}.startPeriod", 0), (f"{period}.limit", limit_of(amps)),
            (f"{period}.numberPhases", number_phases(cfg, may_omit_three=may_omit_three))]


def start_schedule_by_kind(request: Payload, prefix: str = "chargingProfile.") -> list[tuple[str, Any]]:
    """A Relative profile has no startSchedule; any other kind must have one."""
    kind = request.get(prefix.rstrip("."), {}).get("chargingProfileKind")
    return [(f"{prefix}chargingSchedule.startSchedule", ABSENT if kind == "Relative" else NOT_OMITTED)]


# -- validations ----------------------------------------------------------------------------


def resolve(payload: Any, path: str) -> tuple[bool, Any]:
    """(present, value) of a dotted path; a list on the way stands for its first element."""
    node = payload
    for part in path.split("."):
        if isinstance(node, list):
            if not node:
                return False, None
            node = node[0]
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def validate(request: Payload, validations: Validations, label: str) -> None:
    """Every validation, in order; the step ``label`` fails naming each that does not hold."""
    problems: list[str] = []
    for path, expected in validations:
        present, value = resolve(request, path)
        if expected is ABSENT:
            if present:
                problems.append(f"{path}: expected to be omitted, got {shown(value)}")
        elif not present:
            if not getattr(expected, "allows_absent", False):
                problems.append(f"{path}: missing (expected {expected!r})" if isinstance(expected, Matcher)
                                else f"{path}: missing (expected {shown(expected)})")
        else:
            problems.extend(mismatches(value, expected, path))
    if problems:
        raise StepFailed(f"{label}: unexpected content\n  " + "\n  ".join(problems) + f"\n  in {shown(request)}")


def check_well_formed(station: Station, profile: Payload, label: str, *, evse_id: int | None = None,
                      in_remote_start: bool = False) -> None:
    """csmscheck check CSC-201-K-01: the profile the CSMS sent breaks no rule of K01 (F01 in a remote start)."""
    for problem in profile_problems(profile, evse_id=evse_id, in_remote_start=in_remote_start):
        station.findings.check(checks.PROFILE_WELL_FORMED, False, f"{label}: {problem}")


def answer_reported(station: Station, reported: Payload | None, answer: Payload | CallError | None,
                    label: str) -> None:
    """csmscheck check CSC-201-F-03: the CSMS reports the station's answer as given, a CALLERROR as a CALLERROR."""
    if not isinstance(answer, CallError):
        check_reported(station, reported, answer, label)
    elif reported is not None:
        error = reported.get("error")
        station.findings.check(ANSWER_REPORTED, isinstance(error, dict) and error.get("code") == answer.code,
                               f"{label}: the station answered CALLERROR {answer.code}, but the CSMS reported "
                               f"{shown(reported)}")


# -- steps ----------------------------------------------------------------------------------


async def set_profile(station: Station, csms: Csms, evse_id: int, profile: Payload, label: str = "Step 1", *,
                      reply: Payload | CallError = ACCEPTED) -> Payload:
    """The CSMS sends SetChargingProfile for ``evse_id`` as asked; the station answers ``reply`` and, having
    accepted, holds the profile. No request in time fails step ``label``. Returns the request as it arrived."""
    with step(label):
        async with station.expect("SetChargingProfile", reply=reply) as got:
            reported = await csms.request(station, "SetChargingProfile",
                                          {"evseId": evse_id, "chargingProfile": profile})
    request = got.payload
    if isinstance(got.answer, dict) and got.answer.get("status") == "Accepted":
        station.charging_profiles.install(request["evseId"], request["chargingProfile"])
    answer_reported(station, reported, got.answer, f"{label}: SetChargingProfileResponse")
    check_well_formed(station, request["chargingProfile"], f"{label}: SetChargingProfileRequest",
                      evse_id=request["evseId"])
    return request


async def clear_profile(station: Station, csms: Csms, asked: Payload, label: str, *,
                        reply: Payload | None = None) -> Payload:
    """The CSMS sends ClearChargingProfile as asked; the station answers ``reply`` (by default what it finds:
    Accepted when something was cleared, else Unknown) and clears what it said it cleared. Returns the request."""
    with step(label):
        async with station.expect("ClearChargingProfile", reply=reply) as got:
            reported = await csms.request(station, "ClearChargingProfile", asked)
    if reply is not None and reply.get("status") == "Accepted":
        station.charging_profiles.clear_charging_profile(got.payload)
    answer_reported(station, reported, got.answer, f"{label}: ClearChargingProfileResponse")
    return got.payload


def profiles_request(cfg: Settings, evse_id: int | None, criteria: Payload) -> Payload:
    """A GetChargingProfilesRequest to ask for: a fresh requestId, ``evseId`` unless None, ``criteria``."""
    request: Payload = {"requestId": fresh_id(), "chargingProfile": criteria}
    if evse_id is not None:
        request["evseId"] = evse_id
    return request


async def get_profiles(station: Station, csms: Csms, asked: Payload, label: str = "Step 1") -> Payload:
    """The CSMS sends GetChargingProfiles as asked; the station answers Accepted. Returns the request."""
    with step(label):
        async with station.expect("GetChargingProfiles", reply=ACCEPTED) as got:
            reported = await csms.request(station, "GetChargingProfiles", asked)
    answer_reported(station, reported, got.answer, f"{label}: GetChargingProfilesResponse")
    check_criteria(station, got.payload, f"{label}: GetChargingProfilesRequest")
    return got.payload


def check_criteria(station: Station, request: Payload, label: str) -> None:
    """csmscheck check CSC-201-K-02: GetChargingProfiles names profile ids or at least one filter (K09.FR.03)."""
    criteria = request.get("chargingProfile", {})
    named = [key for key in ("chargingProfileId", "stackLevel", "chargingLimitSource", "chargingProfilePurpose")
             if key in criteria]
    station.findings.check(checks.GET_PROFILES_CRITERIA, bool(named),
                           f"{label}: chargingProfile names no chargingProfileId, stackLevel, chargingLimitSource "
                           f"nor chargingProfilePurpose: {shown(criteria)}")


async def report_profiles(station: Station, request: Payload, label: str) -> list[Payload]:
    """The station reports what matches ``request`` (ReportChargingProfiles with its requestId, one per EVSE,
    ``tbc`` on all but the last); each must be answered. ``label`` names the steps ("Step 3/4"). Returns the
    parts sent."""
    parts = station.charging_profiles.reports(request)
    if not parts:
        raise StepFailed(f"{label}: the station holds no charging profile the GetChargingProfilesRequest asks for: "
                         f"{shown(request)}")
    for part in parts:
        with step(f"{label}: ReportChargingProfilesRequest for EVSE {part['evseId']}"):
            await station.call("ReportChargingProfiles", part)
    return parts


async def profiles_reported(station: Station, csms: Csms, asked: Payload, state: str) -> Payload:
    """A memory state: the CSMS asks for profiles (GetChargingProfiles as ``asked``), the station accepts and
    reports them. Returns the request."""
    request = await get_profiles(station, csms, asked, f"{state}: Step 1")
    await report_profiles(station, request, f"{state}: Step 3")
    return request


def held_profile(station: Station, purpose: str, evse_id: int, *, amps: float = 6.0,
                 stack_level: int | None = None, source: str = CSMS_SOURCE) -> Payload:
    """A profile the station already holds (set before the case: the OCTT's memory state), with a generated id.
    A TxProfile is for the transaction running, if any."""
    tx = station.model.transaction
    tx_profile = purpose == "TxProfile"
    profile = requested_profile(station.cfg, purpose, "Relative" if tx_profile else "Absolute", amps=amps,
                                stack_level=stack_level,
                                transaction_id=(tx.id if tx else f"csmscheck-{fresh_id()}") if tx_profile else None)
    station.charging_profiles.install(evse_id, profile, source)
    return profile


# -- clean-up -------------------------------------------------------------------------------


async def clear_left_profiles(station: Station, csms: Csms) -> None:
    """Have the CSMS clear each profile the station still holds (a TxProfile ends with its transaction), so what
    the CSMS stored of this station does not outlive the case. Best effort: the case's verdict is made."""
    if station.cfg.manual or not station.session.connected:
        return
    for held in station.charging_profiles.profiles():
        if held.profile["chargingProfilePurpose"] in ("TxProfile", "ChargingStationExternalConstraints"):
            continue
        with suppress(StepFailed, ConnectionLost):
            async with station.expect("ClearChargingProfile"):
                await csms.request(station, "ClearChargingProfile", {"chargingProfileId": held.profile["id"]})


@pytest_asyncio.fixture
async def profiles_cleared(station: Station, csms: Csms) -> AsyncIterator[None]:
    """After the case, the profiles it left on the station are cleared through the CSMS."""
    yield
    await clear_left_profiles(station, csms)
