"""The reference CSMS's TransactionEvent logic, seen from a station and read back from its database.

Replays are applied once, events queued offline are all applied and the transaction's
state follows event time (not arrival order), Ended stores the stop, transaction ids are
per station, and idTokenInfo answers tokens.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import DEFAULTS, RunningCsms, StationOpener
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from csmscheck.csms.models import MeterValue, Station, Transaction, TransactionEventLog
from csmscheck.csms.store import Store
from csmscheck.csms.transaction_events import record_event
from csmscheck.station.session import StationSession
from csmscheck.timestamps import rfc3339

TOKEN = {"idToken": DEFAULTS.valid_id_token, "type": DEFAULTS.valid_id_token_type}
EVSE = {"id": 1, "connectorId": 1}
ACCEPTED = {"status": "Accepted", "groupIdToken": {"idToken": DEFAULTS.group_id, "type": "Central"}}
# Events of these tests happened a while ago unless a test says otherwise.
BASE = (datetime.now(UTC) - timedelta(minutes=10)).replace(microsecond=0)


def _at(seconds: float) -> str:
    return rfc3339(BASE + timedelta(seconds=seconds))


def _energy(wh: float, seconds: float, context: str = "Sample.Periodic") -> list[dict[str, Any]]:
    return [{"timestamp": _at(seconds), "sampledValue": [
        {"value": wh, "measurand": "Energy.Active.Import.Register", "context": context,
         "unitOfMeasure": {"unit": "Wh"}}]}]


def _event(tx_id: str, event_type: str, seq_no: int, seconds: float, trigger: str, *,
           wh: float | None = None, **info: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"eventType": event_type, "timestamp": _at(seconds), "triggerReason": trigger,
                               "seqNo": seq_no, "transactionInfo": {"transactionId": tx_id, **info}}
    if wh is not None:
        payload["meterValue"] = _energy(wh, seconds)
    return payload


async def _token_info(station: StationSession, payload: dict[str, Any]) -> Any:
    """The idTokenInfo the CSMS answers to a TransactionEvent (None when absent); other blocks may add
    other fields to the answer (totalCost, ...)."""
    return (await station.call("TransactionEvent", payload)).get("idTokenInfo")


def _new_id() -> str:
    return f"tx-{uuid.uuid4().hex[:16]}"


def _read(db_path: Path, station_id: str, tx_id: str) -> tuple[Transaction, list[TransactionEventLog], int]:
    """The transaction, its event log in event-time order and its number of meter rows, from the database file."""
    engine = create_engine(f"sqlite:///{db_path}")
    try:
        with Session(engine, expire_on_commit=False) as db:
            tx = db.scalar(select(Transaction).filter_by(station_id=station_id, transaction_id=tx_id))
            assert tx is not None, f"transaction {tx_id} of {station_id} is not in the database"
            log = list(db.scalars(select(TransactionEventLog).filter_by(transaction_pk=tx.pk)
                                  .order_by(TransactionEventLog.timestamp, TransactionEventLog.seq_no)))
            meter_rows = db.scalar(select(func.count()).select_from(MeterValue).filter_by(transaction_pk=tx.pk))
            db.expunge_all()
    finally:
        engine.dispose()
    return tx, log, int(meter_rows or 0)


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


async def test_replayed_event_is_applied_once(reference_csms: RunningCsms, open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP201_SP1")
    tx_id = _new_id()
    started = _event(tx_id, "Started", 0, 0, "Authorized", wh=1000) | {"evse": EVSE, "idToken": TOKEN}
    updated = _event(tx_id, "Updated", 1, 60, "MeterValuePeriodic", wh=1600)

    first = await _token_info(station, started)
    assert await _token_info(station, updated) is None
    # The station lost both answers and sends the events again, the second with another reading.
    assert await _token_info(station, started) == first == ACCEPTED
    assert await _token_info(station, updated | {"meterValue": _energy(9999, 61)}) is None

    tx, log, meter_rows = _read(reference_csms.db_path, "CP201_SP1", tx_id)
    assert [(e.seq_no, e.replays) for e in log] == [(0, 1), (1, 1)]
    assert meter_rows == 2, "a replayed event's meter values were stored again"
    assert (tx.meter_start_wh, tx.meter_stop_wh, tx.last_seq_no) == (1000.0, None, 1)
    assert (tx.id_token, tx.id_token_type, tx.group_id) == (TOKEN["idToken"], TOKEN["type"], DEFAULTS.group_id)


async def test_offline_events_are_applied_in_event_time_order(reference_csms: RunningCsms,
                                                               open_station: StationOpener) -> None:
    """TC_E_31's traffic: the Ended event arrives first, the two events queued before it afterwards."""
    station = await open_station(reference_csms, "CP201_SP1")
    tx_id = _new_id()
    await station.call("TransactionEvent", _event(tx_id, "Started", 0, 0, "Authorized", wh=1000,
                                                  chargingState="Charging") | {"evse": EVSE, "idToken": TOKEN})
    offline = {"offline": True}
    ended = _event(tx_id, "Ended", 3, 30, "EVCommunicationLost", wh=3000, chargingState="Idle",
                   stoppedReason="EVDisconnected") | offline
    stop = _event(tx_id, "Updated", 1, 10, "StopAuthorized", wh=2500, chargingState="SuspendedEVSE") | offline
    post_session = _event(tx_id, "Updated", 2, 20, "ChargingStateChanged", chargingState="EVConnected") | offline

    assert await _token_info(station, ended) is None
    assert await _token_info(station, stop | {"idToken": TOKEN}) == ACCEPTED
    assert await _token_info(station, post_session) is None

    tx, log, meter_rows = _read(reference_csms.db_path, "CP201_SP1", tx_id)
    assert [(e.seq_no, e.event_type, e.offline) for e in log] == [
        (0, "Started", False), (1, "Updated", True), (2, "Updated", True), (3, "Ended", True)]
    assert all(_utc(e.received_at) > _utc(e.timestamp) for e in log)  # type: ignore[operator]
    assert meter_rows == 3
    # The latest event by time is the Ended one, although EVConnected arrived last.
    assert tx.charging_state == "Idle"
    assert (tx.meter_start_wh, tx.meter_stop_wh) == (1000.0, 3000.0)
    assert (_utc(tx.started_at), _utc(tx.stopped_at)) == (BASE, BASE + timedelta(seconds=30))
    assert tx.stopped_reason == "EVDisconnected"


async def test_transaction_started_offline_takes_start_from_the_started_event(
        reference_csms: RunningCsms, open_station: StationOpener) -> None:
    """A station delivers an offline transaction's events out of order: Updated before Started."""
    station = await open_station(reference_csms, "CP201_SP1")
    tx_id = _new_id()
    offline = {"offline": True}
    await station.call("TransactionEvent", _event(tx_id, "Updated", 1, 40, "MeterValuePeriodic", wh=1400) | offline)
    await station.call("TransactionEvent", _event(tx_id, "Started", 0, 5, "CablePluggedIn", wh=1100,
                                                  chargingState="EVConnected") | offline | {"evse": EVSE})

    tx, log, _ = _read(reference_csms.db_path, "CP201_SP1", tx_id)
    assert [e.seq_no for e in log] == [0, 1]
    assert (tx.evse_id, tx.connector_id) == (1, 1)
    assert _utc(tx.started_at) == BASE + timedelta(seconds=5)
    assert (tx.meter_start_wh, tx.stopped_at, tx.charging_state) == (1100.0, None, "EVConnected")


async def test_ended_stores_stop_reason_and_meter_stop(reference_csms: RunningCsms,
                                                      open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP201_SP1")
    remote, local = _new_id(), _new_id()
    for tx_id in (remote, local):
        await station.call("TransactionEvent",
                           _event(tx_id, "Started", 0, 0, "Authorized", wh=500) | {"evse": EVSE, "idToken": TOKEN})
    await station.call("TransactionEvent", _event(remote, "Ended", 1, 90, "RemoteStop", stoppedReason="Remote")
                       | {"meterValue": _energy(2750, 90, "Transaction.End")})
    # E03.FR.05: no stoppedReason means Local.
    await station.call("TransactionEvent", _event(local, "Ended", 1, 120, "StopAuthorized", wh=900))

    tx, _, _ = _read(reference_csms.db_path, "CP201_SP1", remote)
    assert (tx.stopped_reason, tx.meter_start_wh, tx.meter_stop_wh) == ("Remote", 500.0, 2750.0)
    assert _utc(tx.stopped_at) == BASE + timedelta(seconds=90)
    tx, _, _ = _read(reference_csms.db_path, "CP201_SP1", local)
    assert (tx.stopped_reason, tx.meter_stop_wh) == ("Local", 900.0)


async def test_transaction_ids_and_seq_nos_are_per_station_and_transaction(
        reference_csms: RunningCsms, open_station: StationOpener) -> None:
    sp1 = await open_station(reference_csms, "CP201_SP1")
    sp2 = await open_station(reference_csms, "CP202_SP2")
    shared, second = _new_id(), _new_id()
    await sp1.call("TransactionEvent", _event(shared, "Started", 0, 0, "EVDetected", wh=10) | {"evse": EVSE})
    await sp2.call("TransactionEvent", _event(shared, "Started", 0, 0, "EVDetected", wh=20) | {"evse": EVSE})
    # A new transaction on the same station starts at seqNo 0 again (TC_E_53): not a replay.
    await sp1.call("TransactionEvent", _event(second, "Started", 0, 1, "EVDetected", wh=30) | {"evse": EVSE})

    one, _, _ = _read(reference_csms.db_path, "CP201_SP1", shared)
    two, _, _ = _read(reference_csms.db_path, "CP202_SP2", shared)
    again, log, rows = _read(reference_csms.db_path, "CP201_SP1", second)
    assert len({one.pk, two.pk, again.pk}) == 3
    assert (one.meter_start_wh, two.meter_start_wh, again.meter_start_wh) == (10.0, 20.0, 30.0)
    assert [(e.seq_no, e.replays) for e in log] == [(0, 0)] and rows == 1


async def test_id_token_info_answers_the_token(reference_csms: RunningCsms, open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP201_SP1")

    async def answer(token: dict[str, str] | None) -> Any:
        payload = _event(_new_id(), "Started", 0, 0, "Authorized") | {"evse": EVSE}
        if token is not None:
            payload["idToken"] = token
        return await _token_info(station, payload)

    unknown, blocked, expired = (
        {"idToken": getattr(DEFAULTS, f"{role}_id_token"), "type": getattr(DEFAULTS, f"{role}_id_token_type")}
        for role in ("invalid", "blocked", "expired"))
    assert await answer(unknown) == {"status": "Unknown"}
    assert (await answer(blocked))["status"] == "Blocked"
    assert (await answer(expired))["status"] == "Expired"
    assert await answer({"idToken": "", "type": "NoAuthorization"}) == {"status": "Accepted"}
    assert await answer(None) is None


async def test_simultaneous_deliveries_are_applied_once(tmp_path: Path) -> None:
    """Two deliveries of the same new event racing each other (e.g. over an old and a new connection)."""
    store = Store(str(tmp_path / "race.db"))
    await store.create_schema()
    async with store.session() as db:
        db.add(Station(id="RACE", ocpp_version="2.0.1", security_profile=1, password_hash=None))
    tx_id = _new_id()
    event = _event(tx_id, "Started", 0, 0, "EVDetected", wh=42) | {"evse": EVSE}
    try:
        outcomes = await asyncio.gather(*(record_event(store, "RACE", event) for _ in range(3)))
    finally:
        await store.close()
    assert sorted(o.replay for o in outcomes) == [False, True, True]
    tx, log, rows = _read(tmp_path / "race.db", "RACE", tx_id)
    assert [(e.seq_no, e.replays) for e in log] == [(0, 2)] and rows == 1
    assert tx.meter_start_wh == 42.0
