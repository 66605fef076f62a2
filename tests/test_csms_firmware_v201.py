"""The reference CSMS's OCPP 2.0.1 firmware management (block L), driven by a raw station session and the trigger API.

What it adds to an update (a signature of the image at the location, with a code-signing certificate its root
issued), what it refuses to send (400 with reasons, nothing on the wire), what it records of each update and
publication (history by requestId, failures as failures, AcceptedCanceled ending the update that ran), and that
it starts no session on a station whose update waits to install when the station takes none.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import RunningCsms, StationOpener
from cryptography import x509
from trigger_calls import refused, relayed

from csmscheck.pki.certificates import load_pem_chain
from csmscheck.pki.firmware import firmware_signature_valid, new_firmware_signer
from csmscheck.station.firmware_server import FirmwareServer
from csmscheck.station.session import StationSession
from csmscheck.timestamps import rfc3339

STATION = "CP201_SP1"
Payload = dict[str, Any]


def _id() -> int:
    return secrets.randbelow(2**30) + 1


@pytest.fixture
async def api(reference_csms: RunningCsms) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=reference_csms.api, timeout=10.0) as client:
        yield client


@pytest.fixture
async def server() -> AsyncIterator[FirmwareServer]:
    async with FirmwareServer() as served:
        yield served


def _update(location: str, request_id: int, **firmware: Any) -> Payload:
    return {"requestId": request_id, "firmware": {"location": location, "retrieveDateTime": rfc3339(), **firmware}}


async def _updates(api: httpx.AsyncClient) -> dict[int, Payload]:
    response = await api.get(f"/api/stations/{STATION}")
    assert response.status_code == 200, response.text
    return {u["requestId"]: u for u in response.json()["firmwareUpdates"]}


async def _publications(api: httpx.AsyncClient) -> dict[int, Payload]:
    response = await api.get(f"/api/stations/{STATION}")
    return {p["requestId"]: p for p in response.json()["firmwarePublications"]}


async def _status(station: StationSession, status: str, request_id: int,
                  action: str = "FirmwareStatusNotification", **extra: Any) -> None:
    assert await station.call(action, {"status": status, "requestId": request_id, **extra}) == {}


async def test_the_csms_signs_an_update_with_a_certificate_of_its_root(
        reference_csms: RunningCsms, api: httpx.AsyncClient, open_station: StationOpener,
        server: FirmwareServer) -> None:
    station = await open_station(reference_csms, STATION)
    request_id = _id()
    async with station.expect("UpdateFirmware", reply={"status": "Accepted"}) as got:
        response = await api.post(f"/api/octt/2.0.1/{STATION}/update-firmware", json=_update(server.url, request_id))
        assert response.status_code == 200, response.text
    firmware = got.payload["firmware"]
    assert firmware_signature_valid(firmware["signingCertificate"], server.image, firmware["signature"])
    assert server.fetches == 1  # the CSMS fetched the image to sign it
    certificate = load_pem_chain(firmware["signingCertificate"])[0]
    root = x509.load_pem_x509_certificate(reference_csms.pki.ca_cert.read_bytes())
    assert certificate.issuer == root.subject
    certificate.verify_directly_issued_by(root)
    assert (await _updates(api))[request_id]["signedByCsms"] is True


async def test_a_signature_the_operator_gives_is_sent_as_given(
        reference_csms: RunningCsms, api: httpx.AsyncClient, open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    signer = new_firmware_signer()
    signature = signer.sign(b"image")
    request = _update("https://firmware.example/x.bin", _id(), signingCertificate=signer.certificate_pem,
                      signature=signature)
    await relayed(api, station, "UpdateFirmware", request)
    assert station.calls[-1].payload["firmware"]["signature"] == signature


async def test_requests_the_csms_refuses(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                         open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    now = datetime.now(UTC)
    early = _update("https://firmware.example/x.bin", _id(), retrieveDateTime=rfc3339(now),
                    installDateTime=rfc3339(now - timedelta(minutes=1)))
    assert any("installDateTime is before" in r for r in await refused(api, station, "update-firmware", early))
    half = _update("https://firmware.example/x.bin", _id(), signature="AAAA")
    assert any("go together" in r for r in await refused(api, station, "update-firmware", half))
    assert any("not an absolute URL" in r
               for r in await refused(api, station, "update-firmware", _update("firmware.bin", _id())))
    retries = _update("https://firmware.example/x.bin", _id()) | {"retries": -1}
    assert any("retries" in r for r in await refused(api, station, "update-firmware", retries))
    unreachable = _update("ftp://firmware.example/x.bin", _id())
    assert any("http(s) only" in r for r in await refused(api, station, "update-firmware", unreachable))
    publish = {"location": "https://firmware.example/x.bin", "checksum": "not-md5", "requestId": _id()}
    assert any("MD5" in r for r in await refused(api, station, "publish-firmware", publish))
    assert any("MD5" in r for r in await refused(api, station, "unpublish-firmware", {"checksum": "z" * 32}))


async def test_every_status_is_recorded_and_a_failure_is_never_success(
        reference_csms: RunningCsms, api: httpx.AsyncClient, open_station: StationOpener,
        server: FirmwareServer) -> None:
    station = await open_station(reference_csms, STATION)
    failed, installed = _id(), _id()
    await relayed(api, station, "UpdateFirmware", _update(server.url, failed))
    for status in ("Downloading", "Downloaded", "InvalidSignature"):
        await _status(station, status, failed)
    await relayed(api, station, "UpdateFirmware", _update(server.url, installed))
    for status in ("Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting"):
        await _status(station, status, installed)
    assert (await station.call("BootNotification", {"reason": "FirmwareUpdate", "chargingStation": {
        "vendorName": "csmscheck", "model": "TestStation"}}))["status"] == "Accepted"
    await _status(station, "Installed", installed)
    updates = await _updates(api)
    assert [h["status"] for h in updates[failed]["history"]] == ["Downloading", "Downloaded", "InvalidSignature"]
    assert updates[failed]["outcome"] == "InvalidSignature"
    assert [h["status"] for h in updates[installed]["history"]] == [
        "Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting", "Rebooted", "Installed"]
    assert updates[installed]["outcome"] == "Installed"


async def test_accepted_canceled_ends_the_update_that_ran(
        reference_csms: RunningCsms, api: httpx.AsyncClient, open_station: StationOpener,
        server: FirmwareServer) -> None:
    station = await open_station(reference_csms, STATION)
    first, second, refused_id = _id(), _id(), _id()
    await relayed(api, station, "UpdateFirmware", _update(server.url, first))
    await _status(station, "Downloading", first)
    await relayed(api, station, "UpdateFirmware", _update(server.url, second), reply={"status": "AcceptedCanceled"})
    await relayed(api, station, "UpdateFirmware", _update(server.url, refused_id),
                  reply={"status": "RevokedCertificate"})
    updates = await _updates(api)
    assert updates[first]["outcome"] == "Canceled"
    assert updates[second]["answer"] == "AcceptedCanceled" and updates[second]["outcome"] is None
    assert updates[refused_id]["outcome"] == "RevokedCertificate"


async def test_no_remote_start_while_an_update_waits_to_install(
        reference_csms: RunningCsms, api: httpx.AsyncClient, open_station: StationOpener,
        server: FirmwareServer) -> None:
    station = await open_station(reference_csms, STATION)
    request_id = _id()
    start = {"idToken": {"idToken": "TAG-001", "type": "ISO14443"}, "remoteStartId": _id(), "evseId": 1}
    await relayed(api, station, "UpdateFirmware", _update(server.url, request_id))
    await _status(station, "DownloadScheduled", request_id)
    reasons = await refused(api, station, "request-start-transaction", start)
    assert any("AllowNewSessionsPendingFirmwareUpdate" in r for r in reasons), reasons
    await _status(station, "DownloadFailed", request_id)  # the update is over: sessions again
    await relayed(api, station, "RequestStartTransaction", start | {"remoteStartId": _id()})


async def test_a_station_that_takes_sessions_while_an_update_waits_gets_them(
        reference_csms: RunningCsms, api: httpx.AsyncClient, open_station: StationOpener,
        server: FirmwareServer) -> None:
    station = await open_station(reference_csms, STATION)
    await station.call("NotifyReport", {"requestId": _id(), "generatedAt": rfc3339(), "seqNo": 0, "reportData": [{
        "component": {"name": "ChargingStation"}, "variable": {"name": "AllowNewSessionsPendingFirmwareUpdate"},
        "variableAttribute": [{"type": "Actual", "value": "true"}]}]})
    request_id = _id()
    await relayed(api, station, "UpdateFirmware", _update(server.url, request_id))
    await _status(station, "InstallScheduled", request_id)
    start = {"idToken": {"idToken": "TAG-001", "type": "ISO14443"}, "remoteStartId": _id(), "evseId": 1}
    await relayed(api, station, "RequestStartTransaction", start)
    await _status(station, "InstallVerificationFailed", request_id)
    assert (await _updates(api))[request_id]["outcome"] == "InstallVerificationFailed"


async def test_publications_are_recorded_and_unpublished(
        reference_csms: RunningCsms, api: httpx.AsyncClient, open_station: StationOpener,
        server: FirmwareServer) -> None:
    station = await open_station(reference_csms, STATION)
    request_id = _id()
    await relayed(api, station, "PublishFirmware", {"location": server.url, "checksum": server.md5.upper(),
                                                    "requestId": request_id})
    action = "PublishFirmwareStatusNotification"
    for status in ("Downloading", "Downloaded", "ChecksumVerified"):
        await _status(station, status, request_id, action)
    await _status(station, "Published", request_id, action, location=["http://lc.local/fw.bin"])
    publication = (await _publications(api))[request_id]
    assert publication["checksum"] == server.md5 and publication["locations"] == ["http://lc.local/fw.bin"]
    await relayed(api, station, "UnpublishFirmware", {"checksum": server.md5}, reply={"status": "Unpublished"})
    publication = (await _publications(api))[request_id]
    assert publication["unpublished"] is True and publication["locations"] is None
    assert [h["status"] for h in publication["history"]][-2:] == ["Published", "Unpublished"]
