"""The energy tariff of the reference CSMS (block I): what a transaction costs.

A transaction costs a fixed session fee plus a price per kWh delivered, rounded half up
to the cent. The figures come from the settings (``tariff_price_per_kwh``,
``tariff_session_fee``), the same settings that tell the suite what to expect.
Arithmetic is decimal, so 1.005 kWh at 0.20 is 0.20, never 0.19999999.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from csmscheck.errors import ConfigError
from csmscheck.settings import Settings

CENT = Decimal("0.01")
# Enough digits for any float's worth of Wh to the cent (a float reaches 1.8e308): the default 28 digits make
# quantize() fail (InvalidOperation) on a meter reading a station may send, schema-valid though absurd.
COST_DIGITS = 400


def _decimal(value: float) -> Decimal:
    """The decimal a float was written as (0.1 → 0.1, not 0.1000000000000000055...)."""
    return Decimal(repr(float(value)))


@dataclass(frozen=True)
class Tariff:
    price_per_kwh: Decimal
    session_fee: Decimal = Decimal(0)

    @classmethod
    def from_settings(cls, settings: Settings) -> Tariff:
        for name in ("tariff_price_per_kwh", "tariff_session_fee"):
            value = getattr(settings, name)
            if not value >= 0 or value == float("inf"):
                raise ConfigError(f"setting {name} must be a non-negative amount, got {value!r}")
        return cls(_decimal(settings.tariff_price_per_kwh), _decimal(settings.tariff_session_fee))

    def exact_cost(self, energy_wh: float) -> Decimal:
        """The unrounded cost of ``energy_wh`` (a negative amount of energy costs nothing)."""
        kwh = max(Decimal(0), _decimal(energy_wh)) / 1000
        return self.session_fee + self.price_per_kwh * kwh

    def cost(self, energy_wh: float) -> Decimal:
        """What the driver pays for ``energy_wh``, to the cent."""
        with localcontext() as context:
            context.prec = COST_DIGITS
            return self.exact_cost(energy_wh).quantize(CENT, rounding=ROUND_HALF_UP)
