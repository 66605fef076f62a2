"""A run against a CSMS that breaks: the run notices and stops, failures read plainly,
findings are reported (and fail only with --strict), not-applicable cases say why."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from test_cli import csmscheck
from websockets.asyncio.server import serve

from csmscheck.bundled import BundledCsms
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import ROUTES, Payload
from csmscheck.suite.plugin import failure_message
from csmscheck.suite.watchdog import failure_kind


@pytest.fixture
def refusing_csms() -> Iterator[str]:
    """A WebSocket server (in its own thread) that refuses every upgrade with HTTP 503."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop = asyncio.Event()
    address: list[str] = []

    async def serve_until_stopped() -> None:
        async def handler(_ws: Any) -> None:
            return None

        async with serve(handler, "127.0.0.1", 0,
                         process_request=lambda ws, _request: ws.respond(503, "down\n")) as server:
            address.append(f"127.0.0.1:{server.sockets[0].getsockname()[1]}")
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve_until_stopped(),), daemon=True)
    thread.start()
    ready.wait(10)
    yield address[0]
    loop.call_soon_threadsafe(stop.set)
    thread.join(10)
    loop.close()


def test_a_csms_that_refuses_everything_stops_the_run_after_three_cases(tmp_path: Path,
                                                                       refusing_csms: str) -> None:
    done = csmscheck("run", "B", "--target", f"ws://{refusing_csms}", "--trigger", f"http://{refusing_csms}",
                     "--report-dir", "out", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    results = orjson.loads((tmp_path / "out" / "results.json").read_bytes())
    outcomes = [t["outcome"] for t in results["tests"]]
    assert outcomes[:3] == ["failed"] * 3 and set(outcomes[3:]) == {"skipped"}
    reason = (f"the CSMS stopped answering from the first case: station CP201_SP1 could not connect to "
              f"ws://{refusing_csms}: the CSMS refused the upgrade with HTTP 503 Service Unavailable")
    assert results["stopped"] == reason
    assert results["tests"][3]["message"] == f"not run: {reason}"
    assert f"Stopped: {reason}; {len(outcomes) - 3} cases not run" in " ".join(done.stdout.split())


def test_a_csms_that_stops_answering_mid_run_is_named_after_the_last_case_it_answered(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    real = ROUTES["2.0.1"].handlers["BootNotification"]
    boots = 0

    async def crash_after_the_first_boot(connection: StationConnection, request: Payload) -> Payload:
        nonlocal boots
        boots += 1
        if boots > 1:
            await connection.close(1011, "worker crashed")
        return await real(connection, request)

    monkeypatch.setitem(ROUTES["2.0.1"].handlers, "BootNotification", crash_after_the_first_boot)
    report_dir = pytester.path / "report"
    endpoints = bundled.endpoints
    result = pytester.runpytest_inprocess(
        "--pyargs", "csmscheck.suite", "-p", "no:cacheprovider", "--csms-target", endpoints.ws,
        "--csms-trigger", endpoints.api, "--csms-report-dir", str(report_dir),
        *[arg for case in ("TC_B_01", "TC_B_06", "TC_B_07", "TC_B_09", "TC_B_10") for arg in ("--csms-select", case)],
        "-o", "asyncio_default_fixture_loop_scope=function")
    assert result.ret == 1
    results = orjson.loads((report_dir / "results.json").read_bytes())
    assert [(t["id"], t["outcome"]) for t in results["tests"]] == [
        ("TC_B_01", "passed"), ("TC_B_06", "failed"), ("TC_B_07", "failed"), ("TC_B_09", "failed"),
        ("TC_B_10", "skipped")]
    assert results["stopped"] == ("the CSMS stopped answering after TC_B_01: Booted state: no answer to "
                                  "BootNotification: the CSMS closed the connection (code 1011, internal error, "
                                  "reason 'worker crashed')")


def test_failures_of_the_same_kind_differ_only_in_ids() -> None:
    stations = {"CP201_SP1", "CP16_SP1"}
    first = failure_kind("station CP201_SP1 could not connect to ws://127.0.0.1:9000: HTTP 503", stations)
    again = failure_kind("station CP16_SP1 could not connect to ws://127.0.0.1:9000: HTTP 503", stations)
    other = failure_kind("station CP16_SP1 could not connect to ws://127.0.0.1:9000: HTTP 401", stations)
    assert first == again != other
    assert failure_kind("no answer to 0b1f9c2e-77aa-4c1d", set()) == failure_kind("no answer to 5d2e41a9", set())


def test_a_plain_assert_reads_as_its_message_without_pytest_s_explanation() -> None:
    try:
        raise AssertionError("Step 2: the CSMS sent no OCSP request\nassert 0 >= 1\n +  where 0 = x.requests")
    except AssertionError:
        excinfo = pytest.ExceptionInfo.from_current()
    assert failure_message(excinfo) == "Step 2: the CSMS sent no OCSP request"


CUSTOM_CASES = '''
from csmscheck.checks import ExtraCheck
from csmscheck.errors import NotApplicable
from csmscheck.suite.marks import octt

CHECK = ExtraCheck("CSC-TEST-01", "a check beyond the OCTT verdict", "a test")


@octt("TC_B_01")
async def test_with_a_finding(findings) -> None:
    """With a finding."""
    findings.check(CHECK, False, "the CSMS did something the specification does not allow")


@octt("TC_B_02")
async def test_not_applicable() -> None:
    """Not applicable."""
    raise NotApplicable("needs a PKI (CSMSCHECK_PKI_DIR)")
'''


@pytest.mark.parametrize("strict", [False, True])
def test_findings_are_reported_and_fail_only_with_strict(pytester: pytest.Pytester, strict: bool) -> None:
    pytester.makepyfile(test_custom=CUSTOM_CASES)
    report_dir = pytester.path / "report"
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "--csms-target", "ws://127.0.0.1:1", "--csms-trigger", "http://127.0.0.1:1",
        "--csms-report-dir", str(report_dir), *(["--csms-strict"] if strict else []),
        "-o", "asyncio_default_fixture_loop_scope=function")
    results = orjson.loads((report_dir / "results.json").read_bytes())
    finding, not_applicable = results["tests"]
    assert finding["findings"] == [{"check": "CSC-TEST-01",
                                    "message": "the CSMS did something the specification does not allow"}]
    assert finding["outcome"] == ("failed" if strict else "passed")
    if strict:
        assert finding["message"] == ("csmscheck checks not met (--strict):\n"
                                      "[CSC-TEST-01] the CSMS did something the specification does not allow")
    assert not_applicable["outcome"] == "skipped"
    assert not_applicable["message"] == "not applicable: needs a PKI (CSMSCHECK_PKI_DIR)"
    assert result.ret == (1 if strict else 0)
    junit = (report_dir / "junit.xml").read_text()
    assert 'name="csmscheck-check CSC-TEST-01"' in junit


def test_pace_pauses_between_cases(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    report_dir = pytester.path / "report"
    endpoints = bundled.endpoints
    pytester.runpytest_inprocess(
        "--pyargs", "csmscheck.suite", "-p", "no:cacheprovider", "--csms-target", endpoints.ws,
        "--csms-trigger", endpoints.api, "--csms-report-dir", str(report_dir), "--csms-pace", "0.5",
        "--csms-select", "TC_B_01", "--csms-select", "TC_B_06", "-o", "asyncio_default_fixture_loop_scope=function")
    junit = (report_dir / "junit.xml").read_text()
    first, second = (case.split("<system-out>")[1] for case in junit.split("<testcase")[1:])

    def stamps(text: str) -> list[datetime]:
        return [datetime.fromisoformat(line.split(" ")[0]) for line in text.split("</system-out>")[0].splitlines()
                if line[:1].isdigit()]

    gap = (stamps(second)[0] - stamps(first)[-1]).total_seconds()
    assert gap >= 0.5, gap


def test_the_run_s_duration_is_the_cases_time_not_report_formatting(tmp_path: Path, refusing_csms: str) -> None:
    """Nineteen failing cases once took ~0.25 s each outside their own time (pytest parsing source for
    tracebacks nobody reads); the run's duration must be about the sum of its cases'."""
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "csmscheck", "run", "B", "--target", f"ws://{refusing_csms}",
         "--trigger", f"http://{refusing_csms}", "--report-dir", "out"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
        env=os.environ | {"CSMSCHECK_MAX_SETUP_FAILURES": "0"})
    assert done.returncode == 1, done.stdout + done.stderr
    results = orjson.loads((tmp_path / "out" / "results.json").read_bytes())
    octt = [t for t in results["tests"] if t["id"].startswith("TC_")]  # csmscheck's handshake cases pass: refused
    assert all(t["outcome"] == "failed" for t in octt) and len(octt) >= 19
    overhead = results["summary"]["duration_s"] - sum(t["duration_s"] for t in results["tests"])
    assert overhead < 2.0, f"{overhead:.2f}s of the run was in no case"
