"""One database transaction per station message: what a message changes is stored whole or
not at all, a report the CSMS never asked for is kept, a resent MeterValues counts once, and
a database the CSMS cannot open stops it with one line."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import PASSWORD, TIMEOUT, CsmsStarter, RunningCsms, StationOpener, boot_payload
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from csmscheck.cli import main
from csmscheck.csms import sqlite_driver
from csmscheck.csms.handlers.v201 import device_model
from csmscheck.csms.models import Station
from csmscheck.csms.store import Store
from csmscheck.station.session import StationSession
from csmscheck.timestamps import rfc3339


def _query(csms: RunningCsms, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(csms.db_path)) as db:
        return db.execute(sql, args).fetchall()


def _report(request_id: int, *variables: str) -> dict[str, Any]:
    return {"requestId": request_id, "generatedAt": rfc3339(), "seqNo": 0, "reportData": [
        {"component": {"name": "TestCtrlr"}, "variable": {"name": name},
         "variableAttribute": [{"type": "Actual", "value": "42"}]} for name in variables]}


async def test_a_report_the_csms_did_not_ask_for_is_stored(reference_csms: RunningCsms,
                                                           open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP201_SP1")
    request_id = uuid.uuid4().int % 2**31
    assert await station.call("NotifyReport", _report(request_id, "Unasked")) == {}
    assert _query(reference_csms, "SELECT kind, parts, complete FROM reports WHERE request_id = ?",
                  request_id) == [("unsolicited", 1, 1)]
    assert ("42",) in _query(reference_csms, "SELECT value FROM variables WHERE station_id = 'CP201_SP1' "
                                             "AND variable = 'Unasked'")


async def test_a_message_that_fails_half_way_changes_nothing(reference_csms: RunningCsms, open_station: StationOpener,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The second variable of a NotifyReport cannot be stored: the first is not stored either."""
    real = device_model.store_variable

    async def fail_on_second(connection: Any, component: Any, variable: dict[str, Any], *args: Any) -> None:
        if variable["name"] == "SecondHalf":
            raise RuntimeError("disk full")
        await real(connection, component, variable, *args)

    monkeypatch.setattr(device_model, "store_variable", fail_on_second)
    station = await open_station(reference_csms, "CP201_SP1")
    request_id = uuid.uuid4().int % 2**31
    answer = await station.send("NotifyReport", _report(request_id, "FirstHalf", "SecondHalf"))
    assert getattr(answer, "code", None) == "InternalError"
    assert _query(reference_csms, "SELECT value FROM variables WHERE variable = 'FirstHalf'") == []
    assert _query(reference_csms, "SELECT * FROM reports WHERE request_id = ?", request_id) == []
    # the connection lives on
    assert "currentTime" in await station.call("Heartbeat", {})


async def test_a_resent_1_6_meter_values_is_stored_once(reference_csms: RunningCsms,
                                                        open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP16_SP1")
    marker = str(800_000 + uuid.uuid4().int % 100_000)
    meter_values = {"connectorId": 1, "meterValue": [{"timestamp": rfc3339(), "sampledValue": [
        {"value": marker, "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
        {"value": "7.4", "measurand": "Power.Active.Import", "unit": "kW"}]}]}
    await station.call("MeterValues", meter_values)
    await station.call("MeterValues", meter_values)  # it never saw the first answer
    assert _query(reference_csms, "SELECT count(*) FROM meter_values WHERE value = ?", float(marker)) == [(1,)]
    # a new reading at another time is stored
    later = {"connectorId": 1, "meterValue": [{"timestamp": rfc3339(), "sampledValue": [
        {"value": marker, "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]}
    later["meterValue"][0]["timestamp"] = "2030-01-01T00:00:00Z"
    await station.call("MeterValues", later)
    assert _query(reference_csms, "SELECT count(*) FROM meter_values WHERE value = ?", float(marker)) == [(2,)]


@pytest.mark.parametrize(("url", "message"), [
    ("postgresql://csms:s3cret@127.0.0.1:1/csms", "csms setting db: cannot open postgresql+asyncpg://csms:***@"),
    ("mysql+nodriver://x@127.0.0.1/x", "csms setting db:"),
])
def test_a_database_the_csms_cannot_open_is_one_line(url: str, message: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["csms", "--db", url]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "s3cret" not in err


# What the CSMS asks for, and the status notification that reports on it (1.6).
TRANSFERS = [
    ("UpdateFirmware", {"location": "https://fw.example.test/v2.bin", "retrieveDate": "2026-01-01T00:00:00Z"}, {},
     "FirmwareStatusNotification", {"status": "Downloading"}),
    ("GetDiagnostics", {"location": "ftp://logs.example.test/"}, {"fileName": "d.zip"},
     "DiagnosticsStatusNotification", {"status": "Uploading"}),
    ("GetLog", {"logType": "SecurityLog", "requestId": 7, "log": {"remoteLocation": "ftp://logs.example.test/"}},
     {"status": "Accepted"}, "LogStatusNotification", {"status": "Uploading", "requestId": 7}),
    ("SignedUpdateFirmware", {"requestId": 8, "firmware": {
        "location": "https://fw.example.test/s.bin", "retrieveDateTime": "2026-01-01T00:00:00Z",
        "signingCertificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        "signature": "c2lnbmF0dXJl"}}, {"status": "Accepted"},
     "SignedFirmwareStatusNotification", {"status": "Downloading", "requestId": 8}),
]


@pytest.mark.parametrize(("action", "request_", "reply", "notification", "status"), TRANSFERS,
                         ids=[t[0] for t in TRANSFERS])
async def test_a_status_racing_the_request_it_reports_on(database: str, start_csms: CsmsStarter, action: str,
                                                         request_: dict[str, Any], reply: dict[str, Any],
                                                         notification: str, status: dict[str, Any]) -> None:
    """The station reports progress at once, while the CSMS may still be recording the request
    (the first transfer of its kind): both are stored, neither is answered an error."""
    csms = start_csms(db_url=database)
    kebab = "".join(f"-{c.lower()}" if c.isupper() else c for c in action).lstrip("-")
    async with httpx.AsyncClient(base_url=csms.api, timeout=TIMEOUT) as api:
        for attempt in range(5):
            station_id = f"RACE{attempt}"
            created = await api.post("/api/stations", json={"stationId": station_id, "ocppVersion": "1.6",
                                                            "securityProfile": 1, "password": PASSWORD})
            assert created.status_code == 201, created.text
            station = StationSession(station_id, "1.6", timeout=TIMEOUT)
            await station.connect(csms.endpoints.ws, password=PASSWORD)
            try:
                await station.call("BootNotification", boot_payload("1.6"))
                asked = asyncio.create_task(api.post(f"/api/octt/1.6/{station_id}/{kebab}", json=request_))
                await station.wait_for(action, reply=reply)
                assert await station.call(notification, status) == {}
                answer = await asked
                assert answer.status_code == 200 and answer.json() == {"response": reply}, answer.text
            finally:
                await station.close()


async def test_a_sqlite_statement_is_one_trip_to_the_database_thread(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLAlchemy's aiosqlite adapter would make four (cursor, execute, fetch, close)."""
    store = Store(f"sqlite:///{tmp_path / 'trips.db'}")
    await store.create_schema()
    trips: list[str] = []
    real = sqlite_driver.OneTripConnection.run

    async def counted(self: sqlite_driver.OneTripConnection, function: Any, *args: Any) -> Any:
        trips.append(args[0].split()[0])
        return await real(self, function, *args)

    monkeypatch.setattr(sqlite_driver.OneTripConnection, "run", counted)
    try:
        async with store.session() as db:
            rows = (await db.execute(select(Station.id).where(Station.id.like("CP%")))).all()
            await db.execute(insert(Station), [{"id": f"TRIP{n}", "ocpp_version": "2.0.1", "security_profile": 1,
                                                 "override_boots": 0} for n in range(3)])
            assert await db.scalar(select(func.count()).select_from(Station)) == len(rows) + 3
    finally:
        await store.close()
    assert trips == ["BEGIN", "SELECT", "INSERT", "SELECT"]


async def test_a_unit_whose_close_fails_gives_its_connection_back(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite has one connection slot: a unit that kept it would stop every station."""
    store = Store(f"sqlite:///{tmp_path / 'slot.db'}")
    await store.create_schema()
    real = AsyncSession.close
    failures = [RuntimeError("connection lost while closing")]

    async def failing_close(self: AsyncSession) -> None:
        await real(self)
        if failures:
            raise failures.pop()

    monkeypatch.setattr(AsyncSession, "close", failing_close)
    try:
        with pytest.raises(RuntimeError, match="connection lost"):
            async with store.session() as db:
                await db.execute(select(Station.id))
        async with asyncio.timeout(TIMEOUT), store.session() as db:  # the slot is free again
            await db.execute(select(Station.id))
    finally:
        await store.close()
