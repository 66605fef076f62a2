"""Chapters 3.1 and 3.2: cold boot and charging sessions the charge point starts itself."""

from __future__ import annotations

from csmscheck.expect import about_now, assert_matches, at_least
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v16 as states
from csmscheck.suite.marks import octt


@octt("TC_001", chapter="3.1")
async def test_tc_001(unbooted_station: Station) -> None:
    """Cold Boot Charge Point."""
    station = unbooted_station
    response = await states.boot(station, step="Step 2: BootNotification.conf")
    assert_matches(response, {"interval": at_least(1)}, "Step 2: BootNotification.conf")
    await states.notify_connectors(station, "Available")
    # Step 5 repeats every `interval` seconds; one Heartbeat, sent at once, stands for them.
    heartbeat = await station.call("Heartbeat", {})
    assert_matches(heartbeat, {"currentTime": about_now()}, "Step 6: Heartbeat.conf")


@octt("TC_003", chapter="3.2")
async def test_tc_003(station: Station) -> None:
    """Regular Charging Session - Plugin First."""
    await states.plug_in(station)
    await states.present_id_tag(station, "Step 4: Authorize.conf")
    await states.start_charging(station, "Step 6: StartTransaction.conf")


@octt("TC_004_1", chapter="3.2")
async def test_tc_004_1(station: Station) -> None:
    """Regular Charging Session – Identification First."""
    await states.present_id_tag(station, "Step 2: Authorize.conf")
    await states.plug_in(station)
    await states.start_charging(station, "Step 6: StartTransaction.conf")


@octt("TC_004_2", chapter="3.2")
async def test_tc_004_2(station: Station, cfg: Settings) -> None:
    """Regular Charging Session – Identification First - ConnectionTimeOut."""
    await states.authorized(station)
    await states.set_status(station, cfg.connector_id, "Preparing")
    await states.connection_timeout(station)


@octt("TC_005_1", chapter="3.2")
async def test_tc_005_1(station: Station, cfg: Settings) -> None:
    """EV Side Disconnected - StopTransactionOnEVSideDisconnect = true - UnlockConnectorOnEVSideDisconnect = true."""
    await states.charging(station)
    await states.set_status(station, cfg.connector_id, "SuspendedEV")
    await states.stop_and_unplug(station, "EVDisconnected")
