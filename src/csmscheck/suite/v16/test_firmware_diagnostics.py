"""Chapters 3.15 and 3.16: firmware updates and diagnostics uploads the Central System asks for."""

from __future__ import annotations

from csmscheck.expect import assert_matches
from csmscheck.station import Station
from csmscheck.station.states import v16 as states
from csmscheck.station.states import v16_extra as extra
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v16.csms_calls import check_relayed, csms_sends
from csmscheck.timestamps import rfc3339

FIRMWARE = "FirmwareStatusNotification"
DIAGNOSTICS = "DiagnosticsStatusNotification"


async def _update_firmware(station: Station, csms: Csms, *, location_validated: bool) -> None:
    """Steps 1-2: the CSMS sends UpdateFirmware for the test data's firmware; the station takes it.

    Only TC_044_1 validates the location; in TC_044_2 and TC_044_3 it is a csmscheck check.
    """
    location = station.cfg.firmware_location
    sent = await csms_sends(station, csms, "UpdateFirmware", {"location": location, "retrieveDate": rfc3339()},
                            "Step 1: UpdateFirmware.req", reply={})
    if location_validated:
        assert_matches(sent.payload, {"location": location}, "Step 1: UpdateFirmware.req")
    check_relayed(station, sent, "Step 2: UpdateFirmware.conf")


async def _download_and_install(station: Station, csms: Csms, outcome: str) -> None:
    """TC_044_1/3: download, connectors Unavailable, install, reboot, connectors Available, ``outcome``."""
    await _update_firmware(station, csms, location_validated=outcome == "Installed")
    await extra.notify(station, FIRMWARE, "Downloading", "Step 4: FirmwareStatusNotification.conf")
    await extra.notify(station, FIRMWARE, "Downloaded", "Step 6: FirmwareStatusNotification.conf")
    await extra.report_connectors(station, "Unavailable", "Step 8: StatusNotification.conf")
    await extra.notify(station, FIRMWARE, "Installing", "Step 10: FirmwareStatusNotification.conf")
    # The charge point reboots into the new firmware; the OCTT does not validate the boot's status.
    await states.reconnect(station, "Step 11: BootNotification.req (the charge point reconnects after installing)")
    boot = await states.boot(station, step="Step 12: BootNotification.conf", expect_status=None)
    states.check_boot_accepted(station, boot, "Step 12: BootNotification.conf")
    await extra.report_connectors(station, "Available", "Step 14: StatusNotification.conf")
    await extra.notify(station, FIRMWARE, outcome, "Step 16: FirmwareStatusNotification.conf")


@octt("TC_044_1", chapter="3.15")
async def test_tc_044_1(station: Station, csms: Csms) -> None:
    """Firmware Update - Download and Install."""
    await _download_and_install(station, csms, "Installed")


@octt("TC_044_2", chapter="3.15")
async def test_tc_044_2(station: Station, csms: Csms) -> None:
    """Firmware Update - Download Failed."""
    await _update_firmware(station, csms, location_validated=False)
    await extra.notify(station, FIRMWARE, "Downloading", "Step 4: FirmwareStatusNotification.conf")
    await extra.notify(station, FIRMWARE, "DownloadFailed", "Step 6: FirmwareStatusNotification.conf")


@octt("TC_044_3", chapter="3.15")
async def test_tc_044_3(station: Station, csms: Csms) -> None:
    """Firmware Update - Installation Failed."""
    await _download_and_install(station, csms, "InstallationFailed")


async def _get_diagnostics(station: Station, csms: Csms) -> None:
    """Steps 1-2: the CSMS asks for the diagnostics at its upload location; the station names the file.

    The OCTT validates nothing of the request: the location asked for is a csmscheck check.
    """
    location = station.cfg.diagnostics_location
    sent = await csms_sends(station, csms, "GetDiagnostics", {"location": location}, "Step 1: GetDiagnostics.req",
                            reply={"fileName": extra.DIAGNOSTICS_FILE})
    check_relayed(station, sent, "Step 2: GetDiagnostics.conf")


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
