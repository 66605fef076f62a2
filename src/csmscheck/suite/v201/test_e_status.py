"""Block E: transactions — checking transaction status (E14), with TransactionEvents queued offline."""

from __future__ import annotations

from csmscheck.errors import StepFailed
from csmscheck.expect import ABSENT, assert_matches, step
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.station.model import Transaction
from csmscheck.station.states import v201 as states
from csmscheck.station.timing import scenario_wait
from csmscheck.station.v201 import Payload
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v201.transaction_steps import ACCEPTED, send_payload


def _current(station: Station) -> Transaction:
    tx = station.model.transaction
    if tx is None:
        raise StepFailed("EnergyTransferStarted state: the station has no transaction")
    return tx


async def _go_offline(station: Station, label: str) -> None:
    """The station loses its connection and stays offline for TRANSACTION_DURATION seconds (an OCTT step)."""
    with step(label):
        await station.close()
    await scenario_wait(station.cfg.transaction_duration)


async def _come_back(station: Station, label: str) -> None:
    """The station reconnects; it did not reboot, so it sends no BootNotification."""
    with step(label):
        await station.connect()


def _queued(tx: Transaction, event_type: str, trigger_reason: str, **fields: object) -> Payload:
    """A TransactionEvent the station generated while offline: sent later, with offline set."""
    return msg.transaction_event(tx, event_type, trigger_reason, offline=True, **fields)  # type: ignore[arg-type]


async def _transaction_status(station: Station, csms: Csms, label: str, request: Payload, answer: Payload) -> None:
    """The CSMS asks for a transaction's status (``request``: with the transactionId, or without); the station
    answers ``answer``. Checks the request the CSMS sent, as its step states it."""
    with step(label):
        async with station.expect("GetTransactionStatus", reply=answer) as got:
            await csms.request(station, "GetTransactionStatus", request)
    asked = {"transactionId": request.get("transactionId", ABSENT)}
    assert_matches(got.payload, asked, f"{label}: GetTransactionStatusRequest")


@octt("TC_E_29", reqs=["E14.FR.02", "E14.FR.04"])
async def test_tc_e_29(station: Station, csms: Csms) -> None:
    """Check Transaction status - Transaction with id ongoing - with message in queue."""
    await states.energy_transfer_started(station)
    tx = _current(station)
    await _go_offline(station, "Step 1")
    station.model.add_energy(500.0)
    queued = _queued(tx, "Updated", "MeterValuePeriodic", meter_context="Sample.Periodic")
    await _come_back(station, "Step 2")
    await _transaction_status(station, csms, "Step 3", {"transactionId": tx.id},
                              {"ongoingIndicator": True, "messagesInQueue": True})
    await send_payload(station, "Step 5", queued)


@octt("TC_E_30", reqs=["E14.FR.02", "E14.FR.05"])
async def test_tc_e_30(station: Station, csms: Csms) -> None:
    """Check Transaction status - Transaction with id ongoing - without message in queue."""
    await states.energy_transfer_started(station)
    tx = _current(station)
    await _transaction_status(station, csms, "Step 1", {"transactionId": tx.id},
                              {"ongoingIndicator": True, "messagesInQueue": False})


@octt("TC_E_31", reqs=["E14.FR.03", "E14.FR.04"])
async def test_tc_e_31(station: Station, csms: Csms) -> None:
    """Check Transaction status - Transaction with id ended - with message in queue."""
    await states.energy_transfer_started(station)
    tx = _current(station)
    await _go_offline(station, "Step 1")
    # Offline, the driver stops and unplugs; the station queues three events, in seqNo order.
    station.model.add_energy(800.0)
    stop = _queued(tx, "Updated", "StopAuthorized", token=states.valid_token(station))
    post_session = _queued(tx, "Updated", "ChargingStateChanged", charging_state="EVConnected")
    ended = _queued(tx, "Ended", "EVCommunicationLost", charging_state="Idle", stopped_reason="EVDisconnected",
                    meter_context="Transaction.End")
    await _come_back(station, "Step 2")
    with step("Step 3"):
        await states.set_connector_status(station, station.cfg.evse_id, station.cfg.connector_id, "Available")
    # The Ended event goes first: its seqNo skips the two still queued.
    await send_payload(station, "Step 4", ended)
    station.model.end_transaction()
    station.model.ev_connected = False
    await _transaction_status(station, csms, "Step 5", {"transactionId": tx.id},
                              {"ongoingIndicator": False, "messagesInQueue": True})
    await send_payload(station, "Step 7", stop, expect=ACCEPTED)
    await send_payload(station, "Step 8", post_session)


@octt("TC_E_33", reqs=["E14.FR.06", "E14.FR.07"])
async def test_tc_e_33(station: Station, csms: Csms) -> None:
    """Check Transaction status - Without transactionId - with message in queue."""
    await states.energy_transfer_started(station)
    tx = _current(station)
    await _go_offline(station, "Step 1")
    station.model.add_energy(500.0)
    queued = _queued(tx, "Updated", "MeterValuePeriodic", meter_context="Sample.Periodic")
    await _come_back(station, "Step 2")
    await _transaction_status(station, csms, "Step 3", {}, {"messagesInQueue": True})
    await send_payload(station, "Step 5", queued)


@octt("TC_E_34", reqs=["E14.FR.06", "E14.FR.08"])
async def test_tc_e_34(station: Station, csms: Csms) -> None:
    """Check Transaction status - Without transactionId - without message in queue."""
    await _transaction_status(station, csms, "Step 1", {}, {"messagesInQueue": False})
