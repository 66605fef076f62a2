"""The bundled reference CSMS as the fuzz target: its own process (so it has a core of its own, as a real
CSMS would), a fresh database, the fuzzing stations provisioned."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from csmscheck.wire.versions import OcppVersion

PASSWORD = "0123456789abcdef0123456789abcdef"  # valid for both versions (1.6: 32 hex digits)
START_TIMEOUT_S = 120.0
CALL_TIMEOUT_S = 1.0


def station_ids(version: OcppVersion, count: int) -> list[str]:
    return [f"FUZZ{'201' if version == '2.0.1' else '16'}-{n:02d}" for n in range(count)]


@dataclass
class BundledTarget:
    url: str
    trigger: str
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


async def start_bundled(count: int) -> BundledTarget:
    """Start ``csmscheck csms`` with ``count`` fuzzing stations of each version."""
    directory = Path(tempfile.mkdtemp(prefix="csmscheck-fuzz-"))
    provision = [{"pattern": f"FUZZ{tag}-{{n:02d}}", "start": 0, "count": count, "ocpp_version": version,
                  "security_profile": 1, "password": PASSWORD} for tag, version in (("201", "2.0.1"), ("16", "1.6"))]
    config = directory / "csms.toml"
    # A short wait for the station's answers: the late-answer sequence answers after the CSMS gave up.
    config.write_text(tomli_w.dumps({"csms": {"host": "127.0.0.1", "ws_port": 0, "api_port": 0,
                                              "call_timeout": CALL_TIMEOUT_S, "provision": provision}}))
    log = (directory / "csms.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "csmscheck", "csms", "--db", f"sqlite:///{directory / 'csms.db'}",
        "--config", str(config), stdout=asyncio.subprocess.PIPE, stderr=log,
        env=os.environ | {"PYTHONUNBUFFERED": "1"})
    log.close()
    assert process.stdout is not None
    url = trigger = ""
    try:
        async with asyncio.timeout(START_TIMEOUT_S):
            while not trigger:
                line = (await process.stdout.readline()).decode()
                if not line:
                    await process.wait()
                    lines = (directory / "csms.log").read_text(errors="replace").strip().splitlines()
                    raise RuntimeError(f"the bundled CSMS did not start: {lines[-1] if lines else '?'}")
                words = line.split()
                if line.strip().startswith("profile 1"):
                    url = words[2].partition("/<")[0]
                elif line.strip().startswith("trigger API"):
                    trigger = words[2]
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return BundledTarget(url, trigger, process, directory)
