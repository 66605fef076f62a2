"""The reference CSMS's listeners: paths, replaced and dead connections, backlog, logged handshake
failures, the memo of verified passwords and the failed-login limiter."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import socket
import ssl
import struct
import sys
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
import websockets
from conftest import PASSWORD, STATIONS, TIMEOUT, CsmsStarter, RunningCsms, StationOpener, wait_until_dropped

from csmscheck.csms import credentials, server
from csmscheck.csms.config import CsmsConfig, load_csms_config
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.login_limiter import LoginLimiter
from csmscheck.errors import ConfigError

# -- helpers --------------------------------------------------------------------------------------


class LogWatch(logging.Handler):
    """The CSMS's log lines (written on its own thread), with a wait for one that has given fragments."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self._changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self._changed:
            self.lines.append(record.getMessage())
            self._changed.notify_all()

    def _find(self, fragments: tuple[str, ...]) -> str | None:
        return next((line for line in self.lines if all(f in line for f in fragments)), None)

    def _wait(self, fragments: tuple[str, ...], timeout: float) -> str:
        with self._changed:
            self._changed.wait_for(lambda: self._find(fragments) is not None, timeout)
            line = self._find(fragments)
        assert line is not None, f"no log line with {fragments} within {timeout:g}s; the log: {self.lines}"
        return line

    async def line(self, *fragments: str, timeout: float = TIMEOUT) -> str:
        return await asyncio.to_thread(self._wait, fragments, timeout)


@pytest.fixture
def csms_log() -> Iterator[LogWatch]:
    logger = logging.getLogger("csmscheck.csms")
    watch, level = LogWatch(), logger.level
    logger.addHandler(watch)
    logger.setLevel(logging.DEBUG)
    yield watch
    logger.removeHandler(watch)
    logger.setLevel(level)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _subprotocol(station_id: str) -> str:
    return "ocpp" + STATIONS[station_id][0] if station_id in STATIONS else "ocpp2.0.1"


async def knock(csms: RunningCsms, station_id: str, password: str | None = PASSWORD, *, path: str | None = None,
                profile: int = 1, ssl_context: ssl.SSLContext | None = None,
                subprotocols: list[str] | None = None) -> websockets.http11.Response | None:
    """One opening handshake, closed at once if it succeeds: None when upgraded, else the refusal."""
    base = csms.url_for(profile)
    url = base.removesuffix(server.OCPP_PATH) + (path if path is not None else f"{server.OCPP_PATH}/{station_id}")
    headers = {"Authorization": _basic(station_id, password)} if password is not None else {}
    offered = [_subprotocol(station_id)] if subprotocols is None else subprotocols
    if ssl_context is None and profile >= 2:
        ssl_context = csms.client_tls()
    try:
        async with websockets.connect(url, subprotocols=[websockets.Subprotocol(p) for p in offered],
                                      additional_headers=headers, ssl=ssl_context, open_timeout=TIMEOUT):
            return None
    except websockets.InvalidStatus as exc:
        return exc.response


async def status_of(csms: RunningCsms, station_id: str, password: str | None = PASSWORD, **kwargs: Any) -> int:
    response = await knock(csms, station_id, password, **kwargs)
    return 101 if response is None else response.status_code


async def raw_station(csms: RunningCsms, station_id: str, *,
                      receive_buffer: int | None = None) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A station that completes the opening handshake by hand and then never reads nor answers anything."""
    url = urlparse(csms.url_for(1))
    host, port = url.hostname or "127.0.0.1", url.port or 80
    sock = socket.socket()
    if receive_buffer is not None:  # before connecting, so the window stays small
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, port))
    reader, writer = await asyncio.open_connection(sock=sock)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET {server.OCPP_PATH}/{station_id} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Sec-WebSocket-Protocol: {_subprotocol(station_id)}\r\n"
                  f"Authorization: {_basic(station_id, PASSWORD)}\r\n\r\n").encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


def live_connection(csms: RunningCsms, station_id: str) -> StationConnection:
    return csms.thread.csms.context.connections[station_id]


def on_csms_loop(csms: RunningCsms, coroutine: Any) -> Any:
    return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, csms.thread._loop))


# -- 5. path: exactly /ocpp/<station id> ----------------------------------------------------------


@pytest.mark.parametrize(("path", "station_id"), [
    ("/ocpp/CP201_SP1", "CP201_SP1"),
    ("/ocpp/CP201%5FSP1", "CP201_SP1"),
    ("/ocpp/CP%20201", "CP 201"),
    ("/ocpp/CP201_SP1?x=1", "CP201_SP1"),
    ("/ocpp/", None),
    ("/ocpp", None),
    ("/", None),
    ("/a/b/c/CP201_SP1", None),
    ("/ocpp/a/CP201_SP1", None),
    ("/ocpp/CP201_SP1/", None),
    ("/ocpp/a%2FCP201_SP1", None),
    ("/ocpp/%FF", None),
    ("/OCPP/CP201_SP1", None),
])
def test_station_id_is_read_from_exactly_ocpp_slash_id(path: str, station_id: str | None) -> None:
    assert server.station_id_of(path) == station_id


async def test_other_paths_are_refused_with_404_and_the_reason(start_csms: CsmsStarter, csms_log: LogWatch) -> None:
    csms = start_csms()
    for path in ("/a/b/c/CP201_SP1", "/ocpp/"):
        response = await knock(csms, "CP201_SP1", path=path)
        assert response is not None and response.status_code == 404, path
        assert b"/ocpp/<station id>" in response.body
        await csms_log.line("handshake failed from 127.0.0.1:", "refused with 404", repr(path))
    assert await status_of(csms, "CP201_SP1", path="/ocpp/CP201%5FSP1") == 101


# -- 1. a replacing connection is served at once; the old one is cut off --------------------------


async def test_replacing_connection_is_served_while_the_stalled_old_one_is_cut_off(
        start_csms: CsmsStarter, open_station: StationOpener, csms_log: LogWatch) -> None:
    csms = start_csms(close_timeout=1.0)
    _, old_writer = await raw_station(csms, "CP201_SP1", receive_buffer=4096)
    await csms_log.line("CP201_SP1 connected")
    old = live_connection(csms, "CP201_SP1")
    stuck: set[asyncio.Task[None]] = set()

    async def stall() -> int:
        """Queue more than the kernel buffers for a peer that does not read: the send hangs in drain."""
        stuck.add(asyncio.create_task(old.ws.send("x" * 12_000_000)))
        await asyncio.sleep(0)  # one step of the send task: it writes the frame, then waits for the drain
        return old.ws.transport.get_write_buffer_size()

    assert await on_csms_loop(csms, stall()) > 0
    new = await open_station(csms, "CP201_SP1")  # boots within TIMEOUT: not behind the old connection's close
    await csms_log.line("CP201_SP1 disconnected", timeout=TIMEOUT + 1.0)  # the old one, cut off after close_timeout
    assert live_connection(csms, "CP201_SP1") is not old
    assert "currentTime" in await new.call("Heartbeat", {})
    async with httpx.AsyncClient(base_url=csms.api, timeout=TIMEOUT) as client:
        assert (await client.get("/api/stations/CP201_SP1")).json()["connected"] is True
    old_writer.close()


async def test_stopping_the_csms_closes_every_station_at_once(start_csms: CsmsStarter, csms_log: LogWatch) -> None:
    """Peers that never answer the close: each is cut off after close_timeout, all of them together."""
    csms = start_csms(close_timeout=1.0)
    async with httpx.AsyncClient(base_url=csms.api, timeout=TIMEOUT) as client:
        for n in range(3):
            created = await client.post("/api/stations", json={
                "stationId": f"STOP{n}", "ocppVersion": "2.0.1", "securityProfile": 1, "password": PASSWORD})
            assert created.status_code == 201, created.text
    stations = ["CP201_SP1", "STOP0", "STOP1", "STOP2"]
    writers = [(await raw_station(csms, station_id))[1] for station_id in stations]
    for station_id in stations:
        await csms_log.line(f"{station_id} connected")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.to_thread(csms.stop)
    # One after another would take len(stations) × close_timeout.
    assert loop.time() - started < 2 * csms.config.close_timeout
    for writer in writers:
        writer.close()


# -- 2. keepalive pings close dead peers ----------------------------------------------------------


async def test_a_peer_that_answers_no_ping_is_closed(start_csms: CsmsStarter, open_station: StationOpener,
                                                     csms_log: LogWatch) -> None:
    csms = start_csms(ping_interval=0.2, ping_timeout=0.2, close_timeout=0.5)
    alive = await open_station(csms, "CP16_SP1")  # its WebSocket library answers pings
    reader, writer = await raw_station(csms, "CP201_SP1")
    received = await asyncio.wait_for(reader.read(), TIMEOUT)  # up to EOF: the CSMS closed the connection
    assert b"\x03\xf3keepalive ping timeout" in received  # close frame, code 1011
    await wait_until_dropped(csms, "CP201_SP1")  # the silent peer's TCP close not awaited past close_timeout
    assert "currentTime" in await alive.call("Heartbeat", {})
    writer.close()


def test_keepalive_and_timeout_settings_are_checked() -> None:
    assert CsmsConfig(ping_interval=0).ping_interval == 0  # 0: no pings
    for setting, value in (("ping_interval", -1), ("ping_timeout", 0), ("open_timeout", "10"),
                           ("close_timeout", float("inf")), ("backlog", 0), ("login_failures_per_station", -1),
                           ("login_failure_window", 0), ("login_failures_per_address", True)):
        with pytest.raises(ConfigError, match=f"csms setting {setting} "):
            CsmsConfig(**{setting: value})


def test_connection_settings_are_read_from_the_csms_table(tmp_path: Path) -> None:
    path = tmp_path / "csms.toml"
    path.write_text("[csms]\nping_interval = 15\nping_timeout = 5\nbacklog = 2048\nlogin_failures_per_station = 3\n")
    config = load_csms_config(path)
    assert (config.ping_interval, config.ping_timeout, config.backlog, config.login_failures_per_station) == \
        (15, 5, 2048, 3)


# -- 3. the backlog asked for is the one listening ------------------------------------------------


def _listen_backlog(sock: socket.socket) -> int:
    """A listening socket's accept-queue limit, from TCP_INFO (Linux puts it in tcpi_sacked)."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return int(struct.unpack_from("8B6I", info)[13])


@pytest.mark.skipif(sys.platform != "linux", reason="TCP_INFO of a listening socket is read the Linux way")
def test_the_listeners_listen_with_the_configured_backlog(start_csms: CsmsStarter) -> None:
    csms = start_csms(backlog=777)
    ceiling = int(Path("/proc/sys/net/core/somaxconn").read_text())
    listeners = csms.thread.csms._listeners
    assert len(listeners) == 3
    for listener in listeners:
        assert _listen_backlog(listener.sock) == min(777, ceiling)


# -- 4. every failed handshake is logged with its reason ------------------------------------------


async def test_refused_handshakes_are_logged_with_peer_station_and_reason(start_csms: CsmsStarter,
                                                                         csms_log: LogWatch) -> None:
    csms = start_csms()
    wrong = "not-the-password-4711"
    assert await status_of(csms, "CP201_SP1", wrong) == 401
    await csms_log.line("from 127.0.0.1:", "profile 1 listener (station 'CP201_SP1')", "401",
                        "wrong station id or password")
    assert await status_of(csms, "NOBODY_KNOWS_ME") == 404
    await csms_log.line("(station 'NOBODY_KNOWS_ME')", "404", "unknown charging station")
    assert await status_of(csms, "CP202_SP2") == 403
    await csms_log.line("(station 'CP202_SP2')", "403", "security profile 2")
    assert await status_of(csms, "CP201_SP1", subprotocols=[]) == 400
    await csms_log.line("(station 'CP201_SP1')", "400", "subprotocol ocpp2.0.1")
    assert not [line for line in csms_log.lines if wrong in line or PASSWORD in line]


async def _tls_failure(csms: RunningCsms, profile: int, context: ssl.SSLContext) -> None:
    url = urlparse(csms.url_for(profile))
    with pytest.raises((ssl.SSLError, OSError, EOFError)):
        _, writer = await asyncio.wait_for(asyncio.open_connection(url.hostname, url.port, ssl=context,
                                                                   server_hostname="localhost"), TIMEOUT)
        await writer.drain()
        writer.close()
        raise EOFError("the TLS handshake succeeded")  # not expected: the CSMS's log decides below


async def test_tls_failures_are_logged_with_their_reason(start_csms: CsmsStarter, csms_log: LogWatch) -> None:
    csms = start_csms()
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.check_hostname, old.verify_mode = False, ssl.CERT_NONE
    with warnings.catch_warnings():  # deprecated is the point: a station offering only TLS 1.0/1.1
        warnings.simplefilter("ignore", DeprecationWarning)
        old.minimum_version = ssl.TLSVersion.TLSv1
        old.maximum_version = ssl.TLSVersion.TLSv1_1
    old.set_ciphers("DEFAULT:@SECLEVEL=0")
    await _tls_failure(csms, 2, old)
    await csms_log.line("from 127.0.0.1:", "profile 2 listener", "TLS handshake failed", "UNSUPPORTED_PROTOCOL")

    with pytest.raises((ssl.SSLError, OSError, websockets.InvalidHandshake)):
        await knock(csms, "CP202_SP3", None, profile=3, ssl_context=csms.client_tls())  # no client certificate
    await csms_log.line("profile 3 listener", "TLS handshake failed", "CERTIFICATE")

    url = urlparse(csms.url_for(2))
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    writer.write(b"GET /ocpp/CP202_SP2 HTTP/1.1\r\nHost: localhost\r\n\r\n")  # plain HTTP on the TLS port
    await asyncio.wait_for(reader.read(), TIMEOUT)
    await csms_log.line("profile 2 listener", "TLS handshake failed", "HTTP_REQUEST")
    writer.close()


@pytest.mark.parametrize(("profile", "reason"), [(1, "no complete opening handshake within 0.5s"),
                                                 (2, "no TLS handshake within 0.5s")])
async def test_a_silent_client_is_dropped_and_logged(start_csms: CsmsStarter, csms_log: LogWatch,
                                                    profile: int, reason: str) -> None:
    csms = start_csms(open_timeout=0.5)
    url = urlparse(csms.url_for(profile))
    reader, writer = await asyncio.open_connection(url.hostname, url.port)  # and says nothing
    await asyncio.wait_for(reader.read(), TIMEOUT)  # EOF: the CSMS hung up
    await csms_log.line("from 127.0.0.1:", f"profile {profile} listener", reason)
    writer.close()


async def test_a_request_that_is_no_upgrade_is_logged(start_csms: CsmsStarter, csms_log: LogWatch) -> None:
    csms = start_csms()
    url = urlparse(csms.url_for(1))
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        response = await client.get(f"http://{url.hostname}:{url.port}/ocpp/CP201_SP1",
                                    headers={"Authorization": _basic("CP201_SP1", PASSWORD),
                                             "Sec-WebSocket-Protocol": "ocpp2.0.1"})
    assert response.status_code == 426
    await csms_log.line("(station 'CP201_SP1')", "answered with 426", "invalid Connection header")


# -- 6. verified passwords remembered; failed logins limited --------------------------------------


def test_check_password_runs_scrypt_once_per_password_and_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[str] = []
    real = credentials.scrypt_matches
    monkeypatch.setattr(credentials, "scrypt_matches", lambda p, s: runs.append(p) or real(p, s))
    stored = credentials.hash_password("right")
    assert credentials.check_password("right", stored) and credentials.check_password("right", stored)
    assert not credentials.check_password("wrong", stored) and not credentials.check_password("wrong", stored)
    assert runs == ["right", "wrong", "wrong"]  # a failure is never remembered
    assert credentials.check_password("right", credentials.hash_password("right"))  # a new hash: a new check
    assert len(runs) == 4
    assert not credentials.check_password("right", None) and not credentials.remembered("right", None)


def test_a_credential_checked_by_many_at_once_costs_one_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """A storm of stations provisioned with one password: the first check verifies it for all the others."""
    runs: list[str] = []
    real = credentials.scrypt_matches
    monkeypatch.setattr(credentials, "scrypt_matches", lambda p, s: runs.append(p) or real(p, s))
    stored = credentials.hash_password("shared-by-many")
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda _: credentials.check_password("shared-by-many", stored), range(40)))
    assert all(outcomes) and runs == ["shared-by-many"]


async def test_a_reconnection_costs_no_scrypt_and_a_new_password_replaces_the_old(
        start_csms: CsmsStarter, monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[str] = []
    real = credentials.scrypt_matches
    monkeypatch.setattr(credentials, "scrypt_matches", lambda p, s: runs.append(p) or real(p, s))
    csms = start_csms()
    assert await status_of(csms, "CP201_SP1") == 101
    assert await status_of(csms, "CP201_SP1") == 101
    assert runs == [PASSWORD]
    async with httpx.AsyncClient(base_url=csms.api, timeout=TIMEOUT) as client:
        response = await client.post("/api/octt/set-basic-auth-password",
                                     json={"stationId": "CP201_SP1", "password": "a-brand-new-password-42"})
        assert response.status_code == 200, response.text
    assert await status_of(csms, "CP201_SP1") == 401
    assert await status_of(csms, "CP201_SP1", "a-brand-new-password-42") == 101


def _count_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    checks: list[str] = []
    real = server.check_password
    monkeypatch.setattr(server, "check_password", lambda p, s: checks.append(p) or real(p, s))
    return checks


async def test_failed_logins_of_a_station_are_refused_without_a_check(
        start_csms: CsmsStarter, monkeypatch: pytest.MonkeyPatch, csms_log: LogWatch) -> None:
    csms = start_csms(login_failures_per_station=3)
    assert await status_of(csms, "CP201_SP1") == 101  # the station's own password, verified once
    checks = _count_checks(monkeypatch)
    for _ in range(3):
        assert await status_of(csms, "CP201_SP1", "guess") == 401
    await csms_log.line("login limiter: station 'CP201_SP1' had 3 failed logins within 60s")
    refused = await knock(csms, "CP201_SP1", "guess")
    assert refused is not None and refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert checks == ["guess"] * 3  # the 4th guess cost no password check
    assert await status_of(csms, "CP201_SP1") == 101  # a password it verified before still gets in
    assert await status_of(csms, "CP16_SP1") == 101  # other stations are not affected
    assert len(checks) == 5


async def test_concurrent_guesses_are_bounded_too(start_csms: CsmsStarter, monkeypatch: pytest.MonkeyPatch) -> None:
    csms = start_csms(login_failures_per_station=3)
    checks = _count_checks(monkeypatch)
    statuses = await asyncio.gather(*(status_of(csms, "CP201_SP1", f"guess{n}") for n in range(10)))
    assert sorted(statuses) == [401] * 3 + [429] * 7
    assert len(checks) == 3


async def test_failed_logins_from_one_address_are_limited_across_stations(
        start_csms: CsmsStarter, monkeypatch: pytest.MonkeyPatch, csms_log: LogWatch) -> None:
    csms = start_csms(login_failures_per_station=0, login_failures_per_address=2)
    checks = _count_checks(monkeypatch)
    assert await status_of(csms, "CP201_SP1", "guess") == 401
    assert await status_of(csms, "CP16_SP1", "guess") == 401
    await csms_log.line("login limiter: address '127.0.0.1' had 2 failed logins")
    assert await status_of(csms, "CP16_SP1", "guess") == 429
    assert len(checks) == 2


def test_the_limiter_forgives_successes_and_forgets_after_its_window(caplog: pytest.LogCaptureFixture) -> None:
    now = [1000.0]
    limiter = LoginLimiter("station", limit=2, window=60, clock=lambda: now[0])
    stamp = limiter.start("A")
    limiter.succeeded("A", stamp)
    limiter.start("A")
    limiter.failed("A")
    assert limiter.retry_after("A") == 0  # one failure of two
    now[0] += 10
    limiter.start("A")
    limiter.failed("A")
    assert limiter.retry_after("A") == 50  # until the first failure is a window old
    assert limiter.retry_after("B") == 0
    now[0] += 50
    assert limiter.retry_after("A") == 0
    assert len([r for r in caplog.records if "login limiter" in r.getMessage()]) == 1
    assert LoginLimiter("station", limit=0, window=60).retry_after("A") == 0
