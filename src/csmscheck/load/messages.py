"""The frames a load station sends, for either OCPP version, with realistic meter readings:
energy that grows with the session's power, power, current and voltage of a three-phase
charger, and the EV's state of charge."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from csmscheck.load.profile import Sessions
from csmscheck.station.quirks.model import DataTransfer
from csmscheck.timestamps import rfc3339

Payload = dict[str, Any]
VOLTAGE = 230.0
PHASES = 3


def boot(version: str) -> Payload:
    if version == "1.6":
        return {"chargePointVendor": "csmscheck", "chargePointModel": "load", "firmwareVersion": "1.0.0"}
    return {"reason": "PowerUp", "chargingStation": {"vendorName": "csmscheck", "model": "load",
                                                     "firmwareVersion": "1.0.0"}}


def status(version: str, connector: int, state: str) -> Payload:
    if version == "1.6":
        return {"connectorId": connector, "errorCode": "NoError", "status": state, "timestamp": rfc3339()}
    return {"timestamp": rfc3339(), "connectorStatus": state, "evseId": connector, "connectorId": 1}


def data_transfer(transfer: DataTransfer) -> Payload:
    """The vendor's DataTransfer (the same shape in both versions)."""
    payload: Payload = {"vendorId": transfer.vendor_id}
    if transfer.message_id is not None:
        payload["messageId"] = transfer.message_id
    if transfer.data is not None:
        payload["data"] = transfer.data
    return payload


def authorize(version: str, sessions: Sessions) -> Payload:
    if version == "1.6":
        return {"idTag": sessions.id_token}
    return {"idToken": {"idToken": sessions.id_token, "type": sessions.id_token_type}}


@dataclass
class Session:
    """One charging session's meter: energy grows with power over the time that passed."""

    transaction_id: str
    connector: int
    meter_wh: float
    power_w: float
    soc: float = 20.0
    seq_no: int = 0
    _at: float = field(default_factory=time.monotonic)

    def advance(self) -> None:
        now = time.monotonic()
        self.meter_wh += self.power_w * (now - self._at) / 3600
        self.soc = min(100.0, self.soc + (now - self._at) * 0.01)
        self._at = now

    def next_seq_no(self) -> int:
        self.seq_no += 1
        return self.seq_no - 1


def start(version: str, session: Session, sessions: Sessions) -> tuple[str, Payload]:
    if version == "1.6":
        return "StartTransaction", {"connectorId": session.connector, "idTag": sessions.id_token,
                                    "meterStart": int(session.meter_wh), "timestamp": rfc3339()}
    return "TransactionEvent", {
        "eventType": "Started", "timestamp": rfc3339(), "triggerReason": "Authorized",
        "seqNo": session.next_seq_no(),
        "transactionInfo": {"transactionId": session.transaction_id, "chargingState": "Charging"},
        "idToken": {"idToken": sessions.id_token, "type": sessions.id_token_type},
        "evse": {"id": session.connector, "connectorId": 1},
        "meterValue": [_readings_v201(session, "Transaction.Begin", energy_only=True)],
    }


def meter(version: str, session: Session) -> tuple[str, Payload]:
    if version == "1.6":
        return "MeterValues", {"connectorId": session.connector, "transactionId": None,
                               "meterValue": [_readings_v16(session)]}
    return "TransactionEvent", {
        "eventType": "Updated", "timestamp": rfc3339(), "triggerReason": "MeterValuePeriodic",
        "seqNo": session.next_seq_no(),
        "transactionInfo": {"transactionId": session.transaction_id, "chargingState": "Charging"},
        "meterValue": [_readings_v201(session, "Sample.Periodic")],
    }


def stop(version: str, session: Session, reason: str) -> tuple[str, Payload]:
    if version == "1.6":
        return "StopTransaction", {"transactionId": None, "meterStop": int(session.meter_wh),
                                   "timestamp": rfc3339(), "reason": reason}
    return "TransactionEvent", {
        "eventType": "Ended", "timestamp": rfc3339(), "triggerReason": "StopAuthorized",
        "seqNo": session.next_seq_no(),
        "transactionInfo": {"transactionId": session.transaction_id, "stoppedReason": reason},
        "meterValue": [_readings_v201(session, "Transaction.End", energy_only=True)],
    }


def _samples(session: Session) -> list[tuple[str, float, str]]:
    current = session.power_w / (VOLTAGE * PHASES)
    return [("Energy.Active.Import.Register", round(session.meter_wh, 1), "Wh"),
            ("Power.Active.Import", round(session.power_w, 1), "W"),
            ("Current.Import", round(current, 2), "A"),
            ("Voltage", VOLTAGE, "V"),
            ("SoC", round(session.soc, 1), "Percent")]


def _readings_v201(session: Session, context: str, *, energy_only: bool = False) -> Payload:
    samples = _samples(session)[:1] if energy_only else _samples(session)
    return {"timestamp": rfc3339(), "sampledValue": [
        {"value": value, "context": context, "measurand": measurand, "unitOfMeasure": {"unit": unit}}
        | ({"location": "EV"} if measurand == "SoC" else {})
        for measurand, value, unit in samples]}


def _readings_v16(session: Session) -> Payload:
    return {"timestamp": rfc3339(), "sampledValue": [
        {"value": f"{value}", "context": "Sample.Periodic", "measurand": measurand, "unit": unit}
        | ({"location": "EV"} if measurand == "SoC" else {})
        for measurand, value, unit in _samples(session)]}
