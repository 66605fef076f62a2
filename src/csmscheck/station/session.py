"""One OCPP-J WebSocket session of a virtual charging station.

The session speaks raw camelCase JSON: it never rewrites keys, swallows a CALLERROR or
drops an unexpected frame. What the station sends is validated against the official
schema unless sent with :meth:`StationSession.send_raw`; what the CSMS sends is
validated too, and any violation fails the step that waits for it.
"""

from __future__ import annotations

import asyncio
import inspect
import ssl
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.frames import CLOSE_CODE_EXPLANATIONS

from csmscheck.errors import ConnectionLost, StepFailed
from csmscheck.station.replies import Payload, Reply, ReplyPolicy, default_replies, reply_payload
from csmscheck.wire import (
    Call,
    CallError,
    CallResult,
    FrameError,
    encode,
    new_message_id,
    parse,
    subprotocol_of,
    validators,
)
from csmscheck.wire.basic_auth import basic_authorization
from csmscheck.wire.errors import ErrorCode, error_code
from csmscheck.wire.transcript import Direction, FrameListener, RecordKind, Transcript
from csmscheck.wire.versions import OcppVersion

FollowUp = Callable[[Payload, Payload | CallError], Coroutine[Any, Any, None]]
"""What a station does after its policy answered a CSMS call (e.g. send the report it accepted)."""


@dataclass(slots=True)
class ReceivedCall:
    """A CALL the CSMS sent, and what the station answered."""

    action: str
    payload: Payload
    unique_id: str = ""
    answer: Payload | CallError | None = None
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Waiter:
    action: str
    reply: Reply | None
    future: asyncio.Future[ReceivedCall]


class StationSession:
    """Connection, request/response matching, CSMS-call replies and the transcript."""

    def __init__(
        self,
        station_id: str,
        version: OcppVersion,
        *,
        timeout: float = 10.0,
        validate: bool = True,
        transcript: bool = True,
        listener: FrameListener | None = None,
    ) -> None:
        self.station_id = station_id
        self.version = version
        self.timeout = timeout
        self.validate = validate
        self.transcript = Transcript(enabled=transcript)
        self.replies: ReplyPolicy = default_replies(version)
        self.follow_ups: dict[str, FollowUp] = {}
        self.listener = listener
        self.subprotocol: str | None = None
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[str, asyncio.Future[CallResult | CallError]] = {}
        self._waiters: list[_Waiter] = []
        self._unclaimed: deque[ReceivedCall] = deque(maxlen=256)
        self.calls: list[ReceivedCall] = []  # every CALL of the CSMS, kept with the transcript
        self._closed = asyncio.Event()
        self._closing = False
        self._call_lock = asyncio.Lock()
        self._follow_up_tasks: set[asyncio.Task[None]] = set()
        self.close_code: int | None = None
        self.closed_how = "the station has not connected"
        self.violations: list[str] = []

    def _log(self, direction: Direction, text: str, kind: RecordKind = "frame") -> None:
        if not self.transcript.enabled and self.listener is None:
            return
        record = self.transcript.record(direction, self.station_id, text, kind)
        if self.listener is not None:
            self.listener(record)

    # -- connection -------------------------------------------------------------------

    async def connect(
        self,
        base_url: str,
        *,
        password: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        subprotocols: list[str] | None = None,
        username: str | None = None,
    ) -> None:
        """Open the WebSocket to ``base_url/<station id>``; raise on any handshake refusal.

        ``subprotocols`` defaults to the station's own version; an empty list offers none at all.
        """
        headers = {}
        if password is not None:
            headers["Authorization"] = basic_authorization(username or self.station_id, password)
        url = f"{base_url.rstrip('/')}/{self.station_id}"
        offered = [subprotocol_of(self.version)] if subprotocols is None else subprotocols
        how = [f"offering {', '.join(offered)}" if offered else "offering no subprotocol"]
        if password is not None:
            how.append(f"basic auth as {username or self.station_id}")
        if ssl_context is not None:
            how.append("TLS")
        self._log("out", f"connect {url} ({'; '.join(how)})", "event")
        try:
            self._ws = await websockets.connect(
                url,
                subprotocols=[websockets.Subprotocol(p) for p in offered] or None,
                additional_headers=headers,
                ssl=ssl_context,
                compression=None,
                proxy=None,
                open_timeout=self.timeout,
                ping_interval=None,
                max_size=None,
            )
        except (websockets.InvalidHandshake, OSError, TimeoutError) as exc:
            self._log("in", f"connection failed: {connect_failure(exc, self.timeout)}", "event")
            raise
        self.subprotocol = self._ws.subprotocol
        self._log("in", f"connected, subprotocol {self.subprotocol or '(none)'}", "event")
        self._closed.clear()
        self._closing = False
        self.close_code = None
        self._reader = asyncio.create_task(self._read(self._ws), name=f"reader-{self.station_id}")

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._closed.is_set()

    async def close(self) -> None:
        for task in list(self._follow_up_tasks):
            task.cancel()
        if self._ws is not None:
            self._closing = not self._closed.is_set()
            await self._ws.close()
        if self._reader is not None:
            with suppress(asyncio.CancelledError):
                await self._reader
        self._ws = None

    async def wait_closed(self, timeout: float | None = None) -> int | None:
        """Wait until the CSMS closes the connection; return the close code."""
        try:
            await asyncio.wait_for(self._closed.wait(), timeout or self.timeout)
        except TimeoutError:
            raise StepFailed(f"the CSMS did not close the connection within {timeout or self.timeout:g}s") from None
        return self.close_code

    # -- station → CSMS ---------------------------------------------------------------

    async def send_raw(self, text: str) -> None:
        """Send any text as it is: for deliberately malformed or invalid frames."""
        ws = self._require_open()
        self._log("out", text)
        try:
            await ws.send(text)
        except websockets.ConnectionClosed:
            # Not waiting for the reader to record the close: the reader itself may be the sender.
            how = close_description(ws, by_station=self._closing)
            raise ConnectionLost(f"could not send the frame: {how}") from None

    def track(self, unique_id: str) -> asyncio.Future[CallResult | CallError]:
        """A future for the CSMS's answer to the message ``unique_id`` (for raw sends)."""
        future: asyncio.Future[CallResult | CallError] = asyncio.get_running_loop().create_future()
        self._pending[unique_id] = future
        return future

    async def send(self, action: str, payload: Payload, *, timeout: float | None = None) -> CallResult | CallError:
        """Send a valid CALL and wait for its CALLRESULT or CALLERROR."""
        if self.validate:
            problems = validators(self.version).check(action, payload, response=False)
            if problems:
                raise ValueError(f"refusing to send an invalid {action} request: {'; '.join(map(str, problems))}")
        async with self._call_lock:  # OCPP-J: one CALL at a time awaiting its answer
            unique_id = new_message_id()
            answer = self.track(unique_id)
            await self.send_raw(encode(Call(unique_id, action, payload)))
            return await self.answer_to(unique_id, answer, action, timeout)

    async def answer_to(
        self,
        unique_id: str,
        answer: asyncio.Future[CallResult | CallError],
        action: str,
        timeout: float | None = None,
    ) -> CallResult | CallError:
        try:
            return await asyncio.wait_for(asyncio.shield(answer), timeout or self.timeout)
        except TimeoutError:
            raise StepFailed(f"no answer to {action} within {timeout or self.timeout:g}s (timeout)") from None
        except ConnectionLost as exc:
            raise ConnectionLost(f"no answer to {action}: {exc}") from None
        finally:
            self._pending.pop(unique_id, None)

    async def call(self, action: str, payload: Payload, *, timeout: float | None = None) -> Payload:
        """Send a CALL and return the CALLRESULT payload; a CALLERROR or invalid reply fails the step."""
        answer = await self.send(action, payload, timeout=timeout)
        if isinstance(answer, CallError):
            raise StepFailed(f"{action}: the CSMS answered CALLERROR {answer.code} ({answer.description})")
        if self.validate:
            problems = validators(self.version).check(action, answer.payload, response=True)
            if problems:
                raise StepFailed(
                    f"{action}Response from the CSMS violates the OCPP {self.version} schema: "
                    + "; ".join(map(str, problems))
                )
        return answer.payload

    # -- CSMS → station ---------------------------------------------------------------

    @asynccontextmanager
    async def expect(
        self, action: str, *, reply: Reply | None = None, timeout: float | None = None
    ) -> AsyncIterator[ReceivedCall]:
        """Expect the CSMS to send ``action`` while the block runs (or just after).

        The station answers with ``reply`` (or its policy) the moment the CALL arrives,
        so a trigger API call inside the block can complete. On leaving the block the
        returned object holds the request; no CALL within the deadline fails the step.
        A CALL of this action that arrived earlier, when nothing waited for it (answered
        by the policy), is taken first.
        """
        received = ReceivedCall(action, {})
        waiter = self._claim_waiting(action, reply)
        try:
            yield received
            got = await self._await_call(waiter, timeout)
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            if waiter.future.done() and not waiter.future.cancelled():
                waiter.future.exception()  # retrieved: a close after the block failed is not an error
        received.payload, received.unique_id, received.answer = got.payload, got.unique_id, got.answer
        if got.problems:
            raise StepFailed(f"{action}Request from the CSMS is invalid: " + "; ".join(got.problems))

    async def wait_for(self, action: str, *, reply: Reply | None = None, timeout: float | None = None) -> ReceivedCall:
        """Wait for the CSMS to send ``action`` on its own (no trigger needed)."""
        async with self.expect(action, reply=reply, timeout=timeout) as got:
            pass
        return got

    def _claim_waiting(self, action: str, reply: Reply | None) -> _Waiter:
        future: asyncio.Future[ReceivedCall] = asyncio.get_running_loop().create_future()
        for call in self._unclaimed:
            if call.action == action:
                self._unclaimed.remove(call)
                future.set_result(call)
                break
        waiter = _Waiter(action, reply, future)
        if not future.done():
            self._waiters.append(waiter)
        return waiter

    async def _await_call(self, waiter: _Waiter, timeout: float | None) -> ReceivedCall:
        limit = timeout or self.timeout
        try:
            return await asyncio.wait_for(waiter.future, limit)
        except TimeoutError:
            seen = ", ".join(c.action for c in self._unclaimed) or "nothing"
            raise StepFailed(
                f"the CSMS did not send a {waiter.action}Request within {limit:g}s (timeout; it sent: {seen})"
            ) from None
        except ConnectionLost as exc:
            raise ConnectionLost(f"the CSMS did not send a {waiter.action}Request: {exc}") from None

    def unexpected_calls(self) -> list[ReceivedCall]:
        """CALLs the CSMS sent that no step waited for."""
        return list(self._unclaimed)

    # -- the reader -------------------------------------------------------------------

    def _require_open(self) -> ClientConnection:
        if self._ws is None or self._closed.is_set():
            raise ConnectionLost(f"station {self.station_id} is not connected: {self.closed_how}")
        return self._ws

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for message in ws:
                text = message if isinstance(message, str) else message.decode(errors="replace")
                self._log("in", text)
                await self._dispatch(text)
        except websockets.ConnectionClosed:
            pass
        finally:
            self._connection_closed(ws)

    def _connection_closed(self, ws: ClientConnection) -> None:
        """Record who closed and how; fail at once whatever waited on this connection."""
        self.close_code = ws.close_code
        by_station = self._closing
        self.closed_how = close_description(ws, by_station=by_station)
        self._log("out" if by_station else "in", self.closed_how, "event")
        self._closed.set()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionLost(self.closed_how))
        if not by_station:
            for waiter in self._waiters:
                if not waiter.future.done():
                    waiter.future.set_exception(ConnectionLost(self.closed_how))

    async def _dispatch(self, text: str) -> None:
        try:
            frame = parse(text)
        except FrameError as exc:
            self.violations.append(f"malformed frame from the CSMS: {exc.description}: {text[:200]}")
            return
        if isinstance(frame, Call):
            await self._answer_call(frame)
            return
        future = self._pending.get(frame.unique_id)
        if future is None:
            self.violations.append(f"the CSMS answered an unknown message id {frame.unique_id}")
        elif not future.done():
            future.set_result(frame)

    async def _answer_call(self, call: Call) -> None:
        received = ReceivedCall(call.action, call.payload, call.unique_id)
        if self.transcript.enabled:
            self.calls.append(received)
        checker = validators(self.version)
        waiter = next((w for w in self._waiters if w.action == call.action and not w.future.done()), None)
        by_policy = waiter is None or waiter.reply is None
        policy = self.replies.get(call.action) if by_policy else waiter.reply  # type: ignore[union-attr]
        if not checker.knows(call.action):
            answer: Payload | CallError = CallError(
                call.unique_id, error_code(ErrorCode.NOT_IMPLEMENTED, self.version), f"unknown action {call.action}"
            )
        elif self.validate and (problems := checker.check(call.action, call.payload, response=False)):
            received.problems = [str(p) for p in problems]
            answer = CallError(call.unique_id, error_code(problems[0].code, self.version), received.problems[0])
        elif policy is None:
            answer = CallError(
                call.unique_id, error_code(ErrorCode.NOT_SUPPORTED, self.version), f"{call.action} is not supported"
            )
        else:
            reply = reply_payload(policy, call.payload)
            if inspect.isawaitable(reply):
                # The station acts before it answers (a real station may report the transaction a remote
                # start caused first): answer off the reader, so the CSMS's answers to it still arrive.
                task = asyncio.create_task(self._answer_later(call, received, waiter, by_policy, policy, reply),
                                           name=f"{call.action}-answer")
                self._follow_up_tasks.add(task)
                task.add_done_callback(self._follow_up_done)
                return
            answer = reply
        await self._answer(call, received, waiter, by_policy, policy, answer)

    async def _answer_later(self, call: Call, received: ReceivedCall, waiter: _Waiter | None, by_policy: bool,
                            policy: Reply | None, reply: Awaitable[Payload | CallError]) -> None:
        await self._answer(call, received, waiter, by_policy, policy, await reply)

    async def _answer(self, call: Call, received: ReceivedCall, waiter: _Waiter | None, by_policy: bool,
                      policy: Reply | None, answer: Payload | CallError) -> None:
        received.answer = answer
        if isinstance(answer, CallError):
            frame: CallResult | CallError = CallError(call.unique_id, answer.code, answer.description, answer.details)
        else:
            frame = CallResult(call.unique_id, answer)
        with suppress(ConnectionLost):
            await self.send_raw(encode(frame))
        if waiter is not None:
            waiter.future.set_result(received)
        else:
            self._unclaimed.append(received)
        follow_up = self.follow_ups.get(call.action)
        if by_policy and follow_up is not None and policy is not None:
            task = asyncio.create_task(follow_up(call.payload, answer), name=f"{call.action}-follow-up")
            self._follow_up_tasks.add(task)
            task.add_done_callback(self._follow_up_done)

    def _follow_up_done(self, task: asyncio.Task[None]) -> None:
        self._follow_up_tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None and not isinstance(exc, ConnectionLost):
            self.violations.append(str(exc))


def close_description(ws: ClientConnection, *, by_station: bool) -> str:
    """Who closed the connection, with the close code and reason, in plain words."""
    if by_station:
        return "the station closed the connection"
    received = ws.protocol.close_rcvd
    if received is None:
        return "the connection dropped without a close frame (code 1006)"
    meaning = CLOSE_CODE_EXPLANATIONS.get(received.code)
    detail = f", {meaning}" if meaning else ""
    reason = f", reason {received.reason!r}" if received.reason else ""
    return f"the CSMS closed the connection (code {received.code}{detail}{reason})"


def connect_failure(exc: BaseException, timeout: float) -> str:
    """Why a WebSocket connection could not be opened, in plain words."""
    if isinstance(exc, websockets.InvalidStatus):
        response = exc.response
        return f"the CSMS refused the upgrade with HTTP {response.status_code} {response.reason_phrase}".rstrip()
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed: {exc.reason or exc}"
    if isinstance(exc, TimeoutError):
        return f"no answer to the opening handshake within {timeout:g}s (timeout)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (nothing accepts connections there)"
    if isinstance(exc, websockets.InvalidHandshake):
        return f"invalid opening handshake: {exc}"
    if isinstance(exc, OSError):
        return f"{exc.strerror or type(exc).__name__}"
    return str(exc)
