"""Authorization (block C), OCPP 2.0.1: tokens from the database, contract certificates over OCSP."""

from __future__ import annotations

import asyncio

from csmscheck.csms import ocsp_client
from csmscheck.csms.authorization import id_token_info, verdict_for
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.handlers.v201 import local_list as _local_list  # noqa: F401  (block D hooks and tables)
from csmscheck.csms.router import Payload, handles


@handles("2.0.1", "Authorize")
async def authorize(connection: StationConnection, request: Payload) -> Payload:
    token = request["idToken"]["idToken"]
    certificate, hash_data = request.get("certificate"), request.get("iso15118CertificateHashData")
    contract = None
    if certificate or hash_data:
        # Asked before the database is touched: the message's database transaction (and, on
        # SQLite, every other station's) does not wait on an OCSP responder.
        anchors = await asyncio.to_thread(ocsp_client.load_trust_anchors, connection.csms.config.pki_dir)
        contract = await ocsp_client.check_contract(token, certificate, hash_data, anchors)
    info = id_token_info(await verdict_for(connection.csms.store, token))
    response: Payload = {"idTokenInfo": info}
    if contract is not None:
        response["certificateStatus"] = contract.certificate_status
        if contract.token_status is not None and info["status"] == "Accepted":
            info["status"] = contract.token_status
            info.pop("cacheExpiryDateTime", None)
    return response
