"""Reports a CSMS asks a station for and receives in parts (GetChargingProfiles → ReportChargingProfiles,
GetDisplayMessages → NotifyDisplayMessages): the request, the station's answer and the parts so far.

The request is recorded before it goes out (the first part may come before the CSMS reads the
answer); each part is kept until the one without ``tbc``, when the block's ``apply`` replaces what
the CSMS believed about what the request covered. An answer that says there is nothing to report
is applied at once, as an empty report.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from csmscheck.csms.models import Base
from csmscheck.csms.store import get_or_create, now

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
