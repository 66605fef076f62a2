"""WebSocket listeners of the reference CSMS, one per security profile.

Profile 1: ws:// with HTTP basic auth. Profile 2: wss:// with basic auth. Profile 3:
wss:// with a client certificate issued by the CSMS's CA whose CN is the station id.
Every refusal happens at the HTTP upgrade, with the status a CSMS engineer expects:
404 unknown station, 401 missing or wrong password, 403 wrong profile or certificate,
400 no supported subprotocol.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from csmscheck.csms import security_profile
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.models import Station
from csmscheck.csms.store import check_password
from csmscheck.pki.tls import peer_common_name
from csmscheck.wire.versions import OcppVersion, subprotocol_of, version_of_subprotocol

if TYPE_CHECKING:
    from csmscheck.csms.app import CsmsContext

log = logging.getLogger("csmscheck.csms")


@dataclass(frozen=True)
class _Admitted:
    station_id: str
    version: OcppVersion


def offered_subprotocols(request: Request) -> list[str]:
    return [p.strip() for header in request.headers.get_all("Sec-WebSocket-Protocol") for p in header.split(",")]


class Listener:
    """One ws:// or wss:// endpoint admitting the stations of one security profile."""

    def __init__(self, csms: CsmsContext, profile: int, sock: socket.socket,
                 ssl_context: ssl.SSLContext | None) -> None:
        self.csms = csms
        self.profile = profile
        self.sock = sock
        self.ssl_context = ssl_context
        self._admitted: dict[int, _Admitted] = {}
        self._server: Server | None = None

    async def start(self) -> None:
        self._server = await serve(
            self._session,
            sock=self.sock,
            ssl=self.ssl_context,
            process_request=self._admit,
            select_subprotocol=self._select,
            compression=None,
            ping_interval=None,
            max_size=2**20,
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def _refuse(self, connection: ServerConnection, status: HTTPStatus, reason: str,
                headers: dict[str, str] | None = None) -> Response:
        log.info("refused %s: %s", connection.request.path if connection.request else "?", reason)
        response = connection.respond(status, reason + "\n")
        for name, value in (headers or {}).items():
            response.headers[name] = value
        return response

    async def _admit(self, connection: ServerConnection, request: Request) -> Response | None:
        station_id = unquote(urlparse(request.path).path.rstrip("/").rsplit("/", 1)[-1])
        async with self.csms.store.session() as db:
            station = await db.get(Station, station_id)
            allowed = await security_profile.admitted_profiles(db, station) if station is not None else set()
        if station is None:
            return self._refuse(connection, HTTPStatus.NOT_FOUND, f"unknown charging station {station_id!r}")
        version: OcppVersion = "2.0.1" if station.ocpp_version == "2.0.1" else "1.6"
        if subprotocol_of(version) not in offered_subprotocols(request):
            return self._refuse(connection, HTTPStatus.BAD_REQUEST,
                                f"station {station_id} must offer subprotocol {subprotocol_of(version)}")
        if self.profile not in allowed:
            return self._refuse(connection, HTTPStatus.FORBIDDEN,
                                f"station {station_id} uses security profile {station.security_profile}, "
                                f"this endpoint serves profile {self.profile}")
        refusal = await self._authenticate(connection, request.headers, station)
        if refusal is not None:
            return refusal
        self._admitted[id(connection)] = _Admitted(station_id, version)
        return None

    async def _authenticate(self, connection: ServerConnection, headers: Headers,
                            station: Station) -> Response | None:
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
        valid = user == station.id and await asyncio.to_thread(check_password, password, station.password_hash)
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
        async with self.csms.store.session() as db:
            station = await db.get(Station, admitted.station_id)
            connection.boot_status = station.last_boot_status if station else None
            await security_profile.connected_with(db, admitted.station_id, self.profile)
        if previous is not None:
            await previous.close(1000, "replaced by a new connection")
        log.info("%s connected (OCPP %s, profile %d)", admitted.station_id, admitted.version, self.profile)
        try:
            await connection.serve()
        finally:
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
