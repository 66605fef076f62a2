"""Scripted CSMSes for the station engine's tests: a WebSocket server on a free loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import orjson
import websockets
from websockets.asyncio.server import ServerConnection, serve

Script = Callable[[ServerConnection], Awaitable[None]]


@asynccontextmanager
async def scripted_csms(script: Script) -> AsyncIterator[str]:
    """A WebSocket server on a free loopback port that runs ``script`` for each connection."""
    async with serve(script, "127.0.0.1", 0, subprotocols=[websockets.Subprotocol("ocpp2.0.1")]) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}"


@asynccontextmanager
async def csms_asking(calls: list[list[Any]], frames: list[list[Any]], count: int) -> AsyncIterator[str]:
    """A CSMS that sends ``calls``, answers every CALL of the station with {} and closes after ``count`` frames
    (each kept in ``frames``)."""

    async def script(ws: ServerConnection) -> None:
        for call in calls:
            await ws.send(orjson.dumps(call).decode())
        async for text in ws:
            frame = orjson.loads(text)
            frames.append(frame)
            if frame[0] == 2:
                await ws.send(orjson.dumps([3, frame[1], {}]).decode())
            if len(frames) == count:
                await ws.close()

    async with scripted_csms(script) as url:
        yield url
