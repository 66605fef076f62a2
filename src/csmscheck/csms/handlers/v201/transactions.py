"""Transactions (block E), OCPP 2.0.1: the TransactionEvent handler.

It records the event (once per seqNo, see :mod:`csmscheck.csms.transaction_events`) and
answers idTokenInfo for an event that carries an idToken (E01.FR.11/12). Other blocks
add to the answer through ``@observes("2.0.1", "TransactionEvent")`` observers, which
get the response dict returned here.
"""

from __future__ import annotations

from csmscheck.csms.authorization import TokenVerdict, id_token_info, verdict_for
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import Payload, handles
from csmscheck.csms.store import Store
from csmscheck.csms.transaction_events import record_event, settled


@handles("2.0.1", "TransactionEvent")
async def transaction_event(connection: StationConnection, request: Payload) -> Payload:
    """A TransactionEvent cannot be rejected: every event, live or queued offline, is recorded."""
    store = connection.csms.store
    await settled(store, connection.station_id, request["transactionInfo"]["transactionId"])
    token = request.get("idToken")
    verdict = await token_verdict(store, token) if token is not None else None
    await record_event(store, connection.station_id, request, verdict)
    response: Payload = {}
    if verdict is not None:
        response["idTokenInfo"] = id_token_info(verdict)
    return response


async def token_verdict(store: Store, token: Payload) -> TokenVerdict:
    """The CSMS's decision on a token; type NoAuthorization means no authorization was asked for."""
    if token["type"] == "NoAuthorization":
        return TokenVerdict("Accepted")
    return await verdict_for(store, token["idToken"])
