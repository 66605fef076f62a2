"""OCPP 1.6J messages a charge point sends, with sensible defaults."""

from __future__ import annotations

from typing import Any

from csmscheck.settings import Settings
from csmscheck.timestamps import rfc3339

Payload = dict[str, Any]


def boot_notification(cfg: Settings) -> Payload:
    return {"chargePointVendor": cfg.vendor_name[:20], "chargePointModel": cfg.model[:20],
            "chargePointSerialNumber": "CSMSCHECK-0001", "firmwareVersion": "1.0.0"}


def status_notification(connector_id: int, status: str, error_code: str = "NoError") -> Payload:
    return {"connectorId": connector_id, "errorCode": error_code, "status": status, "timestamp": rfc3339()}


def start_transaction(connector_id: int, id_tag: str, meter_start_wh: float,
                      reservation_id: int | None = None) -> Payload:
    payload: Payload = {"connectorId": connector_id, "idTag": id_tag, "meterStart": int(meter_start_wh),
                        "timestamp": rfc3339()}
    if reservation_id is not None:
        payload["reservationId"] = reservation_id
    return payload


def stop_transaction(transaction_id: int, meter_stop_wh: float, reason: str | None = None,
                     id_tag: str | None = None) -> Payload:
    payload: Payload = {"transactionId": transaction_id, "meterStop": int(meter_stop_wh), "timestamp": rfc3339()}
    if reason:
        payload["reason"] = reason
    if id_tag:
        payload["idTag"] = id_tag
    return payload


def meter_values(connector_id: int, wh: float, transaction_id: int | None = None) -> Payload:
    payload: Payload = {"connectorId": connector_id, "meterValue": [{"timestamp": rfc3339(), "sampledValue": [
        {"value": f"{wh:.0f}", "context": "Sample.Periodic", "measurand": "Energy.Active.Import.Register",
         "unit": "Wh"}]}]}
    if transaction_id is not None:
        payload["transactionId"] = transaction_id
    return payload
