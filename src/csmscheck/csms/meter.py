"""Meter values as the CSMS stores them, from either OCPP version's sampledValue.

Each sampled value becomes one :class:`Reading`, stored as a :class:`MeterValue` row, with
every optional field filled in (OCPP's defaults: measurand Energy.Active.Import.Register,
context Sample.Periodic, location Outlet) and its value in the base unit: kWh, kW, kvarh,
kvar, kVA and kVAh are scaled to Wh, W, varh, var, VA and VAh, and a 2.0.1
``unitOfMeasure.multiplier`` (a power of ten) is applied, so 1.5 kWh, 1500 Wh and
1.5 Wh × 10³ are stored alike.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from csmscheck.csms.authorization import as_utc
from csmscheck.csms.group_commit import Insert
from csmscheck.csms.models import MeterValue, Transaction
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


@dataclass(frozen=True, slots=True)
class Reading:
    """One sampled value as the meter_values table stores it, and its signature if it came with one.

    A plain object, not an ORM instance: the common TransactionEvent makes a few of these per
    message, and mapped instances would cost their instrumentation and leave reference cycles
    for the garbage collector.
    """

    station_id: str
    transaction_pk: int | None
    evse_id: int | None
    timestamp: datetime
    measurand: str
    phase: str | None
    unit: str | None
    context: str | None
    location: str | None
    value: float
    signed: dict[str, Any] | None = None  # 2.0.1 signedMeterValue

    def values(self) -> dict[str, Any]:
        """The reading as a row of the meter_values table."""
        return {key: getattr(self, key) for key in _READING_COLUMNS}


def sample_row(station_id: str, transaction_pk: int | None, evse_id: int | None, timestamp: Any,
               sample: dict[str, Any]) -> Reading | None:
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
    signed = sample.get("signedMeterValue")
    return Reading(station_id, transaction_pk, evse_id, timestamp, measurand, sample.get("phase"), unit,
                   sample.get("context", _DEFAULT_CONTEXT), sample.get("location", _DEFAULT_LOCATION), value,
                   signed if isinstance(signed, dict) else None)


def sampled_rows(station_id: str, transaction_pk: int | None, evse_id: int | None,
                 meter_values: list[dict[str, Any]]) -> list[Reading]:
    """One reading per sampled value of every meterValue, normalised to the base unit."""
    rows = []
    for meter_value in meter_values:
        stamp = parse_time(meter_value["timestamp"])
        for sample in meter_value["sampledValue"]:
            row = sample_row(station_id, transaction_pk, evse_id, stamp, sample)
            if row is not None:
                rows.append(row)
    return rows


def is_energy_register(row: Reading | MeterValue) -> bool:
    """A reading of the station's own import register: no phase, at the outlet."""
    return row.measurand == ENERGY_REGISTER and not row.phase and row.location in (None, _DEFAULT_LOCATION)


def energy_used_wh(rows: Sequence[Reading | MeterValue]) -> float | None:
    """Energy delivered over a transaction's readings, in arrival order: latest register minus
    the start register (see :func:`follow_readings`); None without a register reading."""
    scratch = Transaction()
    follow_readings(scratch, rows, with_start=True)
    return transaction_energy_wh(scratch)


def transaction_energy_wh(tx: Transaction) -> float | None:
    """:func:`energy_used_wh` of a transaction, from the readings kept on it as they arrived
    (see :mod:`csmscheck.csms.transaction_events`): no stored reading is read again."""
    if tx.meter_last_wh is None or tx.meter_start_wh is None:
        return None
    return max(0.0, tx.meter_last_wh - tx.meter_start_wh)


def follow_readings(tx: Transaction, rows: Sequence[Reading | MeterValue], *, with_start: bool) -> None:
    """Keep what the transaction's energy depends on up to date with newly stored ``rows``, so
    nothing is recomputed from earlier readings: the latest register reading (by meter time;
    a tie goes to the later arrival) and, ``with_start`` (2.0.1, which has no meterStart),
    the start reading: the earliest Transaction.Begin reading, else the earliest of all."""
    for row in filter(is_energy_register, rows):
        at = as_utc(row.timestamp)
        begin = row.context == "Transaction.Begin"
        if with_start and _better_start(tx, begin, at):
            tx.meter_start_wh, tx.meter_start_at, tx.meter_start_is_begin = row.value, at, begin
        if tx.meter_last_at is None or at >= as_utc(tx.meter_last_at):
            tx.meter_last_wh, tx.meter_last_at = row.value, at


def _better_start(tx: Transaction, begin: bool, at: datetime) -> bool:
    """Whether a register reading (a Transaction.Begin one or not, taken ``at``) is the meter start
    rather than the one kept: a Begin reading beats any other, then the earlier one wins."""
    if tx.meter_start_at is None:
        return True
    if begin != bool(tx.meter_start_is_begin):
        return begin
    return at < as_utc(tx.meter_start_at)


def _identity(row: Reading) -> tuple[object, ...]:
    return (as_utc(row.timestamp), row.evse_id, row.transaction_pk, row.measurand, row.phase, row.context,
            row.location)


async def store_new_readings(db: AsyncSession, station_id: str, transaction_pk: int | None, evse_id: int | None,
                             meter_values: list[dict[str, Any]]) -> list[Reading]:
    """Store the readings of ``meter_values`` the CSMS does not have yet, and answer them."""
    rows = await _unseen(db, station_id, sampled_rows(station_id, transaction_pk, evse_id, meter_values))
    await store_readings(db, rows)
    return rows


async def _unseen(db: AsyncSession, station_id: str, rows: Sequence[Reading]) -> list[Reading]:
    """``rows`` less the readings already stored: a station that resends a MeterValues whose
    answer it never saw (it crashed, the connection dropped) does not count the energy twice.
    A reading is the same when its time, EVSE, transaction, measurand, phase, context and
    location are; one indexed query over the message's timestamps, whatever is stored."""
    stamps = {row.timestamp for row in rows}
    if not stamps:
        return []
    stored = await db.execute(
        select(MeterValue.timestamp, MeterValue.evse_id, MeterValue.transaction_pk, MeterValue.measurand,
               MeterValue.phase, MeterValue.context, MeterValue.location)
        .where(MeterValue.station_id == station_id, MeterValue.timestamp.in_(stamps)))
    seen = {(as_utc(stamp), *rest) for stamp, *rest in stored}
    return [row for row in rows if _identity(row) not in seen]


_READINGS = cast(Table, MeterValue.__table__)
_READING_COLUMNS = [column.key for column in _READINGS.columns if not column.primary_key]


def deferred_readings(rows: Sequence[Reading]) -> Insert:
    """Readings (none of them signed) for the group committer."""
    return Insert(_READINGS, [row.values() for row in rows])


async def store_readings(db: AsyncSession, rows: Sequence[Reading]) -> None:
    """Insert readings: plain ones in one statement for all, signed ones (a signature row each) one by one."""
    plain = [row.values() for row in rows if row.signed is None]
    if plain:
        # The table, not the entity: a Core statement, which does not flush the session first.
        await db.execute(insert(_READINGS), plain)
    for row in rows:
        if row.signed is not None:
            signed = row.signed
            db.add(SignedMeterValue(meter_value=MeterValue(**row.values()),
                                    signed_meter_data=signed["signedMeterData"],
                                    signing_method=signed["signingMethod"], encoding_method=signed["encodingMethod"],
                                    public_key=signed.get("publicKey", "")))
