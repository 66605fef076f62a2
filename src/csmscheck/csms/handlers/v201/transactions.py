"""Transactions (block E), OCPP 2.0.1: TransactionEvent applied once per seqNo."""

from __future__ import annotations

from sqlalchemy import select

from csmscheck.csms.authorization import id_token_info, verdict_for
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.meter import energy_register_wh, sampled_rows
from csmscheck.csms.models import Transaction, TransactionEventLog
from csmscheck.csms.router import Payload, handles
from csmscheck.timestamps import parse_time


@handles("2.0.1", "TransactionEvent")
async def transaction_event(connection: StationConnection, request: Payload) -> Payload:
    """Apply the event once (by seqNo) to the transaction it belongs to."""
    info = request["transactionInfo"]
    evse = request.get("evse") or {}
    stamp = parse_time(request["timestamp"])
    async with connection.csms.store.session() as db:
        tx = await db.scalar(select(Transaction).filter_by(station_id=connection.station_id,
                                                           transaction_id=info["transactionId"]))
        if tx is None:
            tx = Transaction(station_id=connection.station_id, transaction_id=info["transactionId"],
                             started_at=stamp, evse_id=evse.get("id"), connector_id=evse.get("connectorId"),
                             remote_start_id=info.get("remoteStartId"), reservation_id=request.get("reservationId"))
            db.add(tx)
            await db.flush()
        seen = await db.scalar(select(TransactionEventLog).filter_by(transaction_pk=tx.pk, seq_no=request["seqNo"]))
        if seen is None:
            db.add(TransactionEventLog(transaction_pk=tx.pk, seq_no=request["seqNo"],
                                       event_type=request["eventType"], trigger_reason=request["triggerReason"],
                                       timestamp=stamp, offline=request.get("offline", False)))
            _apply(tx, request, stamp)
            rows = sampled_rows(connection.station_id, tx.pk, tx.evse_id, request.get("meterValue", []))
            db.add_all(rows)
            reading = energy_register_wh(rows)
            if reading is not None:
                if tx.meter_start_wh is None:
                    tx.meter_start_wh = reading
                if request["eventType"] == "Ended":
                    tx.meter_stop_wh = reading
    response: Payload = {}
    if "idToken" in request:
        verdict = await verdict_for(connection.csms.store, request["idToken"]["idToken"])
        response["idTokenInfo"] = id_token_info(verdict)
    return response


def _apply(tx: Transaction, request: Payload, stamp: object) -> None:
    info = request["transactionInfo"]
    evse = request.get("evse") or {}
    tx.last_seq_no = max(tx.last_seq_no, request["seqNo"])
    tx.evse_id = tx.evse_id or evse.get("id")
    tx.connector_id = tx.connector_id or evse.get("connectorId")
    if "idToken" in request:
        tx.id_token = request["idToken"]["idToken"]
    if "chargingState" in info:
        tx.charging_state = info["chargingState"]
    if "remoteStartId" in info:
        tx.remote_start_id = info["remoteStartId"]
    if request["eventType"] == "Ended":
        tx.stopped_at = stamp  # type: ignore[assignment]
        tx.stopped_reason = info.get("stoppedReason", "Local")
