"""Block E: transactions — stopping a transaction (TxStopPoint options, deauthorization, remote stop)."""

from __future__ import annotations

from csmscheck.checks import v201 as checks
from csmscheck.errors import StepFailed
from csmscheck.expect import assert_matches, one_of, step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.station.states import v201 as states
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v201.transaction_steps import ACCEPTED, event


async def _unplugged_transaction_continues(station: Station) -> None:
    """EVDisconnected with TxStopPoint ParkingBayOccupancy: the cable is out, the transaction goes on."""
    await states.ev_connected_post_session(station)
    await states.connector_event(station, "Available")
    await states.send_event(station, "Updated", "EVCommunicationLost", charging_state="Idle")
    station.model.ev_connected = False


@octt("TC_E_07", reqs=["E06.FR.06"])
async def test_tc_e_07(station: Station) -> None:
    """Stop transaction options - PowerPathClosed - Local stop."""
    await states.energy_transfer_started(station)
    await event(station, "Step 2", "Ended", "StopAuthorized", token=states.valid_token(station),
                charging_state="EVConnected", stopped_reason="Local", meter_context="Transaction.End",
                expect=ACCEPTED)


@octt("TC_E_08", reqs=["E06.FR.07"])
async def test_tc_e_08(station: Station) -> None:
    """Stop transaction options - EnergyTransfer stopped - StopAuthorized."""
    await states.stop_authorized(station)
    await event(station, "Step 2", "Ended", "ChargingStateChanged", charging_state="EVConnected",
                stopped_reason="Local", meter_context="Transaction.End")


@octt("TC_E_14", reqs=["E06.FR.02"])
async def test_tc_e_14(station: Station) -> None:
    """Stop transaction options - EVDisconnected - Charging Station side."""
    await states.ev_connected_post_session(station)
    with step("Step 1: EVDisconnected"):
        await states.ev_disconnected(station)


@octt("TC_E_15", reqs=["E06.FR.03"])
async def test_tc_e_15(station: Station) -> None:
    """Stop transaction options - StopAuthorized - Local."""
    await states.energy_transfer_started(station)
    await event(station, "Step 2", "Ended", "StopAuthorized", token=states.valid_token(station),
                stopped_reason="Local", meter_context="Transaction.End", expect=ACCEPTED)


@octt("TC_E_16", reqs=["E06.FR.04", "E01.FR.11", "E01.FR.12"])
async def test_tc_e_16(station: Station, cfg: Settings) -> None:
    """Stop transaction options - Deauthorized - Invalid idToken."""
    invalid = msg.id_token(cfg.invalid_id_token, cfg.valid_id_token_type)
    await event(station, "Step 2", "Started", "Authorized", token=invalid,
                expect={"idTokenInfo": {"status": one_of("Invalid", "Unknown")}},
                check=checks.INVALID_TOKEN_IN_TRANSACTION)
    # E06.FR.04: the station stops the transaction the CSMS did not authorize.
    await event(station, "Step 4", "Ended", "Deauthorized", stopped_reason="DeAuthorized",
                meter_context="Transaction.End")


@octt("TC_E_17", reqs=["E06.FR.04"])
async def test_tc_e_17(station: Station) -> None:
    """Stop transaction options - Deauthorized - EV side disconnect."""
    await states.energy_transfer_suspended(station)
    await event(station, "Step 2", "Ended", "EVCommunicationLost", charging_state="Idle",
                stopped_reason="EVDisconnected", meter_context="Transaction.End")


@octt("TC_E_19", reqs=["E06.FR.01"])
async def test_tc_e_19(station: Station) -> None:
    """Stop transaction options - ParkingBayUnoccupied."""
    await _unplugged_transaction_continues(station)
    await event(station, "Step 2", "Ended", "EVDeparted", stopped_reason="Local", meter_context="Transaction.End")


@octt("TC_E_20", reqs=["E06.FR.02"])
async def test_tc_e_20(station: Station) -> None:
    """Stop transaction options - EVDisconnected - EV side (IEC 61851-1)."""
    await states.energy_transfer_suspended(station)
    with step("Step 2"):
        await states.connector_event(station, "Available")
    await event(station, "Step 4", "Ended", "EVCommunicationLost", charging_state="Idle",
                stopped_reason="EVDisconnected", meter_context="Transaction.End")


@octt("TC_E_21", reqs=["E06.FR.03", "F03.FR.01", "F03.FR.09", "F03.FR.10"])
async def test_tc_e_21(station: Station, csms: Csms) -> None:
    """Stop transaction options - StopAuthorized - Remote."""
    await states.energy_transfer_started(station)
    tx = station.model.transaction
    if tx is None:
        raise StepFailed("EnergyTransferStarted state: the station has no transaction")
    with step("Step 1"):
        async with station.expect("RequestStopTransaction", reply={"status": "Accepted"}) as got:
            await csms.request(station, "RequestStopTransaction", {"transactionId": tx.id})
    assert_matches(got.payload, {"transactionId": tx.id}, "Step 1: RequestStopTransactionRequest")
    await event(station, "Step 4", "Ended", "RemoteStop", charging_state="EVConnected", stopped_reason="Remote",
                meter_context="Transaction.End")


@octt("TC_E_22", reqs=["E06.FR.07"])
async def test_tc_e_22(station: Station) -> None:
    """Stop transaction options - EnergyTransfer stopped - SuspendedEV."""
    await states.energy_transfer_started(station)
    await event(station, "Step 2", "Ended", "ChargingStateChanged", charging_state="SuspendedEV",
                stopped_reason="StoppedByEV", meter_context="Transaction.End")


@octt("TC_E_26", reqs=["E10.FR.01"])
async def test_tc_e_26(station: Station) -> None:
    """Disconnect cable on EV-side - Suspend transaction."""
    await states.energy_transfer_suspended(station)
    # StopTxOnEVSideDisconnect is false: the transaction goes on, the cable stays locked at the station.
    await event(station, "Step 2", "Updated", "EVCommunicationLost", charging_state="Idle")
    await event(station, "Step 4", "Updated", "CablePluggedIn", charging_state="EVConnected")
    await event(station, "Step 6", "Updated", "ChargingStateChanged", charging_state="Charging")


@octt("TC_E_39", reqs=["E03.FR.04", "E03.FR.05", "E06.FR.04"])
async def test_tc_e_39(station: Station) -> None:
    """Stop transaction options - Deauthorized - timeout."""
    await states.authorized(station)
    # The EV was not plugged in within EVConnectionTimeout.
    await event(station, "Step 2", "Ended", "EVConnectTimeout", stopped_reason="Timeout")
