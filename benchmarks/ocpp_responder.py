"""A minimal OCPP responder for load-generator benchmarks: it accepts any station, echoes the
subprotocol it is offered, and answers BootNotification, Heartbeat, StatusNotification,
Authorize, TransactionEvent and the 1.6 transaction messages with minimal valid payloads.
Nothing is stored or validated: the generator's cost is what is measured.

    python benchmarks/ocpp_responder.py --port 9200 --processes 2

Several processes share the port (SO_REUSEPORT), as one process holds at most ~19,000
connections here (20,000 open files).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import signal
import sys
from datetime import UTC, datetime
from typing import Any

import orjson
from picows import (
    WSFrame,
    WSListener,
    WSMsgType,
    WSTransport,
    WSUpgradeRequest,
    WSUpgradeResponse,
    WSUpgradeResponseWithListener,
    ws_create_server,
)

from csmscheck.load.station import is_text

ACCEPTED = {"status": "Accepted"}


def _answer(action: str) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if action == "BootNotification":
        return {"status": "Accepted", "currentTime": now, "interval": 60}
    if action == "Heartbeat":
        return {"currentTime": now}
    if action in ("Authorize", "StartTransaction", "StopTransaction"):
        answer: dict[str, Any] = {"idTagInfo": ACCEPTED}
        if action == "StartTransaction":
            answer["transactionId"] = 1
        return answer
    if action == "TransactionEvent":
        return {}
    return {}


class Responder(WSListener):  # type: ignore[misc]
    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if not is_text(transport, frame):
            return
        message = orjson.loads(frame.get_payload_as_bytes())
        if message[0] == 2:
            transport.send(WSMsgType.TEXT, orjson.dumps([3, message[1], _answer(message[2])]))


def _accept(request: WSUpgradeRequest) -> WSUpgradeResponseWithListener:
    offered = (request.headers.get("sec-websocket-protocol") or "").split(",")[0].strip()
    headers = {"Sec-WebSocket-Protocol": offered} if offered else {}
    return WSUpgradeResponseWithListener(WSUpgradeResponse.create_101_response(headers), Responder())


async def _serve(port: int) -> None:
    server = await ws_create_server(_accept, "127.0.0.1", port, reuse_port=True, backlog=4096,
                                    enable_auto_pong=True)
    async with server:
        await server.serve_forever()


def _process(port: int) -> None:
    asyncio.run(_serve(port))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    workers = [multiprocessing.Process(target=_process, args=(args.port,), daemon=True)
               for _ in range(args.processes)]
    for worker in workers:
        worker.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a normal exit terminates the daemon workers
    print(f"responding on ws://127.0.0.1:{args.port}", flush=True)
    for worker in workers:
        worker.join()


if __name__ == "__main__":
    main()
