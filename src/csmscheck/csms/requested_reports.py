"""Reports a CSMS asks a station for and receives in parts (GetChargingProfiles → ReportChargingProfiles,
GetDisplayMessages → NotifyDisplayMessages): the request, the station's answer and the parts so far.

The request is recorded before it goes out (the first part may come before the CSMS reads the
answer); each part is kept until the one without ``tbc``, when the block's ``apply`` replaces what
the CSMS believed about what the request covered. An answer that says there is nothing to report
is applied at once, as an empty report. A part of a report the CSMS did not ask for (or has
complete) is recorded as it stands. :func:`handle_reports` registers all of it for one kind of report.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from csmscheck.csms.models import Base
from csmscheck.csms.router import before_call, handles, on_response
from csmscheck.csms.store import get_or_create, now

if TYPE_CHECKING:
    from csmscheck.csms.connection import StationConnection

log = logging.getLogger("csmscheck.csms")

Payload = dict[str, Any]


class RequestedReport(Base):
    """Columns of a report request; each kind of report has its table of these."""

    __abstract__ = True

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    request_id: Mapped[int] = mapped_column(primary_key=True)
    request: Mapped[Payload] = mapped_column(JSON)  # the Get... request as sent
    status: Mapped[str] = mapped_column(String(16))  # Requested, then the station's answer
    parts: Mapped[list[Payload]] = mapped_column(JSON, default=list)  # the report requests received
    complete: Mapped[bool] = mapped_column(default=False)
    requested_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


R = TypeVar("R", bound=RequestedReport)
Apply = Callable[[AsyncSession, str, R], Awaitable[None]]
Unasked = Callable[[AsyncSession, str, Payload], Awaitable[None]]  # records a part nobody asked for as it stands


def handle_reports(request_action: str, report_action: str, table: type[R], nothing: str, apply: Apply[R],
                   unasked: Unasked, what: str) -> None:
    """The CSMS's side of one kind of OCPP 2.0.1 report: ``request_action`` recorded before it goes out, the
    station's answer (``nothing``: an empty report), and each ``report_action`` part (answered ``{}``)."""

    @before_call("2.0.1", request_action)
    async def requested(connection: StationConnection, request: Payload) -> None:
        async with connection.csms.store.session() as db:
            await record_request(db, table, connection.station_id, request)

    @on_response("2.0.1", request_action)
    async def answered(connection: StationConnection, request: Payload, response: Payload) -> None:
        async with connection.csms.store.session() as db:
            await record_answer(db, table, connection.station_id, request, response["status"], nothing, apply)

    @handles("2.0.1", report_action)
    async def part(connection: StationConnection, request: Payload) -> Payload:
        """Collect the parts of a report; the last one (no ``tbc``) replaces what the CSMS believed."""
        async with connection.csms.store.session() as db:
            if not await record_part(db, table, connection.station_id, request, apply):
                log.info("%s: %s for requestId %s, which the CSMS did not ask for (or is complete): its %s are "
                         "recorded as reported", connection.station_id, report_action, request["requestId"], what)
                await unasked(db, connection.station_id, request)
        return {}


async def record_request(db: AsyncSession, table: type[R], station_id: str, request: Payload) -> None:
    """The request about to go out; one of the same requestId before it starts afresh."""
    row = await get_or_create(db, table, {"station_id": station_id, "request_id": request["requestId"]},
                              request=request, status="Requested", parts=[], requested_at=now())
    row.request, row.status, row.parts, row.complete = request, "Requested", [], False
    row.requested_at, row.completed_at = now(), None


async def record_answer(db: AsyncSession, table: type[R], station_id: str, request: Payload, status: str,
                        nothing: str, apply: Apply[R]) -> None:
    """The station's answer; ``nothing`` (NoProfiles, Unknown, ...) is an empty report, applied at once."""
    row = await db.get(table, (station_id, request["requestId"]))
    if row is None or row.complete:
        return
    row.status = status
    if status == nothing:
        await finish(db, station_id, row, apply)


async def record_part(db: AsyncSession, table: type[R], station_id: str, part: Payload, apply: Apply[R]) -> bool:
    """One part of a report; the last one (no ``tbc``) applies them all. False when the CSMS did not ask for
    this report (or has it complete): the caller records the part as it stands."""
    row = await db.get(table, (station_id, part["requestId"]))
    if row is None or row.complete:
        return False
    row.parts = [*row.parts, part]
    if not part.get("tbc", False):
        await finish(db, station_id, row, apply)
    return True


async def finish(db: AsyncSession, station_id: str, row: R, apply: Apply[R]) -> None:
    await apply(db, station_id, row)
    row.complete, row.completed_at = True, now()
