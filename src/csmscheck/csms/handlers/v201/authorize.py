"""Authorization (block C), OCPP 2.0.1."""

from __future__ import annotations

from csmscheck.csms.authorization import id_token_info, verdict_for
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import Payload, handles


@handles("2.0.1", "Authorize")
async def authorize(connection: StationConnection, request: Payload) -> Payload:
    verdict = await verdict_for(connection.csms.store, request["idToken"]["idToken"])
    return {"idTokenInfo": id_token_info(verdict)}
