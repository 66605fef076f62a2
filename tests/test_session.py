"""The virtual station's session against scripted CSMSes: closes fail the waiting step at once,
the transcript holds connection events, reports follow accepted report requests."""

from __future__ import annotations

import asyncio

import pytest
import websockets
from scripted_csms import csms_asking, scripted_csms
from websockets.asyncio.server import ServerConnection, serve

from csmscheck.errors import ConnectionLost, StepFailed
from csmscheck.settings import load_settings
from csmscheck.station.device_model import DeviceModel
from csmscheck.station.session import StationSession
from csmscheck.station.station import Endpoint, Station
from csmscheck.station.v201 import availability_event
from csmscheck.wire import CallResult, encode

LONG = 30.0  # a deadline no test may reach: a step that waited it out would hang the test


async def connected(url: str, timeout: float = LONG) -> StationSession:
    session = StationSession("CS1", "2.0.1", timeout=timeout)
    await session.connect(url)
    return session


async def close_on_first_frame(ws: ServerConnection) -> None:
    await ws.recv()
    await ws.close(1011, "boom")


async def test_a_close_fails_the_waiting_call_at_once_and_says_who_closed() -> None:
    async with scripted_csms(close_on_first_frame) as url:
        session = await connected(url)
        with pytest.raises(ConnectionLost) as failure:
            await asyncio.wait_for(session.call("Heartbeat", {}), 5)
    message = str(failure.value)
    assert message == ("no answer to Heartbeat: the CSMS closed the connection "
                       "(code 1011, internal error, reason 'boom')"), message


async def test_a_close_fails_a_step_waiting_for_a_csms_call_at_once() -> None:
    async def close_soon(ws: ServerConnection) -> None:
        await ws.recv()  # the station's Heartbeat, sent once it waits for the Reset
        await ws.close(1001)

    async with scripted_csms(close_soon) as url:
        session = await connected(url)
        with pytest.raises(ConnectionLost) as failure:
            async with session.expect("Reset", timeout=LONG):
                await session.send_raw(encode(CallResult("x", {})))
    assert str(failure.value) == ("the CSMS did not send a ResetRequest: the CSMS closed the connection "
                                  "(code 1001, going away)")


async def test_a_dropped_connection_is_told_apart_from_a_close() -> None:
    async def drop(ws: ServerConnection) -> None:
        await ws.recv()
        ws.transport.abort()

    async with scripted_csms(drop) as url:
        session = await connected(url)
        with pytest.raises(ConnectionLost, match=r"dropped without a close frame \(code 1006\)"):
            await asyncio.wait_for(session.call("Heartbeat", {}), 5)


async def test_sending_on_a_closed_connection_says_what_closed_it() -> None:
    async with scripted_csms(close_on_first_frame) as url:
        session = await connected(url)
        await session.send_raw("[2,\"1\",\"Heartbeat\",{}]")
        await session.wait_closed(5)
        with pytest.raises(ConnectionLost) as failure:
            await session.call("Heartbeat", {})
    assert "the CSMS closed the connection (code 1011" in str(failure.value)
    assert "sent 1011" not in str(failure.value)


async def test_a_call_whose_answer_cannot_be_sent_does_not_hang_the_station() -> None:
    """The CSMS sends a CALL and closes at once: the reader's answer fails, and the reader ends."""
    async def call_and_close(ws: ServerConnection) -> None:
        await ws.send('[2,"r1","Reset",{"type":"Immediate"}]')
        await ws.close(1000)

    for _ in range(5):
        async with scripted_csms(call_and_close) as url:
            session = await connected(url)
            await session.wait_closed(5)
            await asyncio.wait_for(session.close(), 5)


async def test_a_timeout_says_it_is_a_timeout() -> None:
    async def silent(ws: ServerConnection) -> None:
        await ws.wait_closed()

    async with scripted_csms(silent) as url:
        session = await connected(url, timeout=0.2)
        with pytest.raises(StepFailed, match=r"no answer to Heartbeat within 0.2s \(timeout\)"):
            await session.call("Heartbeat", {})
        await session.close()


async def test_the_transcript_records_connection_events() -> None:
    async with scripted_csms(close_on_first_frame) as url:
        session = await connected(url)
        await session.send_raw("[2,\"1\",\"Heartbeat\",{}]")
        await session.wait_closed(5)
    events = [(r.direction, r.text) for r in session.transcript.frames if r.is_event]
    assert events == [
        ("out", f"connect {url}/CS1 (offering ocpp2.0.1)"),
        ("in", "connected, subprotocol ocpp2.0.1"),
        ("in", "the CSMS closed the connection (code 1011, internal error, reason 'boom')"),
    ]


async def test_a_refused_handshake_is_in_the_transcript_with_its_http_status() -> None:
    async def refuse(ws: ServerConnection) -> None:
        await ws.close()

    async with serve(refuse, "127.0.0.1", 0,
                     process_request=lambda _ws, _request: _ws.respond(401, "no\n")) as server:
        url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        session = StationSession("CS1", "2.0.1", timeout=5)
        with pytest.raises(websockets.InvalidStatus):
            await session.connect(url, password="x" * 16)
    events = [r.text for r in session.transcript.frames if r.is_event]
    assert events == [f"connect {url}/CS1 (offering ocpp2.0.1; basic auth as CS1)",
                      "connection failed: the CSMS refused the upgrade with HTTP 401 Unauthorized"]


async def test_the_station_closing_is_recorded_as_the_station_s_doing() -> None:
    async def idle(ws: ServerConnection) -> None:
        await ws.wait_closed()

    async with scripted_csms(idle) as url:
        session = await connected(url)
        await session.close()
    assert session.transcript.frames[-1].text == "the station closed the connection"
    assert session.transcript.frames[-1].direction == "out"


def _station(url: str) -> Station:
    return Station("CS1", "2.0.1", load_settings(environ={}), Endpoint(url))


async def test_an_accepted_base_report_request_is_followed_by_the_report() -> None:
    frames: list[list[object]] = []
    request = [2, "r1", "GetBaseReport", {"requestId": 7, "reportBase": "FullInventory"}]
    parts = -(-len(DeviceModel().report_data()) // 8)  # 8 items a message
    assert parts > 1
    async with csms_asking([request], frames, 1 + parts) as url:
        station = _station(url)
        station.device_model.set("DeviceDataCtrlr", "ItemsPerMessage", "8", "GetReport")
        await station.connect()
        await station.session.wait_closed(5)
    answer, *reports = frames
    assert answer == [3, "r1", {"status": "Accepted"}]
    payloads = [frame[3] for frame in reports]  # type: ignore[index]
    assert [(p["requestId"], p["seqNo"], p["tbc"]) for p in payloads] == [(7, n, n < parts - 1) for n in range(parts)]
    assert sum(len(p["reportData"]) for p in payloads) == len(station.device_model.report_data())
    assert all(len(p["reportData"]) <= 8 for p in payloads)


async def test_a_custom_report_of_nothing_is_an_empty_result_set_and_sends_nothing() -> None:
    frames: list[list[object]] = []
    request = [2, "r2", "GetReport", {"requestId": 8, "componentVariable": [{"component": {"name": "Nothing"}}]}]
    async with csms_asking([request], frames, 1) as url:
        station = _station(url)
        await station.connect()
        await station.session.wait_closed(5)
    assert frames == [[3, "r2", {"status": "EmptyResultSet"}]]


async def test_a_case_that_plays_the_report_itself_gets_no_automatic_one() -> None:
    frames: list[list[object]] = []
    request = [2, "r3", "GetBaseReport", {"requestId": 9, "reportBase": "SummaryInventory"}]
    async with csms_asking([request], frames, 2) as url:
        station = _station(url)
        await station.connect()
        async with station.expect("GetBaseReport", reply={"status": "Accepted"}):
            pass
        await station.session.send("Heartbeat", {})
        await station.session.wait_closed(5)
    assert [frame[2] if frame[0] == 2 else frame[0] for frame in frames] == [3, "Heartbeat"]


def test_notify_event_ids_are_never_repeated() -> None:
    ids = [availability_event(1, 1, "Available")["eventData"][0]["eventId"] for _ in range(50)]
    assert len(set(ids)) == 50 and ids == sorted(ids)
    assert all(0 < i < 2**31 for i in ids)



async def test_a_refused_tcp_connection_says_so() -> None:
    session = StationSession("CS1", "2.0.1", timeout=5)
    with pytest.raises(OSError):
        await session.connect("ws://127.0.0.1:1")
    assert session.transcript.frames[-1].text == ("connection failed: connection refused "
                                                  "(nothing accepts connections there)")
