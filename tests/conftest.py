"""Fixtures that run the reference CSMS on free loopback ports and connect stations to it.

``reference_csms`` is one CSMS per test module (tests that share it must not change
state other tests of the module rely on); ``start_csms`` starts fresh ones inside a
test (own database, own settings such as ``call_timeout`` or ``api_token``), and
stops them when the test ends. ``open_station`` connects (and boots) stations and
closes them when the test ends.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest

from csmscheck.bundled import BundledCsms
from csmscheck.csms.app import CsmsThread, Endpoints
from csmscheck.csms.config import CsmsConfig
from csmscheck.pki import Pki, client_ssl_context, generate_pki
from csmscheck.settings import Settings, load_settings
from csmscheck.station.session import StationSession
from csmscheck.wire.versions import OcppVersion

# The defaults the reference CSMS seeds its stations and tokens with.
DEFAULTS = Settings()
PASSWORD = DEFAULTS.basic_auth_password
# The stations a reference CSMS seeds with its default settings: id -> (version, security profile).
STATIONS: dict[str, tuple[OcppVersion, int]] = {
    "CP201_SP1": ("2.0.1", 1),
    "CP202_SP2": ("2.0.1", 2),
    "CP202_SP3": ("2.0.1", 3),
    "CP16_SP1": ("1.6", 1),
    "CP16_SP3": ("1.6", 3),
}
PROFILE3_STATIONS = ["CP202_SP3", "CP16_SP3"]
TIMEOUT = 5.0


@dataclass(eq=False)
class RunningCsms:
    """A reference CSMS in its own thread, with what a test needs to reach it."""

    config: CsmsConfig
    endpoints: Endpoints
    pki: Pki
    db_path: Path  # the SQLite file (when the database is one)
    thread: CsmsThread
    stopped: bool = field(default=False)

    @property
    def api(self) -> str:
        return self.endpoints.api

    @property
    def db_url(self) -> str:
        return self.config.db

    def url_for(self, profile: int) -> str:
        url = {1: self.endpoints.ws, 2: self.endpoints.wss_tls, 3: self.endpoints.wss_mtls}[profile]
        assert url is not None, f"no listener for security profile {profile}"
        return url

    def client_tls(self, cert_of: str | None = None, *, invalid_cert: bool = False) -> ssl.SSLContext:
        """A client TLS context trusting the CSMS's CA, with a station's (or the rogue) certificate."""
        if invalid_cert:
            return client_ssl_context(self.pki.ca_cert, self.pki.invalid_client_cert, self.pki.invalid_client_key)
        if cert_of is None:
            return client_ssl_context(self.pki.ca_cert)
        cert, key = self.pki.clients[cert_of]
        return client_ssl_context(self.pki.ca_cert, cert, key)

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            self.thread.stop()


def start_reference_csms(directory: Path, pki: Pki, db_path: Path | None = None, db_url: str | None = None,
                         **settings: Any) -> RunningCsms:
    """Start a reference CSMS on free loopback ports with ``pki`` and a SQLite file database
    (or the database at ``db_url``)."""
    directory.mkdir(parents=True, exist_ok=True)
    db_path = db_path or directory / "csms.db"
    config = CsmsConfig(ws_port=0, tls_port=0, mtls_port=0, api_port=0, db=db_url or f"sqlite:///{db_path}",
                        pki_dir=pki.directory, **settings)
    thread = CsmsThread(config)
    endpoints = thread.start()
    return RunningCsms(config, endpoints, pki, db_path, thread)


@pytest.fixture(scope="session")
def csms_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """One generated PKI for the whole session (it only costs start-up time)."""
    return generate_pki(tmp_path_factory.mktemp("csms") / "pki", PROFILE3_STATIONS)


@pytest.fixture(scope="module")
def reference_csms(tmp_path_factory: pytest.TempPathFactory, csms_pki: Pki) -> Iterator[RunningCsms]:
    """One reference CSMS shared by the tests of a module."""
    csms = start_reference_csms(tmp_path_factory.mktemp("csms"), csms_pki)
    try:
        yield csms
    finally:
        csms.stop()


class CsmsStarter(Protocol):
    def __call__(self, db_path: Path | None = None, db_url: str | None = None, **settings: Any) -> RunningCsms: ...


@pytest.fixture
def start_csms(tmp_path: Path, csms_pki: Pki) -> Iterator[CsmsStarter]:
    """Start fresh reference CSMSs inside a test (``start_csms(call_timeout=0.5)``); all stop afterwards."""
    started: list[RunningCsms] = []

    def start(db_path: Path | None = None, db_url: str | None = None, **settings: Any) -> RunningCsms:
        csms = start_reference_csms(tmp_path / f"csms{len(started)}", csms_pki, db_path, db_url, **settings)
        started.append(csms)
        return csms

    yield start
    for csms in reversed(started):
        csms.stop()


class StationOpener(Protocol):
    def __call__(self, csms: RunningCsms, station_id: str, *, boot: bool = True, password: str | None = PASSWORD,
                 ssl_context: ssl.SSLContext | None = None, url: str | None = None,
                 subprotocols: list[str] | None = None) -> Awaitable[StationSession]: ...


def boot_payload(version: OcppVersion) -> dict[str, Any]:
    if version == "1.6":
        return {"chargePointVendor": "csmscheck", "chargePointModel": "TestStation"}
    return {"reason": "PowerUp", "chargingStation": {"vendorName": "csmscheck", "model": "TestStation"}}


async def wait_until_dropped(csms: RunningCsms, station_id: str, timeout: float = TIMEOUT) -> None:
    """Wait until the CSMS no longer lists ``station_id`` as connected.

    Each look-up is a round trip through the CSMS's event loop, so this awaits the CSMS
    handling the close rather than sleeping for a guessed time.
    """
    token = csms.config.api_token
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with httpx.AsyncClient(base_url=csms.api, timeout=timeout, verify=False, headers=headers) as client:
        while True:
            response = await client.get(f"/api/stations/{station_id}")
            assert response.status_code == 200, response.text
            if response.json()["connected"] is False:
                return
            assert loop.time() < deadline, f"the CSMS still lists {station_id} as connected after {timeout:g}s"


@pytest.fixture
async def open_station() -> AsyncIterator[StationOpener]:
    """Connect a seeded station to a CSMS on the listener of its security profile, and boot it.

    Profile 1/2 stations authenticate with ``password``; profile 3 stations with their
    client certificate. Every station opened is closed when the test ends, and the test
    ends only once the CSMS has dropped it, so the next test starts from a quiet CSMS.
    """
    sessions: list[tuple[RunningCsms, StationSession]] = []

    async def open_(csms: RunningCsms, station_id: str, *, boot: bool = True, password: str | None = PASSWORD,
                    ssl_context: ssl.SSLContext | None = None, url: str | None = None,
                    subprotocols: list[str] | None = None) -> StationSession:
        version, profile = STATIONS[station_id]
        if ssl_context is None and profile >= 2:
            ssl_context = csms.client_tls(station_id if profile == 3 else None)
        session = StationSession(station_id, version, timeout=TIMEOUT)
        await session.connect(url or csms.url_for(profile), password=None if profile == 3 else password,
                              ssl_context=ssl_context, subprotocols=subprotocols)
        sessions.append((csms, session))
        if boot:
            answer = await session.call("BootNotification", boot_payload(version))
            assert answer["status"] == "Accepted", answer
        return session

    yield open_
    for _, session in sessions:
        await session.close()
    for csms, station_id in {(csms, session.station_id) for csms, session in sessions}:
        if not csms.stopped:
            await wait_until_dropped(csms, station_id)



@pytest.fixture(scope="module")
def bundled() -> Iterator[BundledCsms]:
    """An in-process reference CSMS (fresh PKI and database) for running suite cases against."""
    csms = BundledCsms(load_settings(environ={}))
    yield csms
    csms.stop()


# A tariff that charges for time as well as energy: 1.20 per hour of the session, beside a 0.50 session fee.
HOURLY_TARIFF = {"CSMSCHECK_TARIFF_PRICE_PER_HOUR": "1.2", "CSMSCHECK_TARIFF_SESSION_FEE": "0.5"}


@pytest.fixture(scope="module")
def bundled_hourly_csms() -> Iterator[BundledCsms]:
    csms = BundledCsms(load_settings(environ=HOURLY_TARIFF))
    yield csms
    csms.stop()


@pytest.fixture
def bundled_hourly(bundled_hourly_csms: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> BundledCsms:
    """Like ``bundled``, with the ``HOURLY_TARIFF``; the suite runs with the same tariff."""
    for name, value in HOURLY_TARIFF.items():
        monkeypatch.setenv(name, value)
    return bundled_hourly_csms


# Set by .ci/run, which starts a throwaway PostgreSQL server (.ci/postgres): the database
# tests run against it as well as against SQLite.
POSTGRES_ENV = "CSMSCHECK_TEST_POSTGRES"


async def _postgres_admin(server: str, statement: str) -> None:
    import asyncpg  # the [postgres] extra; only needed when a server is given

    connection = await asyncpg.connect(server)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for a reference CSMS: a SQLite file, and a PostgreSQL database
    on the server ``CSMSCHECK_TEST_POSTGRES`` names (skipped, saying so, without one).

    Ask for it before ``start_csms``, so the CSMS stops before its database is dropped.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'csms.db'}"
        return
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"no PostgreSQL server: set {POSTGRES_ENV}=postgresql://user@host:port/db (.ci/run starts one)")
    name = f"csms_{uuid.uuid4().hex[:16]}"
    asyncio.run(_postgres_admin(server, f"CREATE DATABASE {name}"))
    try:
        yield f"{server.rsplit('/', 1)[0]}/{name}"
    finally:
        asyncio.run(_postgres_admin(server, f"DROP DATABASE {name} WITH (FORCE)"))
