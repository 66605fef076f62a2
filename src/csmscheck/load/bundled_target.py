"""The bundled reference CSMS as a load run's target: its own process (so its CPU and memory
are measured apart from the generator's), a fresh database, the run's stations provisioned."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from csmscheck.load.options import LoadOptions

DEFAULT_PASSWORD = "0123456789abcdef0123456789abcdef"  # valid for both versions (1.6: 32 hex digits)
PROFILE_1 = b"profile 1"  # the line of `csmscheck csms` that names the ws:// listener
START_TIMEOUT_S = 300.0  # provisioning 100,000 stations takes a while


class BundledCsmsFailed(Exception):
    """The bundled CSMS would not start (its last log line says why)."""


@dataclass
class BundledTarget:
    url: str
    pid: int
    password: str
    process: asyncio.subprocess.Process
    directory: Path

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def provisions(options: LoadOptions, password: str) -> list[dict[str, object]]:
    """``[csms] provision`` entries for every station of the run (all shards'), by OCPP version."""
    entries: list[dict[str, object]] = []
    n = 0
    while n < options.stations:
        version = options.profile.version_of(n, options.stations)
        end = n
        while end < options.stations and options.profile.version_of(end, options.stations) == version:
            end += 1
        entries.append({"pattern": options.id_pattern, "start": n, "count": end - n, "ocpp_version": version,
                        "security_profile": 1, "password": password})
        n = end
    return entries


async def start_bundled(options: LoadOptions) -> BundledTarget:
    directory = Path(tempfile.mkdtemp(prefix="csmscheck-load-"))
    password = options.password or DEFAULT_PASSWORD
    config = directory / "csms.toml"
    config.write_text(tomli_w.dumps({"csms": {"host": "127.0.0.1", "ws_port": 0, "api_port": 0,
                                              "provision": provisions(options, password)}}))
    log = (directory / "csms.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "csmscheck", "csms", "--db", f"sqlite:///{directory / 'csms.db'}",
        "--config", str(config), stdout=asyncio.subprocess.PIPE, stderr=log,
        env=os.environ | {"PYTHONUNBUFFERED": "1"})
    log.close()
    assert process.stdout is not None
    try:
        async with asyncio.timeout(START_TIMEOUT_S):
            while not (line := await process.stdout.readline()).strip().startswith(PROFILE_1):
                if not line:
                    await process.wait()
                    log_lines = (directory / "csms.log").read_text(errors="replace").strip().splitlines()
                    raise BundledCsmsFailed(f"the bundled CSMS did not start: {log_lines[-1] if log_lines else '?'}")
        url = line.split()[2].decode().partition("/<")[0]  # "  profile 1  ws://…/ocpp/<station id>"
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return BundledTarget(url, process.pid, password, process, directory)
