"""What a session must cost, worked out by the suite on its own, and times as a station in a real place writes them.

The expectation never comes from the reference CSMS's tariff code: a CSMS patched to round
the wrong way would change the expectation with it. The tariff is the one the settings
name (``tariff_price_per_kwh``, ``tariff_session_fee``, ``tariff_price_per_hour``): the
session fee plus the price of the energy delivered plus the price of the time the session
took (the true duration, instant to instant), rounded half up to the cent. Decimal
arithmetic from the figures as written, so 0.1 is 0.1.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from csmscheck.errors import StepFailed
from csmscheck.settings import Settings
from csmscheck.timestamps import parse_time

CENT = Decimal("0.01")
HALF_A_CENT = Decimal("0.005")
# A CSMS may bill in binary floating point: 12.35 may come as 12.350000000000001. Noise
# below a tenth of a cent is that; a whole cent off is a wrong bill.
BILL_NOISE = Decimal("0.001")


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def seconds_between(start: str, end: str) -> float:
    """The seconds that passed from timestamp ``start`` to timestamp ``end`` (instants, whatever their offsets)."""
    return (parse_time(end) - parse_time(start)).total_seconds()


def exact_cost(cfg: Settings, energy_wh: float, seconds: float = 0.0) -> Decimal:
    """The tariff for ``energy_wh`` over ``seconds``, unrounded (no energy, or a negative amount, costs the session
    fee; a negative duration costs no time)."""
    kwh = max(Decimal(0), _decimal(energy_wh)) / 1000
    cost = _decimal(cfg.tariff_session_fee) + _decimal(cfg.tariff_price_per_kwh) * kwh
    if math.isfinite(seconds) and seconds > 0:
        cost += _decimal(cfg.tariff_price_per_hour) * _decimal(seconds) / 3600
    return cost


def billed(cfg: Settings, energy_wh: float, seconds: float = 0.0) -> Decimal:
    """What the driver pays for ``energy_wh`` over ``seconds``: the exact cost rounded half up to the cent."""
    return exact_cost(cfg, energy_wh, seconds).quantize(CENT, rounding=ROUND_HALF_UP)


def what_for(cfg: Settings, energy_wh: float, seconds: float = 0.0) -> str:
    """What is billed, as a message names it: "17060 Wh", with its duration when time costs ("over 45 min")."""
    if not cfg.tariff_price_per_hour:
        return f"{energy_wh:g} Wh"
    span = f"{seconds / 60:g} min" if seconds % 60 == 0 else f"{seconds:g} s"
    return f"{energy_wh:g} Wh over {span}"


def check_bill(actual: float | None, cfg: Settings, energy_wh: float, label: str, seconds: float = 0.0) -> None:
    """``actual`` is the bill for ``energy_wh`` over ``seconds`` to the cent; otherwise StepFailed naming both
    amounts."""
    expected = billed(cfg, energy_wh, seconds)
    what = what_for(cfg, energy_wh, seconds)
    if actual is None:
        raise StepFailed(f"{label}: expected a cost of {expected} (the tariff for {what}), got none")
    if abs(_decimal(actual) - expected) > BILL_NOISE:
        exact = exact_cost(cfg, energy_wh, seconds).normalize()
        raise StepFailed(f"{label}: expected a cost of {expected} (the tariff for {what} is {exact}, rounded half up "
                         f"to the cent), got {actual}")


def half_cent_energy(cfg: Settings, at_least_wh: int, seconds: float = 0.0) -> int:
    """The first whole Wh from ``at_least_wh`` whose exact cost over ``seconds`` ends in exactly half a cent after
    an even cent (x.x45 rather than x.x55 at 0.25 per kWh): rounded half up, it is a cent more than rounded down,
    truncated or rounded half to even. Where the tariff's half cents all follow odd cents, the first half cent
    (half to even then rounds up too). Where it has no half cent at all (with that duration), ``at_least_wh``:
    the bill is still checked to the cent."""
    first: int | None = None
    for wh in range(at_least_wh, at_least_wh + 100_000):
        cents = exact_cost(cfg, wh, seconds) * 100
        if cents - int(cents) != Decimal("0.5"):
            continue
        if int(cents) % 2 == 0:
            return wh
        first = wh if first is None else first
    return at_least_wh if first is None else first


def local_time(moment: datetime, zone: str) -> str:
    """``moment`` as a station in ``zone`` (an IANA name, e.g. Europe/Berlin) writes it: its wall-clock time
    with the UTC offset the zone had at that instant, to the millisecond."""
    return moment.astimezone(ZoneInfo(zone)).isoformat(timespec="milliseconds")
