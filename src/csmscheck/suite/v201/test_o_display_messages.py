"""Block O: display messages the CSMS sets, replaces, reads and clears (O01-O06).

The operator has the CSMS send each request (the trigger API); the case checks what arrived
against the definition's tool validations, in their order, and the station answers as the
definition says. Messages a case leaves on the station are cleared through the CSMS
afterwards (``messages_cleared``); one bound to a transaction goes with the transaction.
"""

from __future__ import annotations

from typing import Any

import pytest

from csmscheck.expect import ABSENT, Matcher
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v201 as states
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v201.display_steps import (
    SET,
    clear_message,
    get_messages,
    message_configured,
    messages_cleared,  # noqa: F401  (the fixture, used through pytestmark)
    moment,
    notify_messages,
    requested_message,
    running_transaction,
    set_message,
)
from csmscheck.suite.v201.operations_steps import fresh_id
from csmscheck.suite.v201.profile_steps import NOT_OMITTED, validate
from csmscheck.timestamps import parse_time

pytestmark = pytest.mark.usefixtures("messages_cleared")

GET = "Step 1: GetDisplayMessagesRequest"


def same_time(asked: str) -> Any:
    """The instant the operator asked for, however the CSMS writes it."""
    return Matcher(f"<the time {asked}>", lambda value: parse_time(value) == parse_time(asked))


def only(ids: list[int]) -> Any:
    return Matcher(f"<the ids {ids}>", lambda value: value == ids)


def other_priority(cfg: Settings) -> str:
    return "AlwaysFront" if cfg.message_priority != "AlwaysFront" else "InFront"


# -- O01, O02, O06: setting and replacing ------------------------------------------------------------


@octt("TC_O_01", reqs=["O01.FR.04"])
async def test_tc_o_01(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Display Message - Success."""
    asked = requested_message(cfg, state=cfg.message_state)
    request = await set_message(station, csms, asked)
    validate(request, [
        ("message.id", asked["id"]),
        ("message.priority", cfg.message_priority),
        ("message.message.format", cfg.message_format),
        ("message.state", cfg.message_state),
    ], f"Step 1: {SET}")


@octt("TC_O_06")
async def test_tc_o_06(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Display Message - Specific transaction - Success."""
    await states.energy_transfer_started(station)
    transaction_id = running_transaction(station)
    request = await set_message(station, csms, requested_message(cfg, transaction_id=transaction_id))
    validate(request, [
        ("message.transactionId", transaction_id),
        ("message.priority", cfg.message_priority),
    ], f"Step 1: {SET}")
    await states.ev_disconnected(station)  # step 3: the message ends with its transaction


@octt("TC_O_10")
async def test_tc_o_10(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Display Message - Specific transaction - UnknownTransaction."""
    await states.energy_transfer_started(station)
    unknown = f"csmscheck-none-{fresh_id()}"  # a transaction the station does not run
    request = await set_message(station, csms, requested_message(cfg, transaction_id=unknown),
                                status="UnknownTransaction")
    validate(request, [
        ("message.transactionId", NOT_OMITTED),
        ("message.priority", cfg.message_priority),
    ], f"Step 1: {SET}")


@octt("TC_O_12")
async def test_tc_o_12(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Display Message - Replace DisplayMessage."""
    # Memory state: a message of the configured id, with another priority and content than its replacement.
    earlier = requested_message(cfg, message_id=cfg.display_message_id, priority=other_priority(cfg))
    earlier["message"]["content"] = f"{cfg.message_content} (to be replaced)"[:512]
    await set_message(station, csms, earlier, "Memory state: Step 1")
    request = await set_message(station, csms, requested_message(cfg, message_id=cfg.display_message_id))
    # The definition's validations are headed "Step 2" but concern the request of step 1.
    validate(request, [
        ("message.id", cfg.display_message_id),
        ("message.priority", cfg.message_priority),
    ], f"Step 1: {SET}")


@octt("TC_O_13", reqs=["O01.FR.05"])
async def test_tc_o_13(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Display Message - Display message at StartTime."""
    asked = requested_message(cfg, start=moment(cfg.message_start_offset))
    request = await set_message(station, csms, asked)
    validate(request, [
        ("message.id", asked["id"]),
        ("message.startDateTime", same_time(asked["startDateTime"])),
    ], f"Step 1: {SET}")


@octt("TC_O_14", reqs=["O01.FR.05"])
async def test_tc_o_14(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Display Message - Remove message after EndTime."""
    asked = requested_message(cfg, end=moment(cfg.message_end_offset))
    request = await set_message(station, csms, asked)
    validate(request, [
        ("message.id", asked["id"]),
        ("message.endDateTime", same_time(asked["endDateTime"])),
    ], f"Step 1: {SET}")


@octt("TC_O_17")
async def test_tc_o_17(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Display Message - NotSupportedPriority."""
    asked = requested_message(cfg)
    request = await set_message(station, csms, asked, status="NotSupportedPriority")
    validate(request, [
        ("message.id", asked["id"]),
        ("message.priority", cfg.message_priority),
    ], f"Step 1: {SET}")


@octt("TC_O_18")
async def test_tc_o_18(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Display Message - NotSupportedState."""
    asked = requested_message(cfg, state=cfg.message_state)
    request = await set_message(station, csms, asked, status="NotSupportedState")
    validate(request, [
        ("message.id", asked["id"]),
        ("message.state", cfg.message_state),
    ], f"Step 1: {SET}")


@octt("TC_O_19")
async def test_tc_o_19(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Display Message - NotSupportedMessageFormat."""
    asked = requested_message(cfg)
    request = await set_message(station, csms, asked, status="NotSupportedMessageFormat")
    validate(request, [("message.id", asked["id"])], f"Step 1: {SET}")


@octt("TC_O_25")
async def test_tc_o_25(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Display Message - Send Specific state."""
    request = await set_message(station, csms, requested_message(cfg, message_id=cfg.display_message_id,
                                                                 state=cfg.message_state))
    validate(request, [
        ("message.id", cfg.display_message_id),
        ("message.state", cfg.message_state),
    ], f"Step 1: {SET}")


@octt("TC_O_26")
async def test_tc_o_26(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Display Message - Rejected."""
    asked = requested_message(cfg)
    request = await set_message(station, csms, asked, status="Rejected")
    validate(request, [
        ("message.id", asked["id"]),
        ("message.priority", cfg.message_priority),
    ], f"Step 1: {SET}")


@octt("TC_O_27")
async def test_tc_o_27(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Display Message - Specific transaction - Display message at StartTime."""
    await states.energy_transfer_started(station)
    transaction_id = running_transaction(station)
    asked = requested_message(cfg, transaction_id=transaction_id, start=moment(cfg.message_start_offset))
    request = await set_message(station, csms, asked)
    validate(request, [
        ("message.state", ABSENT),
        ("message.startDateTime", same_time(asked["startDateTime"])),
        ("message.endDateTime", ABSENT),
        ("message.transactionId", transaction_id),
    ], f"Step 1: {SET}")


@octt("TC_O_28")
async def test_tc_o_28(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set Display Message - Specific transaction - Remove message after EndTime."""
    await states.energy_transfer_started(station)
    transaction_id = running_transaction(station)
    asked = requested_message(cfg, transaction_id=transaction_id, end=moment(cfg.message_end_offset))
    request = await set_message(station, csms, asked)
    validate(request, [
        ("message.state", ABSENT),
        ("message.startDateTime", ABSENT),
        ("message.endDateTime", same_time(asked["endDateTime"])),
        ("message.transactionId", transaction_id),
    ], f"Step 1: {SET}")


# -- O03, O04: getting ---------------------------------------------------------------------------------


@octt("TC_O_02")
async def test_tc_o_02(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get all Display Messages - Success."""
    await message_configured(station, csms, cfg)
    asked = {"requestId": fresh_id()}
    request = await get_messages(station, csms, asked)
    validate(request, [
        ("requestId", asked["requestId"]),
        ("id", ABSENT),
        ("priority", ABSENT),
        ("state", ABSENT),
    ], GET)
    await notify_messages(station, request, "Step 3/4")


@octt("TC_O_03")
async def test_tc_o_03(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get all Display Messages - No DisplayMessages configured."""
    asked = {"requestId": fresh_id()}
    request = await get_messages(station, csms, asked, status="Unknown")
    validate(request, [("requestId", asked["requestId"])], GET)


@octt("TC_O_07")
async def test_tc_o_07(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get a Specific Display Message - Id."""
    await message_configured(station, csms, cfg, message_id=cfg.display_message_id)
    asked = {"requestId": fresh_id(), "id": [cfg.display_message_id]}
    request = await get_messages(station, csms, asked)
    validate(request, [
        ("id", only([cfg.display_message_id])),
        ("priority", ABSENT),
        ("state", ABSENT),
        ("requestId", asked["requestId"]),
    ], GET)
    await notify_messages(station, request, "Step 3/4")


@octt("TC_O_08")
async def test_tc_o_08(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get a Specific Display Message - Priority."""
    await message_configured(station, csms, cfg)
    asked = {"requestId": fresh_id(), "priority": cfg.message_priority}
    request = await get_messages(station, csms, asked)
    validate(request, [
        ("priority", cfg.message_priority),
        ("id", ABSENT),
        ("state", ABSENT),
        ("requestId", asked["requestId"]),
    ], GET)
    await notify_messages(station, request, "Step 3/4")


@octt("TC_O_09")
async def test_tc_o_09(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get a Specific Display Message - State."""
    await message_configured(station, csms, cfg, state=cfg.message_state)
    asked = {"requestId": fresh_id(), "state": cfg.message_state}
    request = await get_messages(station, csms, asked)
    validate(request, [
        ("state", cfg.message_state),
        ("priority", ABSENT),
        ("id", ABSENT),
        ("requestId", asked["requestId"]),
    ], GET)
    await notify_messages(station, request, "Step 3/4")


@octt("TC_O_11")
async def test_tc_o_11(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get a Specific Display Message - Unknown parameters."""
    held = await message_configured(station, csms, cfg)
    other = held["id"] % (2**31 - 2) + 1  # an id the station holds no message of
    asked = {"requestId": fresh_id(), "id": [other]}
    request = await get_messages(station, csms, asked, status="Unknown")
    validate(request, [
        ("id", only([other])),
        ("requestId", asked["requestId"]),
    ], GET)


# -- O05: clearing -------------------------------------------------------------------------------------


@octt("TC_O_04")
async def test_tc_o_04(station: Station, csms: Csms, cfg: Settings) -> None:
    """Clear Display Message - Success."""
    held = await message_configured(station, csms, cfg)
    request = await clear_message(station, csms, held["id"])
    validate(request, [("id", held["id"])], "Step 1: ClearDisplayMessageRequest")


@octt("TC_O_05")
async def test_tc_o_05(station: Station, csms: Csms, cfg: Settings) -> None:
    """Clear Display Message - Unknown Key."""
    # The definition validates nothing; that the request names the id asked is csmscheck check CSC-REQ-01.
    await clear_message(station, csms, fresh_id(), status="Unknown")
