"""What the reference CSMS records survives a restart on the same database file, and a
replayed TransactionEvent is applied once."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from conftest import DEFAULTS, PASSWORD, CsmsStarter, RunningCsms, StationOpener
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from csmscheck.csms.models import MeterValue, Transaction, TransactionEventLog
from csmscheck.csms.store import Store, async_url
from csmscheck.station.session import StationSession
from csmscheck.timestamps import rfc3339

TX_ID = "tx-durable-0001"
NEW_PASSWORD = "after-restart-42"


def _energy(wh: float) -> list[dict[str, Any]]:
    return [{"timestamp": rfc3339(), "sampledValue": [
        {"value": wh, "measurand": "Energy.Active.Import.Register", "context": "Sample.Periodic",
         "unitOfMeasure": {"unit": "Wh"}}]}]


def _event(event_type: str, seq_no: int, wh: float, trigger: str, **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"eventType": event_type, "timestamp": rfc3339(), "triggerReason": trigger,
                               "seqNo": seq_no, "transactionInfo": {"transactionId": TX_ID}, "meterValue": _energy(wh)}
    payload.update(extra)
    return payload


STARTED = _event("Started", 0, 1000, "Authorized", evse={"id": 1, "connectorId": 1},
                 idToken={"idToken": DEFAULTS.valid_id_token, "type": DEFAULTS.valid_id_token_type})
UPDATED = _event("Updated", 1, 1500, "MeterValuePeriodic")
ENDED = _event("Ended", 2, 2500, "EVCommunicationLost") | {
    "transactionInfo": {"transactionId": TX_ID, "stoppedReason": "EVDisconnected"}}


async def _station_view(csms: RunningCsms, station_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=csms.api, timeout=5.0, verify=False) as client:
        response = await client.get(f"/api/stations/{station_id}")
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


async def _post(csms: RunningCsms, path: str, body: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=csms.api, timeout=5.0, verify=False) as client:
        response = await client.post(path, json=body)
    assert response.status_code == 200, response.text


async def _rows(db_url: str, transaction_id: str) -> tuple[int, int]:
    """(meter value rows, applied event rows) of one transaction, read straight from the database."""
    engine = create_async_engine(async_url(db_url))
    try:
        async with AsyncSession(engine) as db:
            tx_pk = await db.scalar(select(Transaction.pk).filter_by(transaction_id=transaction_id))
            assert tx_pk is not None, f"transaction {transaction_id} is not in the database"
            meter_rows = await db.scalar(select(func.count()).select_from(MeterValue).filter_by(transaction_pk=tx_pk))
            event_rows = await db.scalar(select(func.count()).select_from(TransactionEventLog)
                                         .filter_by(transaction_pk=tx_pk))
    finally:
        await engine.dispose()
    return int(meter_rows or 0), int(event_rows or 0)


async def _run_2_0_1_transaction(station: StationSession) -> None:
    await station.call("StatusNotification", {"timestamp": rfc3339(), "connectorStatus": "Occupied", "evseId": 1,
                                              "connectorId": 1})
    authorized = await station.call("Authorize", {"idToken": STARTED["idToken"]})
    assert authorized["idTokenInfo"]["status"] == "Accepted"
    started = await station.call("TransactionEvent", STARTED)
    assert started["idTokenInfo"]["status"] == "Accepted"
    # running and final cost at the default tariff (0.25 per kWh)
    assert await station.call("TransactionEvent", UPDATED) == {"totalCost": 0.13}
    assert await station.call("TransactionEvent", ENDED) == {"totalCost": 0.38}


async def test_state_survives_a_restart(database: str, start_csms: CsmsStarter, open_station: StationOpener) -> None:
    first = start_csms(db_url=database)

    v201 = await open_station(first, "CP201_SP1")
    await _run_2_0_1_transaction(v201)

    v16 = await open_station(first, "CP16_SP1")
    await v16.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Charging"})
    assert (await v16.call("Authorize", {"idTag": DEFAULTS.valid_id_token}))["idTagInfo"]["status"] == "Accepted"
    start = await v16.call("StartTransaction", {"connectorId": 1, "idTag": DEFAULTS.valid_id_token, "meterStart": 100,
                                                "timestamp": rfc3339()})
    first_tx = start["transactionId"]
    assert isinstance(first_tx, int) and not isinstance(first_tx, bool)
    stop = await v16.call("StopTransaction", {"transactionId": first_tx, "meterStop": 4100, "timestamp": rfc3339(),
                                              "reason": "EVDisconnected", "idTag": DEFAULTS.valid_id_token})
    assert stop["idTagInfo"]["status"] == "Accepted"

    await _post(first, "/api/octt/create-token", {"idToken": "DURABLE-1", "status": "Blocked", "groupId": "GRP-D"})
    await _post(first, "/api/octt/set-basic-auth-password", {"stationId": "CP201_SP1", "password": NEW_PASSWORD})
    await v201.close()
    await v16.close()
    first.stop()

    second = start_csms(db_url=database)
    assert second.endpoints.ws != first.endpoints.ws or second.api != first.api  # a new process, same database

    view = await _station_view(second, "CP201_SP1")
    assert view["bootStatus"] == "Accepted"
    assert (view["vendor"], view["model"]) == ("csmscheck", "TestStation")
    assert view["lastBootAt"] is not None
    assert view["connected"] is False
    assert {"evseId": 1, "connectorId": 1, "status": "Occupied"} in view["connectors"]
    [tx] = [t for t in view["transactions"] if t["transactionId"] == TX_ID]
    assert (tx["evseId"], tx["connectorId"], tx["idToken"]) == (1, 1, DEFAULTS.valid_id_token)
    assert (tx["meterStartWh"], tx["meterStopWh"]) == (1000.0, 2500.0)
    assert tx["stoppedReason"] == "EVDisconnected"
    assert tx["stoppedAt"] is not None

    view16 = await _station_view(second, "CP16_SP1")
    assert view16["bootStatus"] == "Accepted"
    assert {"evseId": 1, "connectorId": 1, "status": "Charging"} in view16["connectors"]
    [tx16] = [t for t in view16["transactions"] if t["transactionId"] == str(first_tx)]
    assert (tx16["meterStartWh"], tx16["meterStopWh"]) == (100.0, 4100.0)
    assert tx16["stoppedReason"] == "EVDisconnected"

    # the changed password still applies; the old one is refused
    refused = StationSession("CP201_SP1", "2.0.1", timeout=5.0)
    with pytest.raises(websockets.InvalidStatus) as caught:
        await refused.connect(second.endpoints.ws, password=PASSWORD)
    assert caught.value.response.status_code == 401
    # the station was Accepted before the restart, so it may talk without booting again
    v201 = await open_station(second, "CP201_SP1", password=NEW_PASSWORD, boot=False)
    blocked = await v201.call("Authorize", {"idToken": {"idToken": "DURABLE-1", "type": "ISO14443"}})
    assert blocked["idTokenInfo"] == {"status": "Blocked", "groupIdToken": {"idToken": "GRP-D", "type": "Central"}}

    # replaying an event applied before the restart changes nothing
    assert await _rows(database, TX_ID) == (3, 3)
    await v201.call("TransactionEvent", UPDATED | {"meterValue": _energy(9999)})
    assert await _rows(database, TX_ID) == (3, 3)

    # 1.6 transaction ids keep increasing across the restart
    v16 = await open_station(second, "CP16_SP1")
    assert (await v16.call("Authorize", {"idTag": "DURABLE-1"}))["idTagInfo"]["status"] == "Blocked"
    again = await v16.call("StartTransaction", {"connectorId": 1, "idTag": DEFAULTS.valid_id_token, "meterStart": 4100,
                                                "timestamp": rfc3339()})
    assert again["transactionId"] > first_tx


async def test_same_transaction_event_twice_is_applied_once(database: str, start_csms: CsmsStarter,
                                                            open_station: StationOpener) -> None:
    csms = start_csms(db_url=database)
    station = await open_station(csms, "CP201_SP1")
    await station.call("TransactionEvent", STARTED)
    await station.call("TransactionEvent", UPDATED)
    # the station did not get (or lost) the answer and sends the same event again
    assert await station.call("TransactionEvent", UPDATED) == {"totalCost": 0.13}
    assert await _rows(database, TX_ID) == (2, 2)
    await station.call("TransactionEvent", ENDED)
    # a replayed Ended event with another reading does not overwrite what was recorded
    await station.call("TransactionEvent", ENDED | {"meterValue": _energy(7777)})
    assert await _rows(database, TX_ID) == (3, 3)
    [tx] = [t for t in (await _station_view(csms, "CP201_SP1"))["transactions"] if t["transactionId"] == TX_ID]
    assert (tx["meterStartWh"], tx["meterStopWh"]) == (1000.0, 2500.0)


async def test_a_database_of_an_earlier_version_gets_the_new_columns_and_keeps_its_data(tmp_path: Path) -> None:
    db_path = tmp_path / "old.db"
    store = Store(f"sqlite:///{db_path}")
    await store.create_schema()
    await store.seed_station("OLD1", "2.0.1", 1, PASSWORD)
    await store.close()
    with closing(sqlite3.connect(db_path)) as db:  # as a version before meter_last_wh and the index wrote it
        db.execute("DROP INDEX ix_transactions_station_start")
        db.execute("ALTER TABLE transactions DROP COLUMN meter_last_wh")
    store = Store(f"sqlite:///{db_path}")
    await store.create_schema()
    await store.close()
    with closing(sqlite3.connect(db_path)) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(transactions)")}
        indexes = {row[1] for row in db.execute("PRAGMA index_list(transactions)")}
        stations = db.execute("SELECT id FROM stations WHERE id = 'OLD1'").fetchall()
    assert "meter_last_wh" in columns and "ix_transactions_station_start" in indexes
    assert stations == [("OLD1",)]
