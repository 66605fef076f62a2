"""Block J: meter values — clock-aligned and sampled, outside and inside transactions, signed.

The cases have no tool validations: the CSMS must answer every MeterValuesRequest and
TransactionEventRequest with a valid response (J01.FR.18, J02.FR.19), whatever the
readings hold. The station reports what a real meter reports: the energy register
(Wh, once in kWh), power, current and voltage per phase, state of charge, and signed
readings (OCMF, ECDSA P-256) where a case asks for them.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from csmscheck.expect import assert_matches, step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.station.model import next_event_id
from csmscheck.station.states import v201 as states
from csmscheck.suite.marks import octt
from csmscheck.timestamps import rfc3339

Payload = dict[str, Any]
CLOCK_INTERVAL = timedelta(minutes=15)  # the station's AlignedDataInterval outside transactions
REGISTER = "Energy.Active.Import.Register"


# -- what the station measures ---------------------------------------------------------------


def aligned(moment: datetime | None = None, interval: timedelta = CLOCK_INTERVAL) -> datetime:
    """The latest clock-aligned instant (a whole multiple of ``interval`` since midnight) up to ``moment``."""
    moment = moment or datetime.now(UTC)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + interval * ((moment - midnight) // interval)


@cache
def _meter_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def signed(wh: float, stamp: str, context: str) -> Payload:
    """A signedMeterValue for an energy reading: an OCMF record signed with the meter's P-256 key."""
    reading = {"TM": stamp, "TX": "E" if context == "Transaction.End" else "T", "RV": round(wh / 1000, 4),
               "RI": "01-00:01.08.00.FF", "RU": "kWh", "ST": "G"}
    body = json.dumps({"FV": "1.0", "GI": "csmscheck", "GS": "CSMSCHECK-0001", "PG": "T1", "RD": [reading]},
                      separators=(",", ":"))
    signature = _meter_key().sign(body.encode(), ec.ECDSA(hashes.SHA256())).hex().upper()
    record = f'OCMF|{body}|{{"SA":"ECDSA-secp256r1-SHA256","SD":"{signature}"}}'
    public_key = _meter_key().public_key().public_bytes(serialization.Encoding.DER,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    return {"signedMeterData": base64.b64encode(record.encode()).decode(), "signingMethod": "ECDSA-secp256r1-SHA256",
            "encodingMethod": "OCMF", "publicKey": base64.b64encode(public_key).decode()}


def meter_value(wh: float, context: str, stamp: datetime | None = None, *, sign: bool = False,
                in_kwh: bool = False) -> Payload:
    """One meterValue: the energy register plus power, current and voltage per phase, and SoC."""
    when = rfc3339(stamp)
    energy: Payload = {"value": round(wh / 1000, 6) if in_kwh else round(wh, 3), "context": context,
                       "measurand": REGISTER, "location": "Outlet",
                       "unitOfMeasure": {"unit": "kWh" if in_kwh else "Wh"}}
    if sign:
        energy["signedMeterValue"] = signed(wh, when, context)
    samples = [energy, {"value": 11.04, "context": context, "measurand": "Power.Active.Import",
                        "unitOfMeasure": {"unit": "kW"}}]
    samples += [{"value": 16.0, "context": context, "measurand": "Current.Import", "phase": phase,
                 "unitOfMeasure": {"unit": "A"}} for phase in ("L1", "L2", "L3")]
    samples += [{"value": 230.1, "context": context, "measurand": "Voltage", "phase": "L1-N",
                 "unitOfMeasure": {"unit": "V"}},
                {"value": 42, "context": context, "measurand": "SoC", "location": "EV",
                 "unitOfMeasure": {"unit": "Percent"}}]
    return {"timestamp": when, "sampledValue": samples}


# -- steps -----------------------------------------------------------------------------------


async def _answered(station: Station, action: str, payload: Payload, label: str) -> Payload:
    """Send a CALL; a CALLERROR, no answer or an invalid answer fails step ``label``."""
    with step(label):
        return await station.call(action, payload)


async def _clock_aligned(station: Station, evse_ids: list[int], messages: int, step: str) -> None:
    """Clock-aligned readings of ``evse_ids`` (0: the station's main meter): a MeterValuesRequest and
    a periodic FiscalMetering NotifyEvent each, at ``messages`` consecutive aligned instants."""
    last = aligned()
    for number in range(messages):
        stamp = last - CLOCK_INTERVAL * (messages - 1 - number)
        for evse_id in evse_ids:
            wh = 50_000.0 * (evse_id + 1) + 1_000.0 * number
            where = f"{step} (EVSE {evse_id}, message {number + 1})"
            await _answered(station, "MeterValues", {
                "evseId": evse_id, "meterValue": [meter_value(wh, "Sample.Clock", stamp, in_kwh=evse_id == 0)]}, where)
            await _answered(station, "NotifyEvent", fiscal_metering_event(evse_id, wh, stamp), where)


def fiscal_metering_event(evse_id: int, wh: float, stamp: datetime) -> Payload:
    component: Payload = {"name": "FiscalMetering"}
    if evse_id:
        component["evse"] = {"id": evse_id}
    return {"generatedAt": rfc3339(), "seqNo": 0, "eventData": [{
        "eventId": next_event_id(), "timestamp": rfc3339(stamp),
        "trigger": "Periodic", "actualValue": f"{wh:g}", "eventNotificationType": "PreconfiguredMonitor",
        "component": component, "variable": {"name": "EnergyImportRegister"}}]}


async def _event(station: Station, event_type: str, trigger_reason: str, meter: list[Payload], label: str,
                 *, evse: bool | None = None, **fields: Any) -> Payload:
    """A TransactionEvent of the station's transaction with ``meter``; ``evse`` False leaves the EVSE
    out of a first event (not known yet), True names it on a later one."""
    model = station.model
    tx = model.transaction or model.new_transaction(station.cfg.evse_id, station.cfg.connector_id)
    payload = msg.transaction_event(tx, event_type, trigger_reason, **fields)
    if evse is False:
        payload.pop("evse", None)
    elif evse:
        payload["evse"] = {"id": tx.evse_id, "connectorId": tx.connector_id}
    if meter:
        payload["meterValue"] = meter
    with step(label):
        response = await states.deliver_event(station, payload)
    tx.started = True
    if event_type == "Ended":
        model.end_transaction()
        model.ev_connected = False
    return response


async def _ends_with(station: Station, context: str, *, sign: bool = False) -> None:
    """EVDisconnected, the Ended event carrying ``context`` readings and finally a Transaction.End one."""
    await states.ev_connected_post_session(station)
    await states.connector_event(station, "Available")
    meter = station.model.meter_wh
    stamp = aligned(interval=timedelta(seconds=1)) if context == "Sample.Clock" else None
    readings = [meter_value(meter, context, stamp, sign=sign), meter_value(meter, "Transaction.End", sign=sign)]
    await _event(station, "Ended", "EVCommunicationLost", readings, "Step 1 (EVDisconnected, eventType Ended)",
                 charging_state="Idle", stopped_reason="EVDisconnected")


@octt("TC_J_01", reqs=["J01.FR.18"])
async def test_tc_j_01(station: Station, cfg: Settings) -> None:
    """Clock-aligned Meter Values - No transaction ongoing."""
    await _clock_aligned(station, list(range(cfg.number_of_evses + 1)), 3, "Step 1")


@octt("TC_J_02", reqs=["J01.FR.18"])
async def test_tc_j_02(station: Station, cfg: Settings) -> None:
    """Clock-aligned Meter Values - Transaction ongoing."""
    await states.energy_transfer_started(station)
    idle = [e for e in range(cfg.number_of_evses + 1) if e != cfg.evse_id]
    await _clock_aligned(station, idle, 1, "Step 1")
    for number in (1, 2):
        meter = station.model.add_energy(750.0)
        await _event(station, "Updated", "MeterValueClock",
                     [meter_value(meter, "Sample.Clock", aligned(interval=timedelta(seconds=1)))],
                     f"Step 3 (clock-aligned interval {number})")


@octt("TC_J_03", reqs=["J01.FR.18"])
async def test_tc_j_03(station: Station) -> None:
    """Clock-aligned Meter Values - EventType Ended."""
    await states.energy_transfer_started(station)
    await _ends_with(station, "Sample.Clock")


@octt("TC_J_04", reqs=["J01.FR.21"])
async def test_tc_j_04(station: Station) -> None:
    """Clock-aligned Meter Values - Signed."""
    await states.energy_transfer_started(station)
    await _ends_with(station, "Sample.Clock", sign=True)


@octt("TC_J_07", reqs=["J02.FR.19"])
async def test_tc_j_07(station: Station) -> None:
    """Sampled Meter Values - EventType Started - EVSE known."""
    await states.booted(station)
    await states.connector_event(station, "Occupied")
    meter = station.model.add_energy(4321.0)
    await _event(station, "Started", "CablePluggedIn", [meter_value(meter, "Transaction.Begin")],
                 "Step 1 (EVConnectedPreSession, Transaction.Begin)", charging_state="EVConnected")
    station.model.ev_connected = True


@octt("TC_J_08", reqs=["J02.FR.19"])
async def test_tc_j_08(station: Station) -> None:
    """Sampled Meter Values - Context Transaction.Begin - EVSE not known."""
    # Step 1: the reusable state Authorized (with its tool validations), the EVSE not known yet.
    token, state = states.valid_token(station), "Step 1: Authorized state"
    response = await _answered(station, "Authorize", {"idToken": token}, state)
    assert_matches(response, {"idTokenInfo": {"status": "Accepted"}}, f"{state}: Step 2: AuthorizeResponse")
    response = await _event(station, "Started", "Authorized", [], state, evse=False, token=token)
    assert_matches(response, {"idTokenInfo": {"status": "Accepted"}}, f"{state}: Step 4: TransactionEventResponse")
    station.model.authorized = True
    await states.connector_event(station, "Occupied")
    meter = station.model.add_energy(2500.0)
    await _event(station, "Updated", "CablePluggedIn", [meter_value(meter, "Transaction.Begin")],
                 "Step 2 (EVConnectedPreSession, Transaction.Begin)", evse=True, charging_state="EVConnected")
    station.model.ev_connected = True
    await states.energy_transfer_started(station)


@octt("TC_J_09", reqs=["J02.FR.19"])
async def test_tc_j_09(station: Station) -> None:
    """Sampled Meter Values - EventType Updated."""
    await states.energy_transfer_started(station)
    for number in (1, 2, 3):
        meter = station.model.add_energy(333.3)
        await _event(station, "Updated", "MeterValuePeriodic", [meter_value(meter, "Sample.Periodic")],
                     f"Step 1 (meter value {number})")


@octt("TC_J_10", reqs=["J02.FR.19"])
async def test_tc_j_10(station: Station) -> None:
    """Sampled Meter Values - EventType Ended."""
    await states.energy_transfer_started(station)
    await _ends_with(station, "Sample.Periodic")


@octt("TC_J_11", reqs=["J02.FR.21"])
async def test_tc_j_11(station: Station) -> None:
    """Sampled Meter Values - Signed."""
    await states.energy_transfer_started(station)
    await _ends_with(station, "Sample.Periodic", sign=True)
