"""The reference CSMS in a process of its own (``csmscheck csms``), as the load generator and the fuzzer start
it: so it has a core of its own as a real CSMS would, and its CPU and memory are measured apart. A fresh
database in a temporary directory, the ``[csms]`` settings given (stations provisioned), its listeners read
from the lines it prints when it is up."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

DEFAULT_PASSWORD = "0123456789abcdef0123456789abcdef"  # valid for both versions (1.6: 32 hex digits)


class CsmsProcessFailed(Exception):
    """The CSMS would not start (its last log line says why)."""


@dataclass
class CsmsProcess:
    url: str  # the ws:// listener of security profile 1; stations append /<station id>
    trigger: str  # the trigger API
    process: asyncio.subprocess.Process
    directory: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


async def start_csms_process(settings: dict[str, Any], *, purpose: str, timeout: float) -> CsmsProcess:
    """Start ``csmscheck csms`` on free loopback ports with the ``[csms]`` ``settings`` (``purpose`` names its
    temporary directory) and wait up to ``timeout`` seconds until it listens."""
    directory = Path(tempfile.mkdtemp(prefix=f"csmscheck-{purpose}-"))
    config = directory / "csms.toml"
    config.write_text(tomli_w.dumps({"csms": {"host": "127.0.0.1", "ws_port": 0, "api_port": 0} | settings}))
    log = (directory / "csms.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "csmscheck", "csms", "--db", f"sqlite:///{directory / 'csms.db'}",
        "--config", str(config), stdout=asyncio.subprocess.PIPE, stderr=log,
        env=os.environ | {"PYTHONUNBUFFERED": "1"})
    log.close()
    assert process.stdout is not None
    url = trigger = ""
    try:
        async with asyncio.timeout(timeout):
            while not trigger:  # "  profile 1  ws://…/ocpp/<station id>" comes first, "  trigger API http://…" last
                line = (await process.stdout.readline()).decode()
                if not line:
                    await process.wait()
                    lines = (directory / "csms.log").read_text(errors="replace").strip().splitlines()
                    raise CsmsProcessFailed(f"the bundled CSMS did not start: {lines[-1] if lines else '?'}")
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
    return CsmsProcess(url, trigger, process, directory)
