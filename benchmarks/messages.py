"""Schema-valid OCPP 2.0.1 payloads a benchmark station sends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

Payload = dict[str, Any]

BOOT: Payload = {"reason": "PowerUp", "chargingStation": {"model": "Bench", "vendorName": "csmscheck"}}
ID_TOKEN: Payload = {"idToken": "A0000001", "type": "ISO14443"}  # a token the bundled CSMS seeds as Accepted
WH_PER_EVENT = 25.0  # what the meter advances between two events


def timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _energy(wh: float, context: str) -> list[Payload]:
    return [{"timestamp": timestamp(), "sampledValue": [{
        "value": wh, "context": context, "measurand": "Energy.Active.Import.Register",
        "unitOfMeasure": {"unit": "Wh"},
    }]}]


def transaction_event(transaction_id: str, seq_no: int) -> Payload:
    """Event ``seq_no`` of one transaction: Started (seqNo 0), then Updated with the meter's reading."""
    event: Payload = {
        "timestamp": timestamp(),
        "seqNo": seq_no,
        "transactionInfo": {"transactionId": transaction_id, "chargingState": "Charging"},
    }
    if seq_no == 0:
        event |= {"eventType": "Started", "triggerReason": "Authorized", "idToken": ID_TOKEN,
                  "evse": {"id": 1, "connectorId": 1}, "meterValue": _energy(0.0, "Transaction.Begin")}
    else:
        event |= {"eventType": "Updated", "triggerReason": "MeterValuePeriodic",
                  "meterValue": _energy(seq_no * WH_PER_EVENT, "Sample.Periodic")}
    return event
