"""Payloads rewritten the way a vendor writes them, with the same meaning.

Pure functions over camelCase payloads (never the input itself: a copy is changed). The
energy register in kWh is the same energy (exact decimal arithmetic, so 21500 Wh is 21.5
kWh); rows per phase add up to the total; a power, export or signed row beside the register
leaves the register as it was; a timestamp in another offset, or cut to whole seconds, names
the same instant (to the second); a token in another letter case is the same token (OCPP
defines idTokens as case-insensitive).
"""

from __future__ import annotations

import contextlib
import copy
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from csmscheck.station.quirks.model import Meter, Time, Tokens
from csmscheck.timestamps import parse_time

Payload = dict[str, Any]
REGISTER = "Energy.Active.Import.Register"
PHASES = ("L1", "L2", "L3")
_PHASE_RESOLUTION = Decimal("0.001")
# A signed record of the register (OCMF, base64); what it signs is not checked by a CSMS that only bills.
_SIGNED_16 = "T0NNRnx7IlJEIjpbeyJSViI6MCwiUkkiOiIwMS0wMDowMC4wOC4wMC4wMCJ9XX0="
_SIGNED_201 = {"signedMeterData": _SIGNED_16, "signingMethod": "ECDSA-secp256r1-SHA256", "encodingMethod": "OCMF",
               "publicKey": "Y3Ntc2NoZWNrIHF1aXJrcyBtZXRlciBrZXk="}


def shaped(payload: Payload, version: str, meter: Meter, time: Time, tokens: Tokens) -> Payload:
    """``payload`` written with the profile's meter values, timestamps and tokens."""
    result = copy.deepcopy(payload)
    if meter.reshapes:
        for key in ("meterValue", "transactionData"):  # MeterValues, TransactionEvent; 1.6 StopTransaction
            for meter_value in result.get(key) or []:
                if isinstance(meter_value, dict) and isinstance(meter_value.get("sampledValue"), list):
                    meter_value["sampledValue"] = _samples(meter_value["sampledValue"], version, meter)
    if time != Time():
        _times(result, _zone(time), time.milliseconds)
    if tokens.case != "as-is":
        _tokens(result, str.lower if tokens.case == "lower" else str.upper)
    return result


# -- meter values --------------------------------------------------------------------------------


def _is_register(sample: Payload, version: str) -> bool:
    """The plain import register in Wh: the row this module rewrites (a phase, another location, a unit
    other than Wh or a multiplier is left as it came)."""
    if sample.get("measurand", REGISTER) != REGISTER or "phase" in sample:
        return False
    if sample.get("location", "Outlet") != "Outlet" or sample.get("format") == "SignedData":
        return False
    if version == "1.6":
        return bool(sample.get("unit", "Wh") == "Wh")
    unit = sample.get("unitOfMeasure") or {}
    return unit.get("unit", "Wh") == "Wh" and not unit.get("multiplier")


def _number(value: Decimal, version: str) -> Any:
    """A value as the version writes it: 1.6 a decimal string, 2.0.1 a JSON number."""
    if version == "1.6":
        return format(value.normalize(), "f")
    return int(value) if value == value.to_integral_value() else float(value)


def _valued(version: str, value: Decimal, unit: str) -> Payload:
    """The value and its unit, as the version writes them."""
    written_unit = {"unit": unit} if version == "1.6" else {"unitOfMeasure": {"unit": unit}}
    return {"value": _number(value, version)} | written_unit


def _row(template: Payload, version: str, value: Decimal, unit: str, **fields: Any) -> Payload:
    """A sampled value beside ``template`` (with its context and location), in the version's shape."""
    return {k: v for k, v in template.items() if k in ("context", "location")} | fields | _valued(version, value, unit)


def _samples(samples: list[Any], version: str, meter: Meter) -> list[Any]:
    out: list[Any] = []
    for sample in samples:
        if not isinstance(sample, dict) or not _is_register(sample, version):
            out.append(sample)
            continue
        wh = Decimal(str(sample["value"]))
        scale, unit = (Decimal(1000), "kWh") if meter.unit == "kWh" else (Decimal(1), "Wh")
        total = {k: v for k, v in sample.items() if k not in ("unit", "unitOfMeasure")} | _valued(
            version, wh / scale, unit)
        if meter.signed and version == "2.0.1":
            total["signedMeterValue"] = dict(_SIGNED_201)
        measurand = {"measurand": sample["measurand"]} if "measurand" in sample else {"measurand": REGISTER}
        third = (wh / scale / 3).quantize(_PHASE_RESOLUTION)  # a meter writes a few decimals; the total stays exact
        phases = [_row(sample, version, third, unit, phase=phase, **measurand) for phase in PHASES]
        beside: list[Payload] = []
        if meter.power_w is not None:
            beside.append(_row(sample, version, Decimal(str(meter.power_w)), "W", measurand="Power.Active.Import"))
        if meter.export_wh is not None:
            beside.append(_row(sample, version, Decimal(str(meter.export_wh)) / scale, unit,
                               measurand="Energy.Active.Export.Register"))
        if meter.signed and version == "1.6":
            beside.append({k: v for k, v in sample.items() if k in ("context", "location")}
                          | {"value": _SIGNED_16, "format": "SignedData", "measurand": REGISTER})
        if meter.phases == "before":
            out += [*beside, *phases, total]
        elif meter.phases == "after":
            out += [*beside, total, *phases]
        else:
            out += [*beside, total]
    return out


# -- timestamps ----------------------------------------------------------------------------------


def _zone(time: Time) -> tzinfo:
    if time.zone is not None:
        return ZoneInfo(time.zone)
    if time.offset is not None:
        sign = -1 if time.offset[0] == "-" else 1
        hours, minutes = int(time.offset[1:3]), int(time.offset[4:6])
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    return UTC


def written(moment: datetime, zone: tzinfo, milliseconds: bool) -> str:
    """``moment`` as the vendor writes it: local time with the zone's offset at that instant."""
    text = moment.astimezone(zone).isoformat(timespec="milliseconds" if milliseconds else "seconds")
    return text.replace("+00:00", "Z") if zone is UTC else text


def _times(node: Any, zone: tzinfo, milliseconds: bool) -> None:
    """Every ``timestamp`` in the payload, rewritten in place."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "timestamp" and isinstance(value, str):
                with contextlib.suppress(ValueError):  # not a time this module can read: left as it came
                    node[key] = written(parse_time(value), zone, milliseconds)
            else:
                _times(value, zone, milliseconds)
    elif isinstance(node, list):
        for item in node:
            _times(item, zone, milliseconds)


# -- tokens --------------------------------------------------------------------------------------


def _tokens(node: Any, case: Any) -> None:
    """1.6 ``idTag`` and 2.0.1 ``idToken.idToken`` (the station's own tokens) in the vendor's letter case."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "idTag" and isinstance(value, str):
                node[key] = case(value)
            elif key == "idToken" and isinstance(value, dict) and isinstance(value.get("idToken"), str):
                value["idToken"] = case(value["idToken"])
            else:
                _tokens(value, case)
    elif isinstance(node, list):
        for item in node:
            _tokens(item, case)
