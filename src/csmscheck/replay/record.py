"""``csmscheck record``: a transparent OCPP-J proxy that writes one transcript per station.

A station connecting at ``<listen>/<anything>/<station id>`` is connected to ``<upstream>/<station id>`` with
the subprotocols it offered and its ``Authorization`` header; its upgrade is answered with the subprotocol the
upstream chose, or refused with the upstream's status. Frames go both ways unchanged; closes are relayed.
Either side may be TLS (wss://): the proxy terminates it, so it sees every frame; a station's client certificate
is checked at the proxy and the proxy presents its own to the CSMS (a station's private key never reaches it).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO
from urllib.parse import unquote, urlsplit

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.server import Server, ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from csmscheck.replay.transcript import Proxy, Side, append_event, append_frame, file_name, write_header

_UNSENDABLE = {1005, 1006, 1015}  # close codes that only ever describe a close, never go on the wire


def station_id_of(path: str) -> str:
    """The station id: the last segment of the request path, percent-decoded."""
    return unquote(urlsplit(path).path.rstrip("/").rsplit("/", 1)[-1])


def upstream_url(upstream: str, path: str) -> str:
    """``<upstream>/<station id segment as sent>`` (with the station's query string, if any)."""
    split = urlsplit(path)
    segment = split.path.rstrip("/").rsplit("/", 1)[-1]
    return f"{upstream.rstrip('/')}/{segment}" + (f"?{split.query}" if split.query else "")


@dataclass
class Recorder:
    """Proxies stations to ``upstream`` and writes their transcripts under ``out``."""

    upstream: str
    out: Path
    open_timeout: float = 10.0
    upstream_ssl: ssl.SSLContext | None = None  # for a wss:// upstream (None: the default context)
    proxy: Proxy | None = None  # what the transcript headers say about the proxy
    _pending: dict[ServerConnection, ClientConnection] = field(default_factory=dict)
    _files: dict[str, TextIO] = field(default_factory=dict)
    closed: asyncio.Queue[str] = field(default_factory=asyncio.Queue)  # station ids, as their connections end

    def _transcript(self, station: str, subprotocol: str | None, path: str) -> TextIO:
        if station in self._files:
            return self._files[station]
        self.out.mkdir(parents=True, exist_ok=True)
        target = self.out / file_name(station)
        exists = target.exists() and target.stat().st_size > 0
        handle = target.open("a", encoding="utf-8")
        if not exists:
            write_header(handle, station, subprotocol, path, proxy=self.proxy)
        self._files[station] = handle
        return handle

    async def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        offered = [websockets.Subprotocol(p) for p in request.headers.get_all("Sec-WebSocket-Protocol")
                   for p in (part.strip() for part in p.split(",")) if p]
        headers = {"Authorization": request.headers["Authorization"]} if "Authorization" in request.headers else {}
        try:
            upstream = await websockets.connect(
                upstream_url(self.upstream, request.path), subprotocols=offered or None, additional_headers=headers,
                compression=None, proxy=None, open_timeout=self.open_timeout, ping_interval=None, max_size=None,
                ssl=self.upstream_ssl or urlsplit(self.upstream).scheme == "wss" or None)
        except websockets.InvalidStatus as exc:
            refused = exc.response
            return Response(refused.status_code, refused.reason_phrase, Headers(), refused.body or b"")
        except (websockets.InvalidHandshake, OSError, TimeoutError) as exc:
            return connection.respond(502, f"upstream unreachable: {exc}\n")
        self._pending[connection] = upstream
        return None

    async def process_response(self, connection: ServerConnection, request: Request,
                               response: Response) -> Response | None:
        """An upgrade that fails after the upstream accepted (the station's offer refused): close the upstream."""
        upstream = self._pending.get(connection) if response.status_code != 101 else None
        if upstream is not None:
            del self._pending[connection]
            await upstream.close()
        return None

    def select_subprotocol(self, connection: ServerConnection,
                           subprotocols: Sequence[websockets.Subprotocol]) -> websockets.Subprotocol | None:
        upstream = self._pending.get(connection)
        return upstream.subprotocol if upstream is not None else None

    async def handle(self, connection: ServerConnection) -> None:
        upstream = self._pending.pop(connection)
        path = connection.request.path if connection.request is not None else "/"
        station = station_id_of(path)
        out = self._transcript(station, upstream.subprotocol, path)
        append_event(out, "open")
        closed: list[bool] = []
        relays = [asyncio.create_task(self._relay(connection, upstream, "station", out, closed)),
                  asyncio.create_task(self._relay(upstream, connection, "csms", out, closed))]
        try:
            await asyncio.gather(*relays)
        finally:
            for task in relays:
                task.cancel()
            await upstream.close()
            self.closed.put_nowait(station)

    @staticmethod
    async def _relay(source: ServerConnection | ClientConnection, sink: ServerConnection | ClientConnection,
                     side: Side, out: TextIO, closed: list[bool]) -> None:
        with suppress(websockets.ConnectionClosed):
            async for message in source:
                append_frame(out, side, message)
                await sink.send(message)
        if not closed:
            closed.append(True)
            code, reason = source.close_code, source.close_reason or ""
            append_event(out, "close", code, reason)
            if code is None or code in _UNSENDABLE:
                await sink.close()
            else:
                await sink.close(code, reason)

    def close_files(self) -> None:
        for handle in self._files.values():
            handle.close()
        self._files.clear()


async def start_recorder(listen: str, recorder: Recorder, ssl_context: ssl.SSLContext | None = None) -> Server:
    """Accept stations on ``listen`` (over TLS with ``ssl_context``)."""
    split = urlsplit(listen)
    return await websockets.serve(recorder.handle, split.hostname or "127.0.0.1", split.port or 0,
                                  process_request=recorder.process_request,
                                  process_response=recorder.process_response,
                                  select_subprotocol=recorder.select_subprotocol, ssl=ssl_context,
                                  compression=None, ping_interval=None, max_size=None)


def listening_url(server: Server, scheme: str = "ws") -> str:
    host, port = next(iter(server.sockets)).getsockname()[:2]
    return f"{scheme}://{host}:{port}"


async def record(listen: str, upstream: str, out: Path, stop: asyncio.Event, *,
                 listen_ssl: ssl.SSLContext | None = None, upstream_ssl: ssl.SSLContext | None = None,
                 proxy: Proxy | None = None) -> None:
    """Proxy and record until ``stop`` is set."""
    recorder = Recorder(upstream, out, upstream_ssl=upstream_ssl, proxy=proxy)
    server = await start_recorder(listen, recorder, listen_ssl)
    shown = listening_url(server, "wss" if listen_ssl is not None else "ws")
    print(f"recording on {shown} -> {upstream}, transcripts in {out}", flush=True)
    try:
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()
        recorder.close_files()
