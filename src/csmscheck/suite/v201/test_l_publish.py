"""Block L: publish (L03) and unpublish (L04) firmware on a Local Controller, TC_L_17 - TC_L_24.

The operator has the CSMS send PublishFirmware for the firmware on the case's loopback server, with its
MD5 checksum; the virtual station (the Local Controller) downloads it, checks the checksum and publishes
it as scripted per case, sending a PublishFirmwareStatusNotification with the requestId for every state.
Like the OCTT's station it reports ChecksumVerified whatever the checksum; whether the checksum is the
image's is csmscheck check CSC-201-L-05. For UnpublishFirmware the station answers from what it holds:
the firmware published (Unpublished), a download of it going on (DownloadOngoing), or nothing (NoFirmware).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from csmscheck.expect import assert_matches
from csmscheck.station import Station
from csmscheck.station.firmware import PublishScript
from csmscheck.station.firmware_server import FirmwareServer
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v201.firmware_steps import (
    PUBLISH,
    answered,
    check_checksum,
    csms_sends,
    notifications,
    publish_request,
)


@pytest_asyncio.fixture
async def server() -> AsyncIterator[FirmwareServer]:
    async with FirmwareServer() as served:
        yield served


async def _publish(station: Station, csms: Csms, server: FirmwareServer, script: PublishScript,
                   statuses: list[str]) -> None:
    """Steps 1-2: the CSMS sends PublishFirmware, the station accepts; then each status from step 3 on."""
    station.firmware.use(publish=script)
    got = await csms_sends(station, csms, "PublishFirmware", publish_request(station, server), 1)
    assert_matches(got.payload, {"location": server.url}, "Step 1: PublishFirmwareRequest")
    check_checksum(station, got, server, "Step 1: PublishFirmwareRequest")
    answered(got, "Accepted", 2)
    await notifications(station, got.payload["requestId"],
                        [(3 + 2 * n, status) for n, status in enumerate(statuses)], PUBLISH)


async def _unpublish(station: Station, csms: Csms, server: FirmwareServer, answer: str) -> None:
    """Steps 1-2: the CSMS sends UnpublishFirmware for the firmware; the station answers from what it holds."""
    got = await csms_sends(station, csms, "UnpublishFirmware", {"checksum": server.md5}, 1)
    check_checksum(station, got, server, "Step 1: UnpublishFirmwareRequest")
    answered(got, answer, 2)


@octt("TC_L_17")
async def test_tc_l_17(station: Station, csms: Csms, server: FirmwareServer) -> None:
    """Publish Firmware - Published."""
    await _publish(station, csms, server, PublishScript(accept_any_checksum=True),
                   ["Downloading", "Downloaded", "ChecksumVerified", "Published"])


@octt("TC_L_19")
async def test_tc_l_19(station: Station, csms: Csms, server: FirmwareServer) -> None:
    """Publish Firmware - Invalid Checksum."""
    await _publish(station, csms, server, PublishScript(tamper=True), ["Downloading", "Downloaded", "InvalidChecksum"])


@octt("TC_L_20")
async def test_tc_l_20(station: Station, csms: Csms, server: FirmwareServer) -> None:
    """Publish Firmware - PublishFailed."""
    await _publish(station, csms, server, PublishScript(accept_any_checksum=True, publish_fails=True),
                   ["Downloading", "Downloaded", "ChecksumVerified", "PublishFailed"])


@octt("TC_L_21")
async def test_tc_l_21(station: Station, csms: Csms, server: FirmwareServer) -> None:
    """Unpublish Firmware - Unpublished."""
    # The Local Controller publishes this firmware (it published it before the case).
    station.firmware.published[server.md5] = [f"http://{station.id.lower()}.local/firmware/{server.md5}.bin"]
    await _unpublish(station, csms, server, "Unpublished")


@octt("TC_L_22")
async def test_tc_l_22(station: Station, csms: Csms, server: FirmwareServer) -> None:
    """Unpublish Firmware - NoFirmware."""
    await _unpublish(station, csms, server, "NoFirmware")


@octt("TC_L_23")
async def test_tc_l_23(station: Station, csms: Csms, server: FirmwareServer) -> None:
    """Unpublish Firmware - Download Ongoing."""
    # The Local Controller is still downloading this firmware to publish it.
    station.firmware.publish_downloading.add(server.md5)
    await _unpublish(station, csms, server, "DownloadOngoing")


@octt("TC_L_24")
async def test_tc_l_24(station: Station, csms: Csms, server: FirmwareServer) -> None:
    """Publish Firmware - Download failed."""
    await _publish(station, csms, server, PublishScript(download_fails=True), ["Downloading", "DownloadFailed"])
