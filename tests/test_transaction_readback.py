"""The trigger API's read-back of a transaction: the reference CSMS serves what its database holds,
the suite's client reads it (or says why it cannot), and times keep the instant they name.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from conftest import DEFAULTS, CsmsStarter, RunningCsms, StationOpener

from csmscheck.errors import NotApplicable, StepFailed
from csmscheck.station.session import StationSession
from csmscheck.timestamps import parse_time, rfc3339
from csmscheck.trigger.client import HttpTrigger, ManualTrigger, TransactionNotStored

TOKEN = {"idToken": DEFAULTS.valid_id_token, "type": DEFAULTS.valid_id_token_type}
START = (datetime.now(UTC) - timedelta(minutes=30)).replace(microsecond=0)


def _register(wh: float, context: str, moment: datetime, **unit: Any) -> dict[str, Any]:
    return {"timestamp": rfc3339(moment), "sampledValue": [
        {"value": wh, "context": context, "measurand": "Energy.Active.Import.Register",
         "unitOfMeasure": {"unit": "Wh"} | unit}]}


def _event(tx_id: str, event_type: str, seq_no: int, timestamp: str, trigger: str, **extra: Any) -> dict[str, Any]:
    info = {"transactionId": tx_id} | extra.pop("info", {})
    return {"eventType": event_type, "timestamp": timestamp, "triggerReason": trigger, "seqNo": seq_no,
            "transactionInfo": info} | extra


async def _a_201_transaction(station: StationSession) -> str:
    """Started in +02:00, an Updated replayed, Ended in -05:00 with stoppedReason Remote; 12.5 kWh."""
    tx_id = f"rb-{uuid.uuid4().hex[:12]}"
    started = START.astimezone(timezone(timedelta(hours=2))).isoformat()
    ended = (START + timedelta(minutes=20)).astimezone(timezone(timedelta(hours=-5))).isoformat()
    await station.call("TransactionEvent", _event(
        tx_id, "Started", 0, started, "Authorized", idToken=TOKEN, evse={"id": 1, "connectorId": 1},
        meterValue=[_register(10_000, "Transaction.Begin", START)]))
    update = _event(tx_id, "Updated", 1, rfc3339(START + timedelta(minutes=10)), "MeterValuePeriodic",
                    meterValue=[_register(16.5, "Sample.Periodic", START + timedelta(minutes=10), multiplier=3)])
    await station.call("TransactionEvent", update)
    await station.call("TransactionEvent", update)  # its answer was lost: sent again
    await station.call("TransactionEvent", _event(
        tx_id, "Ended", 2, ended, "RemoteStop", info={"stoppedReason": "Remote"},
        meterValue=[_register(22_500, "Transaction.End", START + timedelta(minutes=20))]))
    return tx_id


async def test_a_2_0_1_transaction_reads_back_as_stored(reference_csms: RunningCsms,
                                                        open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP201_SP1")
    tx_id = await _a_201_transaction(station)
    async with httpx.AsyncClient(base_url=reference_csms.api) as api:
        response = await api.get(f"/api/octt/2.0.1/CP201_SP1/transactions/{tx_id}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert parse_time(body["startedAt"]) == START and body["startedAt"].endswith("Z")
    assert parse_time(body["stoppedAt"]) == START + timedelta(minutes=20)
    assert (body["stoppedReason"], body["meterStartWh"], body["meterStopWh"], body["energyWh"]) == (
        "Remote", 10_000, 22_500, 12_500)
    assert body["totalCost"] == 3.13  # 12.5 kWh at 0.25: 3.125, half up to the cent
    assert [(e["seqNo"], e["eventType"]) for e in body["events"]] == [(0, "Started"), (1, "Updated"), (2, "Ended")]
    assert parse_time(body["events"][0]["timestamp"]) == START  # +02:00 is not dropped
    assert (body["transactionId"], body["stationId"], body["evseId"], body["idToken"]) == (
        tx_id, "CP201_SP1", 1, DEFAULTS.valid_id_token)


async def test_a_1_6_transaction_reads_back_with_its_energy_so_far(reference_csms: RunningCsms,
                                                                   open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP16_SP1")
    started = START.astimezone(timezone(timedelta(hours=-3))).isoformat()
    answer = await station.call("StartTransaction", {"connectorId": 1, "idTag": DEFAULTS.valid_id_token,
                                                     "meterStart": 5000, "timestamp": started})
    tx_id = answer["transactionId"]
    samples = [{"value": "5.75", "unit": "kWh", "measurand": "Energy.Active.Import.Register"},
               {"value": "6", "measurand": "Energy.Active.Import.Register", "format": "SignedData"},
               {"value": "1900", "unit": "Wh", "measurand": "Energy.Active.Import.Register", "phase": "L1"}]
    await station.call("MeterValues", {"connectorId": 1, "transactionId": tx_id, "meterValue": [
        {"timestamp": rfc3339(START + timedelta(minutes=5)), "sampledValue": samples}]})
    trigger = HttpTrigger(reference_csms.api)
    try:
        running = await trigger.transaction("1.6", "CP16_SP1", str(tx_id))
        await station.call("StopTransaction", {"transactionId": tx_id, "meterStop": 7000,
                                               "timestamp": rfc3339(START + timedelta(minutes=9))})
        stopped = await trigger.transaction("1.6", "CP16_SP1", str(tx_id))
    finally:
        await trigger.close()
    assert running is not None and stopped is not None
    assert (running.startedAt, running.stoppedAt, running.energyWh) == (START, None, 750)  # not the SignedData "6"
    assert (stopped.stoppedReason, stopped.meterStartWh, stopped.meterStopWh, stopped.energyWh) == (
        "Local", 5000, 7000, 2000)
    assert stopped.stoppedAt == START + timedelta(minutes=9) and stopped.events == []


async def test_the_read_back_survives_a_restart(start_csms: CsmsStarter, open_station: StationOpener) -> None:
    csms = start_csms()
    station = await open_station(csms, "CP201_SP1")
    tx_id = await _a_201_transaction(station)
    await station.close()
    csms.stop()
    again = start_csms(db_path=csms.db_path)
    trigger = HttpTrigger(again.api)
    try:
        stored = await trigger.transaction("2.0.1", "CP201_SP1", tx_id)
    finally:
        await trigger.close()
    assert stored is not None and (stored.stoppedReason, stored.energyWh, stored.startedAt) == ("Remote", 12_500, START)


async def test_unknown_transaction_is_404_naming_it(reference_csms: RunningCsms) -> None:
    async with httpx.AsyncClient(base_url=reference_csms.api) as api:
        unknown = await api.get("/api/octt/2.0.1/CP201_SP1/transactions/never-started")
        no_station = await api.get("/api/octt/1.6/NO_SUCH_STATION/transactions/1")
        other_version = await api.get("/api/octt/1.6/CP201_SP1/transactions/1")
        document = await api.get("/openapi.json")
    assert unknown.status_code == 404 and unknown.json()["transactionId"] == "never-started"
    assert no_station.status_code == 404 and no_station.json()["stationId"] == "NO_SUCH_STATION"
    assert other_version.status_code == 409
    route = document.json()["paths"]["/api/octt/{version}/{station_id}/transactions/{transaction_id}"]["get"]
    assert "StoredTransaction" in str(route["responses"]["200"]) and "UnknownTransaction" in str(route["responses"])


async def test_client_tells_an_unknown_transaction_from_a_route_not_served(reference_csms: RunningCsms) -> None:
    trigger = HttpTrigger(reference_csms.api)
    elsewhere = HttpTrigger(reference_csms.api + "/not-a-trigger-api")
    try:
        with pytest.raises(TransactionNotStored, match="has no transaction never-started of CP201_SP1"):
            await trigger.transaction("2.0.1", "CP201_SP1", "never-started")
        with pytest.raises(NotApplicable, match=r"does not serve GET .*transactions/1 \(HTTP 404\)"):
            await elsewhere.transaction("2.0.1", "CP201_SP1", "1")
    finally:
        await trigger.close()
        await elsewhere.close()
    assert await ManualTrigger(say=lambda _text: None).transaction("2.0.1", "CP201_SP1", "1") is None


async def test_client_refuses_an_answer_of_another_shape() -> None:
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"transactionId": "t1", "startedAt": "yesterday"})

    trigger = HttpTrigger("http://csms.invalid")
    trigger._client = httpx.AsyncClient(base_url="http://csms.invalid", transport=httpx.MockTransport(handler))
    try:
        with pytest.raises(StepFailed, match="not the documented shape: startedAt: "):
            await trigger.transaction("2.0.1", "CP201_SP1", "t1")
    finally:
        await trigger.close()


def test_times_keep_the_instant_they_name() -> None:
    assert parse_time("2026-03-01T12:00:00+02:00") == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert parse_time("2026-03-01T12:00:00+02:00").utcoffset() == timedelta(0)
    assert parse_time("2026-03-01T12:00:00") == datetime(2026, 3, 1, 12, tzinfo=UTC)
