"""The virtual 2.0.1 station's display messages: what it accepts, holds, reports and clears (block O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from scripted_csms import csms_asking

from csmscheck.settings import load_settings
from csmscheck.station.device_model import DeviceModel
from csmscheck.station.display_messages import PER_PART, DisplayMessages
from csmscheck.station.model import StationModel
from csmscheck.station.station import Endpoint, Station
from csmscheck.timestamps import rfc3339

Payload = dict[str, Any]


def _message(message_id: int, priority: str = "NormalCycle", message_format: str = "UTF8", **extra: Any) -> Payload:
    return {"id": message_id, "priority": priority, "message": {"format": message_format, "content": "hi"}, **extra}


@pytest.fixture
def model() -> StationModel:
    return StationModel()


@pytest.fixture
def device_model() -> DeviceModel:
    return DeviceModel()


@pytest.fixture
def messages(model: StationModel, device_model: DeviceModel) -> DisplayMessages:
    return DisplayMessages(model, device_model)


def _set(messages: DisplayMessages, message: Payload) -> str:
    status: str = messages.set_display_message({"message": message})["status"]
    return status


def test_accepted_messages_are_held_and_replaced_by_id(messages: DisplayMessages) -> None:
    assert _set(messages, _message(1)) == "Accepted"
    assert _set(messages, _message(1, "AlwaysFront")) == "Accepted"
    assert [m["priority"] for m in messages.messages()] == ["AlwaysFront"]


@pytest.mark.parametrize(("variable", "value", "message", "status"), [
    ("SupportedFormats", "ASCII", _message(1, message_format="HTML"), "NotSupportedMessageFormat"),
    ("SupportedPriorities", "NormalCycle,InFront", _message(1, "AlwaysFront"), "NotSupportedPriority"),
    ("SupportedStates", "Idle", _message(1, state="Charging"), "NotSupportedState"),
    ("Enabled", "false", _message(1), "Rejected"),
])
def test_what_the_device_model_does_not_support_is_refused(messages: DisplayMessages, device_model: DeviceModel,
                                                           variable: str, value: str, message: Payload,
                                                           status: str) -> None:
    device_model.set("DisplayMessageCtrlr", variable, value)
    assert _set(messages, message) == status
    assert messages.messages() == []


def test_transaction_messages_need_the_running_transaction_and_end_with_it(messages: DisplayMessages,
                                                                          model: StationModel) -> None:
    assert _set(messages, _message(1, transactionId="tx-1")) == "UnknownTransaction"
    tx = model.new_transaction(1, 1, "tx-1")
    tx.started = True
    assert _set(messages, _message(1, transactionId="tx-2")) == "UnknownTransaction"
    assert _set(messages, _message(1, transactionId="tx-1")) == "Accepted"
    assert _set(messages, _message(2)) == "Accepted"
    model.end_transaction()
    assert [m["id"] for m in messages.messages()] == [2]


def test_messages_past_their_end_are_gone(messages: DisplayMessages) -> None:
    past = rfc3339(datetime.now(UTC) - timedelta(seconds=1))
    future = rfc3339(datetime.now(UTC) + timedelta(minutes=5))
    messages.install(_message(1, endDateTime=past))
    messages.install(_message(2, endDateTime=future))
    assert [m["id"] for m in messages.messages()] == [2]
    assert messages.clear_display_message({"id": 1}) == {"status": "Unknown"}


def test_get_filters_and_reports_in_parts(messages: DisplayMessages) -> None:
    for message_id in range(1, PER_PART + 3):
        messages.install(_message(message_id, "InFront" if message_id == 1 else "NormalCycle", state="Idle"))
    everything = {"requestId": 7}
    assert messages.get_display_messages(everything) == {"status": "Accepted"}
    parts = messages.reports(everything)
    assert [p["tbc"] for p in parts] == [True, False]
    assert sum(len(p["messageInfo"]) for p in parts) == PER_PART + 2 and {p["requestId"] for p in parts} == {7}
    assert [m["id"] for m in messages.matching({"requestId": 1, "priority": "InFront"})] == [1]
    assert [m["id"] for m in messages.matching({"requestId": 1, "id": [2, 3], "state": "Idle"})] == [2, 3]
    for unknown in ({"id": [99]}, {"state": "Charging"}, {"priority": "AlwaysFront"}):
        assert messages.get_display_messages({"requestId": 2, **unknown}) == {"status": "Unknown"}
        assert messages.reports({"requestId": 2, **unknown}) == []


def test_clear_removes_the_message_of_its_id(messages: DisplayMessages) -> None:
    messages.install(_message(1))
    assert messages.clear_display_message({"id": 2}) == {"status": "Unknown"}
    assert messages.clear_display_message({"id": 1}) == {"status": "Accepted"}
    assert messages.get_display_messages({"requestId": 1}) == {"status": "Unknown"}


async def test_the_station_answers_by_policy_and_notifies_what_it_accepted_to_get() -> None:
    frames: list[list[Any]] = []
    calls = [[2, "s1", "SetDisplayMessage", {"message": _message(5, state="Idle")}],
             [2, "s2", "SetDisplayMessage", {"message": _message(6, transactionId="tx-none")}],
             [2, "g1", "GetDisplayMessages", {"requestId": 9, "state": "Idle"}],
             [2, "c1", "ClearDisplayMessage", {"id": 6}]]
    async with csms_asking(calls, frames, 5) as url:
        station = Station("CS1", "2.0.1", load_settings(environ={}), Endpoint(url))
        await station.connect()
        await station.session.wait_closed(10)
    answers = {frame[1]: frame[2] for frame in frames if frame[0] == 3}
    assert answers == {"s1": {"status": "Accepted"}, "s2": {"status": "UnknownTransaction"},
                       "g1": {"status": "Accepted"}, "c1": {"status": "Unknown"}}
    (notify,) = [frame for frame in frames if frame[0] == 2]
    assert notify[2] == "NotifyDisplayMessages"
    assert (notify[3]["requestId"], notify[3]["tbc"], [m["id"] for m in notify[3]["messageInfo"]]) == (9, False, [5])
