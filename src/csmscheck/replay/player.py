"""Plays the station side of one transcript against a CSMS and compares its answers with the recorded ones.

Station CALLs go out in order with their recorded message ids (1.6 transaction ids rewritten to the ones the
CSMS assigned this time); each answer is awaited with a deadline and compared. The CSMS's own CALLs are answered
as the recorded station answered them, matched by action in order; before the station's recorded answer to one
is due, the player waits (with the same deadline) until the CSMS has sent that call. With a vendor-behaviour
profile, each station CALL is reshaped the vendor's way (the same meaning) and still compared with the golden answer.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import websockets

from csmscheck.errors import ConnectionLost
from csmscheck.replay.compare import Difference, TransactionIds, compare_answer
from csmscheck.replay.transcript import Event, Frame, Transcript
from csmscheck.station.quirks import QuirksProfile
from csmscheck.station.session import StationSession, connect_failure
from csmscheck.wire.errors import ErrorCode, error_code
from csmscheck.wire.frames import Call, CallError, CallResult, FrameError, encode, parse
from csmscheck.wire.versions import OcppVersion, version_of_subprotocol

Answer = CallResult | CallError


@dataclass
class Played:
    """The outcome of one transcript: differences, and the CSMS's new answers by entry index (for golden)."""

    station: str
    differences: list[Difference] = field(default_factory=list)
    new_answers: dict[int, str] = field(default_factory=dict)
    calls_sent: int = 0
    csms_calls: int = 0
    duration_s: float = 0.0
    error: str | None = None


@dataclass
class _Indexed:
    """The transcript's frames parsed once: numbers, station CALLs' recorded answers, the station's replies."""

    number: dict[int, int] = field(default_factory=dict)  # entry index -> frame number (from 1)
    parsed: dict[int, Any] = field(default_factory=dict)  # entry index -> parsed frame (text frames that parse)
    answer_of: dict[str, int] = field(default_factory=dict)  # station CALL id -> entry index of the CSMS answer
    csms_call_of: dict[str, tuple[str, int]] = field(default_factory=dict)  # CSMS CALL id -> (action, its nth)
    replies: dict[str, deque[Answer]] = field(default_factory=lambda: defaultdict(deque))


def _index(transcript: Transcript) -> _Indexed:
    found = _Indexed()
    station_calls: set[str] = set()
    per_action: dict[str, int] = defaultdict(int)
    for i, entry in enumerate(transcript.entries):
        if not isinstance(entry, Frame):
            continue
        found.number[i] = len(found.number) + 1
        if entry.text is None:
            continue
        try:
            frame = parse(entry.text)
        except FrameError:
            continue
        found.parsed[i] = frame
        if isinstance(frame, Call):
            if entry.side == "station":
                station_calls.add(frame.unique_id)
            else:
                per_action[frame.action] += 1
                found.csms_call_of[frame.unique_id] = (frame.action, per_action[frame.action])
        elif entry.side == "csms" and frame.unique_id in station_calls:
            found.answer_of.setdefault(frame.unique_id, i)
        elif entry.side == "station" and frame.unique_id in found.csms_call_of:
            found.replies[found.csms_call_of[frame.unique_id][0]].append(frame)
    return found


# Where each action that carries a token has it, and where the answer says what the CSMS knew of it.
_TOKEN_PATHS: dict[OcppVersion, dict[str, tuple[str, str]]] = {
    "1.6": {"Authorize": ("idTag", "idTagInfo"), "StartTransaction": ("idTag", "idTagInfo")},
    "2.0.1": {"Authorize": ("idToken", "idTokenInfo"), "TransactionEvent": ("idToken", "idTokenInfo")},
}


@dataclass(frozen=True)
class RecordedToken:
    """What the recorded CSMS first said of a token the station presented."""

    type: str  # 2.0.1 IdTokenEnumType; 1.6 idTags: ISO14443
    status: str
    group: str | None  # 1.6 parentIdTag, 2.0.1 groupIdToken


def recorded_tokens(transcript: Transcript) -> dict[str, RecordedToken]:
    """Each token the station presented and what the recorded CSMS first answered of it: what a CSMS replayed
    against must know for the answers to match. Sanitised transcripts carry pseudonyms here, consistent across
    files (so the same pseudonyms can be provisioned)."""
    indexed = _index(transcript)
    paths = _TOKEN_PATHS[version_of(transcript)]
    tokens: dict[str, RecordedToken] = {}
    for frame in indexed.parsed.values():
        if not isinstance(frame, Call) or frame.action not in paths or frame.unique_id not in indexed.answer_of:
            continue
        token_key, info_key = paths[frame.action]
        presented: Any = frame.payload.get(token_key)
        token, kind = presented, "ISO14443"
        if isinstance(presented, dict):  # 2.0.1 IdTokenType
            token, kind = presented.get("idToken"), str(presented.get("type", kind))
        answer = indexed.parsed.get(indexed.answer_of[frame.unique_id])
        answered = answer.payload if isinstance(answer, CallResult) else None
        info = answered.get(info_key) if isinstance(answered, dict) else None
        if not isinstance(token, str) or not isinstance(info, dict) or not isinstance(info.get("status"), str):
            continue
        group = info.get("parentIdTag", info.get("groupIdToken"))
        group = group.get("idToken") if isinstance(group, dict) else group
        tokens.setdefault(token, RecordedToken(kind, info["status"], group if isinstance(group, str) else None))
    return tokens


def version_of(transcript: Transcript) -> OcppVersion:
    subprotocol = transcript.header.subprotocol
    return (version_of_subprotocol(subprotocol) if subprotocol else None) or "2.0.1"


class _ConnectFailed(Exception):
    """The CSMS could not be reached or refused the connection (the message says how)."""


def _seconds(t: str) -> float:
    return datetime.fromisoformat(t).timestamp()


class Player:
    """One transcript against one CSMS (``base_url`` + ``/<station id>``)."""

    def __init__(self, transcript: Transcript, base_url: str, *, password: str | None, speed: float | None,
                 timeout: float, ssl_context: ssl.SSLContext | None = None,
                 quirks: QuirksProfile | None = None) -> None:
        self.transcript = transcript
        self.quirks = quirks  # the station's CALLs written this vendor's way (same meaning, same golden answers)
        self.base_url = base_url
        self.password = password
        self.ssl_context = ssl_context
        self.speed = speed  # None: as fast as the CSMS answers
        self.timeout = timeout
        self.version = version_of(transcript)
        self.index = _index(transcript)
        self.ids = TransactionIds()
        self.played = Played(transcript.header.station)
        self._received: dict[str, int] = defaultdict(int)  # the CSMS's calls this run, by action
        self._arrived = asyncio.Condition()
        self._session: StationSession | None = None
        self._sessions: list[StationSession] = []

    async def play(self) -> Played:
        started = time.monotonic()
        try:
            await self._play_entries(started)
        except _ConnectFailed as exc:
            self.played.error = str(exc)
        except (ConnectionLost, OSError, TimeoutError) as exc:
            self.played.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        except Exception as exc:  # websockets' handshake refusals and the like: one line in the report
            self.played.error = f"{type(exc).__name__}: {exc}"
        finally:
            if self._session is not None:
                await self._session.close()
        self._unanswered_calls()
        self.played.duration_s = round(time.monotonic() - started, 3)
        return self.played

    async def _play_entries(self, started: float) -> None:
        entries = self.transcript.entries
        t0 = _seconds(entries[0].t) if entries else 0.0
        for i, entry in enumerate(entries):
            if isinstance(entry, Event):
                if entry.event == "open":
                    await self._connected()
                elif self._session is not None:
                    await self._session.close()
                    self._session = None
                continue
            if entry.side != "station" or entry.text is None:
                continue
            if self.speed is not None:
                delay = (_seconds(entry.t) - t0) / self.speed - (time.monotonic() - started)
                if delay > 0:
                    await asyncio.sleep(delay)  # keeping the recorded timing, not synchronising
            await self._station_frame(i, entry.text)

    async def _connected(self) -> StationSession:
        if self._session is None:
            session = StationSession(self.transcript.header.station, self.version, timeout=self.timeout,
                                     validate=False, transcript=True)
            session.replies = {action: self._reply(action) for action in self.index.replies}
            subprotocol = self.transcript.header.subprotocol
            try:
                await session.connect(self.base_url, password=self.password, ssl_context=self.ssl_context,
                                      subprotocols=[subprotocol] if subprotocol else [])
            except (websockets.InvalidHandshake, OSError, TimeoutError) as exc:
                url = f"{self.base_url.rstrip('/')}/{self.transcript.header.station}"
                raise _ConnectFailed(f"connecting to {url}: {connect_failure(exc, self.timeout)}") from exc
            self._session = session
            self._sessions.append(session)
        return self._session

    def _reply(self, action: str) -> Any:
        async def reply(_payload: dict[str, Any]) -> dict[str, Any] | CallError:
            async with self._arrived:
                self._received[action] += 1
                self._arrived.notify_all()
            queue = self.index.replies[action]
            if not queue:
                return CallError("", error_code(ErrorCode.NOT_SUPPORTED, self.version),
                                 f"the recorded station answered {action} fewer times")
            answer = queue.popleft()
            return answer if isinstance(answer, CallError) else answer.payload
        return reply

    async def _station_frame(self, i: int, text: str) -> None:
        session = await self._connected()
        frame = self.index.parsed.get(i)
        number = self.index.number[i]
        if isinstance(frame, Call):
            await self._call(session, i, frame, text)
        elif frame is not None and frame.unique_id in self.index.csms_call_of:
            await self._await_csms_call(number, *self.index.csms_call_of[frame.unique_id])
        else:
            await session.send_raw(text)

    async def _call(self, session: StationSession, i: int, call: Call, text: str) -> None:
        payload = call.payload
        if self.version == "1.6" and self.ids.mapped:
            payload = self.ids.rewrite(payload)
        if self.quirks is not None:
            payload = self.quirks.shape(self.version, call.action, payload)
        if payload != call.payload:  # otherwise the recorded text goes out byte for byte
            text = encode(Call(call.unique_id, call.action, payload))
        answered = session.track(call.unique_id)
        await session.send_raw(text)
        self.played.calls_sent += 1
        at = self.index.answer_of.get(call.unique_id)
        if at is None:
            return
        number = self.index.number[at]
        try:
            got = await asyncio.wait_for(answered, self.timeout)
        except TimeoutError:
            self.played.differences.append(Difference(number, call.action, "", None, None,
                                                      f"no answer within {self.timeout:g} s"))
            return
        recorded = self.index.parsed[at]
        assigns = self.version == "1.6" and call.action == "StartTransaction"
        self.played.differences.extend(compare_answer(number, call.action, recorded, got, self.ids, assigns))
        self.played.new_answers[at] = encode(_golden(recorded, got, assigns))

    async def _await_csms_call(self, number: int, action: str, nth: int) -> None:
        try:
            async with self._arrived:
                await asyncio.wait_for(self._arrived.wait_for(lambda: self._received[action] >= nth), self.timeout)
        except TimeoutError:
            self.played.differences.append(Difference(number, action, "", None, None,
                                                      f"the CSMS did not send this call within {self.timeout:g} s"))

    def _unanswered_calls(self) -> None:
        last = len(self.index.number)
        recorded: dict[str, int] = defaultdict(int)
        for action, _nth in self.index.csms_call_of.values():
            recorded[action] += 1
        received: dict[str, int] = defaultdict(int)
        for call in (call for session in self._sessions for call in session.calls):
            received[call.action] += 1
            self.played.csms_calls += 1
        for action, count in received.items():
            if count > recorded[action]:
                self.played.differences.append(Difference(last, action, "", recorded[action], count,
                                                          f"the CSMS sent {count} such calls, {recorded[action]} "
                                                          "recorded"))


def _golden(recorded: Answer, got: Answer, assigns_transaction_id: bool) -> Answer:
    """The new answer as the golden one: the recorded message id, a CSMS-assigned transaction id kept."""
    if isinstance(got, CallError):
        return CallError(recorded.unique_id, got.code, got.description, got.details)
    payload = dict(got.payload)
    if assigns_transaction_id and isinstance(recorded, CallResult) and "transactionId" in recorded.payload:
        payload["transactionId"] = recorded.payload["transactionId"]
    return CallResult(recorded.unique_id, payload)


async def play(transcript: Transcript, base_url: str, *, password: str | None, speed: float | None,
               timeout: float, ssl_context: ssl.SSLContext | None = None,
               quirks: QuirksProfile | None = None) -> Played:
    return await Player(transcript, base_url, password=password, speed=speed, timeout=timeout,
                        ssl_context=ssl_context, quirks=quirks).play()
