"""What a station told the CSMS about one transaction, rebuilt from the frames it exchanged.

The transcript holds every CALL the station sent and the CSMS's answer, whichever step or
case sent it; only the CALLs the CSMS answered with a CALLRESULT count (it acknowledged
them). From them: when the transaction started and stopped, why it stopped, the energy
register at the start and the stop (in Wh), the TransactionEvents by seqNo (2.0.1) and the
final cost the CSMS reported. This is what the CSMS should have stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from csmscheck.station import Station
from csmscheck.timestamps import parse_time

Payload = dict[str, Any]

REGISTER = "Energy.Active.Import.Register"
DEFAULT_STOP_REASON = "Local"  # 2.0.1 E03.FR.05, 1.6 §4.10: the reason a station may leave out
_SCALE = {"Wh": 1.0, "kWh": 1000.0}


@dataclass(frozen=True)
class SentEvent:
    """A TransactionEvent the CSMS answered (its first delivery, for a seqNo sent more than once)."""

    seq_no: int
    event_type: str
    trigger_reason: str
    timestamp: datetime
    response: Payload


@dataclass
class SentTransaction:
    """One transaction as the station reported it; None where the station did not say."""

    transaction_id: str
    version: str
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    stopped_reason: str | None = None  # the reason the CSMS should keep (Local when left out); None: not stopped
    meter_start_wh: float | None = None
    meter_stop_wh: float | None = None
    final_cost: float | None = None  # the totalCost the CSMS answered the Ended event with
    remote_start_id: int | None = None
    evse_id: int | None = None  # 1.6: the connector
    connector_id: int | None = None
    id_token: str | None = None  # the first idToken (1.6: idTag) of the transaction
    charging_state: str | None = None  # the latest one reported, by event time
    authorized: bool = False  # the CSMS accepted an idToken of the transaction
    events: dict[int, SentEvent] = field(default_factory=dict)

    @property
    def stopped(self) -> bool:
        return self.stopped_reason is not None


def answered_calls(station: Station, action: str) -> list[tuple[Payload, Payload]]:
    """Every ``action`` CALL the station sent that the CSMS answered with a CALLRESULT, with the answer, in order."""
    sent: dict[str, Payload] = {}
    answered: list[tuple[Payload, Payload]] = []
    for record in station.frames:
        if record.is_event or not record.text.startswith("["):
            continue
        try:
            frame = orjson.loads(record.text)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(frame, list) or len(frame) < 3:
            continue
        if record.direction == "out" and frame[0] == 2 and len(frame) == 4 and frame[2] == action:
            sent[frame[1]] = frame[3]
        elif record.direction == "in" and frame[0] == 3 and frame[1] in sent and isinstance(frame[2], dict):
            answered.append((sent.pop(frame[1]), frame[2]))
    return answered


def register_wh(sample: Payload) -> float | None:
    """The station's own energy import register in Wh, or None for any other sampled value.

    The measurand defaults to the register; a phase, a location other than the outlet or a 1.6
    SignedData value is not it. 2.0.1 ``unitOfMeasure`` (unit, multiplier) or 1.6 ``unit``,
    Wh by default.
    """
    if sample.get("measurand", REGISTER) != REGISTER or sample.get("phase") is not None:
        return None
    if sample.get("location", "Outlet") != "Outlet" or sample.get("format") == "SignedData":
        return None
    unit_of_measure = sample.get("unitOfMeasure")
    if isinstance(unit_of_measure, dict):
        unit, multiplier = unit_of_measure.get("unit", "Wh"), int(unit_of_measure.get("multiplier", 0))
    else:
        unit, multiplier = sample.get("unit", "Wh"), 0
    if unit not in _SCALE:
        return None
    try:
        value = float(sample["value"])
    except (KeyError, TypeError, ValueError):
        return None
    return value * 10.0 ** multiplier * _SCALE[unit]


def registers(meter_values: list[Payload], context: str) -> list[tuple[datetime, float]]:
    """(time, Wh) of every register reading of ``context`` (Sample.Periodic when a sample names none)."""
    found = []
    for meter_value in meter_values:
        stamp = parse_time(meter_value["timestamp"])
        for sample in meter_value["sampledValue"]:
            wh = register_wh(sample)
            if wh is not None and sample.get("context", "Sample.Periodic") == context:
                found.append((stamp, wh))
    return found


def sent_201(station: Station, transaction_id: str) -> SentTransaction | None:
    """The 2.0.1 transaction ``transaction_id`` as the station reported it, or None when nothing was answered."""
    tx = SentTransaction(transaction_id, "2.0.1")
    begins: list[tuple[datetime, float]] = []
    ends: list[tuple[datetime, float]] = []
    states: list[tuple[datetime, int, str]] = []
    for request, response in answered_calls(station, "TransactionEvent"):
        info = request["transactionInfo"]
        if info["transactionId"] != transaction_id or request["seqNo"] in tx.events:
            continue
        stamp = parse_time(request["timestamp"])
        tx.events[request["seqNo"]] = SentEvent(request["seqNo"], request["eventType"], request["triggerReason"],
                                                stamp, response)
        if request["eventType"] == "Started":
            tx.started_at = stamp
        if request["eventType"] == "Ended" and tx.stopped_reason is None:
            tx.stopped_at, tx.stopped_reason = stamp, info.get("stoppedReason", DEFAULT_STOP_REASON)
            tx.final_cost = response.get("totalCost")
        if "remoteStartId" in info:
            tx.remote_start_id = info["remoteStartId"]
        if "chargingState" in info:
            states.append((stamp, request["seqNo"], info["chargingState"]))
        if "evse" in request and tx.evse_id is None:
            tx.evse_id, tx.connector_id = request["evse"]["id"], request["evse"].get("connectorId")
        if "idToken" in request and tx.id_token is None:
            tx.id_token = request["idToken"]["idToken"]
        if response.get("idTokenInfo", {}).get("status") == "Accepted":
            tx.authorized = True
        begins += registers(request.get("meterValue", []), "Transaction.Begin")
        ends += registers(request.get("meterValue", []), "Transaction.End")
    if not tx.events:
        return None
    tx.charging_state = max(states)[2] if states else None
    # The first Transaction.Begin reading and the last Transaction.End one, by time (a queue arrives out of order).
    tx.meter_start_wh = min(begins, key=lambda r: r[0])[1] if begins else None
    tx.meter_stop_wh = max(ends, key=lambda r: r[0])[1] if ends and tx.stopped else None
    return tx


def sent_16(station: Station, transaction_id: str) -> SentTransaction | None:
    """The 1.6 transaction the Central System gave ``transaction_id``, as the charge point reported it."""
    tx = None
    for request, response in answered_calls(station, "StartTransaction"):
        if str(response.get("transactionId")) == transaction_id:  # the latest start given this id
            tx = SentTransaction(transaction_id, "1.6", started_at=parse_time(request["timestamp"]),
                                 meter_start_wh=float(request["meterStart"]), evse_id=request["connectorId"],
                                 connector_id=request["connectorId"], id_token=request["idTag"],
                                 authorized=response["idTagInfo"]["status"] == "Accepted")
    if tx is None:
        return None
    for request, _response in answered_calls(station, "StopTransaction"):
        if str(request["transactionId"]) == transaction_id and not tx.stopped:
            tx.stopped_at, tx.meter_stop_wh = parse_time(request["timestamp"]), float(request["meterStop"])
            tx.stopped_reason = request.get("reason", DEFAULT_STOP_REASON)
    return tx


def sent_transaction(station: Station, transaction_id: str) -> SentTransaction | None:
    return (sent_16 if station.version == "1.6" else sent_201)(station, transaction_id)
