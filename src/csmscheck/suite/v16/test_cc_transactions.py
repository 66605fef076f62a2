"""csmscheck's own OCPP 1.6J transaction and meter value cases (CC16_40 and on).

What real charge points send and the OCTT has no case for: a StopTransaction.req or
MeterValues.req for a transaction the Central System never issued (after it lost its data,
or for an id the charge point made up offline), a StopTransaction.req sent again, meter
values in kWh, without a measurand, per phase, after a Power reading, signed or negative,
times with a UTC offset. Each case checks what depends on the input: that the Central
System answers with the .conf OCPP 1.6 requires, the ids it gives, and what it stored,
read back through the trigger API (capability ``transaction_readback``). A failure is a
finding unless the run is ``--strict``.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from csmscheck.errors import NotApplicable, StepFailed
from csmscheck.station import Station
from csmscheck.station.states import v16 as states
from csmscheck.station.states import v16_transaction_ids
from csmscheck.station.v16 import Payload
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.stored import ENERGY_TOLERANCE_WH, assert_stored, read_stored
from csmscheck.timestamps import rfc3339

REGISTER = "Energy.Active.Import.Register"
READBACK = "transaction_readback"


def unknown_transaction_id() -> int:
    """An id no Central System is likely to have given (a charge point's own, or one it lost)."""
    return 1_900_000_000 + secrets.randbelow(200_000_000)


def sampled(value: str, **fields: Any) -> Payload:
    return {"value": value} | fields


def meter_values(station: Station, transaction_id: int, moment: datetime, *samples: Payload) -> Payload:
    return {"connectorId": station.cfg.connector_id, "transactionId": transaction_id,
            "meterValue": [{"timestamp": rfc3339(moment), "sampledValue": list(samples)}]}


def with_offset(moment: datetime, hours: float) -> str:
    return moment.astimezone(timezone(timedelta(hours=hours))).isoformat(timespec="seconds")


async def start(station: Station, step: str, meter_start: int, *, connector_id: int | None = None,
                timestamp: str | None = None) -> int:
    """StartTransaction.req for the valid idTag; the Central System must answer it with an id (which joins the
    run's ids, csmscheck check CSC-16-TX-01)."""
    payload = {"connectorId": connector_id or station.cfg.connector_id, "idTag": station.cfg.valid_id_token,
               "meterStart": meter_start, "timestamp": timestamp or rfc3339()}
    response = await states.checked_call(station, "StartTransaction", payload, step)
    v16_transaction_ids.record(station, payload, response, step)
    transaction_id: int = response["transactionId"]
    return transaction_id


async def stop(station: Station, step: str, transaction_id: int, meter_stop: int, *, reason: str | None = "Local",
               timestamp: str | None = None) -> Payload:
    """StopTransaction.req; the Central System must answer with a StopTransaction.conf (§4.10)."""
    payload: Payload = {"transactionId": transaction_id, "meterStop": meter_stop, "timestamp": timestamp or rfc3339(),
                        "idTag": station.cfg.valid_id_token}
    if reason is not None:
        payload["reason"] = reason
    return await states.checked_call(station, "StopTransaction", payload, step)


async def energy_so_far(station: Station, csms: Csms, transaction_id: int, expected_wh: float, step: str) -> None:
    """The Central System's energy of the running transaction is the register the charge point last reported
    minus meterStart (the read-back must state it once the charge point reported the register)."""
    try:
        stored = await read_stored(csms.trigger, station, str(transaction_id))
    except StepFailed as exc:
        raise StepFailed(f"{step}: {exc}") from None
    if stored is None:
        raise NotApplicable("in manual mode nothing reads back what the Central System stored")
    if stored.energyWh is None or abs(stored.energyWh - expected_wh) > ENERGY_TOLERANCE_WH:
        got = "none" if stored.energyWh is None else f"{stored.energyWh:g}"
        raise StepFailed(f"{step}: read back transaction {transaction_id}: energyWh: expected {expected_wh:g} (the "
                         f"register the charge point reported minus meterStart), got {got}")


async def readings_then_stop(station: Station, csms: Csms, meter_start: int,
                             messages: list[tuple[list[Payload], float]]) -> None:
    """A transaction with a MeterValues.req per message (its samples, and the energy so far it makes), each
    read back; then the stop, read back too."""
    transaction_id = await start(station, "Step 1: StartTransaction.conf", meter_start)
    moment = datetime.now(UTC) - timedelta(minutes=len(messages))
    for number, (samples, expected_wh) in enumerate(messages, start=1):
        await states.checked_call(station, "MeterValues",
                                  meter_values(station, transaction_id, moment + timedelta(minutes=number), *samples),
                                  f"Step 2: MeterValues.conf (readings {number})")
        await energy_so_far(station, csms, transaction_id, expected_wh, f"Step 3 (after readings {number})")
    last = messages[-1][1]
    await stop(station, "Step 4: StopTransaction.conf", transaction_id, meter_start + int(last) + 100)
    await assert_stored(station, csms.trigger, str(transaction_id), f"Step 5: read back transaction {transaction_id}")


@octt("CC16_40", chapter="3.2", reqs=["OCPP 1.6 §4.10"])
async def test_cc16_40(station: Station) -> None:
    """A StopTransaction.req for a transaction the Central System never issued is answered with a .conf."""
    await stop(station, "Step 1: StopTransaction.conf (unknown transactionId)", unknown_transaction_id(), 1500)


@octt("CC16_41", chapter="3.2", reqs=["OCPP 1.6 §4.7"])
async def test_cc16_41(station: Station) -> None:
    """A MeterValues.req for a transaction the Central System never issued is answered with a .conf."""
    await states.checked_call(station, "MeterValues", meter_values(
        station, unknown_transaction_id(), datetime.now(UTC), sampled("2500", measurand=REGISTER, unit="Wh")),
        "Step 1: MeterValues.conf (unknown transactionId)")


@octt("CC16_42", chapter="3.2", reqs=["OCPP 1.6 §4.8"])
async def test_cc16_42(station: Station) -> None:
    """Each transaction gets its own positive id: two in a row on one connector, one beside on another."""
    cfg = station.cfg
    other = next((c for c in range(1, cfg.number_of_evses + 1) if c != cfg.connector_id), None)
    first = await start(station, "Step 1: StartTransaction.conf (transaction 1)", 100)
    await stop(station, "Step 2: StopTransaction.conf (transaction 1)", first, 600)
    second = await start(station, "Step 3: StartTransaction.conf (transaction 2)", 600)
    if other is None:  # a single connector: the third transaction follows the second
        await stop(station, "Step 4: StopTransaction.conf (transaction 2)", second, 1100)
        third = await start(station, "Step 5: StartTransaction.conf (transaction 3)", 1100)
    else:  # the third runs beside the second
        third = await start(station, f"Step 4: StartTransaction.conf (transaction 3, connector {other})", 9000,
                            connector_id=other)
        await stop(station, "Step 5: StopTransaction.conf (transaction 2)", second, 1100)
    await stop(station, "Step 6: StopTransaction.conf (transaction 3)", third, 9500)
    ids = {"transaction 1": first, "transaction 2": second, "transaction 3": third}
    for name, given in ids.items():
        if given <= 0:
            raise StepFailed(f"StartTransaction.conf ({name}): transactionId: expected a positive id, got {given}")
    if len(set(ids.values())) < len(ids):
        raise StepFailed(f"StartTransaction.conf: transactionId: expected an id of its own for each transaction, got "
                         f"{', '.join(f'{given} ({name})' for name, given in ids.items())}")


@octt("CC16_43", chapter="3.2", reqs=["OCPP 1.6 §4.8", "OCPP 1.6 §4.10"], features=[READBACK])
async def test_cc16_43(station: Station, csms: Csms) -> None:
    """Start and stop times with a UTC offset, and a stop without reason (Local), are stored as meant."""
    started = datetime.now(UTC) - timedelta(minutes=30)
    transaction_id = await start(station, "Step 1: StartTransaction.conf (timestamp in +02:00)", 1234,
                                 timestamp=with_offset(started, 2))
    await stop(station, "Step 2: StopTransaction.conf (timestamp in -04:00, reason left out)", transaction_id, 5678,
               reason=None, timestamp=with_offset(started + timedelta(minutes=25), -4))
    await assert_stored(station, csms.trigger, str(transaction_id), f"Step 3: read back transaction {transaction_id}")


@octt("CC16_44", chapter="3.2", reqs=["OCPP 1.6 §4.7"], features=[READBACK])
async def test_cc16_44(station: Station, csms: Csms) -> None:
    """Meter values in kWh, then without a measurand (the register) nor a unit (Wh): both are the register."""
    await readings_then_stop(station, csms, 20_000, [
        ([sampled("21.5", measurand=REGISTER, unit="kWh", context="Sample.Periodic")], 1500.0),
        ([sampled("22600", context="Sample.Periodic")], 2600.0)])


@octt("CC16_45", chapter="3.2", reqs=["OCPP 1.6 §4.7"], features=[READBACK])
async def test_cc16_45(station: Station, csms: Csms) -> None:
    """A Power.Active.Import reading first, then the register's total and a row per phase: the total counts."""
    await readings_then_stop(station, csms, 40_000, [([
        sampled("7200", measurand="Power.Active.Import", unit="W"),
        sampled("42300", measurand=REGISTER, unit="Wh"),
        *(sampled("14100", measurand=REGISTER, unit="Wh", phase=phase) for phase in ("L1", "L2", "L3"))], 2300.0)])


@octt("CC16_46", chapter="3.2", reqs=["OCPP 1.6 §4.7"], features=[READBACK])
async def test_cc16_46(station: Station, csms: Csms) -> None:
    """Negative readings (power fed back) and the register's SignedData record beside its raw value: the raw
    register counts."""
    await readings_then_stop(station, csms, 60_000, [([
        sampled("-230", measurand="Power.Active.Import", unit="W"),
        sampled("-1.5", measurand="Current.Import", unit="A", phase="L1"),
        sampled("61750", measurand=REGISTER, unit="Wh"),
        sampled("3045022100953117460235720104", measurand=REGISTER, format="SignedData")], 1750.0)])


@octt("CC16_47", chapter="3.2", reqs=["OCPP 1.6 §4.10", "OCPP 1.6 §4.7"], features=[READBACK])
async def test_cc16_47(station: Station, csms: Csms) -> None:
    """A StopTransaction.req sent again and a MeterValues.req delivered after the stop change nothing stored."""
    began = datetime.now(UTC) - timedelta(minutes=10)
    transaction_id = await start(station, "Step 1: StartTransaction.conf", 70_000, timestamp=rfc3339(began))
    stop_request = {"transactionId": transaction_id, "meterStop": 73_000,
                    "timestamp": rfc3339(began + timedelta(minutes=8)), "reason": "EVDisconnected"}
    await states.checked_call(station, "StopTransaction", stop_request, "Step 2: StopTransaction.conf")
    await states.checked_call(station, "StopTransaction", stop_request,
                              "Step 3: StopTransaction.conf (Step 2's request sent again)")
    await states.checked_call(station, "MeterValues", meter_values(
        station, transaction_id, began + timedelta(minutes=4), sampled("71500", measurand=REGISTER, unit="Wh")),
        "Step 4: MeterValues.conf (queued before the stop, delivered after it)")
    await assert_stored(station, csms.trigger, str(transaction_id), f"Step 5: read back transaction {transaction_id}")
