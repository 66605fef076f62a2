"""OCPP 2.0.1 messages a station sends, with sensible defaults (wire format: camelCase)."""

from __future__ import annotations

from typing import Any

from csmscheck.settings import Settings
from csmscheck.station.model import Transaction, next_event_id
from csmscheck.timestamps import rfc3339

Payload = dict[str, Any]


def boot_notification(cfg: Settings, reason: str = "PowerUp") -> Payload:
    return {
        "reason": reason,
        "chargingStation": {"vendorName": cfg.vendor_name, "model": cfg.model, "serialNumber": "CSMSCHECK-0001",
                            "firmwareVersion": "1.0.0"},
    }


def status_notification(evse_id: int, connector_id: int, status: str) -> Payload:
    return {"timestamp": rfc3339(), "connectorStatus": status, "evseId": evse_id, "connectorId": connector_id}


def availability_event(evse_id: int, connector_id: int, status: str) -> Payload:
    """NotifyEvent reporting a connector's AvailabilityState change (trigger Delta)."""
    return {
        "generatedAt": rfc3339(),
        "seqNo": 0,
        "eventData": [{
            "eventId": next_event_id(), "timestamp": rfc3339(), "trigger": "Delta", "actualValue": status,
            "eventNotificationType": "HardWiredNotification",
            "component": {"name": "Connector", "evse": {"id": evse_id, "connectorId": connector_id}},
            "variable": {"name": "AvailabilityState"},
        }],
    }


def id_token(token: str, type_: str) -> Payload:
    return {"idToken": token, "type": type_}


def authorize(token: str, type_: str) -> Payload:
    return {"idToken": id_token(token, type_)}


def energy_meter_value(wh: float, context: str = "Sample.Periodic") -> Payload:
    return {"timestamp": rfc3339(), "sampledValue": [
        {"value": round(wh, 3), "context": context, "measurand": "Energy.Active.Import.Register",
         "unitOfMeasure": {"unit": "Wh"}}]}


def transaction_event(
    tx: Transaction,
    event_type: str,
    trigger_reason: str,
    *,
    charging_state: str | None = None,
    stopped_reason: str | None = None,
    token: Payload | None = None,
    remote_start_id: int | None = None,
    meter_context: str | None = None,
    offline: bool = False,
) -> Payload:
    """A TransactionEvent for ``tx``; the EVSE is named on the first event of the transaction."""
    info: Payload = {"transactionId": tx.id}
    if charging_state:
        info["chargingState"] = charging_state
    if stopped_reason:
        info["stoppedReason"] = stopped_reason
    if remote_start_id is not None:
        info["remoteStartId"] = remote_start_id
    payload: Payload = {
        "eventType": event_type,
        "timestamp": rfc3339(),
        "triggerReason": trigger_reason,
        "seqNo": tx.next_seq_no(),
        "transactionInfo": info,
    }
    if event_type == "Started" or not tx.started:
        payload["evse"] = {"id": tx.evse_id, "connectorId": tx.connector_id}
    if token is not None:
        payload["idToken"] = token
    if meter_context:
        payload["meterValue"] = [energy_meter_value(tx.meter_wh, meter_context)]
    if offline:
        payload["offline"] = True
    return payload
