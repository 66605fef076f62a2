"""The reference CSMS's tariff: cost arithmetic, rounding to the cent, and energy from Wh or kWh readings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from csmscheck.csms.config import CsmsConfig
from csmscheck.csms.meter import energy_used_wh, sampled_rows
from csmscheck.csms.tariff import Tariff
from csmscheck.errors import ConfigError
from csmscheck.settings import Settings, load_settings
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


@pytest.mark.parametrize("field", ["tariff_price_per_kwh", "tariff_session_fee"])
def test_negative_tariff_is_a_config_error_naming_the_setting(field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        Tariff.from_settings(Settings(**{field: -0.01}))
    with pytest.raises(ConfigError, match=field):
        CsmsConfig(seed=Settings(**{field: -1.0}))


def test_tariff_settings_from_the_environment() -> None:
    settings = load_settings(environ={"CSMSCHECK_TARIFF_PRICE_PER_KWH": "0.4", "CSMSCHECK_TARIFF_SESSION_FEE": "2"})
    assert Tariff.from_settings(settings) == Tariff(Decimal("0.4"), Decimal("2.0"))
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
