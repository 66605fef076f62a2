"""Chapters 3.8, 3.9, 3.11 and 3.12: refused tokens, lock failure, rejected remote actions,
power failure and transactions the charge point ran while offline."""

from __future__ import annotations

from datetime import UTC, datetime

from csmscheck.expect import assert_matches
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v16 as states
from csmscheck.station.v16 import energy_sample
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v16.csms_calls import check_relayed, csms_sends


async def _refused_tag(station: Station, id_tag: str, status: str) -> None:
    """Steps 1-2: the driver presents ``id_tag``; the Central System answers ``status``."""
    response = await states.authorize(station, id_tag, step="Step 2: Authorize.conf")
    assert_matches(response, {"idTagInfo": {"status": status}}, "Step 2: Authorize.conf")


@octt("TC_023_1", chapter="3.8")
async def test_tc_023_1(station: Station, cfg: Settings) -> None:
    """Start Charging Session – Authorize invalid."""
    await _refused_tag(station, cfg.invalid_id_token, "Invalid")


@octt("TC_023_2", chapter="3.8")
async def test_tc_023_2(station: Station, cfg: Settings) -> None:
    """Start Charging Session – Authorize expired."""
    await _refused_tag(station, cfg.expired_id_token, "Expired")


@octt("TC_023_3", chapter="3.8")
async def test_tc_023_3(station: Station, cfg: Settings) -> None:
    """Start Charging Session – Authorize blocked."""
    await _refused_tag(station, cfg.blocked_id_token, "Blocked")


@octt("TC_024", chapter="3.8")
async def test_tc_024(station: Station, cfg: Settings) -> None:
    """Start Charging Session Lock Failure."""
    await states.authorized(station)
    await states.set_status(station, cfg.connector_id, "Preparing", step="Step 2: StatusNotification.conf")
    # The EV driver plugs in, but the connector cannot be locked.
    await states.set_status(station, cfg.connector_id, "Faulted", error_code="ConnectorLockFailure",
                            step="Step 4: StatusNotification.conf")


@octt("TC_026", chapter="3.9")
async def test_tc_026(station: Station, csms: Csms, cfg: Settings) -> None:
    """Remote Start Charging Session – Rejected."""
    sent = await csms_sends(station, csms, "RemoteStartTransaction",
                            {"connectorId": cfg.connector_id, "idTag": cfg.valid_id_token},
                            "Step 1: RemoteStartTransaction.req", reply={"status": "Rejected"})
    check_relayed(station, sent, "Step 2: RemoteStartTransaction.conf")


@octt("TC_028", chapter="3.9")
async def test_tc_028(station: Station, csms: Csms) -> None:
    """Remote Stop Transaction – Rejected."""
    await states.charging(station)
    unknown = states.running_transaction_id(station, "Charging state") + 1  # not the one the charge point runs
    sent = await csms_sends(station, csms, "RemoteStopTransaction", {"transactionId": unknown},
                            "Step 1: RemoteStopTransaction.req", reply={"status": "Rejected"})
    check_relayed(station, sent, "Step 2: RemoteStopTransaction.conf")


@octt("TC_032_1", chapter="3.11")
async def test_tc_032_1(station: Station, cfg: Settings) -> None:
    """Power failure boot charging point-configured to stop transaction(s)."""
    await states.charging(station)
    power_lost_at = datetime.now(UTC)
    # [Power off and on]: the charge point boots with the transaction still in its memory.
    await states.reboot(station, "Step 1: BootNotification.req (the charge point reconnects after the power cut)",
                        "Step 2: BootNotification.conf", "Step 4: StatusNotification.conf",
                        overrides={cfg.connector_id: "Finishing"})
    await states.stop_transaction(station, "PowerLoss", timestamp=power_lost_at, step="Step 6: StopTransaction.conf")
    await states.unplug(station, "Clean-up (the cable unplugged): StatusNotification.conf")


@octt("TC_037_1", chapter="3.12")
async def test_tc_037_1(station: Station, cfg: Settings) -> None:
    """Offline Start Transaction - Valid IdTag."""
    await states.lose_connection(station)
    started_at = states.moment_ago(minutes=10)  # [the driver starts a transaction offline]
    await states.restore_connection(station)
    response = await states.start_transaction(station, cfg.valid_id_token, timestamp=started_at,
                                              step="Step 2: StartTransaction.conf")
    assert_matches(response, {"idTagInfo": {"status": "Accepted"}},
                   "Step 2: StartTransaction.conf")
    await states.set_status(station, cfg.connector_id, "Charging", step="Step 4: StatusNotification.conf")
    station.model.charging = station.model.ev_connected = True


@octt("TC_037_3", chapter="3.12")
async def test_tc_037_3(station: Station, cfg: Settings) -> None:
    """Offline Start Transaction - Invalid IdTag - StopTransactionOnInvalidId = true."""
    await states.lose_connection(station)
    started_at = states.moment_ago(minutes=10)  # [the driver starts a transaction offline, invalid idTag]
    await states.restore_connection(station)
    response = await states.start_transaction(station, cfg.invalid_id_token, timestamp=started_at,
                                              step="Step 2: StartTransaction.conf")
    assert_matches(response, {"idTagInfo": {"status": "Invalid"}},
                   "Step 2: StartTransaction.conf")
    await states.set_status(station, cfg.connector_id, "Charging", step="Step 4: StatusNotification.conf")
    # StopTransactionOnInvalidId: the charge point stops the transaction it now knows is invalid.
    await states.stop_transaction(station, "DeAuthorized", step="Step 6: StopTransaction.conf")
    await states.set_status(station, cfg.connector_id, "Finishing", step="Step 8: StatusNotification.conf")
    await states.unplug(station, "Clean-up (the cable unplugged): StatusNotification.conf")


@octt("TC_039", chapter="3.12")
async def test_tc_039(station: Station, cfg: Settings) -> None:
    """Offline Transaction."""
    await states.lose_connection(station)
    # [Offline: the driver starts a transaction, stops it (with the same idTag) and unplugs.]
    started_at, stopped_at = states.moment_ago(minutes=20), states.moment_ago(minutes=5)
    meter_start = station.model.meter_wh
    await states.restore_connection(station)
    response = await states.start_transaction(station, cfg.valid_id_token, timestamp=started_at,
                                              step="Step 2: StartTransaction.conf")
    assert_matches(response, {"idTagInfo": {"status": "Accepted"}},
                   "Step 2: StartTransaction.conf")
    readings = [energy_sample(meter_start, started_at, "Transaction.Begin"),
                energy_sample(meter_start + 1500.0, stopped_at, "Transaction.End")]
    response = await states.stop_transaction(station, "Local", cfg.valid_id_token, timestamp=stopped_at,
                                             transaction_data=readings, step="Step 4: StopTransaction.conf")
    states.check_stop_answer(station, response, "Step 4: StopTransaction.conf")
