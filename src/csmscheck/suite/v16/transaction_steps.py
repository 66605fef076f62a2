"""Steps of OCPP 1.6J transactions the suite's own cases share: the messages a charge point sends, with the
times, registers and reasons a case chooses, and the read-back of what the Central System stored.

Used by csmscheck's transaction cases (``test_cc_transactions``) and the end-to-end sessions
(``test_e2e_sessions``). Every step is labelled: a CALLERROR, an invalid answer or no answer
fails it by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from csmscheck.errors import NotApplicable, StepFailed
from csmscheck.expect import assert_matches
from csmscheck.station import Station
from csmscheck.station.states import v16 as states
from csmscheck.station.states import v16_transaction_ids
from csmscheck.station.v16 import Payload
from csmscheck.suite.operator import Csms
from csmscheck.suite.stored import ENERGY_TOLERANCE_WH, read_stored
from csmscheck.timestamps import rfc3339
from csmscheck.trigger.stored import StoredTransaction
from csmscheck.wire.schemas import enum_values

REGISTER = "Energy.Active.Import.Register"


def sampled(value: str, **fields: Any) -> Payload:
    return {"value": value} | fields


def meter_values(station: Station, transaction_id: int, moment: datetime | str, *samples: Payload,
                 connector_id: int | None = None) -> Payload:
    """A MeterValues.req of one meterValue taken at ``moment`` (an instant, or a timestamp as the charge point
    writes it)."""
    stamp = moment if isinstance(moment, str) else rfc3339(moment)
    return {"connectorId": connector_id or station.cfg.connector_id, "transactionId": transaction_id,
            "meterValue": [{"timestamp": stamp, "sampledValue": list(samples)}]}


def register(wh: int, moment: datetime | str, context: str = "Sample.Periodic") -> Payload:
    """One meterValue: the energy register in Wh at ``moment``."""
    stamp = moment if isinstance(moment, str) else rfc3339(moment)
    return {"timestamp": stamp, "sampledValue": [sampled(str(wh), measurand=REGISTER, unit="Wh", context=context)]}


def with_offset(moment: datetime, hours: float) -> str:
    """``moment`` as a charge point whose clock runs at UTC+``hours`` writes it (whole seconds)."""
    return moment.astimezone(timezone(timedelta(hours=hours))).isoformat(timespec="seconds")


def start_request(station: Station, meter_start: int, *, connector_id: int | None = None,
                  timestamp: str | None = None) -> Payload:
    """A StartTransaction.req for the valid idTag."""
    return {"connectorId": connector_id or station.cfg.connector_id, "idTag": station.cfg.valid_id_token,
            "meterStart": meter_start, "timestamp": timestamp or rfc3339()}


async def start(station: Station, step: str, meter_start: int, *, connector_id: int | None = None,
                timestamp: str | None = None, accepted: bool = False) -> int:
    """StartTransaction.req for the valid idTag; the Central System must answer it with an id (which joins the
    run's ids, csmscheck check CSC-16-TX-01) and, ``accepted``, with the idTag Accepted."""
    payload = start_request(station, meter_start, connector_id=connector_id, timestamp=timestamp)
    response = await states.checked_call(station, "StartTransaction", payload, step)
    if accepted:
        assert_matches(response, states.ACCEPTED_TAG, step)
    v16_transaction_ids.record(station, payload, response, step)
    transaction_id: int = response["transactionId"]
    return transaction_id


def stop_request(station: Station, transaction_id: int, meter_stop: int, *, reason: str | None = "Local",
                 timestamp: str | None = None, transaction_data: list[Payload] | None = None) -> Payload:
    """A StopTransaction.req with the valid idTag (no ``reason``: the charge point leaves it out)."""
    payload: Payload = {"transactionId": transaction_id, "meterStop": meter_stop, "timestamp": timestamp or rfc3339(),
                        "idTag": station.cfg.valid_id_token}
    if reason is not None:
        payload["reason"] = reason
    if transaction_data:
        payload["transactionData"] = transaction_data
    return payload


async def stop(station: Station, step: str, transaction_id: int, meter_stop: int, *, reason: str | None = "Local",
               timestamp: str | None = None, transaction_data: list[Payload] | None = None) -> Payload:
    """StopTransaction.req; the Central System must answer with a StopTransaction.conf (§4.10)."""
    return await states.checked_call(station, "StopTransaction", stop_request(
        station, transaction_id, meter_stop, reason=reason, timestamp=timestamp, transaction_data=transaction_data),
        step)


async def read_back(station: Station, csms: Csms, transaction_id: int, step: str) -> StoredTransaction:
    """What the Central System stored about the transaction (NotApplicable in manual mode)."""
    try:
        stored = await read_stored(csms.trigger, station, str(transaction_id))
    except StepFailed as exc:
        raise StepFailed(f"{step}: {exc}") from None
    if stored is None:
        raise NotApplicable("in manual mode nothing reads back what the Central System stored")
    return stored


async def energy_so_far(station: Station, csms: Csms, transaction_id: int, expected_wh: float, step: str) -> None:
    """The Central System's energy of the running transaction is the register the charge point last reported
    minus meterStart (the read-back must state it once the charge point reported the register)."""
    stored = await read_back(station, csms, transaction_id, step)
    if stored.energyWh is None or abs(stored.energyWh - expected_wh) > ENERGY_TOLERANCE_WH:
        got = "none" if stored.energyWh is None else f"{stored.energyWh:g}"
        raise StepFailed(f"{step}: read back transaction {transaction_id}: energyWh: expected {expected_wh:g} (the "
                         f"register the charge point reported minus meterStart), got {got}")


def stop_reasons() -> tuple[str, ...]:
    """Every StopTransaction.req reason the official OCPP 1.6 schema allows, in its order."""
    return enum_values("1.6", "StopTransaction", "reason")


# -- a charge point without a connection -----------------------------------------------------

Build = Callable[[int | None], Payload]


@dataclass
class OfflineQueue:
    """The transaction messages a charge point keeps while it has no connection, sent in order once it is back.

    A message is kept as a function of the transaction id, since a transaction started offline
    learns its id only from the StartTransaction.conf that comes after the reconnect; the
    messages queued behind it carry that id. ``transaction_id`` is the id known so far.
    """

    transaction_id: int | None = None
    _queued: list[tuple[str, str, Build]] = field(default_factory=list)

    def keep(self, action: str, what: str, build: Build) -> None:
        """Queue ``action`` (``what`` names it in the step labels), its payload built when it is sent."""
        self._queued.append((action, what, build))

    async def send_next(self, station: Station, step: str) -> Payload:
        """Send the oldest queued message; its answer fails ``step`` (with what it was) if wrong."""
        action, what, build = self._queued.pop(0)
        payload = build(self.transaction_id)
        label = f"{step}: {action}.conf ({what})"
        response = await states.checked_call(station, action, payload, label)
        if action == "StartTransaction":
            v16_transaction_ids.record(station, payload, response, label)
            self.transaction_id = response["transactionId"]
        return response
