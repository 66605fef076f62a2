"""The transcript format shared by record, sanitize and replay: one JSON Lines file per station.

The first line is a header; every further line is a frame (text ``frame`` or base64 ``binary``) or a
connection event (``open``/``close``), each stamped with an RFC 3339 UTC time with microseconds.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO
from urllib.parse import quote, unquote

FORMAT_VERSION = 1
Side = Literal["station", "csms"]
EventKind = Literal["open", "close"]


@dataclass(frozen=True)
class Proxy:
    """How ``csmscheck record`` stood between station and CSMS (in headers it wrote; older ones have none)."""

    listen: str  # the scheme the station connected with: ws or wss
    upstream: str  # the scheme of the proxy's connection to the CSMS
    station_certificates_checked: bool  # the proxy asked the station for a certificate (--listen-client-ca)
    upstream_client_certificate: bool  # the proxy presented its own certificate to the CSMS (--upstream-cert)

    @property
    def tls_terminated(self) -> bool:
        """The proxy saw the frames in clear: any TLS ended (or began) at the proxy, never end to end."""
        return "wss" in (self.listen, self.upstream)

    @property
    def mtls_terminated(self) -> bool:
        """Client certificates were checked or presented by the proxy (a station's private key never reaches it)."""
        return self.station_certificates_checked or self.upstream_client_certificate


@dataclass(frozen=True)
class Header:
    station: str
    subprotocol: str | None
    path: str
    recorded_at: str
    proxy: Proxy | None = None


@dataclass(frozen=True)
class Frame:
    t: str
    side: Side
    text: str | None = None
    data: bytes | None = None

    @property
    def is_binary(self) -> bool:
        return self.data is not None


@dataclass(frozen=True)
class Event:
    t: str
    event: EventKind
    code: int | None = None
    reason: str = ""


Entry = Frame | Event


@dataclass(frozen=True)
class Transcript:
    header: Header
    entries: list[Entry]

    @property
    def frames(self) -> list[Frame]:
        return [entry for entry in self.entries if isinstance(entry, Frame)]


def now() -> str:
    """The current UTC time as RFC 3339 with microseconds."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def file_name(station: str) -> str:
    """``<percent-encoded station id>.jsonl``."""
    return quote(station, safe="") + ".jsonl"


def station_of(path: Path) -> str:
    return unquote(path.name.removesuffix(".jsonl"))


def _line(out: TextIO, record: dict[str, Any]) -> None:
    out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    out.flush()


def header_record(header: Header) -> dict[str, Any]:
    record: dict[str, Any] = {"csmscheck_transcript": FORMAT_VERSION, "station": header.station,
                              "subprotocol": header.subprotocol, "path": header.path,
                              "recorded_at": header.recorded_at}
    if header.proxy is not None:
        proxy = header.proxy
        record["proxy"] = {"listen": proxy.listen, "upstream": proxy.upstream,
                           "tls_terminated": proxy.tls_terminated, "mtls_terminated": proxy.mtls_terminated,
                           "station_certificates_checked": proxy.station_certificates_checked,
                           "upstream_client_certificate": proxy.upstream_client_certificate}
    return record


def _proxy(record: Any) -> Proxy | None:
    if record is None:
        return None
    return Proxy(record["listen"], record["upstream"], bool(record.get("station_certificates_checked")),
                 bool(record.get("upstream_client_certificate")))


def frame_record(frame: Frame) -> dict[str, Any]:
    record: dict[str, Any] = {"t": frame.t, "from": frame.side}
    if frame.data is not None:
        record["binary"] = base64.b64encode(frame.data).decode("ascii")
    else:
        record["frame"] = frame.text
    return record


def event_record(event: Event) -> dict[str, Any]:
    return {"t": event.t, "event": event.event, "code": event.code, "reason": event.reason}


def write_header(out: TextIO, station: str, subprotocol: str | None, path: str,
                 recorded_at: str | None = None, proxy: Proxy | None = None) -> Header:
    header = Header(station, subprotocol, path, recorded_at or now(), proxy)
    _line(out, header_record(header))
    return header


def append_frame(out: TextIO, side: Side, frame: str | bytes, t: str | None = None) -> Frame:
    entry = Frame(t or now(), side, data=frame) if isinstance(frame, bytes) else Frame(t or now(), side, text=frame)
    _line(out, frame_record(entry))
    return entry


def append_event(out: TextIO, event: EventKind, code: int | None = None, reason: str = "",
                 t: str | None = None) -> Event:
    entry = Event(t or now(), event, code, reason)
    _line(out, event_record(entry))
    return entry


def write_transcript(out: TextIO, transcript: Transcript) -> None:
    _line(out, header_record(transcript.header))
    for entry in transcript.entries:
        _line(out, frame_record(entry) if isinstance(entry, Frame) else event_record(entry))


class TranscriptError(ValueError):
    """A file that is not a csmscheck transcript."""


def _entry(record: dict[str, Any], where: str) -> Entry:
    if "event" in record:
        if record["event"] not in ("open", "close"):
            raise TranscriptError(f"{where}: unknown event {record['event']!r}")
        return Event(record["t"], record["event"], record.get("code"), record.get("reason", ""))
    if record.get("from") not in ("station", "csms"):
        raise TranscriptError(f"{where}: 'from' must be 'station' or 'csms'")
    if "binary" in record:
        return Frame(record["t"], record["from"], data=base64.b64decode(record["binary"]))
    if not isinstance(record.get("frame"), str):
        raise TranscriptError(f"{where}: a line with neither 'frame', 'binary' nor 'event'")
    return Frame(record["t"], record["from"], text=record["frame"])


def read_transcript(path: Path) -> Transcript:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        raise TranscriptError(f"{path}: empty")
    try:
        first = json.loads(lines[0])
        if not isinstance(first, dict) or first.get("csmscheck_transcript") != FORMAT_VERSION:
            raise TranscriptError(f"{path}: not a csmscheck transcript (version {FORMAT_VERSION})")
        header = Header(first["station"], first.get("subprotocol"), first["path"], first["recorded_at"],
                        _proxy(first.get("proxy")))
        entries = [_entry(json.loads(line), f"{path}:{number}") for number, line in enumerate(lines[1:], 2)]
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise TranscriptError(f"{path}: {exc}") from exc
    return Transcript(header, entries)
