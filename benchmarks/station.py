"""A lean benchmark station: raw OCPP-J over ``websockets``, no validation, one CALL at a time."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import orjson
from hdrh.histogram import HdrHistogram
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from benchmarks.messages import BOOT, Payload
from csmscheck.wire.basic_auth import basic_authorization

OK = "ok"
SUBPROTOCOL = Subprotocol("ocpp2.0.1")
MAX_MICROSECONDS = 600_000_000


def histogram() -> HdrHistogram:
    """Latencies in µs, from 1 µs to 10 minutes, 3 significant digits."""
    return HdrHistogram(1, MAX_MICROSECONDS, 3)


@dataclass
class Tally:
    """What a scenario saw: answers, their latencies, and every kind of failure by name."""

    ok: int = 0
    latency: HdrHistogram = field(default_factory=histogram)
    failures: Counter[str] = field(default_factory=Counter)

    def record(self, outcome: str, started_ns: int) -> None:
        if outcome == OK:
            self.ok += 1
            micros = (time.perf_counter_ns() - started_ns) // 1000
            self.latency.record_value(min(max(micros, 1), MAX_MICROSECONDS))
        else:
            self.failures[outcome] += 1

    def percentile_ms(self, percentile: float) -> float | None:
        if not self.ok:
            return None
        return float(self.latency.get_value_at_percentile(percentile)) / 1000


class Station:
    def __init__(self, station_id: str, connection: ClientConnection) -> None:
        self.id = station_id
        self.connection = connection
        self.alive = True
        self.answer: Payload = {}  # the payload of the last CALLRESULT
        self._last_id = 0

    async def call(self, action: str, payload: Payload, deadline: float) -> str:
        """Send one CALL and wait for its answer: ``ok``, ``CALLERROR <code>``, ``timeout`` or ``dropped``."""
        self._last_id += 1
        message_id = str(self._last_id)
        try:
            async with asyncio.timeout(deadline):
                await self.connection.send(orjson.dumps([2, message_id, action, payload]), text=True)
                while True:
                    frame = orjson.loads(await self.connection.recv(decode=False))
                    # Anything else is a late answer to a timed-out CALL or a CALL of the CSMS: not ours.
                    if frame[0] == 3 and frame[1] == message_id:
                        self.answer = frame[2]
                        return OK
                    if frame[0] == 4 and frame[1] == message_id:
                        return f"CALLERROR {frame[2]}"
        except TimeoutError:
            return "timeout"
        except orjson.JSONDecodeError:
            return "not JSON"
        except ConnectionClosed:
            self.alive = False
            return "dropped"

    async def close(self) -> None:
        self.alive = False
        await self.connection.close()


async def handshake(url: str, station_id: str, password: str, deadline: float, tally: Tally) -> Station | None:
    """Connect and boot; the station when the CSMS accepted it, else ``None`` with the failure tallied."""
    started = time.perf_counter_ns()
    try:
        async with asyncio.timeout(deadline):
            connection = await connect(
                f"{url}/{station_id}", subprotocols=[SUBPROTOCOL], compression=None, ping_interval=None,
                additional_headers={"Authorization": basic_authorization(station_id, password)},
                open_timeout=None, close_timeout=2,
            )
    except TimeoutError:
        tally.failures["handshake timeout"] += 1
        return None
    except InvalidStatus as exc:
        tally.failures[f"HTTP {exc.response.status_code}"] += 1
        return None
    except (OSError, InvalidHandshake, ConnectionClosed) as exc:  # refused, reset, or closed mid-handshake
        tally.failures[f"connect {type(exc).__name__}"] += 1
        return None
    station = Station(station_id, connection)
    if connection.subprotocol != SUBPROTOCOL:
        tally.failures["no ocpp2.0.1 subprotocol"] += 1
        await station.close()
        return None
    left = deadline - (time.perf_counter_ns() - started) / 1e9
    outcome = await station.call("BootNotification", BOOT, left)
    if outcome == OK and station.answer.get("status") != "Accepted":
        outcome = f"boot {station.answer.get('status')}"
    tally.record(outcome, started)
    if outcome != OK:
        await station.close()
        return None
    return station
