"""Tariff and cost (block I), OCPP 2.0.1: the cost of a transaction in its TransactionEventResponse.

- Running cost (I02.FR.01): an Updated event that brings meter values is answered with the
  cost so far, ``totalCost``.
- Final cost (I03): the Ended event is answered with the total cost, always (a transaction
  without any energy reading costs the session fee). It is also stored on the transaction.

The cost is the tariff (:mod:`csmscheck.csms.tariff`) applied to the energy delivered: the
latest energy register reading minus the reading at the start, both kept on the transaction
as the readings arrive (in Wh, whatever unit the station reported in).
"""

from __future__ import annotations

from csmscheck.csms.connection import StationConnection
from csmscheck.csms.lookups import find_transaction
from csmscheck.csms.meter import transaction_energy_wh
from csmscheck.csms.models import Transaction
from csmscheck.csms.router import Payload, observes
from csmscheck.csms.tariff import Tariff
from csmscheck.csms.transaction_events import routine_transactions


@observes("2.0.1", "TransactionEvent")
async def transaction_cost(connection: StationConnection, request: Payload, response: Payload) -> None:
    ended = request["eventType"] == "Ended"
    if not ended and not (request["eventType"] == "Updated" and request.get("meterValue")):
        return
    store = connection.csms.store
    key = (connection.station_id, request["transactionInfo"]["transactionId"])
    tx = routine_transactions(store).get(key)  # recorded in memory: its total cost is written with it
    if tx is not None:
        _cost(connection, tx, ended, response)
        return
    async with store.session() as db:
        tx = await find_transaction(db, *key)
        if tx is not None:
            _cost(connection, tx, ended, response)


def _cost(connection: StationConnection, tx: Transaction, ended: bool, response: Payload) -> None:
    used = transaction_energy_wh(tx)
    if used is None and not ended:
        return
    tx.total_cost = float(Tariff.from_settings(connection.csms.config.seed).cost(used or 0.0))
    response["totalCost"] = tx.total_cost
