"""A cap on HTTP request bodies, enforced before anything parses them."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    """ASGI middleware: a body over ``limit`` bytes is answered 413 with the reason, never parsed.

    At most ``limit`` bytes are kept. The rest of a refused body is read and dropped before
    the answer goes out (up to ``DRAIN_FACTOR`` times the limit), because most HTTP clients
    read no answer before they have sent their whole request; a larger declared
    Content-Length is refused at once and the connection closed.
    """

    DRAIN_FACTOR = 16

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.DRAIN_FACTOR * self.limit:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= self.limit:
                chunks.append(chunk)
            elif size > self.DRAIN_FACTOR * self.limit:
                break
            if not message.get("more_body", False):
                break
        if size > self.limit:
            await self._refuse(send)
            return
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        text = f'{{"detail":"the request body is larger than {self.limit} bytes"}}'.encode()
        headers: list[tuple[bytes, bytes]] = [(b"content-type", b"application/json"),
                                              (b"content-length", str(len(text)).encode()),
                                              (b"connection", b"close")]
        start: MutableMapping[str, Any] = {"type": "http.response.start", "status": 413, "headers": headers}
        await send(start)
        await send({"type": "http.response.body", "body": text})
