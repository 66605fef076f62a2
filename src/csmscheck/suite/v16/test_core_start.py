"""Chapters 3.1 and 3.2: cold boot and charging sessions the charge point starts itself."""

from __future__ import annotations

from csmscheck.checks import v16 as checks
from csmscheck.expect import at_least, mismatches
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v16 as states
from csmscheck.suite.marks import octt


@octt("TC_001", chapter="3.1")
async def test_tc_001(unbooted_station: Station) -> None:
    """Cold Boot Charge Point."""
    station = unbooted_station
    response = await states.boot(station, step="Step 2: BootNotification.conf")
    station.findings.check(checks.HEARTBEAT_INTERVAL, not mismatches(response, {"interval": at_least(1)}),
                           f"Step 2: BootNotification.conf: expected a heartbeat interval of at least 1 second, "
                           f"got {states.shown(response, 'interval')}")
    await states.notify_connectors(station, "Available", step="Step 4: StatusNotification.conf")
    # Step 5 repeats every `interval` seconds; one Heartbeat, sent at once, stands for them.
    heartbeat = await states.checked_call(station, "Heartbeat", {}, "Step 6: Heartbeat.conf")
    states.check_current_time(station, heartbeat, "Step 6: Heartbeat.conf")


@octt("TC_003", chapter="3.2")
async def test_tc_003(station: Station) -> None:
    """Regular Charging Session - Plugin First."""
    await states.plug_in(station, "Step 2: StatusNotification.conf")
    await states.present_id_tag(station, "Step 4: Authorize.conf")
    await states.start_charging(station, "Step 6: StartTransaction.conf", "Step 8: StatusNotification.conf")


@octt("TC_004_1", chapter="3.2")
async def test_tc_004_1(station: Station) -> None:
    """Regular Charging Session – Identification First."""
    # The scenario is the reusable state Charging (Authorized first), without validations of its own.
    await states.charging(station)


@octt("TC_004_2", chapter="3.2")
async def test_tc_004_2(station: Station, cfg: Settings) -> None:
    """Regular Charging Session – Identification First - ConnectionTimeOut."""
    await states.authorized(station)
    await states.set_status(station, cfg.connector_id, "Preparing", step="Step 2: StatusNotification.conf")
    await states.connection_timeout(station, "Step 4: StatusNotification.conf")


@octt("TC_005_1", chapter="3.2")
async def test_tc_005_1(station: Station, cfg: Settings) -> None:
    """EV Side Disconnected - StopTransactionOnEVSideDisconnect = true - UnlockConnectorOnEVSideDisconnect = true."""
    await states.charging(station)
    await states.set_status(station, cfg.connector_id, "SuspendedEV", step="Step 2: StatusNotification.conf")
    await states.stop_and_unplug(station, "EVDisconnected", steps=(
        "Step 4: StopTransaction.conf", "Step 6: StatusNotification.conf", "Step 8: StatusNotification.conf"))
