"""The charging-profile maths shared by the virtual station and the reference CSMS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csmscheck.charging_schedule import composite_schedule, composite_steps, convert, limit_at, profile_problems
from csmscheck.timestamps import rfc3339

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def profile(purpose: str = "TxDefaultProfile", kind: str = "Absolute", *, stack: int = 0, unit: str = "A",
            periods: list[tuple[int, float]] | None = None, start: datetime | None = NOW, duration: int | None = None,
            profile_id: int = 1, **extra: Any) -> dict[str, Any]:
    schedule: dict[str, Any] = {"id": 1, "chargingRateUnit": unit, "chargingSchedulePeriod": [
        {"startPeriod": offset, "limit": limit} for offset, limit in (periods or [(0, 16.0)])]}
    if start is not None:
        schedule["startSchedule"] = rfc3339(start)
    if duration is not None:
        schedule["duration"] = duration
    return {"id": profile_id, "stackLevel": stack, "chargingProfilePurpose": purpose, "chargingProfileKind": kind,
            "chargingSchedule": [schedule], **extra}


# -- rules ------------------------------------------------------------------------------------


def test_a_sound_profile_breaks_no_rule() -> None:
    assert profile_problems(profile(), evse_id=1) == []
    assert profile_problems(profile("ChargingStationMaxProfile"), evse_id=0) == []
    assert profile_problems(profile("TxProfile", "Relative", start=None, transactionId="t1"), evse_id=1) == []
    assert profile_problems(profile("TxProfile", "Relative", start=None), in_remote_start=True) == []
    assert profile_problems(profile(kind="Recurring", recurrencyKind="Daily"), evse_id=1) == []


@pytest.mark.parametrize(("broken", "evse_id", "remote", "names"), [
    (profile(periods=[(10, 6.0)]), 1, False, "startPeriod is 10"),
    (profile(periods=[(0, 6.0), (60, 7.0), (60, 8.0)]), 1, False, "chargingSchedulePeriod[2].startPeriod"),
    (profile(periods=[(0, -1.0)]), 1, False, "limit is -1.0"),
    (profile("TxProfile"), 1, False, "transactionId is missing"),
    (profile("TxProfile", transactionId="t1"), 0, False, "evseId is 0"),
    (profile("TxProfile", transactionId="t1"), None, True, "transactionId must be omitted"),
    (profile("TxDefaultProfile"), None, True, "must be a TxProfile"),
    (profile("ChargingStationMaxProfile"), 1, False, "evseId is 1"),
    (profile("ChargingStationMaxProfile", "Relative", start=None), 0, False, "K01.FR.38"),
    (profile("ChargingStationExternalConstraints"), 0, False, "never by the CSMS"),
    (profile(kind="Relative"), 1, False, "startSchedule is set on a Relative"),
    (profile(start=None), 1, False, "startSchedule is missing"),
    (profile(kind="Recurring"), 1, False, "recurrencyKind is missing"),
    (profile(recurrencyKind="Daily"), 1, False, "only for Recurring"),
    (profile(validFrom=rfc3339(NOW), validTo=rfc3339(NOW)), 1, False, "validFrom"),
    (profile(duration=0), 1, False, "duration is 0"),
])
def test_each_broken_rule_is_named(broken: dict[str, Any], evse_id: int | None, remote: bool, names: str) -> None:
    problems = profile_problems(broken, evse_id=evse_id, in_remote_start=remote)
    assert len(problems) == 1, problems
    assert names in problems[0]


def test_phases_and_phase_to_use() -> None:
    broken = profile()
    broken["chargingSchedule"][0]["chargingSchedulePeriod"][0] |= {"numberPhases": 3, "phaseToUse": 1}
    assert [p for p in profile_problems(broken, evse_id=1) if "phaseToUse" in p]
    broken["chargingSchedule"][0]["chargingSchedulePeriod"][0] |= {"numberPhases": 4, "phaseToUse": 1}
    assert any("numberPhases is 4" in p for p in profile_problems(broken, evse_id=1))


# -- one profile's limit ----------------------------------------------------------------------


def test_absolute_profile_periods_and_end() -> None:
    absolute = profile(periods=[(0, 6.0), (60, 10.0)], duration=120)
    assert limit_at(absolute, NOW - timedelta(seconds=1)) is None
    assert limit_at(absolute, NOW) == (6.0, None)
    assert limit_at(absolute, NOW + timedelta(seconds=60)) == (10.0, None)
    assert limit_at(absolute, NOW + timedelta(seconds=120)) is None


def test_validity_bounds_the_profile() -> None:
    bounded = profile(validFrom=rfc3339(NOW + timedelta(seconds=10)), validTo=rfc3339(NOW + timedelta(seconds=20)))
    assert limit_at(bounded, NOW + timedelta(seconds=5)) is None
    assert limit_at(bounded, NOW + timedelta(seconds=10)) == (16.0, None)
    assert limit_at(bounded, NOW + timedelta(seconds=20)) is None


def test_relative_profile_counts_from_the_transaction() -> None:
    relative = profile("TxProfile", "Relative", start=None, periods=[(0, 6.0), (30, 8.0)], transactionId="t")
    assert limit_at(relative, NOW) is None
    started = NOW - timedelta(seconds=40)
    assert limit_at(relative, NOW, transaction_start=started) == (8.0, None)


def test_recurring_daily_wraps() -> None:
    daily = profile(kind="Recurring", recurrencyKind="Daily", periods=[(0, 6.0), (3600, 12.0)],
                    start=NOW - timedelta(days=3))
    assert limit_at(daily, NOW + timedelta(minutes=30)) == (6.0, None)
    assert limit_at(daily, NOW + timedelta(hours=5)) == (12.0, None)
    assert limit_at(daily, NOW + timedelta(days=1, minutes=1)) == (6.0, None)
    weekly = profile(kind="Recurring", recurrencyKind="Weekly", periods=[(0, 6.0), (86_400, 12.0)], start=NOW)
    assert limit_at(weekly, NOW + timedelta(days=7, hours=1)) == (6.0, None)
    assert limit_at(weekly, NOW + timedelta(days=8, hours=1)) == (12.0, None)


def test_convert_at_230_volts() -> None:
    assert convert(16, "A", "W", 3) == pytest.approx(11_040)
    assert convert(16, "A", "W", 1) == pytest.approx(3_680)
    assert convert(11_040, "W", "A", None) == pytest.approx(16)
    assert convert(7, "A", "A", 1) == 7
    with pytest.raises(ValueError, match="units"):
        convert(1, "A", "kW", 1)


# -- composites -------------------------------------------------------------------------------


def test_tx_profile_overrides_tx_default() -> None:
    held = [(1, profile(periods=[(0, 16.0)], profile_id=1)),
            (1, profile("TxProfile", "Absolute", stack=0, periods=[(0, 6.0)], duration=60, transactionId="t1",
                        profile_id=2))]
    assert composite_schedule(held, 1, NOW, 120, "A", transaction_id="t1")["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 6.0}, {"startPeriod": 60, "limit": 16.0}]
    # another transaction's TxProfile does not count
    assert composite_schedule(held, 1, NOW, 120, "A", transaction_id="t2")["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 16.0}]


def test_highest_stack_level_and_evse_specific_win() -> None:
    held = [(0, profile(stack=1, periods=[(0, 10.0)], profile_id=1)),
            (1, profile(stack=1, periods=[(0, 12.0)], profile_id=2)),
            (1, profile(stack=0, periods=[(0, 20.0)], profile_id=3)),
            (0, profile(stack=2, periods=[(0, 8.0)], duration=30, profile_id=4))]
    assert composite_schedule(held, 1, NOW, 60, "A")["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 8.0}, {"startPeriod": 30, "limit": 12.0}]
    assert composite_schedule(held, 2, NOW, 60, "A")["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 8.0}, {"startPeriod": 30, "limit": 10.0}]


def test_station_max_and_external_constraints_cap() -> None:
    held = [(1, profile(periods=[(0, 16.0)], profile_id=1)),
            (0, profile("ChargingStationMaxProfile", unit="W", periods=[(0, 6_900.0)], profile_id=2)),
            (1, profile("ChargingStationExternalConstraints", periods=[(0, 20.0), (30, 5.0)], profile_id=3))]
    schedule = composite_schedule(held, 1, NOW, 60, "A")
    assert schedule["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 10.0}, {"startPeriod": 30, "limit": 5.0}]
    station = composite_schedule(held, 0, NOW, 60, "W")
    assert station["evseId"] == 0 and station["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 6_900.0}]


def test_nothing_in_force_is_the_default_limit() -> None:
    assert composite_steps([], 1, NOW, 60, "A")[0].limit is None
    assert composite_schedule([], 1, NOW, 60, "A")["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 32.0}]
    assert composite_schedule([], 1, NOW, 60, "A", default_limit=20)["chargingSchedulePeriod"][0]["limit"] == 20
    shaped = composite_schedule([], 3, NOW, 300, "W")
    assert {k: shaped[k] for k in ("evseId", "duration", "chargingRateUnit", "scheduleStart")} == {
        "evseId": 3, "duration": 300, "chargingRateUnit": "W", "scheduleStart": rfc3339(NOW)}


def test_relative_default_profile_counts_from_the_window_without_a_transaction() -> None:
    relative = profile(kind="Relative", start=None, periods=[(0, 6.0), (30, 9.0)])
    assert composite_schedule([(1, relative)], 1, NOW, 60, "A")["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 6.0}, {"startPeriod": 30, "limit": 9.0}]
    started = NOW - timedelta(seconds=20)
    assert composite_schedule([(1, relative)], 1, NOW, 60, "A", transaction_start=started)[
        "chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 6.0}, {"startPeriod": 10, "limit": 9.0}]


# -- properties -------------------------------------------------------------------------------

_periods = st.lists(st.tuples(st.integers(1, 3_000), st.integers(0, 640).map(lambda x: x / 10)), max_size=5).map(
    lambda rest: [(0, 16.0), *sorted({offset: limit for offset, limit in rest}.items())])
_profiles = st.builds(
    lambda purpose, stack, periods, evse, offset, duration: (evse if purpose != "ChargingStationMaxProfile" else 0,
                                                             profile(purpose, stack=stack, periods=periods,
                                                                     start=NOW + timedelta(seconds=offset),
                                                                     duration=duration)),
    st.sampled_from(["TxDefaultProfile", "ChargingStationMaxProfile", "ChargingStationExternalConstraints"]),
    st.integers(0, 3), _periods, st.integers(0, 2), st.integers(-600, 600), st.none() | st.integers(1, 3_600))


@given(st.lists(_profiles, max_size=5), st.integers(1, 2), st.integers(1, 3_600))
def test_composite_is_well_formed_and_never_above_a_cap(held: list[tuple[int, dict[str, Any]]], evse_id: int,
                                                        duration: int) -> None:
    schedule = composite_schedule(held, evse_id, NOW, duration, "A")
    periods = schedule["chargingSchedulePeriod"]
    assert periods[0]["startPeriod"] == 0
    starts = [p["startPeriod"] for p in periods]
    assert starts == sorted(set(starts)) and starts[-1] < duration
    assert profile_problems({"chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",
                             "chargingSchedule": [schedule | {"startSchedule": schedule["scheduleStart"]}]}) == []
    for period, following in zip(periods, [*starts[1:], duration], strict=True):
        for second in (period["startPeriod"], following - 1):
            when = NOW + timedelta(seconds=second)
            caps = [found[0] for evse, held_profile in held
                    if held_profile["chargingProfilePurpose"] == "ChargingStationExternalConstraints"
                    and evse in (0, evse_id) and (found := limit_at(held_profile, when))]
            station_max = [(p["stackLevel"], found[0]) for _, p in held
                           if p["chargingProfilePurpose"] == "ChargingStationMaxProfile"
                           and (found := limit_at(p, when))]
            caps += [max(station_max)[1]] if station_max else []  # the highest stack level's limit
            assert all(period["limit"] <= cap + 0.05 for cap in caps)


@given(st.floats(0, 100_000, allow_nan=False), st.sampled_from([1, 2, 3, None]))
def test_convert_round_trips(limit: float, phases: int | None) -> None:
    assert convert(convert(limit, "A", "W", phases), "W", "A", phases) == pytest.approx(limit)
