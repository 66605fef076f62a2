"""What a session must cost, worked out by the suite on its own, and times as a station in a real place writes them.

The expectation never comes from the reference CSMS's tariff code: a CSMS patched to round
the wrong way would change the expectation with it. The tariff is the one the settings
name (``tariff_price_per_kwh``, ``tariff_session_fee``): the session fee plus the price of
the energy delivered, rounded half up to the cent. Decimal arithmetic from the figures as
written, so 0.1 is 0.1.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from csmscheck.errors import NotApplicable, StepFailed
from csmscheck.settings import Settings

CENT = Decimal("0.01")
HALF_A_CENT = Decimal("0.005")
# A CSMS may bill in binary floating point: 12.35 may come as 12.350000000000001. Noise
# below a tenth of a cent is that; a whole cent off is a wrong bill.
BILL_NOISE = Decimal("0.001")


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def exact_cost(cfg: Settings, energy_wh: float) -> Decimal:
    """The tariff for ``energy_wh``, unrounded (no energy, or a negative amount, costs the session fee)."""
    kwh = max(Decimal(0), _decimal(energy_wh)) / 1000
    return _decimal(cfg.tariff_session_fee) + _decimal(cfg.tariff_price_per_kwh) * kwh


def billed(cfg: Settings, energy_wh: float) -> Decimal:
    """What the driver pays for ``energy_wh``: the exact cost rounded half up to the cent."""
    return exact_cost(cfg, energy_wh).quantize(CENT, rounding=ROUND_HALF_UP)


def check_bill(actual: float | None, cfg: Settings, energy_wh: float, label: str) -> None:
    """``actual`` is the bill for ``energy_wh`` to the cent; otherwise StepFailed naming both amounts."""
    expected = billed(cfg, energy_wh)
    if actual is None:
        raise StepFailed(f"{label}: expected a cost of {expected} (the tariff for {energy_wh:g} Wh), got none")
    if abs(_decimal(actual) - expected) > BILL_NOISE:
        raise StepFailed(f"{label}: expected a cost of {expected} (the tariff for {energy_wh:g} Wh is "
                         f"{exact_cost(cfg, energy_wh).normalize()}, rounded half up to the cent), got {actual}")


def half_cent_energy(cfg: Settings, at_least_wh: int) -> int:
    """The first whole Wh from ``at_least_wh`` whose exact cost ends in exactly half a cent after an even cent
    (x.x45 rather than x.x55 at 0.25 per kWh): rounded half up, it is a cent more than rounded down, truncated or
    rounded half to even. Where the tariff's half cents all follow odd cents, the first half cent (half to even
    then rounds up too). NotApplicable when the configured tariff has no half cent at all."""
    first: int | None = None
    for wh in range(at_least_wh, at_least_wh + 100_000):
        cents = exact_cost(cfg, wh) * 100
        if cents - int(cents) != Decimal("0.5"):
            continue
        if int(cents) % 2 == 0:
            return wh
        first = wh if first is None else first
    if first is not None:
        return first
    raise NotApplicable(f"the configured tariff ({cfg.tariff_price_per_kwh:g} per kWh, session fee "
                        f"{cfg.tariff_session_fee:g}) gives no cost ending in half a cent")


def local_time(moment: datetime, zone: str) -> str:
    """``moment`` as a station in ``zone`` (an IANA name, e.g. Europe/Berlin) writes it: its wall-clock time
    with the UTC offset the zone had at that instant, to the millisecond."""
    return moment.astimezone(ZoneInfo(zone)).isoformat(timespec="milliseconds")
