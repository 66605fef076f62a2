"""How the reference CSMS stores meter values: a real station session, then the CSMS's database.

Every sampled value becomes a row with measurand, phase, unit, context and location filled
in (OCPP's defaults where the station left them out) and its value in the base unit.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest
from conftest import RunningCsms, StationOpener

from csmscheck.csms.meter import sampled_rows
from csmscheck.timestamps import rfc3339

STATION = "CP201_SP1"
Payload = dict[str, Any]


def query(csms: RunningCsms, sql: str, *args: Any) -> list[sqlite3.Row]:
    """Read the CSMS's SQLite database (WAL mode lets a second connection read while it runs)."""
    with closing(sqlite3.connect(csms.db_path)) as db:
        db.row_factory = sqlite3.Row
        return db.execute(sql, args).fetchall()


def stored(csms: RunningCsms, where: str, *args: Any) -> list[dict[str, Any]]:
    rows = query(csms, f"SELECT evse_id, transaction_pk, measurand, phase, unit, context, location, value "
                       f"FROM meter_values WHERE {where} ORDER BY pk", *args)
    return [dict(r) for r in rows]


def sample(value: float, **fields: Any) -> Payload:
    return {"value": value, **fields}


def uom(unit: str, multiplier: int | None = None) -> Payload:
    return {"unit": unit} if multiplier is None else {"unit": unit, "multiplier": multiplier}


@pytest.fixture
def csms(reference_csms: RunningCsms) -> Iterator[RunningCsms]:
    yield reference_csms


async def test_meter_values_outside_transactions(csms: RunningCsms, open_station: StationOpener) -> None:
    session = await open_station(csms, STATION)
    marker = 900_000 + uuid.uuid4().int % 10_000  # tells this test's rows from others'
    samples = [
        sample(marker, context="Sample.Clock"),  # only the value: OCPP's defaults apply
        sample(11.04, context="Sample.Clock", measurand="Power.Active.Import", unitOfMeasure=uom("kW")),
        sample(16.5, context="Sample.Clock", measurand="Current.Import", phase="L2", unitOfMeasure=uom("A")),
        sample(231.2, context="Sample.Clock", measurand="Voltage", phase="L1-N", unitOfMeasure=uom("V")),
        sample(55, context="Sample.Clock", measurand="SoC", location="EV", unitOfMeasure=uom("Percent")),
        sample(3.5, context="Sample.Clock", measurand="Energy.Reactive.Import.Register", unitOfMeasure=uom("kvarh")),
        sample(49.98, context="Sample.Clock", measurand="Frequency"),
    ]
    answer = await session.call("MeterValues", {"evseId": 0, "meterValue": [
        {"timestamp": rfc3339(), "sampledValue": samples}]})
    assert answer == {}
    first = query(csms, "SELECT pk FROM meter_values WHERE value = ? ORDER BY pk DESC LIMIT 1", float(marker))[0]["pk"]
    assert stored(csms, "pk >= ? AND station_id = ?", first, STATION)[:7] == [
        {"evse_id": 0, "transaction_pk": None, "measurand": "Energy.Active.Import.Register", "phase": None,
         "unit": "Wh", "context": "Sample.Clock", "location": "Outlet", "value": float(marker)},
        {"evse_id": 0, "transaction_pk": None, "measurand": "Power.Active.Import", "phase": None,
         "unit": "W", "context": "Sample.Clock", "location": "Outlet", "value": 11040.0},
        {"evse_id": 0, "transaction_pk": None, "measurand": "Current.Import", "phase": "L2",
         "unit": "A", "context": "Sample.Clock", "location": "Outlet", "value": 16.5},
        {"evse_id": 0, "transaction_pk": None, "measurand": "Voltage", "phase": "L1-N",
         "unit": "V", "context": "Sample.Clock", "location": "Outlet", "value": 231.2},
        {"evse_id": 0, "transaction_pk": None, "measurand": "SoC", "phase": None,
         "unit": "Percent", "context": "Sample.Clock", "location": "EV", "value": 55.0},
        {"evse_id": 0, "transaction_pk": None, "measurand": "Energy.Reactive.Import.Register", "phase": None,
         "unit": "varh", "context": "Sample.Clock", "location": "Outlet", "value": 3500.0},
        {"evse_id": 0, "transaction_pk": None, "measurand": "Frequency", "phase": None,
         "unit": None, "context": "Sample.Clock", "location": "Outlet", "value": 49.98},
    ]


async def test_units_and_multipliers_give_the_same_watt_hours(csms: RunningCsms, open_station: StationOpener) -> None:
    session = await open_station(csms, STATION)
    marker = f"{uuid.uuid4().int % 10_000:04d}"
    wh = float(f"12{marker}.5")  # 12xxxx.5 Wh written four ways
    samples = [sample(wh, unitOfMeasure=uom("Wh")), sample(wh / 1000, unitOfMeasure=uom("kWh")),
               sample(wh / 1000, unitOfMeasure=uom("Wh", 3)), sample(wh / 10, unitOfMeasure=uom("Wh", 1)),
               sample(wh)]
    await session.call("MeterValues", {"evseId": 1, "meterValue": [{"timestamp": rfc3339(), "sampledValue": samples}]})
    rows = stored(csms, "station_id = ? AND evse_id = 1 AND value = ?", STATION, wh)
    assert len(rows) == 5
    assert {(r["unit"], r["context"], r["measurand"]) for r in rows} == {
        ("Wh", "Sample.Periodic", "Energy.Active.Import.Register")}


async def test_transaction_readings_by_context_and_final_cost(csms: RunningCsms, open_station: StationOpener) -> None:
    session = await open_station(csms, STATION)
    tx_id = uuid.uuid4().hex[:20]

    def event(seq_no: int, event_type: str, trigger: str, meter: list[Payload], **info: Any) -> Payload:
        payload: Payload = {"eventType": event_type, "timestamp": rfc3339(), "triggerReason": trigger,
                            "seqNo": seq_no, "transactionInfo": {"transactionId": tx_id, **info}, "meterValue": meter}
        if seq_no == 0:
            payload["evse"] = {"id": 2, "connectorId": 1}
        return payload

    def at(context: str, *samples: Payload) -> Payload:
        return {"timestamp": rfc3339(), "sampledValue": [s | {"context": context} for s in samples]}

    started = await session.call("TransactionEvent", event(0, "Started", "CablePluggedIn", [
        at("Transaction.Begin", sample(1000.0))], chargingState="EVConnected"))
    assert "totalCost" not in started
    running = await session.call("TransactionEvent", event(1, "Updated", "MeterValuePeriodic", [
        at("Sample.Periodic", sample(2.5, unitOfMeasure=uom("kWh")),
           sample(16.0, measurand="Current.Import", phase="L3", unitOfMeasure=uom("A")))]))
    assert running == {"totalCost": 0.38}  # 1.5 kWh at 0.25
    clock = at("Sample.Clock", sample(3000.0))
    ended = await session.call("TransactionEvent", event(2, "Ended", "EVCommunicationLost", [
        clock, at("Transaction.End", sample(6000.0), sample(72, measurand="SoC", location="EV"))],
        chargingState="Idle", stoppedReason="EVDisconnected"))
    assert ended == {"totalCost": 1.25}
    (tx,) = query(csms, "SELECT pk, total_cost, evse_id FROM transactions WHERE transaction_id = ?", tx_id)
    assert (tx["total_cost"], tx["evse_id"]) == (1.25, 2)
    assert [(r["context"], r["measurand"], r["phase"], r["unit"], r["location"], r["value"], r["evse_id"])
            for r in stored(csms, "transaction_pk = ?", tx["pk"])] == [
        ("Transaction.Begin", "Energy.Active.Import.Register", None, "Wh", "Outlet", 1000.0, 2),
        ("Sample.Periodic", "Energy.Active.Import.Register", None, "Wh", "Outlet", 2500.0, 2),
        ("Sample.Periodic", "Current.Import", "L3", "A", "Outlet", 16.0, 2),
        ("Sample.Clock", "Energy.Active.Import.Register", None, "Wh", "Outlet", 3000.0, 2),
        ("Transaction.End", "Energy.Active.Import.Register", None, "Wh", "Outlet", 6000.0, 2),
        ("Transaction.End", "SoC", None, "Percent", "EV", 72.0, 2),
    ]
    replay = await session.call("TransactionEvent", event(2, "Ended", "EVCommunicationLost", [
        clock, at("Transaction.End", sample(6000.0))], chargingState="Idle", stoppedReason="EVDisconnected"))
    assert replay == {"totalCost": 1.25}
    assert len(stored(csms, "transaction_pk = ?", tx["pk"])) == 6  # a replayed event adds no readings


async def test_signed_meter_values_keep_their_signature(csms: RunningCsms, open_station: StationOpener) -> None:
    session = await open_station(csms, STATION)
    marker = 700_000 + uuid.uuid4().int % 10_000
    signature = {"signedMeterData": "T0NNRnx7fXx7fQ==", "signingMethod": "ECDSA-secp256r1-SHA256",
                 "encodingMethod": "OCMF", "publicKey": "MFkwEwYHKoZIzj0CAQ=="}
    await session.call("MeterValues", {"evseId": 1, "meterValue": [{"timestamp": rfc3339(), "sampledValue": [
        sample(marker, context="Sample.Clock", signedMeterValue=signature)]}]})
    rows = query(csms, "SELECT s.signed_meter_data, s.signing_method, s.encoding_method, s.public_key "
                       "FROM signed_meter_values s JOIN meter_values m ON m.pk = s.meter_value_pk "
                       "WHERE m.value = ?", float(marker))
    assert [tuple(r) for r in rows] == [tuple(signature.values())]


def test_ocpp16_sampled_values() -> None:
    """The same parser reads 1.6 sampled values: string values, a top-level unit, SignedData skipped."""
    rows = sampled_rows("CP16", None, 1, [{"timestamp": rfc3339(), "sampledValue": [
        {"value": "1.5", "unit": "kWh", "context": "Sample.Clock"},
        {"value": "230", "measurand": "Voltage", "phase": "L1-N", "unit": "V"},
        {"value": "12", "measurand": "Temperature", "location": "Body", "unit": "Celsius"},
        {"value": "AQIDBA==", "format": "SignedData"},
    ]}])
    assert [(r.measurand, r.phase, r.unit, r.context, r.location, r.value) for r in rows] == [
        ("Energy.Active.Import.Register", None, "Wh", "Sample.Clock", "Outlet", 1500.0),
        ("Voltage", "L1-N", "V", "Sample.Periodic", "Outlet", 230.0),
        ("Temperature", None, "Celsius", "Sample.Periodic", "Body", 12.0),
    ]
