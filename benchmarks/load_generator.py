"""Benchmark ``csmscheck load`` itself, against a minimal OCPP responder (ocpp_responder.py):

1. **Idle stations**: N stations (default 20,000) boot, report their connector and send
   heartbeats, from one machine; the generator's memory per station.
2. **CPU per message**: S stations (default 2,000) sending a Heartbeat every second, against a
   bare ``picows`` client sending the same frames on as many connections (same run, one
   process each): the generator's CPU per message and the ratio to the bare client.

    python -m benchmarks.load_generator                     # both, about 4 minutes
    python -m benchmarks.load_generator --idle 5000 --busy 500   # smaller

Run by hand from the repository root (not part of the test suite). Prints one line per
figure and writes them to ``load_generator.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import psutil
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from benchmarks.targets import free_port
from csmscheck.wire.basic_auth import basic_authorization

IDLE_PROFILE = 'scenario = "steady"\nheartbeat_s = 60\n[sessions]\nenabled = false\n'
BUSY_PROFILE = 'scenario = "steady"\nheartbeat_s = 1\n[sessions]\nenabled = false\n'


def _tree(process: psutil.Process) -> list[psutil.Process]:
    try:
        return [process, *process.children(recursive=True)]
    except psutil.Error:
        return []


def _rss_mb(process: psutil.Process) -> float:
    total = 0
    for member in _tree(process):
        with contextlib.suppress(psutil.Error):
            total += member.memory_info().rss
    return total / 2**20


def _cpu_s(process: psutil.Process) -> float:
    total = 0.0
    for member in _tree(process):
        try:
            times = member.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        except psutil.Error:
            pass
    return total


async def _run_generator(url: str, stations: int, profile: str, duration: int, processes: int,
                         workdir: Path) -> dict[str, Any]:
    """``csmscheck load`` as a user runs it; its memory sampled each second, its CPU at the end."""
    (workdir / "profile.toml").write_text(profile)
    report = workdir / f"report-{stations}"
    command = [sys.executable, "-m", "csmscheck", "load", "--target", url, "--password", "benchmark-password-1",
               "--stations", str(stations), "--profile", str(workdir / "profile.toml"), "--duration",
               f"{duration}s", "--ramp", "1000", "--processes", str(processes), "--no-live",
               "--report-dir", str(report)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # noqa: ASYNC220
    process = psutil.Process(child.pid)
    samples: list[tuple[float, float, float]] = []  # (time, CPU seconds, RSS MB) of the generator's processes
    while child.poll() is None:
        samples.append((time.time(), _cpu_s(process), _rss_mb(process)))
        await asyncio.sleep(1)  # sampling a subprocess's memory and CPU, not synchronising
    output = child.stdout.read() if child.stdout else ""
    found = json.loads((report / "load.json").read_text())
    started_at, series = found["meta"]["started_at"], found["series"]
    # The steady window: from 2 s after the last station was due to its last full second.
    first, last = int(stations / 1000) + 2, int(found["summary"]["duration_s"]) - 1
    window = [s for s in samples if started_at + first <= s[0] <= started_at + last]
    messages = sum(entry["messages"] for entry in series if first <= entry["t"] < last)
    cpu = window[-1][1] - window[0][1] if len(window) > 1 else 0.0
    seconds = window[-1][0] - window[0][0] if len(window) > 1 else 1.0
    idle_rss = samples[1][2] if len(samples) > 1 else 0.0  # the processes started, no station yet
    peak_rss = max(s[2] for s in samples)
    return {"stations": stations, "connected_peak": max((s["connected"] for s in series), default=0),
            "messages": found["summary"]["messages"], "errors": found["summary"]["errors"],
            "connect_failures": found["summary"]["connect_failures"],
            "peak_rss_mb": round(peak_rss, 1), "rss_before_stations_mb": round(idle_rss, 1),
            "kb_per_station": round((peak_rss - idle_rss) * 1024 / stations, 1),
            "kb_per_station_all_in": round(peak_rss * 1024 / stations, 1),
            "steady_window_s": round(seconds, 1), "steady_messages_per_s": round(messages / seconds),
            "cpu_us_per_message": round(cpu * 1e6 / max(1, messages * seconds / max(1, last - first)), 1),
            "output": output.strip().splitlines()[-2:]}


class _Bare(WSListener):  # type: ignore[misc]
    """The baseline: a connection that sends a Heartbeat and waits for its answer, nothing more."""

    def __init__(self) -> None:
        self.answered: asyncio.Future[None] | None = None
        self.count = 0

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.TEXT:
            orjson.loads(frame.get_payload_as_bytes())
            self.count += 1
            if self.answered is not None and not self.answered.done():
                self.answered.set_result(None)


async def _bare_client(url: str, stations: int, duration: int) -> dict[str, Any]:
    auth = basic_authorization("BARE", "benchmark-password-1")
    clients: list[tuple[WSTransport, _Bare]] = []
    for n in range(stations):
        transport, listener = await ws_connect(_Bare, f"{url}/BARE{n:05d}",
                                               extra_headers={"Sec-WebSocket-Protocol": "ocpp2.0.1",
                                                              "Authorization": auth})
        clients.append((transport, listener))
    cpu_start, ends = time.process_time(), time.monotonic() + duration
    counted_from = sum(listener.count for _, listener in clients)

    async def beat(n: int, transport: WSTransport, listener: _Bare) -> None:
        await asyncio.sleep(n / stations)  # spread over the second, as the load run's ramp does
        message_id = 0
        while time.monotonic() < ends:
            message_id += 1
            listener.answered = asyncio.get_running_loop().create_future()
            transport.send(WSMsgType.TEXT, orjson.dumps([2, str(message_id), "Heartbeat", {}]))
            await listener.answered
            await asyncio.sleep(1)

    await asyncio.gather(*(beat(n, *client) for n, client in enumerate(clients)))
    cpu = time.process_time() - cpu_start
    messages = sum(listener.count for _, listener in clients) - counted_from
    for transport, _ in clients:
        transport.disconnect()
    return {"stations": stations, "messages": messages, "cpu_s": round(cpu, 2),
            "cpu_us_per_message": round(cpu * 1e6 / max(1, messages), 1)}


async def main(idle: int, busy: int, duration: int) -> dict[str, Any]:
    port = free_port()
    responder = subprocess.Popen([sys.executable, str(Path(__file__).with_name("ocpp_responder.py")),  # noqa: ASYNC220
                                  "--port", str(port), "--processes", "2"], stdout=subprocess.PIPE, text=True)
    assert responder.stdout is not None
    responder.stdout.readline()
    url = f"ws://127.0.0.1:{port}/ocpp"
    results: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if idle:
                results["idle"] = await _run_generator(url, idle, IDLE_PROFILE, duration, 2, Path(tmp))
                print("idle:", results["idle"], flush=True)
            if busy:
                results["busy"] = await _run_generator(url, busy, BUSY_PROFILE, duration, 1, Path(tmp))
                print("busy (csmscheck load):", results["busy"], flush=True)
                results["bare"] = await _bare_client(url, busy, duration)
                print("busy (bare picows client):", results["bare"], flush=True)
                results["cpu_ratio"] = round(results["busy"]["cpu_us_per_message"]
                                             / results["bare"]["cpu_us_per_message"], 2)
                print("generator CPU per message / bare client:", results["cpu_ratio"], flush=True)
    finally:
        responder.terminate()
        responder.wait()
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, default=20_000, help="idle stations (0: skip)")
    parser.add_argument("--busy", type=int, default=2_000, help="stations sending a Heartbeat each second (0: skip)")
    parser.add_argument("--duration", type=int, default=60, help="seconds per run")
    parser.add_argument("--json", type=Path, default=Path("load_generator.json"))
    args = parser.parse_args()
    found = asyncio.run(main(args.idle, args.busy, args.duration))
    args.json.write_text(json.dumps(found, indent=2))
