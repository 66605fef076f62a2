"""`csmscheck load` end to end, at small scale, against the bundled reference CSMS: each
scenario, both OCPP versions, SLO verdicts, shards merged, and a CSMS that is not there."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from csmscheck.load.options import LoadOptions, make_options
from csmscheck.load.profile import profile_from_dict
from csmscheck.load.runner import run_load

# Sessions seconds long, so a run of a few seconds charges, meters and stops.
QUICK_SESSIONS = {"meter_interval_s": 0.5, "duration_s": [1, 2], "idle_s": [0.1, 0.4]}


def _options(tmp_path: Path, *, stations: int, scenario: str = "steady", ocpp: str = "2.0.1", duration: str = "6s",
             slo: str | None = None, network: dict[str, Any] | None = None, processes: int = 1,
             **overrides: Any) -> LoadOptions:
    profile = profile_from_dict(scenario, {"scenario": scenario, "ocpp": ocpp, "heartbeat_s": 1,
                                           "sessions": dict(QUICK_SESSIONS, enabled=scenario != "boot-storm"),
                                           "network": network or {}})
    settings: dict[str, Any] = {
        "stations": stations, "profile": profile, "duration": duration, "ramp": 100.0, "target": None,
        "id_pattern": "LOAD{n:05d}", "password": None, "pki_dir": None, "processes": processes, "shard": None,
        "start_at": None, "csms_pid": None, "slo": slo, "metrics_port": None, "report_dir": tmp_path / "report",
        "validate_sample": 0.2, "live": False} | overrides
    return make_options(**settings)


def _report(options: LoadOptions) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((options.report_dir / "load.json").read_text())
    return loaded


def test_steady_mixed_versions_charge_and_hold_their_slo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    options = _options(tmp_path, stations=12, ocpp="mixed", slo="errors=0,p99<5s,inconsistencies=0")
    assert run_load(options) == 0
    report = _report(options)
    assert report["summary"]["stations"] == 12
    assert report["summary"]["errors"] == 0 and report["summary"]["connect_failures"] == 0
    for action in ("BootNotification", "StatusNotification", "Authorize", "TransactionEvent",
                   "StartTransaction", "MeterValues", "StopTransaction"):
        assert report["actions"][action]["count"] > 0, action
    assert report["consistency"] == {"inconsistencies": {}, "violations": {}}  # sampled stations validated
    assert [verdict["passed"] for verdict in report["slo"]] == [True, True, True]
    assert (options.report_dir / "junit.xml").read_text().count("<testcase") == 3
    assert "<svg" in (options.report_dir / "load.html").read_text()
    assert "SLO held  errors=0" in capsys.readouterr().out


def test_an_impossible_slo_fails_the_run_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    options = _options(tmp_path, stations=3, duration="2s", slo="p99<1us,errors=0")
    assert run_load(options) == 1
    out = capsys.readouterr().out
    assert "SLO BROKEN p99<1us" in out
    assert "SLO held  errors=0" in out
    junit = (options.report_dir / "junit.xml").read_text()
    assert junit.count("<failure") == 1 and "p99&lt;1us" in junit


def test_a_boot_storm_connects_every_station_at_once(tmp_path: Path) -> None:
    options = _options(tmp_path, stations=60, scenario="boot-storm", duration="3s")
    assert run_load(options) == 0
    report = _report(options)
    assert report["actions"]["BootNotification"]["count"] == 60
    assert report["summary"]["connects"] == 60 and report["summary"]["connect_failures"] == 0
    assert "TransactionEvent" not in report["actions"]


def test_a_reconnect_storm_brings_every_station_back_and_replays_its_queue(tmp_path: Path) -> None:
    options = _options(tmp_path, stations=10, scenario="reconnect-storm", ocpp="mixed", duration="9s",
                       network={"reconnect_window_s": 1})
    assert run_load(options) == 0
    report = _report(options)
    assert report["summary"]["disconnects"] == 10  # every station lost its network once …
    assert report["connections"]["reconnects"] == 10  # … and booted again
    assert report["connections"]["reconnect_ms"]["max_ms"] < 5_000
    assert report["actions"]["BootNotification"]["count"] == 20
    assert report["summary"]["errors"] == 0 and report["consistency"]["inconsistencies"] == {}


def test_a_soak_survives_stations_dropping_off_the_network(tmp_path: Path) -> None:
    options = _options(tmp_path, stations=8, scenario="soak", ocpp="mixed", duration="6s",
                       network={"drop_every_s": 1, "offline_s": [0.1, 0.3]})
    assert run_load(options) == 0
    report = _report(options)
    assert report["summary"]["disconnects"] > 0 and report["connections"]["reconnects"] > 0
    assert report["summary"]["errors"] == 0 and report["consistency"]["inconsistencies"] == {}
    assert report["csms"]["rss_mb"], "the bundled CSMS's memory is sampled"


def test_worker_processes_share_the_stations(tmp_path: Path) -> None:
    options = _options(tmp_path, stations=20, scenario="boot-storm", duration="3s", processes=2)
    assert run_load(options) == 0
    assert _report(options)["actions"]["BootNotification"]["count"] == 20


def test_a_csms_that_is_not_there_is_counted_not_a_crash(tmp_path: Path) -> None:
    options = _options(tmp_path, stations=3, duration="2s", slo="connect_failures=0",
                       target="ws://127.0.0.1:9/ocpp", password="whatever-password-123")
    assert run_load(options) == 1
    report = _report(options)
    assert report["summary"]["connect_failures"] >= 3
    assert set(report["connect_failures_by_cause"]) == {"refused"}


def _load_process(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "csmscheck", "load", "--no-live", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_shards_merge_into_the_sum_of_their_parts(tmp_path: Path) -> None:
    import asyncio

    from csmscheck.load.bundled_target import start_bundled

    whole = _options(tmp_path, stations=20, scenario="boot-storm")

    async def shards() -> None:
        target = await start_bundled(whole)
        try:
            start_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3))
            runs = [_load_process("--stations", "20", "--profile", "boot-storm", "--duration", "3s",
                                  "--target", target.url, "--password", target.password, "--processes", "1",
                                  "--shard", f"{i}/2", "--start-at", start_at, "--slo", "errors=0",
                                  "--report-dir", str(tmp_path / f"shard{i}")) for i in range(2)]
            for run in runs:
                out, err = await asyncio.to_thread(run.communicate, timeout=60)
                assert run.returncode == 0, out + err
        finally:
            await target.stop()

    asyncio.run(shards())
    parts = [json.loads((tmp_path / f"shard{i}" / "load.json").read_text()) for i in range(2)]
    assert [part["summary"]["stations"] for part in parts] == [10, 10]
    merged_dir = tmp_path / "merged"
    merging = subprocess.run([sys.executable, "-m", "csmscheck", "load", "merge", str(tmp_path / "shard0"),
                              str(tmp_path / "shard1"), "--report-dir", str(merged_dir)],
                             capture_output=True, text=True, timeout=60)
    assert merging.returncode == 0, merging.stderr
    merged = json.loads((merged_dir / "load.json").read_text())
    for key in ("stations", "messages", "errors", "connect_failures"):
        assert merged["summary"][key] == sum(part["summary"][key] for part in parts), key
    assert merged["actions"]["BootNotification"]["count"] == 20
    assert [verdict["rule"] for verdict in merged["slo"]] == ["errors=0"]


def test_ctrl_c_stops_the_run_and_still_writes_the_report(tmp_path: Path) -> None:
    run = _load_process("--stations", "5", "--duration", "60s", "--processes", "1",
                        "--report-dir", str(tmp_path / "report"))
    assert run.stdout is not None
    deadline = time.monotonic() + 60
    while not (line := run.stdout.readline()).startswith("running 5 stations"):  # the run is under way
        assert line and time.monotonic() < deadline, "the run did not start"
    os.kill(run.pid, signal.SIGINT)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    report = json.loads((tmp_path / "report" / "load.json").read_text())
    assert report["meta"]["interrupted"] is True
    assert report["summary"]["duration_s"] < 30
    assert "interrupted" in out


def test_options_keep_what_a_shard_needs() -> None:
    options = replace(_options(Path("."), stations=10), shard=(1, 3))
    assert list(options.indices()) == [4, 5, 6]


def test_callerrors_and_silence_are_counted_by_code_and_as_timeouts(tmp_path: Path) -> None:
    """A CSMS that answers BootNotification twice, every other CALL with an InternalError, and
    never a Heartbeat."""
    import asyncio

    import orjson
    from websockets.asyncio.server import ServerConnection, serve

    async def csms(connection: ServerConnection) -> None:
        async for text in connection:
            _, message_id, action, _ = orjson.loads(text)
            if action == "BootNotification":
                answer = [3, message_id, {"status": "Accepted", "currentTime": "2026-01-01T00:00:00Z",
                                          "interval": 1}]
                await connection.send(orjson.dumps(answer).decode())  # twice
            elif action == "Heartbeat":
                continue
            else:
                answer = [4, message_id, "InternalError", "broken on purpose", {}]
            await connection.send(orjson.dumps(answer).decode())

    async def run() -> int:
        def offer(connection: ServerConnection, offered: Any) -> Any:
            return offered[0]

        async with serve(csms, "127.0.0.1", 0, select_subprotocol=offer) as server:
            port = server.sockets[0].getsockname()[1]
            options = _options(tmp_path, stations=3, duration="4s", target=f"ws://127.0.0.1:{port}",
                               password="whatever-password-123", slo="errors=0")
            options = replace(options, profile=replace(options.profile, message_timeout_s=1.0))
            return await asyncio.to_thread(run_load, options)

    assert asyncio.run(run()) == 1
    report = json.loads((tmp_path / "report" / "load.json").read_text())
    assert report["callerrors_by_code"]["InternalError"]["actions"]["StatusNotification"] == 3
    assert report["summary"]["timeouts"] >= 3  # the unanswered Heartbeats
    assert report["actions"]["BootNotification"]["errors"] == 0
    assert report["consistency"]["inconsistencies"]["answered twice"]["count"] == 3
