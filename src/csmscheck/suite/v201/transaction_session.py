"""Steps of a transaction a case drives event by event (OCPP 2.0.1), shared by csmscheck's own transaction
cases and the end-to-end sessions.

A :class:`Session` builds each TransactionEvent of one transaction as a real station would send
it (its seqNo series, the EVSE named on the first event, a time of the case's choosing written
with the station's clock, in UTC or in a real zone) and sends it as built: no reusable state
decides anything for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from csmscheck.expect import step
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.station.model import Transaction
from csmscheck.station.states import v201 as states
from csmscheck.suite.bill import local_time
from csmscheck.suite.operator import Csms
from csmscheck.suite.sent_transactions import register_wh
from csmscheck.suite.stored import assert_stored
from csmscheck.timestamps import rfc3339

Payload = dict[str, Any]
REGISTER = "Energy.Active.Import.Register"
READBACK, TARIFF = "transaction_readback", "tariff_cost"


# -- what the station measures -------------------------------------------------------------------


def sample(value: float, context: str, *, unit: str | None = "Wh", multiplier: int | None = None,
           measurand: str | None = REGISTER, **extra: Any) -> Payload:
    """One sampledValue; ``measurand`` None leaves it out (the register by default), so does ``unit`` None."""
    sampled: Payload = {"value": value, "context": context}
    if measurand is not None:
        sampled["measurand"] = measurand
    if unit is not None or multiplier is not None:
        sampled["unitOfMeasure"] = {"unit": unit or "Wh"} | ({"multiplier": multiplier} if multiplier else {})
    return sampled | extra


def readings(*samples: Payload) -> list[Payload]:
    """One meterValue holding ``samples``, timed as the event that carries it."""
    return [{"sampledValue": list(samples)}]


def register_of(meter: list[Payload]) -> float | None:
    """The energy register (Wh) among the readings, as csmscheck reads it."""
    wh = [register_wh(sampled) for reading in meter for sampled in reading["sampledValue"]]
    return next((value for value in wh if value is not None), None)


# -- when ----------------------------------------------------------------------------------------


def with_offset(moment: datetime, hours: float) -> str:
    """``moment`` written with a UTC offset of ``hours`` (the same instant)."""
    return moment.astimezone(timezone(timedelta(hours=hours))).isoformat(timespec="milliseconds")


def ago(minutes: float) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


# -- one transaction -----------------------------------------------------------------------------


@dataclass
class Session:
    """One transaction the case drives, event by event, sent as built (no reusable state).

    ``zone``: the IANA zone of the station's clock; its timestamps carry the offset the zone
    had at each instant. None: UTC, written with ``Z``.
    """

    station: Station
    tx: Transaction
    zone: str | None = None

    @classmethod
    def start(cls, station: Station, evse_id: int | None = None, connector_id: int | None = None, *,
              zone: str | None = None) -> Session:
        """A new transaction on ``evse_id`` (default: the configured EVSE and connector)."""
        cfg = station.cfg
        tx = station.model.new_transaction(evse_id or cfg.evse_id, connector_id or cfg.connector_id)
        return cls(station, tx, zone)

    def written(self, moment: datetime) -> str:
        """``moment`` as this station's clock writes it."""
        return rfc3339(moment) if self.zone is None else local_time(moment, self.zone)

    def event(self, event_type: str, trigger_reason: str, *, when: datetime | None = None,
              meter: list[Payload] | None = None, offline: bool = False, **fields: Any) -> Payload:
        """A TransactionEvent of this transaction that happened ``when`` (default now); meter values
        without a time of their own get the event's."""
        payload = msg.transaction_event(self.tx, event_type, trigger_reason, offline=offline, **fields)
        payload["timestamp"] = self.written(when or datetime.now(UTC))
        if meter:
            payload["meterValue"] = [m if "timestamp" in m else {"timestamp": payload["timestamp"]} | m for m in meter]
        self.tx.started = True
        return payload

    def started(self, *, when: datetime | None = None, meter: list[Payload] | None = None, **fields: Any) -> Payload:
        return self.event("Started", "Authorized", when=when, meter=meter, token=states.valid_token(self.station),
                          **fields)

    async def send(self, label: str, payload: Payload) -> Payload:
        """The CSMS must answer it (J02.FR.19); a CALLERROR or an invalid answer fails ``label``."""
        with step(label):
            response = await self.station.call("TransactionEvent", payload)
        if payload["eventType"] == "Ended" and self.station.model.transaction is self.tx:
            self.station.model.end_transaction()
        return response

    async def stored(self, csms: Csms, label: str) -> Any:
        """What the CSMS stored, compared with everything the station sent and the CSMS answered."""
        return await assert_stored(self.station, csms.trigger, self.tx.id, f"{label}: read back transaction "
                                                                           f"{self.tx.id}")
