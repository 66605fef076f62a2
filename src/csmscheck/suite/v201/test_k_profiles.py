"""Block K: charging profiles the CSMS sets, replaces and clears (K01, K10).

The operator has the CSMS send each profile (the trigger API); the case checks what arrived
against the definition's tool validations, in their order. Profiles a case leaves on the
station are cleared through the CSMS afterwards (``profiles_cleared``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from csmscheck.checks import smart_charging as checks
from csmscheck.errors import StepFailed
from csmscheck.expect import ABSENT, Matcher, about_now, one_of
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v201 as states
from csmscheck.station.v201 import Payload
from csmscheck.suite.findings import check_matches
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v201.operations_steps import fresh_id
from csmscheck.suite.v201.profile_steps import (
    ACCEPTED,
    NOT_OMITTED,
    about,
    clear_profile,
    first_period,
    held_profile,
    limit_of,
    profiles_cleared,  # noqa: F401  (the fixture, used through pytestmark)
    profiles_reported,
    profiles_request,
    requested_profile,
    set_profile,
    start_schedule_by_kind,
    validate,
)
from csmscheck.wire import CallError

pytestmark = pytest.mark.usefixtures("profiles_cleared")

SET = "SetChargingProfileRequest"


def _now() -> datetime:
    return datetime.now(UTC)


def _duration(cfg: Settings) -> timedelta:
    return timedelta(seconds=cfg.schedule_duration)


@octt("TC_K_01", reqs=["K01.FR.31"])
async def test_tc_k_01(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Charging Profile - TxDefaultProfile - Specific EVSE."""
    profile = requested_profile(cfg, "TxDefaultProfile", "Absolute", amps=6, valid_for=_duration(cfg))
    request = await set_profile(station, csms, cfg.evse_id, profile)
    validate(request, [
        ("evseId", cfg.evse_id),
        ("chargingProfile.stackLevel", cfg.stack_level),
        ("chargingProfile.chargingProfilePurpose", "TxDefaultProfile"),
        ("chargingProfile.chargingProfileKind", "Absolute"),
        ("chargingProfile.validFrom", about_now()),
        ("chargingProfile.validTo", about(_now() + _duration(cfg))),
        ("chargingProfile.chargingSchedule.startSchedule", about_now()),
        ("chargingProfile.chargingSchedule.chargingRateUnit", cfg.charging_rate_unit),
        ("chargingProfile.chargingSchedule.duration", cfg.schedule_duration),
        *first_period(cfg, 6),
    ], f"Step 1: {SET}")


@octt("TC_K_02")
async def test_tc_k_02(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Charging Profile - TxProfile without ongoing transaction on the specified EVSE."""
    # No transaction runs on the EVSE: the profile names one the station does not have.
    profile = requested_profile(cfg, "TxProfile", "Relative", amps=7, profile_id=cfg.charging_profile_id,
                                transaction_id=f"csmscheck-none-{fresh_id()}")
    request = await set_profile(station, csms, cfg.evse_id, profile, reply={"status": "Rejected"})
    validate(request, [
        ("evseId", cfg.evse_id),
        ("chargingProfile.chargingProfilePurpose", "TxProfile"),
        ("chargingProfile.stackLevel", cfg.stack_level),
        ("chargingProfile.chargingProfileKind", "Relative"),
        ("chargingProfile.chargingSchedule.startSchedule", ABSENT),
        ("chargingProfile.chargingSchedule.chargingRateUnit", cfg.charging_rate_unit),
        *first_period(cfg, 7),
    ], f"Step 1: {SET}")


@octt("TC_K_03", reqs=["K01.FR.31", "K01.FR.38"])
async def test_tc_k_03(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Charging Profile - ChargingStationMaxProfile."""
    profile = requested_profile(cfg, "ChargingStationMaxProfile", "Absolute", amps=8,
                                profile_id=cfg.charging_profile_id, valid_for=_duration(cfg))
    request = await set_profile(station, csms, 0, profile)
    validate(request, [
        ("evseId", 0),
        ("chargingProfile.stackLevel", cfg.stack_level),
        ("chargingProfile.chargingProfilePurpose", "ChargingStationMaxProfile"),
        ("chargingProfile.chargingProfileKind", "Absolute"),
        ("chargingProfile.chargingSchedule.chargingRateUnit", cfg.charging_rate_unit),
        ("chargingProfile.chargingSchedule.duration", cfg.schedule_duration),
        ("chargingProfile.chargingSchedule.chargingSchedulePeriod.startPeriod", 0),
        ("chargingProfile.chargingSchedule.chargingSchedulePeriod.limit", limit_of(8)),
        ("chargingProfile.validFrom", NOT_OMITTED),
        ("chargingProfile.validTo", NOT_OMITTED),
        ("chargingProfile.chargingSchedule.startSchedule", NOT_OMITTED),
    ], f"Step 1: {SET}")


ONE_PERIOD: Any = Matcher("<exactly one period>", lambda periods: isinstance(periods, list) and len(periods) == 1)


def _replaced_purpose(cfg: Settings) -> tuple[str, int]:
    """The purpose a replaceable profile has (the configured one where it is TxDefaultProfile or
    ChargingStationMaxProfile), with the EVSE it is set on."""
    if cfg.charging_profile_purpose == "ChargingStationMaxProfile":
        return "ChargingStationMaxProfile", 0
    return "TxDefaultProfile", cfg.evse_id


def _replacing(request: Payload, earlier: Payload, cfg: Settings) -> list[tuple[str, Any]]:
    """Step 1/3 of TC_K_04, for one of the two requests: the same id, purpose and kind as step 1's, and the
    rules of that purpose and kind."""
    profile = request["chargingProfile"]
    purpose, kind = profile.get("chargingProfilePurpose"), profile.get("chargingProfileKind")
    kinds = {"TxDefaultProfile": one_of("Absolute", "Recurring"), "ChargingStationMaxProfile": "Absolute"}
    return [
        ("chargingProfile.id", earlier["id"]),
        ("chargingProfile.chargingSchedule.startSchedule", NOT_OMITTED),
        ("chargingProfile.stackLevel", cfg.stack_level),
        ("chargingProfile.chargingProfilePurpose", earlier["chargingProfilePurpose"]),
        ("chargingProfile.chargingProfilePurpose", one_of("TxDefaultProfile", "ChargingStationMaxProfile")),
        ("chargingProfile.chargingProfileKind", earlier["chargingProfileKind"]),
        ("chargingProfile.chargingProfileKind", kinds.get(purpose, one_of("Absolute", "Recurring"))),
        ("chargingProfile.recurrencyKind", NOT_OMITTED if kind == "Recurring" else ABSENT),
    ]


@octt("TC_K_04")
async def test_tc_k_04(station: Station, csms: Csms, cfg: Settings) -> None:
    """Replace charging profile - With chargingProfileId."""
    purpose, evse_id = _replaced_purpose(cfg)
    first = requested_profile(cfg, purpose, "Absolute", amps=8)
    step_1 = await set_profile(station, csms, evse_id, first)
    validate(step_1, [
        ("chargingProfile.chargingSchedule.chargingSchedulePeriod.startPeriod", 0),
        ("chargingProfile.chargingSchedule.chargingSchedulePeriod.limit", limit_of(8)),
        ("chargingProfile.chargingSchedule.chargingSchedulePeriod", ONE_PERIOD),
    ], f"Step 1: {SET}")
    second = requested_profile(cfg, purpose, "Absolute", amps=6, profile_id=step_1["chargingProfile"]["id"])
    step_3 = await set_profile(station, csms, evse_id, second, "Step 3")
    validate(step_3, [
        ("chargingProfile.chargingSchedule.chargingSchedulePeriod.startPeriod", 0),
        ("chargingProfile.chargingSchedule.chargingSchedulePeriod.limit", limit_of(6)),
        ("chargingProfile.chargingSchedule.chargingSchedulePeriod", ONE_PERIOD),
    ], f"Step 3: {SET}")
    earlier = step_1["chargingProfile"]
    for label, request in (("step 1", step_1), ("step 3", step_3)):
        validate(request, _replacing(request, earlier, cfg), f"Step 1/3: {SET} of {label}")


@octt("TC_K_05", reqs=["K10.FR.02"])
async def test_tc_k_05(station: Station, csms: Csms, cfg: Settings) -> None:
    """Clear Charging Profile - With chargingProfileId."""
    # Memory state: the station holds a profile (not a TxDefaultProfile) the CSMS learns from its report.
    held = held_profile(station, "ChargingStationMaxProfile", 0, amps=16)
    await profiles_reported(station, csms, profiles_request(cfg, 0, {"chargingProfilePurpose":
                                                                     "ChargingStationMaxProfile"}),
                            "Memory state")
    request = await clear_profile(station, csms, {"chargingProfileId": held["id"]}, "Step 1", reply=ACCEPTED)
    # The definition validates nothing; that the request names the profile by its id alone is a csmscheck check.
    check_matches(station, checks.CLEAR_PROFILE_SELECTS, request,
                  {"chargingProfileId": held["id"], "chargingProfileCriteria": ABSENT},
                  "Step 1: ClearChargingProfileRequest")


def _criteria(cfg: Settings) -> Payload:
    return {"chargingProfilePurpose": "TxDefaultProfile", "evseId": cfg.evse_id, "stackLevel": cfg.stack_level}


@octt("TC_K_06", reqs=["K10.FR.02"])
async def test_tc_k_06(station: Station, csms: Csms, cfg: Settings) -> None:
    """Clear Charging Profile - With stackLevel/purpose combination for one profile."""
    profile = requested_profile(cfg, "TxDefaultProfile", "Absolute", amps=6)
    await set_profile(station, csms, cfg.evse_id, profile, "Before: the profile to clear")
    request = await clear_profile(station, csms, {"chargingProfileCriteria": _criteria(cfg)}, "Step 1",
                                  reply=ACCEPTED)
    validate(request, [
        ("chargingProfileCriteria.chargingProfilePurpose", "TxDefaultProfile"),
        ("chargingProfileCriteria.stackLevel", cfg.stack_level),
        ("chargingProfileCriteria.evseId", cfg.evse_id),
    ], "Step 1: ClearChargingProfileRequest")


@octt("TC_K_08")
async def test_tc_k_08(station: Station, csms: Csms, cfg: Settings) -> None:
    """Clear Charging Profile - Without previous charging profile."""
    request = await clear_profile(station, csms, {"chargingProfileCriteria": _criteria(cfg)}, "Step 1",
                                  reply={"status": "Unknown"})
    validate(request, [
        ("chargingProfileCriteria.chargingProfilePurpose", "TxDefaultProfile"),
        ("chargingProfileCriteria.evseId", cfg.evse_id),
        ("chargingProfileCriteria.stackLevel", cfg.stack_level),
    ], "Step 1: ClearChargingProfileRequest")


@octt("TC_K_10", reqs=["K01.FR.31"])
async def test_tc_k_10(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Charging Profile - TxDefaultProfile - All EVSE."""
    profile = requested_profile(cfg, "TxDefaultProfile", "Absolute", amps=6, profile_id=cfg.charging_profile_id,
                                valid_for=_duration(cfg))
    request = await set_profile(station, csms, 0, profile)
    validate(request, [
        ("evseId", 0),
        ("chargingProfile.stackLevel", cfg.stack_level),
        ("chargingProfile.chargingProfilePurpose", "TxDefaultProfile"),
        ("chargingProfile.chargingProfileKind", "Absolute"),
        ("chargingProfile.validFrom", NOT_OMITTED),
        ("chargingProfile.validTo", NOT_OMITTED),
        ("chargingProfile.chargingSchedule.startSchedule", NOT_OMITTED),
        ("chargingProfile.chargingSchedule.chargingRateUnit", cfg.charging_rate_unit),
        ("chargingProfile.chargingSchedule.chargingSchedulePeriod.startPeriod", 0),
        ("chargingProfile.chargingSchedule.duration", cfg.schedule_duration),
        ("chargingProfile.chargingSchedule.chargingSchedulePeriod.limit", limit_of(6)),
    ], f"Step 1: {SET}")


@octt("TC_K_15")
async def test_tc_k_15(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Charging Profile - Not Supported."""
    profile = requested_profile(cfg, "TxDefaultProfile", "Absolute", amps=6)
    not_supported = CallError("", "NotSupported", "this station does not support charging profiles")
    request = await set_profile(station, csms, cfg.evse_id, profile, reply=not_supported)
    validate(request, [
        ("evseId", cfg.evse_id),
        ("chargingProfile.stackLevel", cfg.stack_level),
        ("chargingProfile.chargingProfilePurpose", "TxDefaultProfile"),
        ("chargingProfile.chargingProfileKind", "Absolute"),
        ("chargingProfile.chargingSchedule.startSchedule", NOT_OMITTED),
        ("chargingProfile.chargingSchedule.chargingRateUnit", cfg.charging_rate_unit),
        ("chargingProfile.chargingSchedule.chargingSchedulePeriod.startPeriod", 0),
        ("chargingProfile.chargingSchedule.duration", cfg.schedule_duration),
        ("chargingProfile.chargingSchedule.chargingSchedulePeriod.limit", limit_of(6)),
        ("chargingProfile.chargingSchedule.chargingSchedulePeriod.numberPhases", cfg.number_phases),
    ], f"Step 1: {SET}")


@octt("TC_K_19")
async def test_tc_k_19(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Charging Profile - ChargingProfileKind is Recurring."""
    profile = requested_profile(cfg, "TxDefaultProfile", "Recurring", amps=6)
    request = await set_profile(station, csms, cfg.evse_id, profile)
    validate(request, [
        ("evseId", cfg.evse_id),
        ("chargingProfile.stackLevel", cfg.stack_level),
        ("chargingProfile.chargingProfilePurpose", "TxDefaultProfile"),
        ("chargingProfile.chargingSchedule.chargingSchedulePeriod.startPeriod", 0),
        ("chargingProfile.chargingProfileKind", "Recurring"),
        ("chargingProfile.recurrencyKind", cfg.recurrency_kind),
    ], f"Step 1: {SET}")


def _running_transaction(station: Station, state: str) -> str:
    tx = station.model.transaction
    if tx is None:
        raise StepFailed(f"{state}: the station has no transaction")
    return tx.id


@octt("TC_K_60", reqs=["K01.FR.03", "K01.FR.31"])
async def test_tc_k_60(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Charging Profile - TxProfile with ongoing transaction on the specified EVSE."""
    await states.energy_transfer_started(station)
    transaction_id = _running_transaction(station, "EnergyTransferStarted state")
    profile = requested_profile(cfg, "TxProfile", "Relative", amps=10, transaction_id=transaction_id)
    request = await set_profile(station, csms, cfg.evse_id, profile)
    validate(request, [
        ("chargingProfile.chargingProfilePurpose", "TxProfile"),
        ("evseId", cfg.evse_id),
        ("chargingProfile.transactionId", transaction_id),
        ("chargingProfile.chargingProfileKind", one_of("Relative", "Absolute")),
        *start_schedule_by_kind(request),
    ], f"Step 1: {SET}")


@octt("TC_K_70")
async def test_tc_k_70(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Charging Profile - Multiple Profiles."""
    await states.energy_transfer_started(station)
    default = await set_profile(station, csms, cfg.evse_id,
                                requested_profile(cfg, "TxDefaultProfile", "Absolute", amps=6))
    validate(default, [
        ("chargingProfile.chargingProfilePurpose", "TxDefaultProfile"),
        ("chargingProfile.chargingProfileKind", one_of("Absolute", "Recurring")),
        ("chargingProfile.chargingSchedule.startSchedule", NOT_OMITTED),
    ], f"Step 1: {SET}")
    first_id = default["chargingProfile"]["id"]
    maximum = await set_profile(station, csms, 0,
                                requested_profile(cfg, "ChargingStationMaxProfile", "Absolute", amps=16), "Step 3")
    validate(maximum, [
        ("chargingProfile.id", Matcher(f"<an id other than {first_id}>", lambda value: value != first_id)),
        ("chargingProfile.chargingProfilePurpose", "ChargingStationMaxProfile"),
        ("chargingProfile.chargingProfileKind", "Absolute"),
        ("chargingProfile.chargingSchedule.startSchedule", NOT_OMITTED),
    ], f"Step 3: {SET}")
