"""One fuzzing station's WebSocket connection: open and boot, send raw frames, collect what comes back.

Frames are sent and read as they are (no parsing on the way out, orjson on the way in) so
the fuzzer can send anything and judge anything. A CALL the CSMS sends is refused with
NotSupported so the CSMS never waits on the fuzzer; it is no answer to a fuzz frame.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import orjson
import websockets
from websockets.asyncio.client import ClientConnection

from csmscheck.fuzz.oracle import read
from csmscheck.wire.basic_auth import basic_authorization
from csmscheck.wire.versions import OcppVersion, subprotocol_of

BOOT: dict[OcppVersion, tuple[str, dict[str, object]]] = {
    "2.0.1": ("BootNotification", {"reason": "PowerUp", "chargingStation": {"model": "csmscheck-fuzz",
                                                                             "vendorName": "csmscheck"}}),
    "1.6": ("BootNotification", {"chargePointVendor": "csmscheck", "chargePointModel": "csmscheck-fuzz"}),
}


class LinkFailed(Exception):
    """The station could not connect or boot (the reason is the message)."""


@dataclass
class Collected:
    frames: list[str | bytes] = field(default_factory=list)  # answers and anything else, in order
    closed: int | None = None  # the close code, when the connection ended
    timed_out: bool = False


def close_code(exc: websockets.ConnectionClosed) -> int:
    return exc.rcvd.code if exc.rcvd is not None else 1006


class Link:
    def __init__(self, url: str, station_id: str, version: OcppVersion, password: str | None,
                 timeout: float) -> None:
        self.url, self.station_id, self.version = url.rstrip("/"), station_id, version
        self.password, self.timeout = password, timeout
        self.ws: ClientConnection | None = None
        self._probes = 0

    async def open(self, *, boot: bool = True) -> None:
        headers = {"Authorization": basic_authorization(self.station_id, self.password)} if self.password else {}
        try:
            self.ws = await websockets.connect(
                f"{self.url}/{self.station_id}", subprotocols=[websockets.Subprotocol(subprotocol_of(self.version))],
                additional_headers=headers, compression=None, proxy=None, open_timeout=self.timeout,
                ping_interval=None, max_size=None, close_timeout=1)
        except (OSError, websockets.InvalidHandshake, TimeoutError) as exc:
            raise LinkFailed(f"station {self.station_id} could not connect to {self.url}: {exc}") from exc
        if boot:
            action, payload = BOOT[self.version]
            answer = await self.call(action, payload)
            status = answer.get("status") if isinstance(answer, dict) else None
            if status != "Accepted":
                raise LinkFailed(f"station {self.station_id}: BootNotification answered {answer!r}, not Accepted")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def send(self, data: str | bytes) -> int | None:
        """Send ``data``; the close code when the connection is gone."""
        assert self.ws is not None
        try:
            await self.ws.send(data)
        except websockets.ConnectionClosed as exc:
            return close_code(exc)
        return None

    async def collect(self, ids: tuple[str, ...], timeout: float | None = None) -> Collected:
        """Every frame received until one answers with a message id in ``ids`` (that one included)."""
        assert self.ws is not None
        got = Collected()
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                got.timed_out = True
                return got
            try:
                async with asyncio.timeout(remaining):
                    text = await self.ws.recv()
            except TimeoutError:
                got.timed_out = True
                return got
            except websockets.ConnectionClosed as exc:
                got.closed = close_code(exc)
                return got
            frame = read(text)
            if frame and frame[0] == 2 and len(frame) > 1 and isinstance(frame[1], str):
                await self.send(orjson.dumps([4, frame[1], "NotSupported", "a fuzzing station", {}]))
                continue
            got.frames.append(text)
            if frame and len(frame) > 1 and frame[1] in ids:
                return got

    async def call(self, action: str, payload: object) -> object:
        """A CALL and the payload of its CALLRESULT (None for anything else)."""
        self._probes += 1
        uid = f"p{self._probes}"
        closed = await self.send(orjson.dumps([2, uid, action, payload]))
        if closed is not None:
            raise LinkFailed(f"station {self.station_id}: connection closed (code {closed})")
        got = await self.collect((uid,))
        if got.closed is not None:
            raise LinkFailed(f"station {self.station_id}: connection closed (code {got.closed}) before {action} "
                             "was answered")
        last = read(got.frames[-1]) if got.frames and not got.timed_out else None
        return last[2] if last and last[0] == 3 and len(last) == 3 else None

    async def heartbeat(self) -> str | None:
        """Send a Heartbeat; why it was not answered properly in time, or None."""
        self._probes += 1
        uid = f"p{self._probes}"
        closed = await self.send(f'[2,"{uid}","Heartbeat",{{}}]')
        if closed is not None:
            return f"the connection was closed (code {closed})"
        got = await self.collect((uid,))
        if got.closed is not None:
            return f"the connection was closed (code {got.closed}) before the Heartbeat was answered"
        if got.timed_out:
            return f"the Heartbeat was not answered within {self.timeout:g} s"
        last = read(got.frames[-1])
        if not last or last[0] != 3 or len(last) != 3 or not isinstance(last[2], dict) \
                or not isinstance(last[2].get("currentTime"), str):
            return f"the Heartbeat got {got.frames[-1]!r}, not a CALLRESULT with currentTime"
        return None
