"""Chapters 3.15 and 3.16: firmware updates and diagnostics uploads the Central System asks for."""

from __future__ import annotations

from csmscheck.expect import ANY_STR, assert_matches
from csmscheck.station import Station
from csmscheck.station.states import v16 as states
from csmscheck.station.states import v16_extra as extra
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms, relayed_answer
from csmscheck.timestamps import rfc3339

FIRMWARE = "FirmwareStatusNotification"
DIAGNOSTICS = "DiagnosticsStatusNotification"


async def _update_firmware(station: Station, csms: Csms) -> None:
    """Steps 1-2: the CSMS sends UpdateFirmware for the test data's firmware; the station takes it."""
    async with station.expect("UpdateFirmware", reply={}) as got:
        reply = await csms.request(station, "UpdateFirmware", {"location": station.cfg.firmware_location,
                                                               "retrieveDate": rfc3339()})
    assert_matches(got.payload, {"location": station.cfg.firmware_location, "retrieveDate": ANY_STR},
                   "Step 1: UpdateFirmware.req")
    relayed_answer(reply, "Step 2")


async def _download_and_install(station: Station, csms: Csms, outcome: str) -> None:
    """TC_044_1/3: download, connectors Unavailable, install, reboot, connectors Available, ``outcome``."""
    await _update_firmware(station, csms)
    await extra.notify(station, FIRMWARE, "Downloading", "Step 4: FirmwareStatusNotification.conf")
    await extra.notify(station, FIRMWARE, "Downloaded", "Step 6: FirmwareStatusNotification.conf")
    await extra.report_connectors(station, "Unavailable", "Step 8: StatusNotification.conf")
    await extra.notify(station, FIRMWARE, "Installing", "Step 10: FirmwareStatusNotification.conf")
    await station.reconnect()
    await states.boot(station, step="Step 12: BootNotification.conf")
    await extra.report_connectors(station, "Available", "Step 14: StatusNotification.conf")
    await extra.notify(station, FIRMWARE, outcome, "Step 16: FirmwareStatusNotification.conf")


@octt("TC_044_1", chapter="3.15")
async def test_tc_044_1(station: Station, csms: Csms) -> None:
    """Firmware Update - Download and Install."""
    await _download_and_install(station, csms, "Installed")


@octt("TC_044_2", chapter="3.15")
async def test_tc_044_2(station: Station, csms: Csms) -> None:
    """Firmware Update - Download Failed."""
    await _update_firmware(station, csms)
    await extra.notify(station, FIRMWARE, "Downloading", "Step 4: FirmwareStatusNotification.conf")
    await extra.notify(station, FIRMWARE, "DownloadFailed", "Step 6: FirmwareStatusNotification.conf")


@octt("TC_044_3", chapter="3.15")
async def test_tc_044_3(station: Station, csms: Csms) -> None:
    """Firmware Update - Installation Failed."""
    await _download_and_install(station, csms, "InstallationFailed")


async def _get_diagnostics(station: Station, csms: Csms) -> None:
    """Steps 1-2: the CSMS asks for the diagnostics at its upload location; the station names the file."""
    async with station.expect("GetDiagnostics", reply={"fileName": extra.DIAGNOSTICS_FILE}) as got:
        reply = await csms.request(station, "GetDiagnostics", {"location": station.cfg.diagnostics_location})
    assert_matches(got.payload, {"location": station.cfg.diagnostics_location}, "Step 1: GetDiagnostics.req")
    answer = relayed_answer(reply, "Step 2")
    if answer is not None:
        assert_matches(answer, {"fileName": extra.DIAGNOSTICS_FILE}, "Step 2: the CSMS's record of GetDiagnostics.conf")


@octt("TC_045_1", chapter="3.16")
async def test_tc_045_1(station: Station, csms: Csms) -> None:
    """Get Diagnostics."""
    await _get_diagnostics(station, csms)
    await extra.notify(station, DIAGNOSTICS, "Uploading", "Step 4: DiagnosticsStatusNotification.conf")
    await extra.notify(station, DIAGNOSTICS, "Uploaded", "Step 6: DiagnosticsStatusNotification.conf")


@octt("TC_045_2", chapter="3.16")
async def test_tc_045_2(station: Station, csms: Csms) -> None:
    """Get Diagnostics - Upload Failed."""
    await _get_diagnostics(station, csms)
    await extra.notify(station, DIAGNOSTICS, "Uploading", "Step 4: DiagnosticsStatusNotification.conf")
    await extra.notify(station, DIAGNOSTICS, "UploadFailed", "Step 6: DiagnosticsStatusNotification.conf")
