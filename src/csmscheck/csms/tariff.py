"""The tariff of the reference CSMS (block I): what a transaction costs.

A transaction costs a fixed session fee, plus a price per kWh delivered, plus a price per hour
the session lasted, rounded half up to the cent. The figures come from the settings
(``tariff_price_per_kwh``, ``tariff_session_fee``, ``tariff_price_per_hour``), the same
settings that tell the suite what to expect. Arithmetic is decimal, so 1.005 kWh at 0.20 is
0.20, never 0.19999999. The duration is instant to instant (both kept in UTC), so a session
across a DST change or midnight is billed for the time that really passed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext

from csmscheck.csms.authorization import as_utc
from csmscheck.errors import ConfigError
from csmscheck.settings import Settings

CENT = Decimal("0.01")
# Enough digits for any float's worth of Wh to the cent (a float reaches 1.8e308): the default 28 digits make
# quantize() fail (InvalidOperation) on a meter reading a station may send, schema-valid though absurd.
COST_DIGITS = 400
SETTINGS = ("tariff_price_per_kwh", "tariff_session_fee", "tariff_price_per_hour")


def _decimal(value: float) -> Decimal:
    """The decimal a float was written as (0.1 → 0.1, not 0.1000000000000000055...)."""
    return Decimal(repr(float(value)))


def seconds_between(start: datetime, end: datetime) -> float:
    """Seconds from instant ``start`` to instant ``end`` (a stored time without a zone is UTC)."""
    return (as_utc(end) - as_utc(start)).total_seconds()


@dataclass(frozen=True)
class Tariff:
    price_per_kwh: Decimal
    session_fee: Decimal = Decimal(0)
    price_per_hour: Decimal = Decimal(0)

    @classmethod
    def from_settings(cls, settings: Settings) -> Tariff:
        for name in SETTINGS:
            value = getattr(settings, name)
            if not value >= 0 or value == float("inf"):
                raise ConfigError(f"setting {name} must be a non-negative amount, got {value!r}")
        return cls(*(_decimal(getattr(settings, name)) for name in SETTINGS))

    def exact_cost(self, energy_wh: float, seconds: float | None = 0.0) -> Decimal:
        """The unrounded cost of ``energy_wh`` over ``seconds`` (a negative amount of energy costs nothing; a
        negative or unknown duration neither)."""
        kwh = max(Decimal(0), _decimal(energy_wh)) / 1000
        cost = self.session_fee + self.price_per_kwh * kwh
        if seconds is not None and math.isfinite(seconds) and seconds > 0 and self.price_per_hour:
            cost += self.price_per_hour * _decimal(seconds) / 3600  # multiplied first: 1.8 per hour × 1 s is 0.0005
        return cost

    def cost(self, energy_wh: float, seconds: float | None = 0.0) -> Decimal:
        """What the driver pays for ``energy_wh`` over ``seconds``, to the cent."""
        with localcontext() as context:
            context.prec = COST_DIGITS
            return self.exact_cost(energy_wh, seconds).quantize(CENT, rounding=ROUND_HALF_UP)
