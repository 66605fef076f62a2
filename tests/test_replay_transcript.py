"""The transcript format: header, frames (text and binary) and events round-trip through a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from csmscheck.replay.transcript import (
    Event,
    Frame,
    TranscriptError,
    append_event,
    append_frame,
    file_name,
    read_transcript,
    station_of,
    write_header,
)


def test_a_transcript_round_trips(tmp_path: Path) -> None:
    path = tmp_path / file_name("CP/1 ä")
    text = '[2,"1","BootNotification",{"reason":"PowerUp"}]'
    with path.open("w", encoding="utf-8") as out:
        write_header(out, "CP/1 ä", "ocpp2.0.1", "/ocpp/CP%2F1")
        append_event(out, "open")
        append_frame(out, "station", text)
        append_frame(out, "csms", b"\x00\xff")
        append_event(out, "close", 1000, "bye")
    assert path.name == "CP%2F1%20%C3%A4.jsonl" and station_of(path) == "CP/1 ä"
    transcript = read_transcript(path)
    assert transcript.header.station == "CP/1 ä" and transcript.header.subprotocol == "ocpp2.0.1"
    assert transcript.header.path == "/ocpp/CP%2F1"
    kinds = [type(entry) for entry in transcript.entries]
    assert kinds == [Event, Frame, Frame, Event]
    assert transcript.frames[0].text == text and transcript.frames[0].side == "station"
    assert transcript.frames[1].data == b"\x00\xff" and transcript.frames[1].is_binary
    closing = transcript.entries[-1]
    assert isinstance(closing, Event) and closing.code == 1000 and closing.reason == "bye"


def test_the_lines_keep_to_the_contract(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    with path.open("w", encoding="utf-8") as out:
        write_header(out, "CP1", None, "/ocpp/CP1", recorded_at="2026-01-01T00:00:00.000000Z")
        append_frame(out, "station", "[2]", t="2026-01-01T00:00:00.000001Z")
        append_frame(out, "csms", b"ab", t="2026-01-01T00:00:00.000002Z")
        append_event(out, "close", None, "", t="2026-01-01T00:00:00.000003Z")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines == [
        {"csmscheck_transcript": 1, "station": "CP1", "subprotocol": None, "path": "/ocpp/CP1",
         "recorded_at": "2026-01-01T00:00:00.000000Z"},
        {"t": "2026-01-01T00:00:00.000001Z", "from": "station", "frame": "[2]"},
        {"t": "2026-01-01T00:00:00.000002Z", "from": "csms", "binary": "YWI="},
        {"t": "2026-01-01T00:00:00.000003Z", "event": "close", "code": None, "reason": ""},
    ]


def test_a_file_that_is_not_a_transcript_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"hello": 1}\n')
    with pytest.raises(TranscriptError, match="not a csmscheck transcript"):
        read_transcript(path)
