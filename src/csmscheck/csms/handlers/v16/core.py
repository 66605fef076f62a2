"""OCPP 1.6J Core profile: boot, heartbeat, status, authorize, transactions, meter values."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select

from csmscheck.csms.authorization import id_tag_info, verdict_for
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.lookups import find_transaction
from csmscheck.csms.meter import follow_readings, store_new_readings
from csmscheck.csms.models import Transaction
from csmscheck.csms.registration import record_heartbeat, record_status, register_boot
from csmscheck.csms.router import Payload, handles
from csmscheck.csms.tariff import seconds_between
from csmscheck.timestamps import parse_time, rfc3339

log = logging.getLogger("csmscheck.csms")


@handles("1.6", "BootNotification")
async def boot_notification(connection: StationConnection, request: Payload) -> Payload:
    decision = await register_boot(
        connection, None, request["chargePointVendor"], request["chargePointModel"],
        request.get("chargePointSerialNumber"), request.get("firmwareVersion"),
    )
    return {"currentTime": rfc3339(), "interval": decision.interval, "status": decision.status}


@handles("1.6", "Heartbeat")
async def heartbeat(connection: StationConnection, _request: Payload) -> Payload:
    return {"currentTime": rfc3339(await record_heartbeat(connection))}


@handles("1.6", "StatusNotification")
async def status_notification(connection: StationConnection, request: Payload) -> Payload:
    # 1.6 has no EVSEs: connector n is stored as EVSE n, connector 0 as the station.
    connector = request["connectorId"]
    await record_status(connection, connector, connector, request["status"], request["errorCode"])
    return {}


@handles("1.6", "Authorize")
async def authorize(connection: StationConnection, request: Payload) -> Payload:
    return {"idTagInfo": id_tag_info(await verdict_for(connection.csms.store, request["idTag"]))}


def _utc(timestamp: str) -> datetime:
    return parse_time(timestamp).astimezone(UTC)


@handles("1.6", "StartTransaction")
async def start_transaction(connection: StationConnection, request: Payload) -> Payload:
    """Record the transaction with the station's own start time and hand out a transaction id
    unique across the CSMS (increasing in order of arrival).

    A transaction started offline arrives late with a past timestamp: it is recorded all the
    same, and an idTag that is not Accepted is answered so, for the station to stop it. A
    StartTransaction the station repeats (it never saw the answer) gets the same id again.
    """
    verdict = await verdict_for(connection.csms.store, request["idTag"])
    started_at = _utc(request["timestamp"])
    async with connection.csms.store.session() as db:
        tx = await db.scalar(select(Transaction).filter_by(
            station_id=connection.station_id, connector_id=request["connectorId"], id_token=request["idTag"],
            started_at=started_at, meter_start_wh=float(request["meterStart"])))
        if tx is None:
            tx = Transaction(station_id=connection.station_id, transaction_id="pending",
                             evse_id=request["connectorId"], connector_id=request["connectorId"],
                             id_token=request["idTag"], group_id=verdict.group_id, started_at=started_at,
                             meter_start_wh=float(request["meterStart"]),
                             reservation_id=request.get("reservationId"))
            db.add(tx)
            await db.flush()
            tx.transaction_id = str(tx.pk)
        else:
            log.info("%s repeated StartTransaction %s", connection.station_id, tx.transaction_id)
    return {"transactionId": tx.pk, "idTagInfo": id_tag_info(verdict)}


@handles("1.6", "StopTransaction")
async def stop_transaction(connection: StationConnection, request: Payload) -> Payload:
    """Record the stop (its own timestamp, reason and meter data) and bill the session, however late
    it arrives: after an offline period, or after a reboot (PowerLoss). Stopping twice changes
    nothing (the session is billed once)."""
    async with connection.csms.store.session() as db:
        tx = await find_transaction(db, connection.station_id, str(request["transactionId"]))
        if tx is None:
            log.warning("%s stopped unknown transaction %s", connection.station_id, request["transactionId"])
        elif tx.stopped_at is None:
            tx.stopped_at = _utc(request["timestamp"])
            tx.meter_stop_wh = float(request["meterStop"])
            tx.stopped_reason = request.get("reason", "Local")
            rows = await store_new_readings(db, connection.station_id, tx.pk, tx.connector_id,
                                            request.get("transactionData", []))
            follow_readings(tx, rows, with_start=False)
            tx.total_cost = _bill(connection, tx)
    if "idTag" not in request:
        return {}
    return {"idTagInfo": id_tag_info(await verdict_for(connection.csms.store, request["idTag"]))}


def _bill(connection: StationConnection, tx: Transaction) -> float:
    """The tariff for the energy the station metered, meterStop - meterStart, over the time from the start's
    instant to the stop's (the same tariff as 2.0.1's).

    The stop's own figures, not the readings: a register that went backwards (a meter
    replaced mid-session) delivered nothing billable, and costs the session fee alone.
    Times are UTC instants: a session across midnight or a DST change costs the time that passed.
    """
    used = (tx.meter_stop_wh or 0.0) - (tx.meter_start_wh or 0.0)
    seconds = seconds_between(tx.started_at, tx.stopped_at) if tx.stopped_at is not None else None
    return float(connection.csms.config.tariff.cost(used, seconds))


@handles("1.6", "MeterValues")
async def meter_values(connection: StationConnection, request: Payload) -> Payload:
    async with connection.csms.store.session() as db:
        tx = None
        if "transactionId" in request:
            tx = await find_transaction(db, connection.station_id, str(request["transactionId"]))
        rows = await store_new_readings(db, connection.station_id, tx.pk if tx else None, request["connectorId"],
                                        request["meterValue"])
        if tx is not None:
            follow_readings(tx, rows, with_start=False)
    return {}


@handles("1.6", "DataTransfer")
async def data_transfer(connection: StationConnection, request: Payload) -> Payload:
    return {"status": "UnknownVendorId"}


@handles("1.6", "DiagnosticsStatusNotification")
@handles("1.6", "FirmwareStatusNotification")
async def acknowledge(connection: StationConnection, request: Payload) -> Payload:
    return {}
