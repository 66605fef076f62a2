"""Stations registered at run time (trigger API ``/api/stations``, the ``[csms] provision`` setting)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from conftest import DEFAULTS, TIMEOUT, CsmsStarter, RunningCsms, boot_payload

from csmscheck.csms.config import load_csms_config, provisions_from_toml
from csmscheck.csms.provisioning import BulkStations
from csmscheck.errors import ConfigError
from csmscheck.station.session import StationSession
from csmscheck.wire.versions import OcppVersion

PASSWORD_201 = "load-test-password-01"  # 2.0.1 BasicAuthPassword: 16-40 characters
PASSWORD_16 = "0123456789abcdef0123456789abcdef"  # 1.6 AuthorizationKey: 32-40 hex digits
PASSWORDS: dict[OcppVersion, str] = {"2.0.1": PASSWORD_201, "1.6": PASSWORD_16}


@pytest.fixture
async def api(reference_csms: RunningCsms) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=reference_csms.api, timeout=30.0) as client:
        yield client


@pytest.fixture
async def stations() -> AsyncIterator[list[StationSession]]:
    """Sessions a test opens; closed when it ends."""
    opened: list[StationSession] = []
    yield opened
    for session in opened:
        await session.close()


async def connect(csms: RunningCsms, opened: list[StationSession], station_id: str, version: OcppVersion,
                  password: str) -> StationSession:
    """Connect on the profile-1 listener and boot; the session is closed when the test ends."""
    session = StationSession(station_id, version, timeout=TIMEOUT)
    await session.connect(csms.endpoints.ws, password=password)
    opened.append(session)
    answer = await session.call("BootNotification", boot_payload(version))
    assert answer["status"] == "Accepted", answer
    return session


async def refused_status(csms: RunningCsms, station_id: str, version: OcppVersion, password: str) -> int:
    session = StationSession(station_id, version, timeout=TIMEOUT)
    with pytest.raises(websockets.InvalidStatus) as refused:
        await session.connect(csms.endpoints.ws, password=password)
    return refused.value.response.status_code


def _reasons(response: httpx.Response) -> str:
    return " ".join(response.json()["errors"])


# -- one station ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.0.1", "1.6"])
async def test_created_station_connects_and_is_shown(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                     stations: list[StationSession], version: OcppVersion) -> None:
    station_id = f"NEW_{version}"
    created = await api.post("/api/stations", json={"stationId": station_id, "ocppVersion": version,
                                                    "securityProfile": 1, "password": PASSWORDS[version]})
    assert created.status_code == 201, created.text
    assert created.json() | {"lastBootAt": None} == {
        "stationId": station_id, "ocppVersion": version, "securityProfile": 1, "connected": False,
        "bootStatus": None, "vendor": None, "model": None, "serialNumber": None, "firmwareVersion": None,
        "lastBootAt": None}
    await connect(reference_csms, stations, station_id, version, PASSWORDS[version])
    shown = (await api.get(f"/api/stations/{station_id}")).json()
    assert shown["connected"] is True and shown["bootStatus"] == "Accepted"
    assert not [key for key in shown if "password" in key.lower()], shown


async def test_existing_station_is_409(api: httpx.AsyncClient) -> None:
    body = {"stationId": "TWICE", "ocppVersion": "2.0.1", "securityProfile": 1, "password": PASSWORD_201}
    assert (await api.post("/api/stations", json=body)).status_code == 201
    again = await api.post("/api/stations", json=body | {"password": "another-password-02"})
    assert again.status_code == 409 and "TWICE" in again.json()["detail"]
    seeded = await api.post("/api/stations", json=body | {"stationId": DEFAULTS.cp201_sp1})
    assert seeded.status_code == 409


@pytest.mark.parametrize(("change", "reason"), [
    ({"stationId": "A/B"}, "stationId"),
    ({"stationId": "A B"}, "stationId"),
    ({"stationId": "STATIÖN"}, "stationId"),
    ({"stationId": "X" * 49}, "stationId"),
    ({"stationId": ""}, "stationId"),
    ({"ocppVersion": "2.0"}, "ocppVersion"),
    ({"securityProfile": 4}, "securityProfile"),
    ({"securityProfile": 2**63}, "securityProfile"),
    ({"password": "short"}, "16 to 40"),
    ({"password": "x" * 41}, "16 to 40"),
    ({"password": None}, "password"),
    ({"ocppVersion": "1.6", "password": "not-hex-not-hex-not-hex-not-hex!"}, "hex"),
    ({"extra": 1}, "extra"),
])
async def test_bad_station_is_400_with_the_reason(api: httpx.AsyncClient, change: dict[str, Any],
                                                  reason: str) -> None:
    body = {"stationId": "BAD_ONE", "ocppVersion": "2.0.1", "securityProfile": 1, "password": PASSWORD_201}
    response = await api.post("/api/stations", json=body | change)
    assert response.status_code == 400, response.text
    assert reason in _reasons(response), response.json()
    assert (await api.get("/api/stations/BAD_ONE")).status_code == 404


async def test_profile_3_station_needs_no_password(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/stations", json={"stationId": "CERT_ONLY", "ocppVersion": "2.0.1",
                                                     "securityProfile": 3})
    assert response.status_code == 201, response.text


# -- removing a station -------------------------------------------------------------------------


async def test_unknown_station_delete_is_404(api: httpx.AsyncClient) -> None:
    assert (await api.delete("/api/stations/NO_SUCH")).status_code == 404


async def test_deleted_station_is_disconnected_and_refused(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                           stations: list[StationSession]) -> None:
    body = {"stationId": "GOING", "ocppVersion": "2.0.1", "securityProfile": 1, "password": PASSWORD_201}
    assert (await api.post("/api/stations", json=body)).status_code == 201
    session = await connect(reference_csms, stations, "GOING", "2.0.1", PASSWORD_201)
    # rows in other tables (connector status) go with it
    await session.call("StatusNotification", {"timestamp": "2026-01-01T00:00:00Z", "connectorStatus": "Available",
                                              "evseId": 1, "connectorId": 1})
    deleted = await api.delete("/api/stations/GOING")
    assert deleted.status_code == 204, deleted.text
    assert await session.wait_closed(TIMEOUT) == 1000
    assert (await api.get("/api/stations/GOING")).status_code == 404
    assert await refused_status(reference_csms, "GOING", "2.0.1", PASSWORD_201) == 404
    # the id is free again
    assert (await api.post("/api/stations", json=body)).status_code == 201


async def test_station_with_a_transaction_is_kept_409(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                      stations: list[StationSession]) -> None:
    body = {"stationId": "CHARGED", "ocppVersion": "1.6", "securityProfile": 1, "password": PASSWORD_16}
    assert (await api.post("/api/stations", json=body)).status_code == 201
    session = await connect(reference_csms, stations, "CHARGED", "1.6", PASSWORD_16)
    started = await session.call("StartTransaction", {"connectorId": 1, "idTag": DEFAULTS.valid_id_token,
                                                      "meterStart": 0, "timestamp": "2026-01-01T00:00:00Z"})
    assert started["idTagInfo"]["status"] == "Accepted"
    refused = await api.delete("/api/stations/CHARGED")
    assert refused.status_code == 409
    assert "1 transaction" in refused.json()["detail"]
    shown = await api.get("/api/stations/CHARGED")
    assert shown.status_code == 200 and shown.json()["connected"] is True


# -- many stations ------------------------------------------------------------------------------


async def test_bulk_provisions_ten_thousand_stations_that_share_a_password(
        start_csms: CsmsStarter, stations: list[StationSession]) -> None:
    csms = start_csms()
    body = {"pattern": "LOAD{n:05d}", "count": 10_000, "start": 0, "ocppVersion": "2.0.1", "securityProfile": 1,
            "password": PASSWORD_201}
    async with httpx.AsyncClient(base_url=csms.api, timeout=60.0) as api:
        response = await api.post("/api/stations/bulk", json=body)
        assert response.status_code == 201, response.text
        assert response.json() == {"created": 10_000, "existing": 0}
        overlapping = await api.post("/api/stations/bulk", json=body | {"start": 9_990, "count": 20})
        assert overlapping.json() == {"created": 10, "existing": 10}
        listed = {s["stationId"] for s in (await api.get("/api/stations")).json()}
        assert {f"LOAD{n:05d}" for n in range(10_010)} <= listed
    for station_id in ("LOAD00000", "LOAD09999", "LOAD10009"):
        await connect(csms, stations, station_id, "2.0.1", PASSWORD_201)


@pytest.mark.parametrize(("change", "reason"), [
    ({"pattern": "LOAD"}, "pattern"),
    ({"pattern": "LOAD{n}{n}"}, "pattern"),
    ({"pattern": "LOAD{m}"}, "pattern"),
    ({"pattern": "LOAD{n:s}"}, "pattern"),
    ({"pattern": "LOAD{n"}, "pattern"),
    ({"pattern": "A/{n}"}, "pattern"),
    ({"pattern": "L{n:060d}"}, "pattern"),
    ({"count": 0}, "count"),
    ({"count": 100_001}, "count"),
    ({"count": 2**63}, "count"),
    ({"start": -1}, "start"),
    ({"password": "short"}, "password"),
])
async def test_bad_bulk_is_400_with_the_reason(api: httpx.AsyncClient, change: dict[str, Any], reason: str) -> None:
    body = {"pattern": "BAD{n:03d}", "count": 3, "password": PASSWORD_201} | change
    response = await api.post("/api/stations/bulk", json=body)
    assert response.status_code == 400, response.text
    assert reason in _reasons(response), response.json()
    assert (await api.get("/api/stations/BAD000")).status_code == 404


# -- the [csms] provision setting ---------------------------------------------------------------


async def test_provision_setting_creates_stations_at_start(start_csms: CsmsStarter,
                                                           stations: list[StationSession]) -> None:
    provision = (BulkStations("SEED{n:03d}", 5, PASSWORD_16, "1.6", 1, start=10),)
    csms = start_csms(provision=provision)
    await (await connect(csms, stations, "SEED014", "1.6", PASSWORD_16)).close()
    assert await refused_status(csms, "SEED015", "1.6", PASSWORD_16) == 404
    # a restart on the same database finds them there and changes nothing
    csms.stop()  # (blocks this loop: no station of it may be connected)
    again = start_csms(db_path=csms.db_path, provision=provision)
    await connect(again, stations, "SEED010", "1.6", PASSWORD_16)


def test_provision_setting_is_read_from_toml(tmp_path: Path) -> None:
    config = tmp_path / "csms.toml"
    config.write_text('[csms]\nprovision = [{pattern = "LOAD{n:05d}", count = 10000, start = 0, '
                      f'password = "{PASSWORD_201}", ocpp_version = "2.0.1", security_profile = 1}}]\n')
    assert load_csms_config(config).provision == (BulkStations("LOAD{n:05d}", 10_000, PASSWORD_201),)


@pytest.mark.parametrize(("value", "named"), [
    ({"pattern": "LOAD{n:05d}"}, "provision[0].count is required"),
    ({"count": 1}, "provision[0].pattern is required"),
    ({"pattern": "LOAD", "count": 1, "password": PASSWORD_201}, "provision[0].pattern must be"),
    ({"pattern": "L{n}", "count": 0, "password": PASSWORD_201}, "provision[0].count must be"),
    ({"pattern": "L{n}", "count": "10", "password": PASSWORD_201}, "provision[0].count must be a whole number"),
    ({"pattern": "L{n}", "count": True, "password": PASSWORD_201}, "provision[0].count must be a whole number"),
    ({"pattern": "L{n}", "count": 1, "password": "short"}, "provision[0].password must be 16 to 40"),
    ({"pattern": "L{n}", "count": 1}, "provision[0].password must be given"),
    ({"pattern": "L{n}", "count": 1, "password": PASSWORD_201, "ocpp_version": "2.0"},
     "provision[0].ocpp_version must be"),
    ({"pattern": "L{n}", "count": 1, "password": PASSWORD_201, "security_profile": 5},
     "provision[0].security_profile must be"),
    ({"pattern": "L{n}", "count": 1, "password": PASSWORD_201, "ocppVersion": "1.6"},
     "provision[0]: unknown key 'ocppVersion'"),
    ("LOAD{n}", "provision[0] must be a table"),
])
def test_bad_provision_setting_is_one_line_naming_it(value: Any, named: str) -> None:
    with pytest.raises(ConfigError) as refused:
        provisions_from_toml([value])
    message = str(refused.value)
    assert named in message and "\n" not in message
    assert PASSWORD_201 not in message


def test_provision_setting_must_be_a_list() -> None:
    with pytest.raises(ConfigError, match="csms setting provision must be a list"):
        provisions_from_toml({"pattern": "L{n}", "count": 1})
