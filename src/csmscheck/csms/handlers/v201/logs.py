"""Log uploads (block N, N01), OCPP 2.0.1: the GetLog requests the CSMS sent and how each upload went.

GetLog goes out through the trigger API after vetting: log.remoteLocation must be an absolute
URL (where the station uploads to) and a period from oldestTimestamp to latestTimestamp must
not run backwards. Each request is recorded by requestId before it goes out (the station's
first notification may race the answer), then the station's answer (a file name when
accepted) and every LogStatusNotification of that requestId, in arrival order: ``status`` is
the latest, a failure stays a failure. A station takes one upload at a time (N01.FR.12):
answering a second request AcceptedCanceled means the upload under way was cancelled, so the
CSMS marks the one it still believed running as cancelled by the new request.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from sqlalchemy import select

from csmscheck.csms.connection import StationConnection
from csmscheck.csms.customer_models import LogUpload
from csmscheck.csms.router import Payload, before_call, handles, on_response, vets
from csmscheck.csms.store import Store, get_or_create, now
from csmscheck.timestamps import parse_time

if TYPE_CHECKING:
    from csmscheck.csms.app import CsmsContext

log = logging.getLogger("csmscheck.csms")

RUNNING = ("Accepted", "Uploading")  # the states of an upload still under way
CANCELED = "AcceptedCanceled"


@vets("2.0.1", "GetLog")
async def vet_get_log(csms: CsmsContext, station_id: str, request: Payload) -> list[str]:
    problems = []
    parameters = request["log"]
    location = urlparse(parameters["remoteLocation"])
    if not location.scheme or not location.netloc:
        problems.append(f"log.remoteLocation {parameters['remoteLocation']!r} is not an absolute URL "
                        "(the station uploads the log there)")
    oldest, latest = parameters.get("oldestTimestamp"), parameters.get("latestTimestamp")
    if oldest is not None and latest is not None and parse_time(oldest) > parse_time(latest):
        problems.append(f"log.oldestTimestamp {oldest} is after log.latestTimestamp {latest}")
    return problems


@before_call("2.0.1", "GetLog")
async def log_requested(connection: StationConnection, request: Payload) -> None:
    """Recorded before it goes out (a resent requestId starts its record anew)."""
    async with connection.csms.store.session() as db:
        row = await get_or_create(db, LogUpload, {"station_id": connection.station_id,
                                                   "request_id": request["requestId"]},
                                  log_type=request["logType"], remote_location=request["log"]["remoteLocation"],
                                  status="Requested", history=[], requested_at=now(), updated_at=now())
        row.log_type, row.remote_location = request["logType"], request["log"]["remoteLocation"]
        row.status, row.filename, row.history, row.canceled_by = "Requested", None, [], None
        row.requested_at = row.updated_at = now()


@on_response("2.0.1", "GetLog")
async def log_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    """The answer; AcceptedCanceled: the upload the CSMS believed running was cancelled for this one."""
    request_id = request["requestId"]
    async with connection.csms.store.session() as db:
        row = await db.get(LogUpload, (connection.station_id, request_id))
        if row is None:
            return
        if row.status == "Requested":  # a notification that raced the answer is the later word
            row.status = response["status"]
        row.filename = response.get("filename")
        row.updated_at = now()
        if response["status"] != CANCELED:
            return
        running = (await db.scalars(select(LogUpload).where(
            LogUpload.station_id == connection.station_id, LogUpload.request_id != request_id,
            LogUpload.canceled_by.is_(None),
            # the cancelled upload's own AcceptedCanceled notification may have come before this answer
            LogUpload.status.in_((*RUNNING, CANCELED))))).all()
        for earlier in running:
            if earlier.status == CANCELED and not (earlier.history and earlier.history[-1]["status"] == CANCELED):
                continue  # answered AcceptedCanceled itself: it is the new upload of an earlier pair
            earlier.canceled_by = request_id
            log.info("%s: GetLog %s cancelled the upload of GetLog %s", connection.station_id, request_id,
                     earlier.request_id)


@handles("2.0.1", "LogStatusNotification")
async def log_status(connection: StationConnection, request: Payload) -> Payload:
    """Each status joins its request's history; one without a requestId (a triggered Idle) is logged only."""
    request_id = request.get("requestId")
    if request_id is None:
        log.info("%s: LogStatusNotification %s", connection.station_id, request["status"])
        return {}
    async with connection.csms.store.session() as db:
        row = await db.get(LogUpload, (connection.station_id, request_id))
        if row is None:
            log.info("%s: LogStatusNotification %s for requestId %s, which the CSMS did not send",
                     connection.station_id, request["status"], request_id)
            return {}
        row.history = [*row.history, {"status": request["status"], "at": now().isoformat()}]
        row.status = request["status"]
        row.updated_at = now()
    return {}


async def log_requests_view(store: Store, station_id: str) -> list[Payload]:
    """The station's 20 latest GetLog requests with their answers and upload histories (the station detail)."""
    async with store.session() as db:
        rows = (await db.scalars(select(LogUpload).filter_by(station_id=station_id)
                                 .order_by(LogUpload.requested_at.desc()).limit(20))).all()
    return [{"requestId": r.request_id, "logType": r.log_type, "remoteLocation": r.remote_location,
             "status": r.status, "filename": r.filename, "history": r.history, "canceledBy": r.canceled_by,
             "requestedAt": r.requested_at.isoformat()} for r in rows]
