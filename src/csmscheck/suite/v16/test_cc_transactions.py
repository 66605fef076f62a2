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
from datetime import UTC, datetime, timedelta

from csmscheck.errors import StepFailed
from csmscheck.station import Station
from csmscheck.station.states import v16 as states
from csmscheck.station.v16 import Payload
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.stored import assert_stored
from csmscheck.suite.v16.transaction_steps import (
    REGISTER,
    energy_so_far,
    meter_values,
    sampled,
    start,
    stop,
    with_offset,
)
from csmscheck.timestamps import rfc3339

READBACK = "transaction_readback"


def unknown_transaction_id() -> int:
    """An id no Central System is likely to have given (a charge point's own, or one it lost)."""
    return 1_900_000_000 + secrets.randbelow(200_000_000)


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
