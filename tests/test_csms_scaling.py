"""The reference CSMS under load: the work per message does not grow with the transaction,
and many stations at once get no CALLERROR an idle CSMS would not give."""

from __future__ import annotations

import asyncio
import gc
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import DEFAULTS, PASSWORD, TIMEOUT, CsmsStarter, RunningCsms, StationOpener, boot_payload
from sqlalchemy import event

from csmscheck.csms.provisioning import BulkStations, add_stations
from csmscheck.csms.store import Store
from csmscheck.gc_tuning import tune_for_many_connections
from csmscheck.station.session import StationSession

START = datetime(2026, 1, 1, tzinfo=UTC)


def _stamp(seconds: int) -> str:
    return (START + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def _updated(transaction_id: str, seq_no: int) -> dict[str, Any]:
    """The seqNo-th event of a charging session: an Updated event with an energy reading (1 kWh
    more each time, so the running cost changes with every event)."""
    return {"eventType": "Updated", "timestamp": _stamp(seq_no), "triggerReason": "MeterValuePeriodic",
            "seqNo": seq_no, "transactionInfo": {"transactionId": transaction_id, "chargingState": "Charging"},
            "meterValue": [{"timestamp": _stamp(seq_no), "sampledValue": [
                {"value": 1000 * (seq_no + 1), "measurand": "Energy.Active.Import.Register",
                 "unitOfMeasure": {"unit": "Wh"}},
                {"value": 7400, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W"}}]}]}


def _started(transaction_id: str) -> dict[str, Any]:
    return _updated(transaction_id, 0) | {"eventType": "Started", "triggerReason": "CablePluggedIn",
                                          "evse": {"id": 1, "connectorId": 1}}


class StatementCounter:
    """Counts the SQL statements the CSMS's engine executes."""

    def __init__(self, csms: RunningCsms) -> None:
        self.engine = csms.thread.csms.context.store.engine.sync_engine
        self.count = 0

    def _count(self, *_args: Any) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


async def _statements_for(counter: StatementCounter, station: StationSession, action: str,
                          payload: dict[str, Any]) -> int:
    """How many statements the CSMS ran to answer one CALL (it commits before it answers)."""
    before = counter.count
    await station.call(action, payload)
    return counter.count - before


async def test_the_500th_transaction_event_costs_what_the_2nd_does(
        database: str, start_csms: CsmsStarter, open_station: StationOpener) -> None:
    csms = start_csms(db_url=database)
    station = await open_station(csms, "CP201_SP1")
    transaction_id = f"scale-{datetime.now(UTC).timestamp()}"
    await station.call("TransactionEvent", _started(transaction_id))
    with StatementCounter(csms) as counter:
        second = await _statements_for(counter, station, "TransactionEvent", _updated(transaction_id, 1))
        for seq_no in range(2, 499):
            await station.call("TransactionEvent", _updated(transaction_id, seq_no))
        five_hundredth = await _statements_for(counter, station, "TransactionEvent", _updated(transaction_id, 499))
    assert second == five_hundredth, f"2nd event: {second} statements, 500th: {five_hundredth}"
    # The running cost still covers the whole session (I02): 500 kWh at the default tariff.
    answer = await station.call("TransactionEvent", _updated(transaction_id, 500))
    assert answer["totalCost"] == pytest.approx(500 * DEFAULTS.tariff_price_per_kwh + DEFAULTS.tariff_session_fee)


async def test_the_500th_meter_values_of_a_1_6_transaction_costs_what_the_2nd_does(
        database: str, start_csms: CsmsStarter, open_station: StationOpener) -> None:
    csms = start_csms(db_url=database)
    station = await open_station(csms, "CP16_SP1")
    started = await station.call("StartTransaction", {
        "connectorId": 1, "idTag": "A0000001", "meterStart": 1000, "timestamp": _stamp(0)})

    def meter_values(n: int) -> dict[str, Any]:
        return {"connectorId": 1, "transactionId": started["transactionId"], "meterValue": [
            {"timestamp": _stamp(n), "sampledValue": [{"value": str(1000 + 10 * n), "unit": "Wh"}]}]}

    with StatementCounter(csms) as counter:
        second = await _statements_for(counter, station, "MeterValues", meter_values(1))
        for n in range(2, 499):
            await station.call("MeterValues", meter_values(n))
        five_hundredth = await _statements_for(counter, station, "MeterValues", meter_values(499))
    assert second == five_hundredth, f"2nd MeterValues: {second} statements, 500th: {five_hundredth}"


STATIONS = 30


@pytest.fixture
def crowded_csms(database: str, start_csms: CsmsStarter) -> RunningCsms:
    """A reference CSMS whose database already knows ``STATIONS`` more stations."""
    async def provision() -> None:
        store = Store(database)
        await store.create_schema()
        await add_stations(store, BulkStations("CROWD{n:03d}", STATIONS, PASSWORD))
        await store.close()

    asyncio.run(provision())
    return start_csms(db_url=database)


async def _session(csms: RunningCsms, station_id: str, events: int) -> list[str]:
    """Boot, then run one transaction of ``events`` events back to back; the CALLERRORs met."""
    station = StationSession(station_id, "2.0.1", timeout=TIMEOUT * 4)
    await station.connect(csms.endpoints.ws, password=PASSWORD)
    errors = []
    try:
        await station.call("BootNotification", boot_payload("2.0.1"))
        payloads = itertools.chain([_started(station_id)], (_updated(station_id, n) for n in range(1, events)))
        for payload in payloads:
            answer = await station.send("TransactionEvent", payload)
            if not hasattr(answer, "payload"):
                errors.append(f"{station_id} seqNo {payload['seqNo']}: {answer}")
    finally:
        await station.close()
    return errors


async def test_thirty_stations_at_once_get_no_callerror(crowded_csms: RunningCsms) -> None:
    sessions = [_session(crowded_csms, f"CROWD{n:03d}", 40) for n in range(STATIONS)]
    assert [error for errors in await asyncio.gather(*sessions) for error in errors] == []


def test_a_server_process_tunes_its_garbage_collector_for_many_connections() -> None:
    """Full collections walk every object of every connection (0.4–0.5 s at 5,000 stations):
    start-up objects are frozen out of them and young collections are rare enough that few
    objects get promoted, so a full one seldom comes."""
    before = gc.get_threshold()
    try:
        tune_for_many_connections()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] >= 10_000
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
