"""Remote control (block F), OCPP 2.0.1: remote starts and stops, matched to the transactions they cause.

The operator's RequestStartTransaction / RequestStopTransaction / UnlockConnector /
TriggerMessage go out through the trigger relay; this module records what the station
answered and links a remote start to its transaction: through the transactionId of the
answer (the transaction was already running) or the ``remoteStartId`` of the station's
next TransactionEvent (F02.FR.01).
"""

from __future__ import annotations

import logging
from typing import Any

from csmscheck.csms.authorization import TokenVerdict, id_token_info, verdict_for
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.lookups import find_transaction
from csmscheck.csms.remote_models import RemoteStart, RemoteStop
from csmscheck.csms.router import Payload, before_call, observes, on_response
from csmscheck.csms.store import now

log = logging.getLogger("csmscheck.csms")

# Token types the CSMS itself vouches for when it sends them in a remote start: they need
# no entry in the token table (F01.FR.02 has the station start on them without authorizing).
_CSMS_ISSUED_TYPES = {"Central", "NoAuthorization"}
# A remote start sent and not answered yet; it matches TransactionEvents like an accepted one.
_REQUESTED = "Requested"
_MATCHING = {_REQUESTED, "Accepted"}


async def _record_start(connection: StationConnection, request: Payload, status: str,
                        transaction_id: str | None = None) -> None:
    token: dict[str, Any] = request["idToken"]
    group = request.get("groupIdToken") or {}
    async with connection.csms.store.session() as db:
        key = (connection.station_id, request["remoteStartId"])
        row = await db.get(RemoteStart, key)
        if row is None:
            row = RemoteStart(station_id=key[0], remote_start_id=key[1])
            db.add(row)
        if status == _REQUESTED:  # a new request (an operator may reuse an id): forget the old link
            row.requested_at, row.transaction_id, row.linked_at = now(), None, None
        row.id_token, row.id_token_type = token["idToken"], token["type"]
        row.group_id_token, row.evse_id, row.status = group.get("idToken"), request.get("evseId"), status
        if transaction_id is not None and row.transaction_id is None:
            row.transaction_id, row.linked_at = transaction_id, now()
        if transaction_id is not None:
            tx = await find_transaction(db, connection.station_id, transaction_id)
            if tx is not None:
                tx.remote_start_id = row.remote_start_id


@before_call("2.0.1", "RequestStartTransaction")
async def remote_start_requested(connection: StationConnection, request: Payload) -> None:
    """Remember the remote start before it goes out: the station may report the transaction
    before the CSMS has read its answer."""
    await _record_start(connection, request, _REQUESTED)


@on_response("2.0.1", "RequestStartTransaction")
async def remote_start_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    """The station's answer; one naming a transactionId (the transaction was running) links it right away."""
    accepted = response["status"] == "Accepted"
    await _record_start(connection, request, response["status"], response.get("transactionId") if accepted else None)


@on_response("2.0.1", "RequestStopTransaction")
async def remote_stop_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    async with connection.csms.store.session() as db:
        key = (connection.station_id, request["transactionId"])
        row = await db.get(RemoteStop, key) or RemoteStop(station_id=key[0], transaction_id=key[1])
        row.status, row.requested_at, row.ended_at = response["status"], now(), None
        db.add(row)


def _same_token(token: Payload, remote: RemoteStart) -> bool:
    return bool(token["idToken"] == remote.id_token and token["type"] == remote.id_token_type)


async def _remote_verdict(connection: StationConnection, remote: RemoteStart) -> TokenVerdict:
    """The token table decides; a token the CSMS issued itself (Central, NoAuthorization) is accepted."""
    verdict = await verdict_for(connection.csms.store, remote.id_token)
    if verdict.status == "Unknown" and remote.id_token_type in _CSMS_ISSUED_TYPES:
        return TokenVerdict("Accepted", remote.group_id_token)
    if verdict.group_id is None and remote.group_id_token:
        return TokenVerdict(verdict.status, remote.group_id_token, verdict.expiry)
    return verdict


@observes("2.0.1", "TransactionEvent")
async def match_remote_start(connection: StationConnection, request: Payload, response: Payload) -> None:
    """Link a transaction to the remote start that caused it and answer for the remote start's token."""
    info = request["transactionInfo"]
    if request["eventType"] == "Ended":
        await _stop_done(connection, info["transactionId"])
    if "remoteStartId" not in info:
        return
    async with connection.csms.store.session() as db:
        remote = await db.get(RemoteStart, (connection.station_id, info["remoteStartId"]))
        if remote is None or remote.status not in _MATCHING or remote.transaction_id not in (
                None, info["transactionId"]):
            log.info("%s: transaction %s names remoteStartId %s, which no open remote start of it has",
                     connection.station_id, info["transactionId"], info["remoteStartId"])
            return
        if remote.transaction_id is None:
            remote.transaction_id, remote.linked_at = info["transactionId"], now()
        tx = await find_transaction(db, connection.station_id, info["transactionId"])
        if tx is not None:
            tx.remote_start_id = remote.remote_start_id
            if tx.id_token is None:
                tx.id_token, tx.id_token_type = remote.id_token, remote.id_token_type
            tx.group_id = tx.group_id or remote.group_id_token
    token = request.get("idToken")
    if token is None or _same_token(token, remote):
        # The transaction runs on the remote start's token (named again or not): answer how that token stands.
        response["idTokenInfo"] = id_token_info(await _remote_verdict(connection, remote))


async def _stop_done(connection: StationConnection, transaction_id: str) -> None:
    async with connection.csms.store.session() as db:
        row = await db.get(RemoteStop, (connection.station_id, transaction_id))
        if row is not None and row.status == "Accepted" and row.ended_at is None:
            row.ended_at = now()
