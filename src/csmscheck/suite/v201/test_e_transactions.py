"""Block E: transactions — starting a transaction (TxStartPoint options, local start, seqNo).

The stop options are in ``test_e_stop.py``, the transaction status checks in
``test_e_status.py``; all three use the step helpers of ``transaction_steps.py``.
"""

from __future__ import annotations

import base64

from csmscheck.expect import step
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.station.states import v201 as states
from csmscheck.station.v201 import Payload
from csmscheck.suite.marks import octt
from csmscheck.suite.v201.transaction_steps import ACCEPTED, authorize_valid, event, plugged_in, send_payload
from csmscheck.timestamps import rfc3339


def _signed_start_reading(wh: float) -> Payload:
    """A Transaction.Begin energy reading carrying the meter's signature (TxStartPoint DataSigned)."""
    reading = f"OCMF|{{\"RD\":[{{\"RV\":{wh / 1000:.3f},\"RI\":\"1-b:1.8.0\",\"RU\":\"kWh\"}}]}}"
    return {"timestamp": rfc3339(), "sampledValue": [{
        "value": wh, "context": "Transaction.Begin", "measurand": "Energy.Active.Import.Register",
        "unitOfMeasure": {"unit": "Wh"},
        "signedMeterValue": {"signedMeterData": base64.b64encode(reading.encode()).decode(),
                             "signingMethod": "ECDSA-secp256r1-SHA256", "encodingMethod": "OCMF",
                             "publicKey": base64.b64encode(b"csmscheck virtual meter key").decode()}}]}


@octt("TC_E_01", reqs=["E01.FR.05"])
async def test_tc_e_01(station: Station) -> None:
    """Start transaction options - PowerPathClosed."""
    await authorize_valid(station, "Step 2")
    await plugged_in(station, "Step 4")
    await event(station, "Step 6", "Started", "ChargingStateChanged", charging_state="SuspendedEVSE",
                token=states.valid_token(station), meter_context="Transaction.Begin", expect=ACCEPTED)
    await event(station, "Step 8", "Updated", "ChargingStateChanged", charging_state="Charging")


@octt("TC_E_02", reqs=["E01.FR.06"])
async def test_tc_e_02(station: Station) -> None:
    """Start transaction options - EnergyTransfer."""
    await authorize_valid(station, "Step 2")
    await plugged_in(station, "Step 4")
    await event(station, "Step 6", "Started", "ChargingStateChanged", charging_state="Charging",
                token=states.valid_token(station), meter_context="Transaction.Begin", expect=ACCEPTED)


@octt("TC_E_03", reqs=["E02.FR.02"])
async def test_tc_e_03(station: Station) -> None:
    """Local start transaction - Cable plugin first - Success."""
    await plugged_in(station, "Step 1: EVConnectedPreSession")
    # TxStartPoint EVConnected: the transaction starts at plug-in, with its TxStartedMeasurands.
    await event(station, "Step 1: EVConnectedPreSession", "Started", "CablePluggedIn", charging_state="EVConnected",
                meter_context="Transaction.Begin")
    station.model.ev_connected = True
    with step("Step 2"):
        await states.authorized(station)
    with step("Step 3"):
        await states.energy_transfer_started(station)


@octt("TC_E_04", reqs=["E03.FR.02"])
async def test_tc_e_04(station: Station) -> None:
    """Local start transaction - Authorization first - Success."""
    with step("Step 1"):
        await states.authorized(station)
    with step("Step 2"):
        await states.energy_transfer_started(station)


@octt("TC_E_09", reqs=["E01.FR.02"])
async def test_tc_e_09(station: Station) -> None:
    """Start transaction options - EVConnected."""
    await plugged_in(station, "Step 2")
    await event(station, "Step 4", "Started", "CablePluggedIn", charging_state="EVConnected",
                meter_context="Transaction.Begin")


@octt("TC_E_10", reqs=["E01.FR.03"])
async def test_tc_e_10(station: Station) -> None:
    """Start transaction options - Authorized - Local."""
    await authorize_valid(station, "Step 2")
    await event(station, "Step 4", "Started", "Authorized", token=states.valid_token(station), expect=ACCEPTED)


@octt("TC_E_11", reqs=["E01.FR.04"])
async def test_tc_e_11(station: Station) -> None:
    """Start transaction options - DataSigned."""
    await authorize_valid(station, "Step 2")
    await plugged_in(station, "Step 4")
    tx = station.model.new_transaction(station.cfg.evse_id, station.cfg.connector_id)
    started = msg.transaction_event(tx, "Started", "SignedDataReceived", charging_state="SuspendedEVSE",
                                    token=states.valid_token(station))
    started["meterValue"] = [_signed_start_reading(tx.meter_wh)]
    await send_payload(station, "Step 6", started, expect=ACCEPTED)
    tx.started = True
    await event(station, "Step 8", "Updated", "ChargingStateChanged", charging_state="Charging")


@octt("TC_E_12", reqs=["E01.FR.01"])
async def test_tc_e_12(station: Station) -> None:
    """Start transaction options - ParkingBayOccupied."""
    with step("Step 2"):
        await states.parking_bay_occupied(station)


@octt("TC_E_38")
async def test_tc_e_38(station: Station) -> None:
    """Local start transaction - EV not ready."""
    await states.authorized(station)
    with step("Step 1"):
        await states.ev_connected_pre_session(station)
    await event(station, "Step 2", "Updated", "ChargingStateChanged", charging_state="SuspendedEV")


async def _session_from_seq_no_zero(station: Station, label: str) -> None:
    """EnergyTransferStarted (through Authorized, with its tool validations) whose first TransactionEvent,
    Started, has seqNo 0: the CSMS must accept it."""
    station.model.new_transaction(station.cfg.evse_id, station.cfg.connector_id)  # its seqNos start at 0
    with step(label):
        await states.energy_transfer_started(station)


@octt("TC_E_53", reqs=["E01.FR.07"])
async def test_tc_e_53(station: Station) -> None:
    """Reset Sequence Number - CSMS accepting seqNo = 0 at start of transaction."""
    await _session_from_seq_no_zero(station, "Step 1")
    with step("Step 2"):
        await states.ev_disconnected(station)
    await _session_from_seq_no_zero(station, "Step 3")
    with step("Step 4"):
        await states.ev_disconnected(station)
