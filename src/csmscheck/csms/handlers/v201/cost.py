"""Tariff and cost (block I), OCPP 2.0.1: the cost of a transaction in its TransactionEventResponse.

- Running cost (I02.FR.01): an Updated event that brings meter values is answered with the
  cost so far, ``totalCost``.
- Final cost (I03): the Ended event is answered with the total cost, always (a transaction
  without any energy reading costs the session fee). It is also stored on the transaction.

The cost is the tariff (:mod:`csmscheck.csms.tariff`) applied to the energy delivered and to
the time the session took. The energy: the latest energy register reading minus the reading at
the start, both kept on the transaction as the readings arrive (in Wh, whatever unit the
station reported in). The time: from the transaction's start to the Updated event's timestamp
(running cost), or to its end once it has ended (the final cost, also for an event queued
offline that arrives after the end); instant to instant from the stored UTC times, so a
session across midnight or a DST change costs the time that really passed.
"""

from __future__ import annotations

from csmscheck.csms.connection import StationConnection
from csmscheck.csms.lookups import find_transaction
from csmscheck.csms.meter import transaction_energy_wh
from csmscheck.csms.models import Transaction
from csmscheck.csms.router import Payload, observes
from csmscheck.csms.tariff import seconds_between
from csmscheck.csms.transaction_events import routine_transactions
from csmscheck.timestamps import parse_time


@observes("2.0.1", "TransactionEvent")
async def transaction_cost(connection: StationConnection, request: Payload, response: Payload) -> None:
    ended = request["eventType"] == "Ended"
    if not ended and not (request["eventType"] == "Updated" and request.get("meterValue")):
        return
    store = connection.csms.store
    key = (connection.station_id, request["transactionInfo"]["transactionId"])
    tx = routine_transactions(store).get(key)  # recorded in memory: its total cost is written with it
    if tx is not None:
        _cost(connection, tx, request, response)
        return
    async with store.session() as db:
        tx = await find_transaction(db, *key)
        if tx is not None:
            _cost(connection, tx, request, response)


def _cost(connection: StationConnection, tx: Transaction, request: Payload, response: Payload) -> None:
    ended = request["eventType"] == "Ended"
    used = transaction_energy_wh(tx)
    if used is None and not ended:
        return
    tariff = connection.csms.config.tariff
    tx.total_cost = float(tariff.cost(used or 0.0, _seconds(tx, request)))
    response["totalCost"] = tx.total_cost


def _seconds(tx: Transaction, request: Payload) -> float | None:
    """How long the transaction has run: to its end once it has ended (an event queued offline may arrive after
    the Ended one: the cost stays the final cost), else to this event (None: no instant for it)."""
    if tx.stopped_at is not None:
        return seconds_between(tx.started_at, tx.stopped_at)
    try:
        return seconds_between(tx.started_at, parse_time(request["timestamp"]))
    except ValueError:  # a timestamp no instant stands for (year 0000): the handler has refused it already
        return None
