"""The baseline: a CSMS built the way most start, on the ``ocpp`` library.

An ``ocpp.v201.ChargePoint`` per connection over ``websockets``, the library's default
schema validation, no storage and no authentication: it answers BootNotification,
Heartbeat, StatusNotification, Authorize and TransactionEvent with minimal valid answers.

    python benchmarks/ocpp_baseline_csms.py --port 9100

prints ``ready`` once it listens, and serves until it is stopped (SIGTERM or SIGINT).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from ocpp import routing
from ocpp.v201 import ChargePoint, call_result
from ocpp.v201.datatypes import IdTokenInfoType
from ocpp.v201.enums import Action, AuthorizationStatusEnumType, RegistrationStatusEnumType
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


Handler = Callable[..., Awaitable[Any]]


def on(action: Action) -> Callable[[Handler], Handler]:
    """``ocpp.routing.on``, typed."""
    decorate: Callable[[Handler], Handler] = routing.on(action)
    return decorate


_ACCEPTED = IdTokenInfoType(status=AuthorizationStatusEnumType.accepted)


class BaselineChargePoint(ChargePoint):  # type: ignore[misc]  # ocpp ships no type hints
    @on(Action.boot_notification)
    async def on_boot_notification(self, **_: Any) -> call_result.BootNotification:
        return call_result.BootNotification(current_time=_now(), interval=300,
                                            status=RegistrationStatusEnumType.accepted)

    @on(Action.heartbeat)
    async def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time=_now())

    @on(Action.status_notification)
    async def on_status_notification(self, **_: Any) -> call_result.StatusNotification:
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, **_: Any) -> call_result.Authorize:
        return call_result.Authorize(id_token_info=_ACCEPTED)

    @on(Action.transaction_event)
    async def on_transaction_event(self, id_token: dict[str, Any] | None = None,
                                   **_: Any) -> call_result.TransactionEvent:
        return call_result.TransactionEvent(id_token_info=_ACCEPTED if id_token else None)


async def _serve_station(connection: ServerConnection) -> None:
    station_id = connection.request.path.rstrip("/").rsplit("/", 1)[-1] if connection.request else "?"
    with contextlib.suppress(ConnectionClosed):
        await BaselineChargePoint(station_id, connection).start()


async def main(host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with serve(_serve_station, host, port, subprotocols=[Subprotocol("ocpp2.0.1")],
                     compression=None, ping_interval=None, backlog=1024):
        print("ready", flush=True)
        await stop.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    args = parser.parse_args()
    asyncio.run(main(args.host, args.port))
