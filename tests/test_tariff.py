"""The reference CSMS's tariff: cost arithmetic (energy and time), rounding to the cent, and energy from Wh or kWh
readings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from csmscheck.csms.config import CsmsConfig
from csmscheck.csms.meter import energy_used_wh, sampled_rows
from csmscheck.csms.tariff import Tariff, seconds_between
from csmscheck.errors import ConfigError, StepFailed
from csmscheck.settings import Settings, load_settings
from csmscheck.suite import bill
from csmscheck.timestamps import rfc3339

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def tariff(price: float, fee: float = 0.0) -> Tariff:
    return Tariff.from_settings(Settings(tariff_price_per_kwh=price, tariff_session_fee=fee))


def reading(value: float, context: str, minutes: int, unit: str | None = "Wh", multiplier: int | None = None) -> Any:
    sample: dict[str, Any] = {"value": value, "context": context, "measurand": "Energy.Active.Import.Register"}
    if unit is not None or multiplier is not None:
        sample["unitOfMeasure"] = {k: v for k, v in (("unit", unit), ("multiplier", multiplier)) if v is not None}
    return {"timestamp": rfc3339(T0 + timedelta(minutes=minutes)), "sampledValue": [sample]}


@pytest.mark.parametrize(("price", "fee", "wh", "cost"), [
    (0.25, 0.0, 5000, "1.25"),
    (0.25, 0.0, 1244.5, "0.31"),      # 0.311125
    (0.25, 0.0, 3244.9, "0.81"),      # 0.811225
    (0.30, 0.0, 1005, "0.30"),        # 0.3015
    (0.30, 0.0, 1050, "0.32"),        # 0.315: half a cent rounds up
    (0.10, 0.0, 1050, "0.11"),        # 0.105 is not 0.10499999 in decimal arithmetic
    (0.35, 1.50, 10_000, "5.00"),     # session fee plus energy
    (0.35, 1.50, 0, "1.50"),          # no energy: the fee alone
    (0.25, 0.0, -300, "0.00"),        # a meter that went backwards costs nothing
    (0.0, 0.0, 12_345, "0.00"),       # a free tariff
])
def test_cost_to_the_cent(price: float, fee: float, wh: float, cost: str) -> None:
    assert tariff(price, fee).cost(wh) == Decimal(cost)


def test_an_absurd_but_valid_reading_still_has_a_cost() -> None:
    # Found by csmscheck fuzz: 1e30 Wh made quantize() raise InvalidOperation (a CALLERROR InternalError).
    for wh in (1e30, 1.7e308):
        cost = Tariff(Decimal("0.25"), Decimal("1")).cost(wh)
        assert float(cost) == pytest.approx(wh / 1000 * 0.25 + 1)


def test_exact_cost_is_unrounded() -> None:
    assert tariff(0.25).exact_cost(1244.5) == Decimal("0.311125")


@pytest.mark.parametrize(("price", "fee", "per_hour", "wh", "seconds", "cost"), [
    (0.25, 0.0, 1.20, 0, 2700, "0.90"),          # 45 min at 1.20 per hour
    (0.25, 0.50, 1.20, 17_060, 2700, "5.67"),    # 0.50 + 4.265 + 0.90 = 5.665: half a cent rounds up
    (0.0, 0.0, 1.80, 0, 1, "0.00"),              # 0.0005: exact, rounds down below half a cent
    (0.0, 0.0, 1.80, 0, 10, "0.01"),             # 0.005: exactly half a cent rounds up
    (0.0, 0.0, 0.10, 0, 5400, "0.15"),           # 0.15, not 0.1499999 in decimal arithmetic
    (0.25, 0.0, 1.20, 5000, -3600, "1.25"),      # a negative duration costs no time
    (0.25, 0.0, 1.20, 5000, None, "1.25"),       # nor an unknown one
    (0.25, 0.0, 0.0, 5000, 86_400, "1.25"),      # no hourly price: time is free
])
def test_time_component(price: float, fee: float, per_hour: float, wh: float, seconds: float | None,
                        cost: str) -> None:
    settings = Settings(tariff_price_per_kwh=price, tariff_session_fee=fee, tariff_price_per_hour=per_hour)
    assert Tariff.from_settings(settings).cost(wh, seconds) == Decimal(cost)


def test_exact_time_cost_is_unrounded() -> None:
    assert Tariff(Decimal(0), Decimal(0), Decimal("1.2")).exact_cost(0, 2700) == Decimal("0.9")
    assert Tariff(Decimal(0), Decimal(0), Decimal("1.8")).exact_cost(0, 1) == Decimal("0.0005")


def test_absurd_durations_never_raise() -> None:
    """From any schema-valid timestamps (years 1 to 9999, either order) a cost, never an exception."""
    first, last = datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    charged = Tariff(Decimal("0.25"), Decimal("1"), Decimal("1.2"))
    for seconds in (seconds_between(first, last), seconds_between(last, first), float("inf"), float("nan"), 1e308):
        assert charged.cost(1.7e308, seconds) >= Decimal(1)
    lifetime = seconds_between(first, last)
    assert float(charged.cost(0, lifetime)) == pytest.approx(1 + 1.2 * lifetime / 3600)


def test_duration_is_instant_to_instant() -> None:
    """A stored time without a zone is UTC; one with a zone is the instant it names."""
    spring = datetime(2026, 3, 29, 0, 40)  # 01:40 CET, stored without a zone
    assert seconds_between(spring, datetime(2026, 3, 29, 3, 25, tzinfo=timezone(timedelta(hours=2)))) == 2700


@pytest.mark.parametrize("field", ["tariff_price_per_kwh", "tariff_session_fee", "tariff_price_per_hour"])
def test_negative_tariff_is_a_config_error_naming_the_setting(field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        Tariff.from_settings(Settings(**{field: -0.01}))
    with pytest.raises(ConfigError, match=field):
        CsmsConfig(seed=Settings(**{field: -1.0}))
    for endless in (float("inf"), float("nan")):
        with pytest.raises(ConfigError, match=f"setting {field} must be a non-negative amount"):
            CsmsConfig(seed=Settings(**{field: endless}))


def test_tariff_settings_from_the_environment() -> None:
    settings = load_settings(environ={"CSMSCHECK_TARIFF_PRICE_PER_KWH": "0.4", "CSMSCHECK_TARIFF_SESSION_FEE": "2"})
    assert Tariff.from_settings(settings) == Tariff(Decimal("0.4"), Decimal("2.0"))
    settings = load_settings(environ={"CSMSCHECK_TARIFF_PRICE_PER_HOUR": "1.2"})
    assert Tariff.from_settings(settings).price_per_hour == Decimal("1.2")
    with pytest.raises(ConfigError, match="CSMSCHECK_TARIFF_PRICE_PER_HOUR"):
        load_settings(environ={"CSMSCHECK_TARIFF_PRICE_PER_HOUR": "by the hour"})
    with pytest.raises(ConfigError, match="CSMSCHECK_TARIFF_PRICE_PER_KWH"):
        load_settings(environ={"CSMSCHECK_TARIFF_PRICE_PER_KWH": "cheap"})


def rows(*meter_values: Any) -> Any:
    return sampled_rows("CP", 1, 1, list(meter_values))


def test_energy_from_wh_and_kwh_readings_alike() -> None:
    in_wh = rows(reading(12_345, "Transaction.Begin", 0), reading(15_589.9, "Sample.Periodic", 5))
    in_kwh = rows(reading(12.345, "Transaction.Begin", 0, "kWh"), reading(15.5899, "Sample.Periodic", 5, "kWh"))
    mixed = rows(reading(12_345, "Transaction.Begin", 0), reading(15.5899, "Sample.Periodic", 5, "kWh"))
    with_multiplier = rows(reading(12.345, "Transaction.Begin", 0, "Wh", 3),
                           reading(15.5899, "Sample.Periodic", 5, "Wh", 3))
    no_unit = rows(reading(12_345, "Transaction.Begin", 0, None), reading(15_589.9, "Sample.Periodic", 5, None))
    for case in (in_wh, in_kwh, mixed, with_multiplier, no_unit):
        assert energy_used_wh(case) == pytest.approx(3244.9)
        assert tariff(0.25).cost(energy_used_wh(case) or 0) == Decimal("0.81")


def test_energy_starts_at_transaction_begin_and_ends_at_the_latest_reading() -> None:
    readings = rows(reading(900, "Sample.Clock", -15), reading(1000, "Transaction.Begin", 0),
                    reading(2010, "Transaction.End", 10), reading(6000, "Transaction.End", 20))
    assert energy_used_wh(readings) == 5000
    assert tariff(0.25).cost(5000) == Decimal("1.25")


def test_no_register_reading_means_no_energy_known() -> None:
    power = {"timestamp": rfc3339(T0), "sampledValue": [{"value": 11, "measurand": "Power.Active.Import",
                                                          "unitOfMeasure": {"unit": "kW"}}]}
    assert energy_used_wh(rows(power)) is None
    assert energy_used_wh([]) is None


def test_phase_and_ev_side_registers_are_not_the_station_meter() -> None:
    begin = reading(1000, "Transaction.Begin", 0)
    phase = reading(99_999, "Sample.Periodic", 5)
    phase["sampledValue"][0]["phase"] = "L1"
    ev = reading(88_888, "Sample.Periodic", 6)
    ev["sampledValue"][0]["location"] = "EV"
    end = reading(1500, "Sample.Periodic", 4)
    assert energy_used_wh(rows(begin, end, phase, ev)) == 500


# -- what the suite expects (csmscheck.suite.bill, worked out apart from the CSMS's code) ----------------------


HOURLY = Settings(tariff_price_per_kwh=0.25, tariff_session_fee=0.5, tariff_price_per_hour=1.2)


def test_the_suite_bills_time_too() -> None:
    assert bill.exact_cost(HOURLY, 17_060, 2700) == Decimal("5.665")
    assert bill.billed(HOURLY, 17_060, 2700) == Decimal("5.67")
    assert bill.billed(HOURLY, 17_060, -2700) == bill.billed(HOURLY, 17_060) == Decimal("4.77")


def test_a_wrong_bill_names_the_duration_when_time_costs() -> None:
    bill.check_bill(5.67, HOURLY, 17_060, "Step 9", 2700)
    with pytest.raises(StepFailed, match=r"Step 9: expected a cost of 5\.67 \(the tariff for 17060 Wh over 45 min is "
                                         r"5\.665, rounded half up to the cent\), got 4\.77"):
        bill.check_bill(4.77, HOURLY, 17_060, "Step 9", 2700)
    with pytest.raises(StepFailed, match=r"the tariff for 17060 Wh is 4\.265,"):
        bill.check_bill(4.26, Settings(), 17_060, "Step 9", 2700)  # no hourly price: the duration is not named


def test_the_half_cent_search_includes_the_time() -> None:
    wh = bill.half_cent_energy(HOURLY, 17_000, 2700)
    assert (bill.exact_cost(HOURLY, wh, 2700) * 100) % 1 == Decimal("0.5")
    # 1.20 per hour over 1 s is 0.000333...: no energy ends in exactly half a cent, the bill is checked all the same.
    assert bill.half_cent_energy(HOURLY, 17_000, 1) == 17_000
