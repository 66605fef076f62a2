"""Chapters 3.5, 3.6 and 3.10: reset, and unlocking a connector (happy and non-happy flows)."""

from __future__ import annotations

from csmscheck.expect import assert_matches
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v16 as states
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v16.csms_calls import check_relayed, csms_sends


async def _reset(station: Station, csms: Csms, reset_type: str) -> None:
    """Steps 1-6 of a reset: Reset.req of ``reset_type`` accepted, then the charge point reboots."""
    sent = await csms_sends(station, csms, "Reset", {"type": reset_type}, "Step 1: Reset.req",
                            reply={"status": "Accepted"})
    assert_matches(sent.payload, {"type": reset_type}, "Step 1: Reset.req")
    check_relayed(station, sent, "Step 2: Reset.conf")
    await states.reboot(station, "Step 3: BootNotification.req (the charge point reconnects after the reset)",
                        "Step 4: BootNotification.conf", "Step 6: StatusNotification.conf")


async def _unlock(station: Station, csms: Csms, connector_id: int, status: str) -> None:
    """Steps 1-2: the CSMS asks to unlock ``connector_id``; the charge point answers ``status``.

    The OCTT validates nothing of the request: the connector asked for is a csmscheck check.
    """
    sent = await csms_sends(station, csms, "UnlockConnector", {"connectorId": connector_id},
                            "Step 1: UnlockConnector.req", reply={"status": status})
    check_relayed(station, sent, "Step 2: UnlockConnector.conf")


@octt("TC_013", chapter="3.5")
async def test_tc_013(station: Station, csms: Csms) -> None:
    """Hard Reset."""
    await _reset(station, csms, "Hard")


@octt("TC_014", chapter="3.5")
async def test_tc_014(station: Station, csms: Csms) -> None:
    """Soft Reset."""
    await _reset(station, csms, "Soft")


@octt("TC_017_1", chapter="3.6")
async def test_tc_017_1(station: Station, csms: Csms, cfg: Settings) -> None:
    """Unlock connector - no charging session running (Not fixed cable)."""
    await _unlock(station, csms, cfg.connector_id, "Unlocked")


@octt("TC_017_2", chapter="3.6")
async def test_tc_017_2(station: Station, csms: Csms, cfg: Settings) -> None:
    """Unlock connector - no charging session running (Fixed cable)."""
    await _unlock(station, csms, cfg.connector_id, "NotSupported")


@octt("TC_018_1", chapter="3.6")
async def test_tc_018_1(station: Station, csms: Csms, cfg: Settings) -> None:
    """Unlock Connector - With Charging Session (Not fixed cable)."""
    await states.charging(station)
    await _unlock(station, csms, cfg.connector_id, "Unlocked")
    # Unlocking ends the transaction: Finishing, StopTransaction (UnlockCommand), then unplugged.
    await states.set_status(station, cfg.connector_id, "Finishing", step="Step 4: StatusNotification.conf")
    await states.stop_transaction(station, "UnlockCommand", step="Step 6: StopTransaction.conf")
    await states.unplug(station, "Step 8: StatusNotification.conf")


@octt("TC_030", chapter="3.10")
async def test_tc_030(station: Station, csms: Csms, cfg: Settings) -> None:
    """Unlock Connector – Unlock Failure."""
    await _unlock(station, csms, cfg.connector_id, "UnlockFailed")


@octt("TC_031", chapter="3.10")
async def test_tc_031(station: Station, csms: Csms, cfg: Settings) -> None:
    """Unlock Connector – Unknown Connector."""
    # A connector id the charge point does not have (it has connectors 1..number_of_evses).
    await _unlock(station, csms, cfg.number_of_evses + 1, "NotSupported")
