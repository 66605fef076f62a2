"""Meter values as the CSMS stores them, from either OCPP version's sampledValue."""

from __future__ import annotations

from typing import Any

from csmscheck.csms.models import MeterValue
from csmscheck.timestamps import parse_time

_TO_BASE = {"kWh": 1000.0, "kW": 1000.0, "kvarh": 1000.0, "kvar": 1000.0, "kVA": 1000.0}


def sampled_rows(station_id: str, transaction_pk: int | None, evse_id: int | None,
                 meter_values: list[dict[str, Any]]) -> list[MeterValue]:
    """One row per sampled value, normalised to Wh/W (kWh and kW are scaled)."""
    rows = []
    for meter_value in meter_values:
        stamp = parse_time(meter_value["timestamp"])
        for sample in meter_value["sampledValue"]:
            unit_of_measure = sample.get("unitOfMeasure") or {}
            unit = unit_of_measure.get("unit") if isinstance(unit_of_measure, dict) else None
            unit = unit or sample.get("unit") or "Wh"
            multiplier = 10 ** unit_of_measure.get("multiplier", 0) if isinstance(unit_of_measure, dict) else 1
            value = float(sample["value"]) * multiplier * _TO_BASE.get(unit, 1.0)
            rows.append(MeterValue(
                station_id=station_id, transaction_pk=transaction_pk, evse_id=evse_id, timestamp=stamp,
                measurand=sample.get("measurand", "Energy.Active.Import.Register"), phase=sample.get("phase"),
                unit=unit.removeprefix("k") if unit in _TO_BASE else unit, context=sample.get("context"),
                location=sample.get("location"), value=value,
            ))
    return rows


def energy_register_wh(rows: list[MeterValue]) -> float | None:
    """The latest Energy.Active.Import.Register reading (no phase) among ``rows``."""
    registers = [r for r in rows if r.measurand == "Energy.Active.Import.Register" and not r.phase]
    return max(registers, key=lambda r: r.timestamp).value if registers else None
