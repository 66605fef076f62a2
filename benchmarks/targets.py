"""The two CSMSs under test, each in its own subprocess so their CPU and memory are measured apart."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import psutil
import tomli_w

BUNDLED, BASELINE = "bundled", "ocpp-lib"
STATION_PATTERN = "BENCH{n:05d}"
PASSWORD = "bench-password-0123456789abcdef"
BASELINE_SCRIPT = Path(__file__).with_name("ocpp_baseline_csms.py")
NOTABLE_LOG_LINES = ("ERROR", "Traceback", "database is locked", "QueuePool limit")


def station_id(n: int) -> str:
    return STATION_PATTERN.format(n=n)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Target:
    name: str
    url: str  # stations connect to <url>/<station id>
    process: asyncio.subprocess.Process
    log: Path

    @property
    def _ps(self) -> psutil.Process:
        return psutil.Process(self.process.pid)

    def cpu_seconds(self) -> float:
        times = self._ps.cpu_times()
        return float(times.user + times.system)

    def rss(self) -> int:
        return int(self._ps.memory_info().rss)

    def log_findings(self) -> dict[str, int]:
        """How many lines of the server's log name each notable problem."""
        lines = self.log.read_text(errors="replace").splitlines()
        return {word: sum(word in line for line in lines) for word in NOTABLE_LOG_LINES}

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def _spawn(name: str, argv: list[str], url: str, workdir: Path, ready: str) -> Target:
    log = workdir / f"{name}.log"
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, stderr=stderr, env=os.environ | {"PYTHONUNBUFFERED": "1"})
    target = Target(name, url, process, log)
    assert process.stdout is not None
    try:
        async with asyncio.timeout(120):
            while not (line := await process.stdout.readline()).startswith(ready.encode()):
                if not line:
                    raise RuntimeError(f"{name} exited at start-up; see {log}:\n{log.read_text()[-2000:]}")
    except BaseException:
        await target.stop()
        raise
    return target


async def start_baseline(workdir: Path) -> Target:
    port = free_port()
    argv = [sys.executable, str(BASELINE_SCRIPT), "--port", str(port)]
    return await _spawn(BASELINE, argv, f"ws://127.0.0.1:{port}/ocpp", workdir, "ready")


async def start_bundled(workdir: Path, stations: int) -> Target:
    """A fresh reference CSMS with its own database in which ``stations`` benchmark stations exist."""
    argv, url = _prepare_bundled(workdir, stations)
    return await _spawn(BUNDLED, argv, url, workdir, "reference CSMS running")


def _prepare_bundled(workdir: Path, stations: int) -> tuple[list[str], str]:
    db, config = workdir / "bench.db", workdir / "bench.toml"
    ws_port = free_port()
    settings: dict[str, object] = {"host": "127.0.0.1", "ws_port": ws_port, "api_port": free_port()}
    if _has_provision_setting():
        settings["provision"] = [{"pattern": STATION_PATTERN, "count": stations, "start": 0,
                                  "ocpp_version": "2.0.1", "security_profile": 1, "password": PASSWORD}]
    else:
        insert_stations(f"sqlite:///{db}", stations)
    config.write_text(tomli_w.dumps({"csms": settings}))
    command = str(Path(sys.executable).with_name("csmscheck"))
    return [command, "csms", "--db", f"sqlite:///{db}", "--config", str(config)], f"ws://127.0.0.1:{ws_port}/ocpp"


def _has_provision_setting() -> bool:
    from csmscheck.csms.config import CsmsConfig

    return any(f.name == "provision" for f in dataclasses.fields(CsmsConfig))


def insert_stations(db_url: str, count: int) -> None:
    """Until the CSMS provisions stations itself: write them into its database before it starts."""
    from sqlalchemy import create_engine, insert

    from csmscheck.csms.credentials import hash_password
    from csmscheck.csms.models import Base, Station

    engine = create_engine(db_url)
    Base.metadata.create_all(engine)
    password_hash = hash_password(PASSWORD)  # one scrypt, shared by all: the salt only guards against tables
    rows = [{"id": station_id(n), "ocpp_version": "2.0.1", "security_profile": 1, "password_hash": password_hash}
            for n in range(count)]
    with engine.begin() as connection:
        connection.execute(insert(Station), rows)
    engine.dispose()
