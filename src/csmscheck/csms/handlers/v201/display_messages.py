"""Display messages (block O), OCPP 2.0.1: the messages each station shows, as the CSMS knows them.

SetDisplayMessage, GetDisplayMessages and ClearDisplayMessage go out through the trigger API,
after the vetting below found nothing wrong with them. From the station's answers the CSMS
keeps what the station holds:

- every SetDisplayMessage is kept with its answer; an Accepted one is held (replacing the
  message of its id), any other status leaves what was held before;
- a ClearDisplayMessage removes the message of its id whether the station answered Accepted
  or Unknown (then it held none, so the record should hold none either);
- a report (GetDisplayMessages, then NotifyDisplayMessages parts of that requestId until one
  without ``tbc``) replaces what the CSMS believed about the messages matching the request's
  filters; Unknown means the station holds none of them;
- a message bound to a transaction goes when the CSMS sees the transaction end, and one whose
  endDateTime has passed is no longer shown.

Vetting refuses (trigger API: 400, with the reasons) a message that ends before it starts, one
for a transaction the CSMS knows has ended, and one of a format, priority or state the station
reported it does not support (DisplayMessageCtrlr); what the CSMS does not know, it lets the
station decide. The content's length is the schema's (512 characters), checked before vetting.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from csmscheck.csms import requested_reports as reports
from csmscheck.csms.authorization import as_utc
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.display_message_models import REPORTED, SET, HeldMessage, MessageAttempt, MessageReport
from csmscheck.csms.models import Transaction, Variable
from csmscheck.csms.router import Payload, observes, on_response, vets
from csmscheck.csms.store import Store, get_or_create, now
from csmscheck.timestamps import parse_time, rfc3339

if TYPE_CHECKING:
    from csmscheck.csms.app import CsmsContext

log = logging.getLogger("csmscheck.csms")

CTRLR = "DisplayMessageCtrlr"
# What a station reports it can show: (MessageInfo field, DisplayMessageCtrlr variable).
SUPPORT = (("message.format", "SupportedFormats"), ("priority", "SupportedPriorities"), ("state", "SupportedStates"))


# -- what the station holds ------------------------------------------------------------------------


def _time(value: str | None) -> datetime | None:
    return parse_time(value) if value is not None else None


async def hold(db: AsyncSession, station_id: str, message: Payload, learnt_from: str) -> None:
    """Record ``message`` as held by the station, replacing the one of its id."""
    content = message["message"]
    row = await get_or_create(db, HeldMessage, {"station_id": station_id, "message_id": message["id"]},
                              priority=message["priority"], format=content["format"], content=content["content"],
                              learnt_from=learnt_from, message=message, recorded_at=now())
    row.priority, row.state = message["priority"], message.get("state")
    row.start_at, row.end_at = _time(message.get("startDateTime")), _time(message.get("endDateTime"))
    row.transaction_id = message.get("transactionId")
    row.format, row.language, row.content = content["format"], content.get("language"), content["content"]
    row.learnt_from, row.message, row.recorded_at = learnt_from, message, now()


def _filters(request: Payload) -> list[Any]:
    """The held messages a GetDisplayMessagesRequest covers: every filter it names."""
    filters: list[Any] = []
    if request.get("id"):
        filters.append(HeldMessage.message_id.in_(request["id"]))
    if "priority" in request:
        filters.append(HeldMessage.priority == request["priority"])
    if "state" in request:
        filters.append(HeldMessage.state == request["state"])
    return filters


# -- SetDisplayMessage and ClearDisplayMessage --------------------------------------------------------


@on_response("2.0.1", "SetDisplayMessage")
async def message_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    """Every attempt is kept; Accepted: the station holds the message. Any other status: what it held before."""
    message = request["message"]
    async with connection.csms.store.session() as db:
        db.add(MessageAttempt(station_id=connection.station_id, message_id=message["id"], status=response["status"],
                              message=message, sent_at=now()))
        if response["status"] == "Accepted":
            await hold(db, connection.station_id, message, SET)


@on_response("2.0.1", "ClearDisplayMessage")
async def clear_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    """Accepted: the message is gone. Unknown: the station held none of that id, so the record holds none."""
    async with connection.csms.store.session() as db:
        result = await db.execute(delete(HeldMessage).filter_by(station_id=connection.station_id,
                                                                message_id=request["id"]))
    if response["status"] == "Unknown" and getattr(result, "rowcount", 0):
        log.info("%s: ClearDisplayMessage %s answered Unknown; the message the CSMS believed shown is dropped",
                 connection.station_id, request["id"])


# -- GetDisplayMessages and its reports ---------------------------------------------------------------


async def _apply_report(db: AsyncSession, station_id: str, report: MessageReport) -> None:
    """Replace the messages the request covered by those reported."""
    await db.execute(delete(HeldMessage).where(HeldMessage.station_id == station_id, *_filters(report.request)))
    for part in report.parts:
        for message in part.get("messageInfo") or []:
            await hold(db, station_id, message, REPORTED)


# -- transactions ------------------------------------------------------------------------------------


@observes("2.0.1", "TransactionEvent")
async def transaction_ended(connection: StationConnection, request: Payload, response: Payload) -> None:
    """A message bound to a transaction is shown as long as the transaction runs (O02)."""
    if request["eventType"] != "Ended":
        return  # the routine event: no database work (it may be committed in a group, see group_commit)
    async with connection.csms.store.session() as db:
        await db.execute(delete(HeldMessage).filter_by(station_id=connection.station_id,
                                                       transaction_id=request["transactionInfo"]["transactionId"]))


# -- vetting -----------------------------------------------------------------------------------------


async def supported(db: AsyncSession, station_id: str) -> dict[str, frozenset[str]]:
    """What the station reported it can show, by DisplayMessageCtrlr variable (absent: not known)."""
    rows = (await db.scalars(select(Variable).filter_by(
        station_id=station_id, component=CTRLR, variable_instance="", attribute_type="Actual"))).all()
    return {row.variable: frozenset(v.strip() for v in row.value.split(",") if v.strip())
            for row in rows if row.variable in dict(SUPPORT).values() and row.value}


@vets("2.0.1", "SetDisplayMessage")
async def vet_set_message(csms: CsmsContext, station_id: str, request: Payload) -> list[str]:
    message = request["message"]
    problems: list[str] = []
    start, end = _time(message.get("startDateTime")), _time(message.get("endDateTime"))
    if start is not None and end is not None and end <= start:
        problems.append(f"message.endDateTime {message['endDateTime']} is not after message.startDateTime "
                        f"{message['startDateTime']}: the message would never be shown")
    values = {"message.format": message["message"]["format"], "priority": message["priority"],
              "state": message.get("state")}
    async with csms.store.session() as db:
        known = await supported(db, station_id)
        for field, variable in SUPPORT:
            allowed = known.get(variable)
            if values[field] is not None and allowed is not None and values[field] not in allowed:
                problems.append(f"message.{field.removeprefix('message.')} {values[field]}: the station supports "
                                f"{', '.join(sorted(allowed)) or 'none'} ({CTRLR}.{variable})")
        transaction_id = message.get("transactionId")
        if transaction_id is not None:
            tx = await db.scalar(select(Transaction).filter_by(station_id=station_id, transaction_id=transaction_id))
            if tx is not None and tx.stopped_at is not None:
                problems.append(f"message.transactionId {transaction_id}: that transaction has ended")
    return problems


# -- read-out ----------------------------------------------------------------------------------------


async def display_messages_view(store: Store, station_id: str) -> dict[str, list[Payload]]:
    """The messages the station shows (those past their end left out) and its 20 latest SetDisplayMessages."""
    async with store.session() as db:
        held = (await db.scalars(select(HeldMessage).filter_by(station_id=station_id)
                                 .order_by(HeldMessage.message_id))).all()
        attempts = (await db.scalars(select(MessageAttempt).filter_by(station_id=station_id)
                                     .order_by(MessageAttempt.sent_at.desc(), MessageAttempt.pk.desc())
                                     .limit(20))).all()
    moment = now()
    return {
        "displayMessages": [{"id": m.message_id, "priority": m.priority, "state": m.state,
                             "transactionId": m.transaction_id, "learntFrom": m.learnt_from,
                             "recordedAt": rfc3339(as_utc(m.recorded_at)), "message": m.message}
                            for m in held if m.end_at is None or as_utc(m.end_at) > moment],
        "displayMessageAttempts": [{"id": a.message_id, "status": a.status, "sentAt": rfc3339(as_utc(a.sent_at)),
                                    "message": a.message} for a in attempts],
    }


async def _unasked_report(db: AsyncSession, station_id: str, part: Payload) -> None:
    for message in part.get("messageInfo") or []:
        await hold(db, station_id, message, REPORTED)


reports.handle_reports("GetDisplayMessages", "NotifyDisplayMessages", MessageReport, "Unknown", _apply_report,
                       _unasked_report, "messages")
