"""A firmware file server on loopback for the firmware cases: one image, port 0, counted fetches.

The virtual station downloads the firmware a CSMS points it to from here (and a CSMS that signs the
image it sends, as the reference CSMS does, fetches it from here too). Plain HTTP/1.0 GET, nothing
else: the image at ``path``, 404 for any other path.
"""

from __future__ import annotations

import asyncio
import hashlib
from contextlib import suppress

FIRMWARE_IMAGE = b"csmscheck virtual charging station firmware 2.0.1-csmscheck\n" * 64


class FirmwareServer:
    """Serves ``image`` at ``http://127.0.0.1:<port><path>`` while running (``async with``)."""

    def __init__(self, image: bytes = FIRMWARE_IMAGE, path: str = "/firmware/csmscheck-2.0.1.bin") -> None:
        self.image = image
        self.path = path
        self.fetches = 0
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the firmware server is not running")
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}{self.path}"

    @property
    def md5(self) -> str:
        """The image's MD5 as 32 hex digits (PublishFirmwareRequest.checksum)."""
        return hashlib.md5(self.image, usedforsecurity=False).hexdigest()

    async def __aenter__(self) -> FirmwareServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            parts = head.split(b"\r\n", 1)[0].split(b" ")
            found = len(parts) >= 2 and parts[0] == b"GET" and parts[1].decode(errors="replace") == self.path
            if found:
                self.fetches += 1
            body = self.image if found else b"not found\n"
            status = b"200 OK" if found else b"404 Not Found"
            writer.write(b"HTTP/1.0 " + status + b"\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()
            with suppress(ConnectionError):
                await writer.wait_closed()
