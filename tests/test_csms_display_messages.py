"""The reference CSMS's OCPP 2.0.1 display messages, driven by a raw station session and the trigger API.

What the CSMS stores of the messages a station shows (set and replaced, refused attempts kept,
cleared, reported in parts, dropped with their transaction or after their end), what it refuses
to send (400 with reasons, nothing on the wire), and that it survives a restart.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import DEFAULTS, CsmsStarter, RunningCsms, StationOpener
from trigger_calls import refused, relayed

from csmscheck.station.session import StationSession
from csmscheck.timestamps import rfc3339

STATION = "CP201_SP1"
TOKEN = {"idToken": DEFAULTS.valid_id_token, "type": DEFAULTS.valid_id_token_type}
Payload = dict[str, Any]


def _id() -> int:
    return secrets.randbelow(2**30) + 1


def _message(message_id: int, priority: str = "NormalCycle", content: str = "hello", **extra: Any) -> Payload:
    return {"id": message_id, "priority": priority,
            "message": {"format": "UTF8", "language": "en", "content": content}, **extra}


def _in(seconds: float) -> str:
    return rfc3339(datetime.now(UTC) + timedelta(seconds=seconds))


@pytest.fixture
async def api(reference_csms: RunningCsms) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=reference_csms.api, timeout=10.0) as client:
        yield client


async def _detail(api: httpx.AsyncClient, station_id: str = STATION) -> Payload:
    response = await api.get(f"/api/stations/{station_id}")
    assert response.status_code == 200, response.text
    body: Payload = response.json()
    return body


async def _shown(api: httpx.AsyncClient, station_id: str = STATION) -> dict[int, Payload]:
    """The messages the CSMS believes the station shows, by id (the station detail)."""
    return {m["id"]: m for m in (await _detail(api, station_id))["displayMessages"]}


async def _transaction(station: StationSession, event: str, tx_id: str) -> None:
    info: Payload = {"transactionId": tx_id}
    payload: Payload = {"eventType": event, "timestamp": rfc3339(), "seqNo": 0 if event == "Started" else 9,
                        "triggerReason": "Authorized" if event == "Started" else "StopAuthorized",
                        "transactionInfo": info}
    if event == "Started":
        payload |= {"evse": {"id": 1, "connectorId": 1}, "idToken": TOKEN}
    else:
        info["stoppedReason"] = "Local"
    await station.call("TransactionEvent", payload)


async def test_accepted_messages_are_held_and_replaced(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                       open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    first, refused_id = _id(), _id()
    await relayed(api, station, "SetDisplayMessage", {"message": _message(first, state="Idle")})
    held = (await _shown(api))[first]
    assert (held["priority"], held["state"], held["learntFrom"]) == ("NormalCycle", "Idle", "SetDisplayMessage")
    assert held["message"]["message"] == {"format": "UTF8", "language": "en", "content": "hello"}
    # the same id replaces it, every field
    await relayed(api, station, "SetDisplayMessage", {"message": _message(first, "AlwaysFront", "bye")})
    held = (await _shown(api))[first]
    assert held["priority"] == "AlwaysFront" and held["state"] is None
    assert held["message"]["message"]["content"] == "bye"
    # a refused message is not held, but the attempt is kept with its status
    for status in ("Rejected", "NotSupportedPriority"):
        await relayed(api, station, "SetDisplayMessage", {"message": _message(refused_id)}, reply={"status": status})
    assert refused_id not in await _shown(api)
    attempts = (await _detail(api))["displayMessageAttempts"]
    assert [a["status"] for a in attempts if a["id"] == refused_id] == ["NotSupportedPriority", "Rejected"]
    # cleared (Accepted), and a clear answered Unknown drops what the CSMS believed too
    await relayed(api, station, "ClearDisplayMessage", {"id": first})
    assert first not in await _shown(api)
    await relayed(api, station, "SetDisplayMessage", {"message": _message(first)})
    await relayed(api, station, "ClearDisplayMessage", {"id": first}, reply={"status": "Unknown"})
    assert first not in await _shown(api)


async def test_reports_in_parts_replace_what_the_filter_covers(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                               open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    front, normal, gone = _id(), _id(), _id()
    for message_id, priority in ((front, "InFront"), (normal, "NormalCycle"), (gone, "NormalCycle")):
        await relayed(api, station, "SetDisplayMessage", {"message": _message(message_id, priority)})
    request_id = _id()
    await relayed(api, station, "GetDisplayMessages", {"requestId": request_id, "priority": "NormalCycle"})
    reported = _message(normal, content="as reported")
    await station.call("NotifyDisplayMessages", {"requestId": request_id, "tbc": True, "messageInfo": [reported]})
    assert gone in await _shown(api)  # not complete yet
    await station.call("NotifyDisplayMessages", {"requestId": request_id})
    shown = await _shown(api)
    assert gone not in shown and front in shown  # the InFront one was not asked about
    assert shown[normal]["learntFrom"] == "NotifyDisplayMessages"
    assert shown[normal]["message"]["message"]["content"] == "as reported"
    # Unknown for an id: the station holds none of it
    await relayed(api, station, "GetDisplayMessages", {"requestId": _id(), "id": [front]}, reply={"status": "Unknown"})
    assert front not in await _shown(api)
    # a report nobody asked for is recorded as reported
    unasked = _id()
    await station.call("NotifyDisplayMessages", {"requestId": _id(), "messageInfo": [_message(unasked)]})
    assert (await _shown(api))[unasked]["learntFrom"] == "NotifyDisplayMessages"


async def test_messages_end_with_their_transaction_and_time(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                            open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    tx_id = f"tx-{uuid.uuid4().hex[:12]}"
    await _transaction(station, "Started", tx_id)
    bound, lasting, ending = _id(), _id(), _id()
    await relayed(api, station, "SetDisplayMessage", {"message": _message(bound, transactionId=tx_id)})
    await relayed(api, station, "SetDisplayMessage", {"message": _message(lasting)})
    await relayed(api, station, "SetDisplayMessage", {"message": _message(ending, endDateTime=_in(1))})
    assert {bound, lasting, ending} <= set(await _shown(api))
    await _transaction(station, "Ended", tx_id)
    # the end of the other message is a second away: wait for it with a deadline, not a fixed sleep
    deadline = datetime.now(UTC) + timedelta(seconds=5)
    while ending in (shown := await _shown(api)) and datetime.now(UTC) < deadline:
        await station.call("Heartbeat", {})
    assert bound not in shown and lasting in shown and ending not in shown
    # a message for the transaction that ended is refused before it is sent
    errors = await refused(api, station, "set-display-message", {"message": _message(_id(), transactionId=tx_id)})
    assert any("has ended" in e for e in errors)


async def test_what_cannot_be_shown_is_refused(start_csms: CsmsStarter, open_station: StationOpener) -> None:
    csms = start_csms()
    station = await open_station(csms, STATION)
    component = {"name": "DisplayMessageCtrlr"}
    await station.call("NotifyReport", {"requestId": 1, "generatedAt": rfc3339(), "seqNo": 0, "reportData": [
        {"component": component, "variable": {"name": name}, "variableAttribute": [{"value": value}]}
        for name, value in (("SupportedFormats", "ASCII,UTF8"), ("SupportedPriorities", "NormalCycle"),
                            ("SupportedStates", "Idle"))]})
    unfit = _message(_id(), "AlwaysFront", state="Charging")
    unfit["message"]["format"] = "HTML"
    async with httpx.AsyncClient(base_url=csms.api, timeout=10.0) as api:
        errors = await refused(api, station, "set-display-message", {"message": unfit})
        for variable in ("SupportedFormats", "SupportedPriorities", "SupportedStates"):
            assert any(variable in e for e in errors), errors
        backwards = _message(_id(), startDateTime=_in(60), endDateTime=_in(30))
        assert any("endDateTime" in e for e in await refused(api, station, "set-display-message",
                                                               {"message": backwards}))
        fit = _message(_id(), state="Idle", startDateTime=_in(30), endDateTime=_in(60))
        await relayed(api, station, "SetDisplayMessage", {"message": fit})
        # an unknown transaction is the station's to judge
        await relayed(api, station, "SetDisplayMessage", {"message": _message(_id(), transactionId="tx-unknown")},
                      reply={"status": "UnknownTransaction"})


async def test_messages_survive_a_restart(start_csms: CsmsStarter, open_station: StationOpener) -> None:
    csms = start_csms()
    station = await open_station(csms, STATION)
    message_id = _id()
    async with httpx.AsyncClient(base_url=csms.api, timeout=10.0) as api:
        await relayed(api, station, "SetDisplayMessage", {"message": _message(message_id)})
    await station.close()
    csms.stop()
    again = start_csms(db_path=csms.db_path)
    async with httpx.AsyncClient(base_url=again.api, timeout=10.0) as api:
        assert message_id in await _shown(api)
