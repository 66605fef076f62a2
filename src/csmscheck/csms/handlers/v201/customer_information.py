"""Customer information (block N, N09 get and N10 clear), OCPP 2.0.1.

CustomerInformation goes out through the trigger API after vetting: a request that reports or
clears names its customer by exactly one of idToken, customerCertificate and customerIdentifier
(N09.FR.04, N10.FR.08), and one that does neither asks nothing. The CSMS records each request
by requestId before it goes out, then the station's answer and the NotifyCustomerInformation
parts of that requestId, kept in seqNo order (a part sent again replaces itself) and assembled
into one report once the part without ``tbc`` arrived and none before it is missing.

A clear the station accepted erases what the CSMS kept of that customer from the station's
earlier reports; and when the customer's idToken is in the local list the CSMS believes the
station holds, the CSMS removes it with a Differential SendLocalList numbered above the list's
version (N10.FR.02, D01.FR.17), once the station's report is in (or at once without a report).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csmscheck.csms import own_calls
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.customer_models import CustomerRequest
from csmscheck.csms.handlers.v201.local_list import known_version
from csmscheck.csms.local_list_models import LocalListEntry
from csmscheck.csms.router import Payload, before_call, handles, on_response, vets
from csmscheck.csms.store import Store, get_or_create, now
from csmscheck.wire import CallResult

if TYPE_CHECKING:
    from csmscheck.csms.app import CsmsContext

log = logging.getLogger("csmscheck.csms")

REFERENCES = ("idToken", "customerCertificate", "customerIdentifier")
_deciding: dict[tuple[str, int], asyncio.Lock] = {}  # (station, requestId) whose local list update is being decided


def customer_key(request: Payload) -> tuple[Payload, str]:
    """The request's customer reference and a key comparing it as OCPP does (tokens and hex in any case)."""
    if "idToken" in request:
        token = request["idToken"]
        return {"idToken": token}, f"idToken:{str(token['idToken']).upper()}:{token['type']}"
    if "customerIdentifier" in request:
        return {"customerIdentifier": request["customerIdentifier"]}, f"customer:{request['customerIdentifier']}"
    if "customerCertificate" in request:
        hashed = request["customerCertificate"]
        parts = [str(hashed[k]).lower() for k in ("issuerNameHash", "issuerKeyHash", "serialNumber")]
        return {"customerCertificate": hashed}, f"certificate:{hashed['hashAlgorithm']}:{':'.join(parts)}"
    return {}, ""


@vets("2.0.1", "CustomerInformation")
async def vet_customer_information(csms: CsmsContext, station_id: str, request: Payload) -> list[str]:
    if not request["report"] and not request["clear"]:
        return ["report and clear are both false: the request asks the station for nothing"]
    named = [key for key in REFERENCES if key in request]
    if len(named) != 1:
        return [f"name the customer by exactly one of {', '.join(REFERENCES)} (N09.FR.04, N10.FR.08), "
                f"not by {', '.join(named) or 'none'}"]
    return []


@before_call("2.0.1", "CustomerInformation")
async def customer_requested(connection: StationConnection, request: Payload) -> None:
    """Recorded before it goes out: the station's first part may come before the CSMS reads the answer."""
    reference, key = customer_key(request)
    async with connection.csms.store.session() as db:
        row = await get_or_create(db, CustomerRequest, {"station_id": connection.station_id,
                                                        "request_id": request["requestId"]},
                                  customer=key, reference=reference, report=request["report"],
                                  clear=request["clear"], status="Requested", parts=[], requested_at=now())
        row.customer, row.reference, row.report, row.clear = key, reference, request["report"], request["clear"]
        row.status, row.parts, row.complete, row.data, row.list_update = "Requested", [], False, None, None
        row.requested_at, row.completed_at = now(), None


@on_response("2.0.1", "CustomerInformation")
async def customer_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    async with connection.csms.store.session() as db:
        row = await db.get(CustomerRequest, (connection.station_id, request["requestId"]))
        if row is None:
            return
        row.status = response["status"]
        if row.status == "Accepted" and row.clear:
            await _erase_earlier(db, row)
    own_calls.start(_update_local_list(connection, request["requestId"]))


async def _erase_earlier(db: AsyncSession, row: CustomerRequest) -> None:
    """What earlier reports of this station told of the cleared customer is erased as well."""
    earlier = (await db.scalars(select(CustomerRequest).where(
        CustomerRequest.station_id == row.station_id, CustomerRequest.customer == row.customer,
        CustomerRequest.request_id != row.request_id, CustomerRequest.data.is_not(None)))).all()
    for other in earlier:
        other.data, other.parts = None, []


@handles("2.0.1", "NotifyCustomerInformation")
async def customer_report_part(connection: StationConnection, request: Payload) -> Payload:
    """One part of a report: kept in seqNo order; the report is assembled once it is whole."""
    request_id = request["requestId"]
    async with connection.csms.store.session() as db:
        row = await db.get(CustomerRequest, (connection.station_id, request_id))
        if row is None:
            log.info("%s: NotifyCustomerInformation for requestId %s, which the CSMS did not send: kept as reported",
                     connection.station_id, request_id)
            row = await get_or_create(db, CustomerRequest, {"station_id": connection.station_id,
                                                            "request_id": request_id},
                                      customer="", reference={}, report=True, clear=False, status="Unrequested",
                                      parts=[], requested_at=now())
        part = {"seqNo": request["seqNo"], "data": request["data"], "generatedAt": request["generatedAt"],
                "tbc": request.get("tbc", False)}
        parts = sorted([p for p in row.parts if p["seqNo"] != part["seqNo"]] + [part], key=lambda p: p["seqNo"])
        row.parts = parts
        whole = [p["seqNo"] for p in parts] == list(range(len(parts))) and not parts[-1]["tbc"]
        if whole and not row.complete:
            row.complete, row.completed_at = True, now()
            row.data = "".join(p["data"] for p in parts)
    if whole:  # once the report is stored: the update reads it back
        connection.csms.store.when_committed(lambda: own_calls.start(_update_local_list(connection, request_id)))
    return {}


async def _update_local_list(connection: StationConnection, request_id: int) -> None:
    """N10.FR.02: a cleared customer's idToken leaves the station's local list (once; when the answer and the
    report are both in)."""
    key = (connection.station_id, request_id)
    # The answer and the last part may arrive together: one after the other, each reading what the other stored.
    lock = _deciding.setdefault(key, asyncio.Lock())
    try:
        async with lock:
            await _remove_cleared_token(connection, request_id)
    finally:
        if not lock.locked() and _deciding.get(key) is lock:
            del _deciding[key]


async def _remove_cleared_token(connection: StationConnection, request_id: int) -> None:
    store = connection.csms.store
    async with store.session() as db:
        row = await db.get(CustomerRequest, (connection.station_id, request_id))
        if (row is None or not row.clear or row.status != "Accepted" or "idToken" not in row.reference
                or (row.report and not row.complete) or row.list_update is not None):
            return
        token = row.reference["idToken"]
        listed = await db.get(LocalListEntry, (connection.station_id, str(token["idToken"]).upper(), token["type"]))
        row.list_update = "Sending" if listed is not None else "NotListed"
    if listed is None:
        return
    version = (await known_version(connection) or 0) + 1
    update = {"versionNumber": version, "updateType": "Differential",
              "localAuthorizationList": [{"idToken": {"idToken": token["idToken"], "type": token["type"]}}]}
    answer = await own_calls.call_or_none(connection, "SendLocalList", update,
                                          f"the local list update removing cleared idToken {token['idToken']}")
    async with store.session() as db:
        row = await db.get(CustomerRequest, (connection.station_id, request_id))
        if row is not None:
            row.list_update = (str(answer.payload.get("status")) if isinstance(answer, CallResult)
                               else "NotDelivered")


async def customer_reports_view(store: Store, station_id: str) -> list[Payload]:
    """The station's 20 latest CustomerInformation requests with their answers and reports (the station detail)."""
    async with store.session() as db:
        rows = (await db.scalars(select(CustomerRequest).filter_by(station_id=station_id)
                                 .order_by(CustomerRequest.requested_at.desc()).limit(20))).all()
    return [{"requestId": r.request_id, "customer": r.reference, "report": r.report, "clear": r.clear,
             "status": r.status, "complete": r.complete, "parts": len(r.parts), "data": r.data,
             "localListUpdate": r.list_update, "requestedAt": r.requested_at.isoformat()} for r in rows]
