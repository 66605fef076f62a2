"""Block L: secure firmware update (L01), TC_L_01 - TC_L_13.

The operator has the CSMS send UpdateFirmware for the firmware on the case's loopback server, without a
signature: the CSMS makes it a secure update (L01.FR.11). The virtual station downloads the image and
runs the update as scripted per case (``FirmwareScript``), sending a FirmwareStatusNotification with the
requestId for every state; like the OCTT's station it reports SignatureVerified whatever the signature,
and whether the signature really verifies is csmscheck check CSC-201-L-01. Scheduled downloads and
installs are scheduled a few seconds ahead (CONFIGURED_FIRMWARE_SCHEDULE_DELAY).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from csmscheck.checks import firmware as checks
from csmscheck.expect import assert_matches, step
from csmscheck.station import Station
from csmscheck.station.firmware import FirmwareScript
from csmscheck.station.firmware_server import FirmwareServer
from csmscheck.station.states import v201 as states
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v201.firmware_steps import (
    PRESENT,
    answered,
    check_signed_update,
    csms_sends,
    in_future,
    notifications,
    reboot_and_report,
    security_event,
    update_request,
)

# The OCTT's station: it verifies nothing, so a signature that does not verify is a finding, not InvalidSignature.
OCTT_STATION = FirmwareScript(accept_unverified=True)
INSTALLS = ["Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting"]


@pytest_asyncio.fixture
async def server() -> AsyncIterator[FirmwareServer]:
    async with FirmwareServer() as served:
        yield served


def _numbered(first_step: int, statuses: list[str]) -> list[tuple[int, str]]:
    """Request steps of consecutive notifications (each answered in the next step)."""
    return [(first_step + 2 * n, status) for n, status in enumerate(statuses)]


async def _update(station: Station, csms: Csms, server: FirmwareServer, script: FirmwareScript,
                  **schedule: float) -> int:
    """Steps 1-2 (no OCTT validation): the CSMS sends UpdateFirmware, the station answers by ``script``."""
    station.firmware.use(script)
    got = await csms_sends(station, csms, "UpdateFirmware", update_request(station, server, **schedule), 1)
    check_signed_update(station, got, server, "Step 1: UpdateFirmwareRequest")
    answered(got, script.answer, 2)
    return int(got.payload["requestId"])


@octt("TC_L_01", reqs=["L01.FR.01", "L01.FR.11", "L01.FR.15"])
async def test_tc_l_01(station: Station, csms: Csms, server: FirmwareServer) -> None:
    """Secure Firmware Update - Installation successful."""
    station.firmware.use(OCTT_STATION)
    got = await csms_sends(station, csms, "UpdateFirmware", update_request(station, server), 1)
    assert_matches(got.payload, {"firmware": {"signingCertificate": PRESENT, "signature": PRESENT}},
                   "Step 1: UpdateFirmwareRequest")
    check_signed_update(station, got, server, "Step 1: UpdateFirmwareRequest")
    answered(got, "Accepted", 2)
    await notifications(station, got.payload["requestId"], _numbered(3, INSTALLS))
    await reboot_and_report(station, 14)


@octt("TC_L_02", reqs=["L01.FR.01", "L01.FR.11", "L01.FR.15"])
async def test_tc_l_02(station: Station, csms: Csms, server: FirmwareServer) -> None:
    """Secure Firmware Update - InstallScheduled."""
    station.firmware.use(OCTT_STATION)
    request = update_request(station, server, install_in=station.cfg.firmware_schedule_delay)
    got = await csms_sends(station, csms, "UpdateFirmware", request, 1)
    assert_matches(got.payload, {"firmware": {"installDateTime": in_future()}}, "Step 1: UpdateFirmwareRequest")
    check_signed_update(station, got, server, "Step 1: UpdateFirmwareRequest")
    answered(got, "Accepted", 2)
    statuses = ["Downloading", "Downloaded", "SignatureVerified", "InstallScheduled", "Installing", "InstallRebooting"]
    await notifications(station, got.payload["requestId"], _numbered(3, statuses))
    await reboot_and_report(station, 16)


@octt("TC_L_03", reqs=["L01.FR.01", "L01.FR.11", "L01.FR.15"])
async def test_tc_l_03(station: Station, csms: Csms, server: FirmwareServer) -> None:
    """Secure Firmware Update - DownloadScheduled."""
    station.firmware.use(OCTT_STATION)
    request = update_request(station, server, retrieve_in=station.cfg.firmware_schedule_delay)
    got = await csms_sends(station, csms, "UpdateFirmware", request, 1)
    assert_matches(got.payload, {"firmware": {"retrieveDateTime": in_future()}}, "Step 1: UpdateFirmwareRequest")
    check_signed_update(station, got, server, "Step 1: UpdateFirmwareRequest")
    answered(got, "Accepted", 2)
    await notifications(station, got.payload["requestId"], _numbered(3, ["DownloadScheduled", *INSTALLS]))
    await reboot_and_report(station, 16)


@octt("TC_L_04", reqs=["L01.FR.01"])
async def test_tc_l_04(station: Station, csms: Csms, server: FirmwareServer) -> None:
    """Secure Firmware Update - RevokedCertificate."""
    await _update(station, csms, server, FirmwareScript(answer="RevokedCertificate"))


@octt("TC_L_05", reqs=["L01.FR.01"])
async def test_tc_l_05(station: Station, csms: Csms, server: FirmwareServer) -> None:
    """Secure Firmware Update - InvalidCertificate."""
    await _update(station, csms, server, FirmwareScript(answer="InvalidCertificate"))
    await security_event(station, "InvalidFirmwareSigningCertificate", 3)


@octt("TC_L_06", reqs=["L01.FR.01", "L01.FR.11"])
async def test_tc_l_06(station: Station, csms: Csms, server: FirmwareServer) -> None:
    """Secure Firmware Update - InvalidSignature."""
    request_id = await _update(station, csms, server, FirmwareScript(tamper=True))
    await notifications(station, request_id, _numbered(3, ["Downloading", "Downloaded", "InvalidSignature"]))
    await security_event(station, "InvalidFirmwareSignature", 9)


@octt("TC_L_07", reqs=["L01.FR.01", "L01.FR.11"])
async def test_tc_l_07(station: Station, csms: Csms, server: FirmwareServer) -> None:
    """Secure Firmware Update - DownloadFailed."""
    request_id = await _update(station, csms, server, FirmwareScript(download_fails=True))
    await notifications(station, request_id, _numbered(3, ["Downloading", "DownloadFailed"]))


@octt("TC_L_08", reqs=["L01.FR.01", "L01.FR.11"])
async def test_tc_l_08(station: Station, csms: Csms, server: FirmwareServer) -> None:
    """Secure Firmware Update - InstallVerificationFailed."""
    script = FirmwareScript(accept_unverified=True, install_failure="InstallVerificationFailed")
    request_id = await _update(station, csms, server, script)
    await notifications(station, request_id, _numbered(3, [*INSTALLS[:4], "InstallVerificationFailed"]))


@octt("TC_L_09", reqs=["L01.FR.01", "L01.FR.11"])
async def test_tc_l_09(station: Station, csms: Csms, server: FirmwareServer) -> None:
    """Secure Firmware Update - InstallationFailed."""
    script = FirmwareScript(accept_unverified=True, install_failure="InstallationFailed")
    request_id = await _update(station, csms, server, script)
    await notifications(station, request_id, _numbered(3, INSTALLS))
    await reboot_and_report(station, 14)


async def _second_update(station: Station, csms: Csms, server: FirmwareServer, first: int, answer: str) -> int:
    """Steps 5-6: while the first update downloads, the CSMS sends another; the station answers ``answer``."""
    got = await csms_sends(station, csms, "UpdateFirmware", update_request(station, server), 5)
    check_signed_update(station, got, server, "Step 5: UpdateFirmwareRequest")
    station.findings.check(checks.NEW_REQUEST_ID, got.payload["requestId"] != first,
                           f"Step 5: UpdateFirmwareRequest: requestId {first} again, that of the update it replaces")
    answered(got, answer, 6)
    return int(got.payload["requestId"])


@octt("TC_L_10", reqs=["L01.FR.01", "L01.FR.11", "L01.FR.24"])
async def test_tc_l_10(station: Station, csms: Csms, server: FirmwareServer) -> None:
    """Secure Firmware Update - AcceptedCanceled."""
    script = FirmwareScript(accept_unverified=True, hold_after="Downloading", when_busy="AcceptedCanceled")
    first = await _update(station, csms, server, script)
    await notifications(station, first, [(3, "Downloading")])
    second = await _second_update(station, csms, server, first, "AcceptedCanceled")
    await notifications(station, second, _numbered(7, INSTALLS))
    await reboot_and_report(station, 18)


@octt("TC_L_11", reqs=["L01.FR.01", "L01.FR.11", "L01.FR.27"])
async def test_tc_l_11(station: Station, csms: Csms, server: FirmwareServer) -> None:
    """Secure Firmware Update - Unable to cancel."""
    script = FirmwareScript(accept_unverified=True, hold_after="Downloading", when_busy="Rejected")
    first = await _update(station, csms, server, script)
    await notifications(station, first, [(3, "Downloading")])
    await _second_update(station, csms, server, first, "Rejected")
    await notifications(station, first, _numbered(7, INSTALLS[1:]))
    await reboot_and_report(station, 16)


@octt("TC_L_13", reqs=["L01.FR.01", "L01.FR.11"])
async def test_tc_l_13(station: Station, csms: Csms, server: FirmwareServer) -> None:
    """Secure Firmware Update - Ongoing transaction, AllowNewSessionsPendingFirmwareUpdate=false."""
    station.device_model.set("ChargingStation", "AllowNewSessionsPendingFirmwareUpdate", "false")
    await states.energy_transfer_started(station)
    # The station waits for the transaction to end before it downloads (DownloadScheduled, held).
    station.firmware.use(FirmwareScript(accept_unverified=True, download_scheduled=True,
                                        hold_after="DownloadScheduled"))
    got = await csms_sends(station, csms, "UpdateFirmware", update_request(station, server), 1)
    assert_matches(got.payload, {"firmware": {"signingCertificate": PRESENT}}, "Step 1: UpdateFirmwareRequest")
    check_signed_update(station, got, server, "Step 1: UpdateFirmwareRequest")
    answered(got, "Accepted", 2)
    request_id = got.payload["requestId"]
    await notifications(station, request_id, [(3, "DownloadScheduled")])
    with step("Step 5: StatusNotificationRequest and NotifyEventRequest (Unavailable)"):
        await states.connector_event(station, "Unavailable")
    await states.stop_authorized(station)
    await states.ev_connected_post_session(station)
    await states.ev_disconnected(station)
    station.firmware.resume()
    await notifications(station, request_id, _numbered(9, INSTALLS))
    await reboot_and_report(station, 19)
