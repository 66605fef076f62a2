"""Meter values as the CSMS stores them, from either OCPP version's sampledValue.

Each sampled value becomes one :class:`MeterValue` row with every optional field filled in
(OCPP's defaults: measurand Energy.Active.Import.Register, context Sample.Periodic,
location Outlet) and its value in the base unit: kWh, kW, kvarh, kvar, kVA and kVAh are
scaled to Wh, W, varh, var, VA and VAh, and a 2.0.1 ``unitOfMeasure.multiplier`` (a power
of ten) is applied, so 1.5 kWh, 1500 Wh and 1.5 Wh × 10³ are stored alike.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from csmscheck.csms.models import MeterValue
from csmscheck.csms.reservation_models import SignedMeterValue
from csmscheck.timestamps import parse_time

log = logging.getLogger("csmscheck.csms")

ENERGY_REGISTER = "Energy.Active.Import.Register"
_DEFAULT_CONTEXT = "Sample.Periodic"
_DEFAULT_LOCATION = "Outlet"

# Prefixed units → (base unit, factor).
SCALED_UNITS: dict[str, tuple[str, float]] = {
    "kWh": ("Wh", 1000.0), "kW": ("W", 1000.0), "kvarh": ("varh", 1000.0), "kvar": ("var", 1000.0),
    "kVA": ("VA", 1000.0), "kVAh": ("VAh", 1000.0),
}
# The unit a value has when the station names none, by measurand prefix (first match wins).
_DEFAULT_UNITS: tuple[tuple[str, str | None], ...] = (
    ("Energy.Reactive", "varh"), ("Energy.Apparent", "VAh"), ("Energy", "Wh"),
    ("Power.Reactive", "var"), ("Power.Factor", None), ("Power", "W"),
    ("Current", "A"), ("Voltage", "V"), ("SoC", "Percent"), ("Temperature", "Celsius"),
    ("Frequency", None), ("RPM", None),
)


def default_unit(measurand: str) -> str | None:
    return next((unit for prefix, unit in _DEFAULT_UNITS if measurand.startswith(prefix)), "Wh")


def normalise(value: float, unit: str | None, multiplier: int = 0) -> tuple[float, str | None]:
    """``value`` in ``unit`` × 10^``multiplier`` as (value, unit) in the base unit.

    Never raises: a value too large for a float comes back as an infinity.
    """
    try:
        value = value * 10.0 ** multiplier
    except OverflowError:  # 10.0 ** 309 and beyond is no float
        value = math.copysign(math.inf, value) if value else 0.0
    if unit in SCALED_UNITS:
        unit, factor = SCALED_UNITS[unit]
        value *= factor
    return round(value, 6), unit


def _number(raw: Any) -> float | None:
    """The sample's finite numeric value (1.6 sends strings; SignedData blobs are not numbers).

    "NaN" and "inf" read as floats but are no readings: a meter's glitch, dropped like text.
    """
    if isinstance(raw, bool):
        return None
    try:
        number = float(raw)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def sample_row(station_id: str, transaction_pk: int | None, evse_id: int | None, timestamp: Any,
               sample: dict[str, Any]) -> MeterValue | None:
    """One sampled value (2.0.1 or 1.6) as a row, or None when its value is not a number.

    A 1.6 value in format SignedData is the meter's signed record, not a reading, even when
    it happens to look like a number.
    """
    if sample.get("format") == "SignedData":
        log.info("1.6 SignedData meter value not stored as a reading")
        return None
    number = _number(sample.get("value"))
    if number is None:
        log.warning("%s: meter value without a finite numeric value skipped: %.60r", station_id, sample.get("value"))
        return None
    measurand = sample.get("measurand", ENERGY_REGISTER)
    unit_of_measure = sample.get("unitOfMeasure")
    if isinstance(unit_of_measure, dict):  # 2.0.1
        unit = unit_of_measure.get("unit", default_unit(measurand))
        multiplier = int(unit_of_measure.get("multiplier", 0))
    else:  # 1.6 (or 2.0.1 without unitOfMeasure)
        unit, multiplier = sample.get("unit", default_unit(measurand)), 0
    value, unit = normalise(number, unit, multiplier)
    if not math.isfinite(value):
        log.warning("%s: meter value %r × 10^%d %s skipped: too large to store", station_id, number, multiplier, unit)
        return None
    row = MeterValue(station_id=station_id, transaction_pk=transaction_pk, evse_id=evse_id, timestamp=timestamp,
                     measurand=measurand, phase=sample.get("phase"), unit=unit,
                     context=sample.get("context", _DEFAULT_CONTEXT),
                     location=sample.get("location", _DEFAULT_LOCATION), value=value)
    signed = sample.get("signedMeterValue")
    if isinstance(signed, dict):
        SignedMeterValue(meter_value=row, signed_meter_data=signed["signedMeterData"],
                         signing_method=signed["signingMethod"], encoding_method=signed["encodingMethod"],
                         public_key=signed.get("publicKey", ""))
    return row


def sampled_rows(station_id: str, transaction_pk: int | None, evse_id: int | None,
                 meter_values: list[dict[str, Any]]) -> list[MeterValue]:
    """One row per sampled value of every meterValue, normalised to the base unit."""
    rows = []
    for meter_value in meter_values:
        stamp = parse_time(meter_value["timestamp"])
        for sample in meter_value["sampledValue"]:
            row = sample_row(station_id, transaction_pk, evse_id, stamp, sample)
            if row is not None:
                rows.append(row)
    return rows


def _energy_registers(rows: Sequence[MeterValue]) -> list[MeterValue]:
    """The station's own import register readings (no phase, at the outlet), oldest first."""
    registers = [r for r in rows if r.measurand == ENERGY_REGISTER and not r.phase
                 and r.location in (None, _DEFAULT_LOCATION)]
    return sorted(registers, key=lambda r: (r.timestamp, r.pk or 0))


def energy_register_wh(rows: Sequence[MeterValue]) -> float | None:
    """The latest Energy.Active.Import.Register reading (no phase) among ``rows``."""
    registers = _energy_registers(rows)
    return registers[-1].value if registers else None


def energy_used_wh(rows: Sequence[MeterValue]) -> float | None:
    """Energy delivered over a transaction's readings: latest register minus the start register.

    The start is the Transaction.Begin reading if there is one, else the earliest reading;
    None when there is no register reading at all. A meter that went backwards counts 0.
    """
    registers = _energy_registers(rows)
    if not registers:
        return None
    begins = [r for r in registers if r.context == "Transaction.Begin"]
    start = (begins or registers)[0]
    return max(0.0, registers[-1].value - start.value)


async def transaction_energy_wh(db: AsyncSession, transaction_pk: int) -> float | None:
    """:func:`energy_used_wh` over a stored transaction, reading only the two rows it needs."""
    registers = select(MeterValue).where(
        MeterValue.transaction_pk == transaction_pk, MeterValue.measurand == ENERGY_REGISTER,
        MeterValue.phase.is_(None), or_(MeterValue.location.is_(None), MeterValue.location == _DEFAULT_LOCATION))
    oldest_first = (MeterValue.timestamp.asc(), MeterValue.pk.asc())
    latest = await db.scalar(registers.order_by(MeterValue.timestamp.desc(), MeterValue.pk.desc()).limit(1))
    begin = registers.where(MeterValue.context == "Transaction.Begin")
    start = (await db.scalar(begin.order_by(*oldest_first).limit(1))
             or await db.scalar(registers.order_by(*oldest_first).limit(1)))
    return energy_used_wh([row for row in (start, latest) if row is not None])
