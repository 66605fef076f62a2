"""The virtual 2.0.1 station's firmware engine (``station.firmware``): its answers, its real download and
signature check, and the notifications it sends, against the in-process reference CSMS."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from conftest import RunningCsms, StationOpener

from csmscheck.pki.firmware import new_firmware_signer
from csmscheck.station.firmware import FirmwareScript, PublishScript, StationFirmware, fetch, serve_firmware
from csmscheck.station.firmware_server import FirmwareServer
from csmscheck.station.session import StationSession
from csmscheck.timestamps import rfc3339

STATION = "CP201_SP1"
UPDATE, PUBLISH = "FirmwareStatusNotification", "PublishFirmwareStatusNotification"


def _id() -> int:
    return secrets.randbelow(2**30) + 1


@pytest.fixture
async def server() -> AsyncIterator[FirmwareServer]:
    async with FirmwareServer() as served:
        yield served


@pytest.fixture
async def api(reference_csms: RunningCsms) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=reference_csms.api, timeout=10.0) as client:
        yield client


async def _served(reference_csms: RunningCsms, open_station: StationOpener) -> tuple[StationSession, StationFirmware]:
    session = await open_station(reference_csms, STATION)
    firmware = StationFirmware()
    serve_firmware(session, firmware)
    return session, firmware


async def _ask(api: httpx.AsyncClient, action: str, payload: dict[str, object]) -> dict[str, object]:
    response = await api.post(f"/api/octt/2.0.1/{STATION}/{action}", json=payload)
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()["response"]
    return answer


def _sent(firmware: StationFirmware, action: str = UPDATE) -> list[str]:
    return [n.status for n in firmware.sent if n.action == action]


def test_answers_from_the_script_and_what_it_holds() -> None:
    firmware = StationFirmware()
    request = {"requestId": 1, "firmware": {"location": "http://127.0.0.1/x", "retrieveDateTime": rfc3339(),
                                            "signingCertificate": "not a certificate", "signature": "AAAA"}}
    assert firmware.update_firmware(request)["status"] == "InvalidCertificate"
    firmware.use(FirmwareScript(answer="RevokedCertificate"))
    good = request | {"firmware": request["firmware"] | {"signingCertificate": new_firmware_signer().certificate_pem}}
    assert firmware.update_firmware(good) == {"status": "RevokedCertificate"}
    checksum = "0" * 32
    assert firmware.unpublish_firmware({"checksum": checksum}) == {"status": "NoFirmware"}
    firmware.publish_downloading.add(checksum)
    assert firmware.unpublish_firmware({"checksum": checksum}) == {"status": "DownloadOngoing"}
    firmware.publish_downloading.clear()
    firmware.published[checksum] = ["http://lc/fw.bin"]
    assert firmware.unpublish_firmware({"checksum": checksum.upper()}) == {"status": "Unpublished"}
    assert checksum not in firmware.published


async def test_downloads_from_loopback_only(server: FirmwareServer) -> None:
    assert await fetch(server.url) == server.image
    assert await fetch(server.url + ".missing") is None
    assert await fetch("https://firmware.csmscheck.test/x.bin") is None  # no network beyond loopback
    assert await fetch("ftp://127.0.0.1/x.bin") is None
    assert server.fetches == 1


async def test_an_update_runs_as_a_station_runs_it(reference_csms: RunningCsms, open_station: StationOpener,
                                                   api: httpx.AsyncClient, server: FirmwareServer) -> None:
    session, firmware = await _served(reference_csms, open_station)
    request_id = _id()
    install = rfc3339(datetime.now(UTC) + timedelta(seconds=1))
    answer = await _ask(api, "update-firmware", {"requestId": request_id, "firmware": {
        "location": server.url, "retrieveDateTime": rfc3339(), "installDateTime": install}})
    assert answer == {"status": "Accepted"}
    await firmware.notified(UPDATE, "InstallRebooting", request_id, 10)
    assert _sent(firmware) == ["Downloading", "Downloaded", "SignatureVerified", "InstallScheduled", "Installing",
                               "InstallRebooting"]
    assert firmware.verified[request_id] is True  # the CSMS's signature of the image really verified
    installed = await firmware.after_reboot(session)
    assert installed.status == "Installed" and installed.answer == {}
    assert firmware.version == "csmscheck-2.0.1"


async def test_a_tampered_image_fails_its_signature(reference_csms: RunningCsms, open_station: StationOpener,
                                                    api: httpx.AsyncClient, server: FirmwareServer) -> None:
    _, firmware = await _served(reference_csms, open_station)
    firmware.use(FirmwareScript(tamper=True))
    request_id = _id()
    await _ask(api, "update-firmware", {"requestId": request_id, "firmware": {
        "location": server.url, "retrieveDateTime": rfc3339()}})
    await firmware.notified("SecurityEventNotification", "InvalidFirmwareSignature", None, 10)
    assert _sent(firmware) == ["Downloading", "Downloaded", "InvalidSignature"]
    with pytest.raises(LookupError, match="no more"):
        await firmware.notified(UPDATE, "Installing", request_id, 10)


async def test_a_second_update_cancels_the_held_one(reference_csms: RunningCsms, open_station: StationOpener,
                                                    api: httpx.AsyncClient, server: FirmwareServer) -> None:
    _, firmware = await _served(reference_csms, open_station)
    firmware.use(FirmwareScript(hold_after="Downloading", download_fails=True))
    first, second = _id(), _id()
    start = rfc3339(datetime.now(UTC) + timedelta(seconds=1))
    await _ask(api, "update-firmware", {"requestId": first, "firmware": {"location": server.url,
                                                                          "retrieveDateTime": start}})
    await firmware.notified(UPDATE, "Downloading", first, 10)  # after the scheduled wait
    assert _sent(firmware) == ["DownloadScheduled", "Downloading"]
    assert await _ask(api, "update-firmware", {"requestId": second, "firmware": {
        "location": server.url, "retrieveDateTime": rfc3339()}}) == {"status": "AcceptedCanceled"}
    await firmware.notified(UPDATE, "DownloadFailed", second, 10)
    await asyncio.wait_for(_ended(firmware, first), 5)
    assert [(n.payload["requestId"], n.status) for n in firmware.sent] == [
        (first, "DownloadScheduled"), (first, "Downloading"), (second, "Downloading"), (second, "DownloadFailed")]


async def _ended(firmware: StationFirmware, request_id: int) -> None:
    with pytest.raises(LookupError):
        await firmware.notified(UPDATE, "Downloaded", request_id, 5)


async def test_publishing_checks_the_checksum(reference_csms: RunningCsms, open_station: StationOpener,
                                              api: httpx.AsyncClient, server: FirmwareServer) -> None:
    _, firmware = await _served(reference_csms, open_station)
    good, wrong = _id(), _id()
    await _ask(api, "publish-firmware", {"location": server.url, "checksum": server.md5, "requestId": good})
    published = await firmware.notified(PUBLISH, "Published", good, 10)
    assert published.payload["location"] == [f"http://{STATION.lower()}.local/firmware/{server.md5}.bin"]
    await _ask(api, "publish-firmware", {"location": server.url, "checksum": "f" * 32, "requestId": wrong})
    await firmware.notified(PUBLISH, "InvalidChecksum", wrong, 10)
    firmware.use(publish=PublishScript(accept_any_checksum=True, publish_fails=True))
    trusting = _id()
    await _ask(api, "publish-firmware", {"location": server.url, "checksum": "f" * 32, "requestId": trusting})
    await firmware.notified(PUBLISH, "PublishFailed", trusting, 10)
    assert firmware.checksums == {good: True, wrong: False, trusting: False}
    assert await _ask(api, "unpublish-firmware", {"checksum": server.md5}) == {"status": "Unpublished"}
