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
from csmscheck.csms.router import Payload, observes
from csmscheck.csms.tariff import Tariff


@observes("2.0.1", "TransactionEvent")
async def transaction_cost(connection: StationConnection, request: Payload, response: Payload) -> None:
    ended = request["eventType"] == "Ended"
    if not ended and not (request["eventType"] == "Updated" and request.get("meterValue")):
        return
    tariff = Tariff.from_settings(connection.csms.config.seed)
    async with connection.csms.store.session() as db:
        tx = await find_transaction(db, connection.station_id, request["transactionInfo"]["transactionId"])
        if tx is None:
            return
        used = transaction_energy_wh(tx)
        if used is None and not ended:
            return
        cost = float(tariff.cost(used or 0.0))
        tx.total_cost = cost
    response["totalCost"] = cost
