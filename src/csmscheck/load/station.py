"""One virtual station of a load run: OCPP-J over ``picows``, a few hundred bytes of state.

The conformance suite's session keeps transcripts and validates every frame; here, at
thousands of stations, a station keeps only its calls in flight. Frames are parsed in the
``picows`` callback (no task per frame) and answers resolve their call's future directly.
A sampled station (``validate=True``) still checks every frame against the shared compiled
schemas and reports what violates them.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from typing import Any

import orjson
from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport, ws_connect
from picows.common import WSError

from csmscheck.load.metrics import Metrics
from csmscheck.station.quirks import QuirksProfile
from csmscheck.station.replies import default_replies, reply_payload
from csmscheck.wire import CallError, subprotocol_of, validators
from csmscheck.wire.basic_auth import basic_authorization
from csmscheck.wire.versions import OcppVersion

Payload = dict[str, Any]
CALL, CALLRESULT, CALLERROR = 2, 3, 4
_ERROR_DESCRIPTION_LIMIT = 255
# picows reads into a 16 KB buffer per connection by default (28 KB per connection in all,
# measured); OCPP frames are mostly far smaller and the buffer grows when one is not: 14 KB.
READ_BUFFER_BYTES = 2048
# One read-only reply policy per version, shared by every station (a copy each costs ~2 KB).
_REPLIES = {version: default_replies(version) for version in ("1.6", "2.0.1")}


class Offline(Exception):
    """The station has no connection (lost, or not yet made)."""


class LoadStation(WSListener):  # type: ignore[misc]
    """A station's connection and its calls in flight; the behaviour drives it (see behaviour.py)."""

    def __init__(self, station_id: str, version: OcppVersion, metrics: Metrics, *, timeout: float,
                 validate: bool = False, quirks: QuirksProfile | None = None) -> None:
        super().__init__()
        self.id = station_id
        self.version = version
        self.metrics = metrics
        self.timeout = timeout
        self.validate = validate
        self.transport: WSTransport | None = None
        self.lost = asyncio.Event()  # set while the station has no connection
        self.lost.set()
        self._pending: dict[str, tuple[str, int, asyncio.Future[Payload | None]]] = {}
        self._timed_out: set[str] | None = None  # ids of calls that timed out: their late answer is no double
        self._next_id = 0
        self._closing = False  # our own close at the end of the run is no lost connection
        self._replies = _REPLIES[version]
        self.quirks = quirks if quirks is not None and quirks.applies_to(version) else None

    # -- connection --------------------------------------------------------------------

    async def connect(self, url: str, password: str | None, ssl_context: ssl.SSLContext | None) -> bool:
        """Open the WebSocket; False (and the cause counted) when it fails."""
        headers = {"Sec-WebSocket-Protocol": subprotocol_of(self.version)}
        if password is not None:
            headers["Authorization"] = basic_authorization(self.id, password)
        now = time.time()
        self.metrics.connect_attempt(now)
        try:
            async with asyncio.timeout(self.timeout):
                transport, _ = await ws_connect(lambda: self, f"{url.rstrip('/')}/{self.id}",
                                                ssl_context=ssl_context, extra_headers=headers,
                                                websocket_handshake_timeout=self.timeout, enable_auto_pong=True,
                                                max_frame_size=16 * 1024 * 1024,
                                                read_buffer_init_size=READ_BUFFER_BYTES)
        except TimeoutError:
            self.metrics.connect_failed("timeout", time.time())
            return False
        except WSError as exc:
            self.metrics.connect_failed(_handshake_cause(exc), time.time())
            return False
        except ssl.SSLError:
            self.metrics.connect_failed("TLS", time.time())
            return False
        except OSError as exc:
            self.metrics.connect_failed("refused" if isinstance(exc, ConnectionRefusedError)
                                        else type(exc).__name__, time.time())
            return False
        except Exception as exc:  # whatever else a failed handshake raises is a failure, not a dead station
            self.metrics.connect_failed(type(exc).__name__, time.time())
            return False
        if transport.response.headers.get("sec-websocket-protocol") != subprotocol_of(self.version):
            transport.disconnect()
            self.metrics.connect_failed("no subprotocol", time.time())
            return False
        self.metrics.connected(time.time() - now, time.time())
        return True

    def drop(self) -> None:
        """Lose the network: no close frame, as when the power goes."""
        if self.transport is not None:
            self.transport.underlying_transport.abort()

    async def close(self) -> None:
        self._closing = True
        if self.transport is not None and not self.transport.is_disconnected:
            self.transport.send_close(WSCloseCode.OK)
            self.transport.disconnect()
            await self.transport.wait_disconnected()

    # -- picows callbacks --------------------------------------------------------------

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        self.lost.clear()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.transport = None
        self.lost.set()
        if not self._closing:
            self.metrics.disconnected(time.time())
        for _, _, future in self._pending.values():
            if not future.done():
                future.set_exception(Offline())
        self._pending.clear()

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if not is_text(transport, frame):
            return
        try:
            message = orjson.loads(frame.get_payload_as_bytes())
            kind, message_id = message[0], message[1]
        except (orjson.JSONDecodeError, IndexError, KeyError, TypeError):
            message_id = None
        if not isinstance(message_id, str):
            self.metrics.inconsistency("malformed frame", frame.get_payload_as_ascii_text()[:200])
            return
        if kind == CALL:
            self._answer_call(message_id, message)
        elif kind in (CALLRESULT, CALLERROR):
            self._settle(kind, message_id, message)

    # -- calls -------------------------------------------------------------------------

    async def call(self, action: str, payload: Payload) -> Payload | None:
        """Send a CALL; the CSMS's answer, or None for a CALLERROR or a timeout (both counted).

        Raises :class:`Offline` when the station has no connection or loses it meanwhile.
        """
        transport = self.transport
        if transport is None:
            raise Offline()
        if self.quirks is not None:  # written the way the profile's vendor writes it
            payload = self.quirks.shape(self.version, action, payload)
        if self.validate:
            self._check(action, payload, response=False, side="station")
        self._next_id += 1
        message_id = str(self._next_id)
        future: asyncio.Future[Payload | None] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = (action, time.perf_counter_ns(), future)
        transport.send(WSMsgType.TEXT, orjson.dumps([CALL, message_id, action, payload]))
        try:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation
            # that comes as the answer does, and the run's end must stop every station.
            async with asyncio.timeout(self.timeout):
                return await future
        except TimeoutError:
            self._pending.pop(message_id, None)
            self.metrics.timed_out(action, time.time())
            if self._timed_out is None:
                self._timed_out = set()
            self._timed_out.add(message_id)
            if len(self._timed_out) > 64:  # a bounded memory of recent ones is enough
                self._timed_out.discard(str(int(message_id) - 64))
            return None

    def _settle(self, kind: int, message_id: str, message: list[Any]) -> None:
        entry = self._pending.pop(message_id, None)
        if entry is None:
            if self._timed_out is None or message_id not in self._timed_out:  # a late answer is counted as a timeout
                self.metrics.inconsistency(
                    "answered twice" if isinstance(message_id, str) and message_id.isdigit()
                    and int(message_id) <= self._next_id
                    else "answer to no call in flight", f"{self.id}: message id {message_id!r}")
            return
        action, sent_ns, future = entry
        latency_us = max(1, (time.perf_counter_ns() - sent_ns) // 1000)
        now = time.time()
        if kind == CALLRESULT and len(message) > 2 and isinstance(message[2], dict):
            self.metrics.answered(action, latency_us, now)
            if self.validate:
                self._check(action, message[2], response=True, side="CSMS")
            if not future.done():
                future.set_result(message[2])
        else:
            code = str(message[2]) if kind == CALLERROR and len(message) > 2 else "malformed CALLRESULT"
            self.metrics.call_error(action, code, latency_us, now)
            if not future.done():
                future.set_result(None)

    def _answer_call(self, message_id: str, message: list[Any]) -> None:
        """The CSMS's own CALL: answered at once by the default reply policy."""
        if self.transport is None:
            return
        action = message[2] if len(message) > 2 else None
        request = message[3] if len(message) > 3 and isinstance(message[3], dict) else {}
        reply = self._replies.get(action) if isinstance(action, str) else None
        if reply is None or not isinstance(action, str):
            frame: list[Any] = [CALLERROR, message_id, "NotSupported", f"{action!s:.{_ERROR_DESCRIPTION_LIMIT}}", {}]
        else:
            if self.validate:
                self._check(action, request, response=False, side="CSMS")
            answer = reply_payload(reply, request)
            if isinstance(answer, CallError):
                frame = [CALLERROR, message_id, answer.code, answer.description, answer.details]
            elif isinstance(answer, dict):
                frame = [CALLRESULT, message_id, answer]
            else:  # a reply that does something first has no place in a load run
                frame = [CALLRESULT, message_id, {"status": "Accepted"}]
        self.transport.send(WSMsgType.TEXT, orjson.dumps(frame))

    def _check(self, action: str, payload: Payload, *, response: bool, side: str) -> None:
        try:
            found = validators(self.version).check(action, payload, response=response)
        except KeyError:
            self.metrics.violation(action, f"{side} used an action OCPP {self.version} does not have")
            return
        for violation in found:
            kind = "response" if response else "request"
            self.metrics.violation(action, f"{side} {action} {kind}: {violation}")


def is_text(transport: WSTransport, frame: WSFrame) -> bool:
    """Whether ``frame`` is a text frame to read; a close frame is answered and the connection ended."""
    if frame.msg_type == WSMsgType.CLOSE:
        transport.send_close(frame.get_close_code())
        transport.disconnect()
    return bool(frame.msg_type == WSMsgType.TEXT)


def _handshake_cause(exc: WSError) -> str:
    """"HTTP 401" for a refused upgrade, else the error's kind."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status", None)
    if status is not None:
        return f"HTTP {int(status)}"
    return type(exc).__name__
