"""Handshake storm: N stations open their WebSockets to the reference CSMS at once, twice.

Run by hand (not part of the test suite)::

    python benchmarks/handshake_storm.py --stations 2000

It provisions N 1.6 profile-1 stations (one shared password hash) straight into a fresh
SQLite database, starts ``csmscheck csms`` on free ports as a subprocess, connects all
stations concurrently, closes them, and connects them all again (a reconnect storm). For
each round it reports how many handshakes succeeded, the failures by kind, the time the
round took and the p50/p99/max handshake time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import websockets
from sqlalchemy import insert

from csmscheck.csms.credentials import hash_password
from csmscheck.csms.models import Station
from csmscheck.csms.store import Store
from csmscheck.gc_tuning import tune_for_many_connections
from csmscheck.wire.basic_auth import basic_authorization

PASSWORD = "storm-password-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def provision(db_url: str, count: int) -> list[str]:
    ids = [f"STORM{n:05d}" for n in range(count)]
    digest = hash_password(PASSWORD)
    store = Store(db_url)
    await store.create_schema()
    async with store.session() as db:
        await db.execute(insert(Station), [
            {"id": i, "ocpp_version": "1.6", "security_profile": 1, "password_hash": digest} for i in ids])
    await store.close()
    return ids


async def wait_listening(port: int, process: asyncio.subprocess.Process, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise SystemExit(f"the CSMS exited with status {process.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)  # a script polling a subprocess's start, not a test
            continue
        writer.close()
        return
    raise SystemExit("the CSMS did not start listening in time")


async def storm(url: str, ids: list[str], open_timeout: float) -> tuple[list[websockets.ClientConnection], dict]:
    auth = {i: basic_authorization(i, PASSWORD) for i in ids}
    times: list[float] = []
    failures: Counter[str] = Counter()

    async def one(station_id: str) -> websockets.ClientConnection | None:
        started = time.perf_counter()
        try:
            ws = await websockets.connect(f"{url}/{station_id}", subprotocols=[websockets.Subprotocol("ocpp1.6")],
                                          additional_headers={"Authorization": auth[station_id]},
                                          open_timeout=open_timeout, ping_interval=None, compression=None)
        except Exception as exc:  # every failure counts, by kind
            failures[type(exc).__name__] += 1
            return None
        times.append(time.perf_counter() - started)
        return ws

    started = time.perf_counter()
    results = await asyncio.gather(*(one(i) for i in ids))
    elapsed = time.perf_counter() - started
    times.sort()

    def pct(p: float) -> float:
        return times[min(len(times) - 1, int(p * len(times)))] * 1000 if times else float("nan")

    figures = {"ok": len(times), "failed": dict(failures), "seconds": round(elapsed, 2),
               "p50_ms": round(pct(0.5)), "p99_ms": round(pct(0.99)), "max_ms": round(pct(1.0))}
    return [ws for ws in results if ws is not None], figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=2000)
    parser.add_argument("--open-timeout", type=float, default=30.0, help="each client's handshake timeout")
    parser.add_argument("--csms-log", type=Path, default=Path(os.devnull), help="where the CSMS's log goes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        db_url = f"sqlite:///{Path(directory) / 'storm.db'}"
        ids = await provision(db_url, args.stations)
        ws_port = free_port()
        config = Path(directory) / "csms.toml"
        config.write_text(f"[csms]\nws_port = {ws_port}\napi_port = {free_port()}\n")
        log_file = args.csms_log.open("w")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "csmscheck", "csms", "--db", db_url, "--config", str(config),
            stdout=asyncio.subprocess.DEVNULL, stderr=log_file)
        try:
            await wait_listening(ws_port, process, time.monotonic() + 60)
            url = f"ws://127.0.0.1:{ws_port}/ocpp"
            for name in ("first connection", "reconnection"):
                connections, figures = await storm(url, ids, args.open_timeout)
                print(f"{name}: {figures}", flush=True)
                await asyncio.gather(*(ws.close() for ws in connections), return_exceptions=True)
        finally:
            process.terminate()
            await process.wait()
            log_file.close()


if __name__ == "__main__":
    tune_for_many_connections()  # the client's own full collections would show as the CSMS's latency
    asyncio.run(main())
