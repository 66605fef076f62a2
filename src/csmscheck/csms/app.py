"""Assembles the reference CSMS: database, WebSocket listeners and the trigger API."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import uvicorn

from csmscheck.csms import handlers as _handlers  # noqa: F401  (registers the OCPP handlers)
from csmscheck.csms import provisioning
from csmscheck.csms.config import CsmsConfig
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.login_limiter import Logins
from csmscheck.csms.server import OCPP_PATH, Listener
from csmscheck.csms.store import Store
from csmscheck.errors import ConfigError
from csmscheck.pki import Pki
from csmscheck.pki.tls import server_ssl_context

log = logging.getLogger("csmscheck.csms")


@dataclass
class CsmsContext:
    """What handlers and the trigger API share: settings, database, live connections."""

    config: CsmsConfig
    store: Store
    connections: dict[str, StationConnection] = field(default_factory=dict)


@dataclass(frozen=True)
class Endpoints:
    ws: str
    wss_tls: str | None
    wss_mtls: str | None
    api: str


def bind(host: str, port: int, backlog: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(backlog)
    sock.setblocking(False)
    return sock


class ReferenceCsms:
    """The whole reference CSMS in one asyncio process."""

    def __init__(self, config: CsmsConfig) -> None:
        self.config = config
        self.context = CsmsContext(config, Store(config.db))
        self._listeners: list[Listener] = []
        self._api: uvicorn.Server | None = None
        self._api_task: asyncio.Task[None] | None = None
        self.endpoints: Endpoints | None = None

    async def start(self) -> Endpoints:
        await self.context.store.create_schema()
        await self._seed()
        cfg = self.config
        host = cfg.host
        # One limiter for all listeners: a station's failed logins count wherever they happen.
        logins = Logins(cfg.login_failures_per_station, cfg.login_failures_per_address, cfg.login_failure_window)
        ws_sock = bind(host, cfg.ws_port, cfg.backlog)
        self._listeners.append(Listener(self.context, 1, ws_sock, None, logins))
        tls_url = mtls_url = None
        if cfg.pki_dir is not None:
            pki = Pki.load(cfg.pki_dir, [cfg.seed.cp201_sp3, cfg.seed.cp16_sp3])
            tls_sock, mtls_sock = bind(host, cfg.tls_port, cfg.backlog), bind(host, cfg.mtls_port, cfg.backlog)
            self._listeners.append(Listener(self.context, 2, tls_sock,
                                            server_ssl_context(pki, require_client_cert=False), logins))
            self._listeners.append(Listener(self.context, 3, mtls_sock,
                                            server_ssl_context(pki, require_client_cert=True), logins))
            tls_url = f"wss://localhost:{tls_sock.getsockname()[1]}{OCPP_PATH}"
            mtls_url = f"wss://localhost:{mtls_sock.getsockname()[1]}{OCPP_PATH}"
        for listener in self._listeners:
            await listener.start()
        api_sock = bind(host, cfg.api_port, cfg.backlog)
        await self._start_api(api_sock)
        shown = f"[{host}]" if ":" in host else host
        self.endpoints = Endpoints(
            ws=f"ws://{shown}:{ws_sock.getsockname()[1]}{OCPP_PATH}",
            wss_tls=tls_url,
            wss_mtls=mtls_url,
            api=f"http://{shown}:{api_sock.getsockname()[1]}",
        )
        return self.endpoints

    async def _start_api(self, sock: socket.socket) -> None:
        from csmscheck.csms.trigger_api import create_api

        config = uvicorn.Config(create_api(self.context), log_level="warning", lifespan="off")
        self._api = uvicorn.Server(config)
        self._api_task = asyncio.create_task(self._api.serve(sockets=[sock]))
        while not self._api.started:
            if self._api_task.done():
                self._api_task.result()
                raise RuntimeError("the trigger API stopped during start-up")
            await asyncio.sleep(0.01)  # uvicorn offers no start-up event to await

    async def _seed(self) -> None:
        seed = self.config.seed
        store = self.context.store
        for station_id, (version, profile) in seed.station_ids().items():
            await store.seed_station(station_id, version, profile, seed.basic_auth_password)
        await store.seed_token(seed.valid_id_token, seed.valid_id_token_type, "Accepted", seed.group_id)
        await store.seed_token(seed.blocked_id_token, seed.blocked_id_token_type, "Blocked")
        expired = datetime.now(UTC) - timedelta(days=1)
        await store.seed_token(seed.expired_id_token, seed.expired_id_token_type, "Accepted", expiry=expired)
        await store.seed_token(seed.masterpass_id_token, seed.masterpass_id_token_type, "Accepted",
                               seed.masterpass_group_id)
        # Block C: a second token in the first one's group, and the eMAID of the contract certificates.
        await store.seed_token(seed.valid_id_token_2, seed.valid_id_token_type_2, "Accepted", seed.group_id)
        await store.seed_token(seed.contract_emaid, "eMAID", "Accepted")
        for bulk in self.config.provision:
            created, existing = await provisioning.add_stations(store, bulk)
            log.info("provisioned %s: %d created, %d existed", bulk.pattern, created, existing)

    async def stop(self) -> None:
        # All at once: each close may wait up to close_timeout for a peer that does not let go.
        await asyncio.gather(*(connection.close(1001, "CSMS shutting down")
                               for connection in list(self.context.connections.values())))
        for listener in self._listeners:
            await listener.stop()
        if self._api is not None and self._api_task is not None:
            self._api.should_exit = True
            await self._api_task
        await self.context.store.close()


class CsmsThread:
    """Runs a ReferenceCsms on its own event loop in a background thread."""

    def __init__(self, config: CsmsConfig) -> None:
        self.csms = ReferenceCsms(config)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="reference-csms", daemon=True)

    def start(self, timeout: float = 20.0) -> Endpoints:
        self._thread.start()
        return asyncio.run_coroutine_threadsafe(self.csms.start(), self._loop).result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self.csms.stop(), self._loop).result(timeout)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)
            self._loop.close()
