"""WebSocket listeners of the reference CSMS, one per security profile.

Profile 1: ws:// with HTTP basic auth. Profile 2: wss:// with basic auth. Profile 3:
wss:// with a client certificate issued by the CSMS's CA whose CN is the station id.
Stations connect to ``/ocpp/<station id>``. Every refusal happens at the HTTP upgrade,
with the status a CSMS engineer expects: 404 unknown station or another path, 401
missing or wrong password, 429 too many failed logins, 403 wrong profile or
certificate, 400 no supported subprotocol. Every handshake that fails (TLS included) is
logged once, with the reason, the peer's address and the station id when known.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import math
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import unquote

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.typing import Subprotocol

from csmscheck.csms import security_profile
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.credentials import check_password, remembered
from csmscheck.csms.login_limiter import Logins
from csmscheck.csms.security_profile import Admission
from csmscheck.pki.tls import peer_common_name
from csmscheck.wire.versions import OcppVersion, subprotocol_of, version_of_subprotocol

if TYPE_CHECKING:
    from csmscheck.csms.app import CsmsContext

log = logging.getLogger("csmscheck.csms")

OCPP_PATH = "/ocpp"
"""Stations connect to ``<OCPP_PATH>/<station id>``; the CSMS advertises ``ws://host:port<OCPP_PATH>``."""


@dataclass(frozen=True)
class _Admitted:
    station_id: str
    version: OcppVersion
    boot_status: str | None = None  # as read at the handshake, so the session needs no second read
    moving: bool = False  # connecting with the profile the station is moving to (see security_profile)


def offered_subprotocols(request: Request) -> list[str]:
    return [p.strip() for header in request.headers.get_all("Sec-WebSocket-Protocol") for p in header.split(",")]


def station_id_of(path: str) -> str | None:
    """The station id of ``/ocpp/<id>`` (percent-decoded, non-empty, no ``/``); None for any other path."""
    path = path.partition("?")[0]
    prefix = OCPP_PATH + "/"
    if not path.startswith(prefix):
        return None
    try:
        station_id = unquote(path[len(prefix):], errors="strict")
    except UnicodeDecodeError:
        return None
    return station_id if station_id and "/" not in station_id else None


def peer_of(address: Any) -> str:
    """``host:port`` (``[host]:port`` for IPv6) of a socket's peer address."""
    if not isinstance(address, tuple) or len(address) < 2:
        return "?"
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"


class _Handover(asyncio.Protocol):
    """Holds what arrives on a connection while its TLS handshake completes, for the WebSocket layer."""

    def __init__(self) -> None:
        self.data: list[bytes] = []
        self.eof = False
        self.lost: tuple[Exception | None] | None = None

    def data_received(self, data: bytes) -> None:
        self.data.append(data)

    def eof_received(self) -> bool:
        self.eof = True
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = (exc,)


class StationSocket(ServerConnection):
    """A station's connection to a listener: runs the TLS handshake itself (asyncio's server drops the
    reason a TLS handshake failed) and logs an opening handshake that fails without a refusal of ours."""

    listener: ClassVar[Listener]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        context = self.listener.ssl_context
        if context is None:
            super().connection_made(transport)
            return
        assert isinstance(transport, asyncio.Transport)
        transport.pause_reading()  # nothing reaches the WebSocket layer before TLS is up
        handshaking = self.listener.tls_handshakes
        task = self.loop.create_task(self._start_tls(transport, context))
        handshaking.add(task)
        task.add_done_callback(handshaking.discard)

    async def _start_tls(self, transport: asyncio.Transport, context: ssl.SSLContext) -> None:
        config = self.listener.csms.config
        handover = _Handover()
        try:
            tls = await self.loop.start_tls(transport, handover, context, server_side=True,
                                            ssl_handshake_timeout=config.open_timeout,
                                            ssl_shutdown_timeout=config.close_timeout)
        except (OSError, EOFError, TimeoutError) as exc:
            reason = (f"no TLS handshake within {config.open_timeout:g}s" if isinstance(exc, ConnectionAbortedError)
                      else f"TLS handshake failed: {exc or type(exc).__name__}")
            self.listener.log_failure(transport.get_extra_info("peername"), None, reason)
            transport.abort()
            return
        assert tls is not None
        tls.set_protocol(self)
        super().connection_made(tls)
        for chunk in handover.data:
            self.data_received(chunk)
        if handover.eof:
            self.eof_received()
        if handover.lost is not None:
            self.connection_lost(handover.lost[0])

    async def handshake(self, *args: Any, **kwargs: Any) -> None:
        try:
            await super().handshake(*args, **kwargs)
        except asyncio.CancelledError:  # websockets' open_timeout
            self._log_failure(f"no complete opening handshake within {self.listener.csms.config.open_timeout:g}s")
            raise
        finally:
            if self.protocol.state is not State.OPEN:
                self.listener._admitted.pop(id(self), None)
        failure = self.protocol.handshake_exc
        if failure is not None:
            reason = str(failure)
            if failure.__cause__ is not None:
                reason += f" ({failure.__cause__ or type(failure.__cause__).__name__})"
            if self.response is not None:
                reason = f"answered with {self.response.status_code}: {reason}"
            self._log_failure(reason)

    def _log_failure(self, reason: str) -> None:
        path = self.request.path if self.request is not None else None
        self.listener.log_failure(self.remote_address, path, reason)


class Listener:
    """One ws:// or wss:// endpoint admitting the stations of one security profile."""

    def __init__(self, csms: CsmsContext, profile: int, sock: socket.socket,
                 ssl_context: ssl.SSLContext | None, logins: Logins) -> None:
        self.csms = csms
        self.profile = profile
        self.sock = sock
        self.ssl_context = ssl_context
        self.logins = logins
        self._admitted: dict[int, _Admitted] = {}
        self._server: Server | None = None
        self._closing: set[asyncio.Task[None]] = set()  # replaced connections being closed
        self.tls_handshakes: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        config = self.csms.config

        class Socket(StationSocket):
            listener = self

        self._server = await serve(
            self._session,
            sock=self.sock,
            backlog=config.backlog,
            create_connection=Socket,
            process_request=self._admit,
            select_subprotocol=self._select,
            compression=None,
            open_timeout=config.open_timeout,
            close_timeout=config.close_timeout,
            ping_interval=config.ping_interval or None,
            ping_timeout=config.ping_timeout,
            max_size=2**20,
        )

    async def stop(self) -> None:
        for task in list(self.tls_handshakes):
            task.cancel()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def log_failure(self, address: Any, path: str | None, reason: str) -> None:
        station_id = station_id_of(path) if path is not None else None
        station = f" (station {station_id!r})" if station_id else ""
        log.info("handshake failed from %s on the profile %d listener%s: %s",
                 peer_of(address), self.profile, station, reason)

    def _refuse(self, connection: ServerConnection, status: HTTPStatus, reason: str,
                headers: dict[str, str] | None = None) -> Response:
        self.log_failure(connection.remote_address, connection.request.path if connection.request else None,
                         f"refused with {status.value}: {reason}")
        response = connection.respond(status, reason + "\n")
        for name, value in (headers or {}).items():
            response.headers[name] = value
        return response

    async def _admit(self, connection: ServerConnection, request: Request) -> Response | None:
        station_id = station_id_of(request.path)
        if station_id is None:
            return self._refuse(connection, HTTPStatus.NOT_FOUND,
                                f"no such path {request.path!r}: stations connect to {OCPP_PATH}/<station id>")
        async with self.csms.store.session() as db:
            station = await security_profile.admission(db, station_id)
        if station is None:
            return self._refuse(connection, HTTPStatus.NOT_FOUND, f"unknown charging station {station_id!r}")
        version: OcppVersion = "2.0.1" if station.ocpp_version == "2.0.1" else "1.6"
        if subprotocol_of(version) not in offered_subprotocols(request):
            return self._refuse(connection, HTTPStatus.BAD_REQUEST,
                                f"station {station_id} must offer subprotocol {subprotocol_of(version)}")
        if self.profile not in security_profile.admitted_profiles(station):
            return self._refuse(connection, HTTPStatus.FORBIDDEN,
                                f"station {station_id} uses security profile {station.security_profile}, "
                                f"this endpoint serves profile {self.profile}")
        refusal = await self._authenticate(connection, request.headers, station)
        if refusal is not None:
            return refusal
        self._admitted[id(connection)] = _Admitted(station_id, version, station.last_boot_status,
                                                   self.profile != station.security_profile)
        return None

    async def _authenticate(self, connection: ServerConnection, headers: Headers,
                            station: Admission) -> Response | None:
        if self.profile == 3:
            ssl_object = connection.transport.get_extra_info("ssl_object")
            if peer_common_name(ssl_object) != station.id:
                return self._refuse(connection, HTTPStatus.FORBIDDEN,
                                    f"client certificate does not name station {station.id}")
            return None
        challenge = {"WWW-Authenticate": 'Basic realm="csmscheck", charset="UTF-8"'}
        credentials = _basic_credentials(headers.get("Authorization"))
        if credentials is None:
            return self._refuse(connection, HTTPStatus.UNAUTHORIZED, "basic authentication required", challenge)
        user, password = credentials
        if user != station.id:
            return self._refuse(connection, HTTPStatus.UNAUTHORIZED, "wrong station id or password", challenge)
        address = str(connection.remote_address[0])
        wait = self.logins.retry_after(station.id, address)
        if wait > 0 and not remembered(password, station.password_hash):
            # 429, not 401: the password was not checked, and a station should not take it for a wrong one.
            seconds = str(math.ceil(wait))
            return self._refuse(connection, HTTPStatus.TOO_MANY_REQUESTS,
                                f"too many failed logins; try again in {seconds}s", {"Retry-After": seconds})
        stamps = self.logins.start(station.id, address)
        valid = False
        try:
            valid = await asyncio.to_thread(check_password, password, station.password_hash)
        finally:
            self.logins.finish(station.id, address, stamps, valid)
        if not valid:
            return self._refuse(connection, HTTPStatus.UNAUTHORIZED, "wrong station id or password", challenge)
        return None

    def _select(self, connection: ServerConnection, subprotocols: Sequence[Subprotocol]) -> Subprotocol | None:
        admitted = self._admitted.get(id(connection))
        if admitted is None or subprotocol_of(admitted.version) not in subprotocols:
            return None
        return Subprotocol(subprotocol_of(admitted.version))

    async def _session(self, ws: ServerConnection) -> None:
        admitted = self._admitted.pop(id(ws), None)
        if admitted is None or version_of_subprotocol(ws.subprotocol or "") != admitted.version:
            await ws.close(1002, "subprotocol not negotiated")
            return
        connection = StationConnection(ws, admitted.station_id, admitted.version, self.csms)
        previous = self.csms.connections.get(admitted.station_id)
        self.csms.connections[admitted.station_id] = connection
        if previous is not None:  # closed beside, never awaited: the old peer may not let go for long
            closing = asyncio.create_task(previous.close(1000, "replaced by a new connection"))
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)
        connection.boot_status = admitted.boot_status
        try:
            if admitted.moving:
                async with self.csms.store.session() as db:
                    await security_profile.connected_with(db, admitted.station_id, self.profile)
            log.info("%s connected (OCPP %s, profile %d)", admitted.station_id, admitted.version, self.profile)
            await connection.serve()
        finally:
            # The old connection's end must not unlist the one that replaced it.
            if self.csms.connections.get(admitted.station_id) is connection:
                del self.csms.connections[admitted.station_id]
            log.info("%s disconnected", admitted.station_id)


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password
