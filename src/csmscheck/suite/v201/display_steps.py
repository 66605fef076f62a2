"""Steps and validations the OCPP 2.0.1 display message cases (block O) share.

The operator has the CSMS send each SetDisplayMessage, GetDisplayMessages and
ClearDisplayMessage (the trigger API); the station answers by its own policy
(:mod:`csmscheck.station.display_messages`) unless a case gives the answer the definition
names. Messages a case leaves on the station are cleared through the CSMS afterwards
(fixture ``messages_cleared``), so neither the station nor what the CSMS stored of it
changes a later case.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest_asyncio

from csmscheck.checks import display_messages as checks
from csmscheck.errors import ConnectionLost, StepFailed
from csmscheck.expect import step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.suite.operator import Csms
from csmscheck.suite.v201.operations_steps import fresh_id, shown
from csmscheck.suite.v201.profile_steps import answer_reported
from csmscheck.timestamps import parse_time, rfc3339

Payload = dict[str, Any]
SET = "SetDisplayMessageRequest"
GET = "GetDisplayMessagesRequest"


# -- values ---------------------------------------------------------------------------------


def moment(seconds: int) -> str:
    """The time ``seconds`` from now (RFC 3339, whole seconds)."""
    return rfc3339(datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds))


def requested_message(cfg: Settings, *, message_id: int | None = None, priority: str | None = None,
                      state: str | None = None, message_format: str | None = None, start: str | None = None,
                      end: str | None = None, transaction_id: str | None = None) -> Payload:
    """The message the operator asks the CSMS to set: the configured content, language and format, the configured
    priority unless given, a fresh id unless given; a state, start, end and transaction only where asked."""
    message: Payload = {"id": message_id if message_id is not None else fresh_id(),
                        "priority": priority or cfg.message_priority,
                        "message": {"format": message_format or cfg.message_format,
                                    "language": cfg.message_language, "content": cfg.message_content}}
    for key, value in (("state", state), ("startDateTime", start), ("endDateTime", end),
                       ("transactionId", transaction_id)):
        if value is not None:
            message[key] = value
    return message


def running_transaction(station: Station) -> str:
    tx = station.model.transaction
    if tx is None or not tx.started:
        raise StepFailed("Before: no transaction runs on the station (reusable state EnergyTransferStarted)")
    return tx.id


# -- steps ----------------------------------------------------------------------------------


async def set_message(station: Station, csms: Csms, message: Payload, label: str = "Step 1", *,
                      status: str = "Accepted") -> Payload:
    """The CSMS sends SetDisplayMessage as asked; the station answers ``status`` (the definition's answer) and,
    having accepted, holds the message. No request in time fails step ``label``. Returns the request."""
    with step(label):
        async with station.expect("SetDisplayMessage", reply={"status": status}) as got:
            reported = await csms.request(station, "SetDisplayMessage", {"message": message})
    request = got.payload
    if status == "Accepted":
        station.display_messages.install(request["message"])
    answer_reported(station, reported, got.answer, f"{label}: SetDisplayMessageResponse")
    check_message(station, request["message"], message, f"{label}: {SET}")
    return request


def check_message(station: Station, sent: Payload, asked: Payload, label: str) -> None:
    """csmscheck checks CSC-201-O-01..03 of a message the CSMS sent (``asked``: what the operator asked for)."""
    if "transactionId" not in asked:
        station.findings.check(checks.NO_TRANSACTION_UNASKED, "transactionId" not in sent,
                               f"{label}: message.transactionId {shown(sent.get('transactionId'))} sent for a message "
                               "that belongs to no transaction")
    if "endDateTime" in sent:
        end = parse_time(sent["endDateTime"])
        start = parse_time(sent["startDateTime"]) if "startDateTime" in sent else None
        station.findings.check(checks.SHOWN_SOMETIME, end > datetime.now(UTC) and (start is None or end > start),
                               f"{label}: message.endDateTime {sent['endDateTime']} is not after "
                               f"{'startDateTime ' + sent['startDateTime'] if start else 'now'}")
    if "transactionId" in sent:
        station.findings.check(checks.TRANSACTION_MESSAGE_UNSTATED, sent.get("state") in (None, "Charging"),
                               f"{label}: message.state {sent.get('state')} for a message of transaction "
                               f"{sent['transactionId']}")


async def get_messages(station: Station, csms: Csms, asked: Payload, label: str = "Step 1", *,
                       status: str = "Accepted") -> Payload:
    """The CSMS sends GetDisplayMessages as asked; the station answers ``status``. Returns the request."""
    with step(label):
        async with station.expect("GetDisplayMessages", reply={"status": status}) as got:
            reported = await csms.request(station, "GetDisplayMessages", asked)
    answer_reported(station, reported, got.answer, f"{label}: GetDisplayMessagesResponse")
    return got.payload


async def notify_messages(station: Station, request: Payload, label: str) -> list[Payload]:
    """The station reports what matches ``request`` (NotifyDisplayMessages with its requestId, ``tbc`` on all but
    the last); the CSMS must answer each. ``label`` names the steps ("Step 3/4"). Returns the parts sent."""
    parts = station.display_messages.reports(request)
    if not parts:
        raise StepFailed(f"{label}: the station holds no display message the {GET} asks for: {shown(request)}")
    for number, part in enumerate(parts, 1):
        with step(f"{label}: NotifyDisplayMessagesRequest, part {number} of {len(parts)}"):
            await station.call("NotifyDisplayMessages", part)
    return parts


async def clear_message(station: Station, csms: Csms, message_id: int, label: str = "Step 1", *,
                        status: str = "Accepted") -> Payload:
    """The CSMS sends ClearDisplayMessage for ``message_id``; the station answers ``status`` and, having accepted,
    no longer holds the message the request names. Returns the request."""
    with step(label):
        async with station.expect("ClearDisplayMessage", reply={"status": status}) as got:
            reported = await csms.request(station, "ClearDisplayMessage", {"id": message_id})
    if status == "Accepted":
        station.display_messages.held.pop(got.payload["id"], None)
    answer_reported(station, reported, got.answer, f"{label}: ClearDisplayMessageResponse")
    return got.payload


async def message_configured(station: Station, csms: Csms, cfg: Settings, *, message_id: int | None = None,
                             state: str | None = None) -> Payload:
    """Memory state "a display message is configured": the CSMS sets one (the configured priority, ``state`` where
    given) and the station accepts and holds it. Returns the message as it arrived."""
    asked = requested_message(cfg, message_id=message_id, state=state)
    request = await set_message(station, csms, asked, "Memory state: Step 1")
    held: Payload = request["message"]
    return held


# -- clean-up -------------------------------------------------------------------------------


async def clear_left_messages(station: Station, csms: Csms) -> None:
    """Have the CSMS clear each message the station still holds, so what the CSMS stored of this station does not
    outlive the case. Best effort: the case's verdict is made."""
    if station.cfg.manual or not station.session.connected:
        return
    for message in station.display_messages.messages():
        with suppress(StepFailed, ConnectionLost):
            async with station.expect("ClearDisplayMessage"):
                await csms.request(station, "ClearDisplayMessage", {"id": message["id"]})


@pytest_asyncio.fixture
async def messages_cleared(station: Station, csms: Csms) -> AsyncIterator[None]:
    """After the case, the display messages it left on the station are cleared through the CSMS."""
    yield
    await clear_left_messages(station, csms)
