"""Helpers for proving the suite fails: run one case against a deliberately broken CSMS.

With the ``bundled`` fixture (tests/conftest.py): patch a handler of the in-process
reference CSMS with ``monkeypatch`` (never a product flag), then ``run_case``.
"""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpcore  # noqa: F401  (load it before pytester runs, which would drop a lazily loaded copy)
import orjson
import pytest

from csmscheck.bundled import BundledCsms
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import ROUTES, Payload
from csmscheck.wire import CallResult


def run_case(pytester: pytest.Pytester, bundled: BundledCsms, case: str, *, strict: bool = False) -> dict[str, Any]:
    """Run one conformance case against the bundled CSMS; return its results.json entry."""
    (entry,) = run_cases(pytester, bundled, case, strict=strict)
    return entry


def run_cases(pytester: pytest.Pytester, bundled: BundledCsms, *cases: str,
              strict: bool = False, quirks: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Run conformance cases (with ``quirks``: the quirks sets of those profiles) against the bundled CSMS;
    return their results.json entries."""
    endpoints = bundled.endpoints
    report_dir = pytester.path / "report"
    selection = [arg for case in cases for arg in ("--csms-select", case)]
    pytester.runpytest_inprocess(
        "--pyargs", "csmscheck.suite", "-p", "no:cacheprovider", *selection,
        "--csms-target", endpoints.ws, "--csms-target-sp2", endpoints.wss_tls or "",
        "--csms-target-sp3", endpoints.wss_mtls or "", "--csms-pki-dir", str(bundled.pki_dir),
        "--csms-trigger", endpoints.api, "--csms-report-dir", str(report_dir),
        "-o", "asyncio_default_fixture_loop_scope=function", *(["--csms-strict"] if strict else []),
        *(arg for name in quirks for arg in ("--csms-quirks", name)),
    )
    results = orjson.loads(Path(report_dir / "results.json").read_bytes())
    entries: list[dict[str, Any]] = results["tests"]
    return entries


def patch_handler(monkeypatch: pytest.MonkeyPatch, version: str, action: str,
                  change: Callable[[Payload, Payload], Any]) -> None:
    """Wrap the real handler so its answer is altered by ``change(request, response)``."""
    real = ROUTES[version].handlers[action]  # type: ignore[index]

    async def broken(connection: StationConnection, request: Payload) -> Payload:
        response = await real(connection, request)
        change(request, response)
        return response

    monkeypatch.setitem(ROUTES[version].handlers, action, broken)  # type: ignore[index]


def assert_finding(entry: dict[str, Any], check: str, *fragments: str) -> None:
    """The case passed its OCTT verdict with a finding of ``check`` whose message holds every fragment."""
    assert entry["outcome"] == "passed", entry
    messages = [f["message"] for f in entry.get("findings", []) if f["check"] == check]
    assert messages, entry
    for fragment in fragments:
        assert any(fragment in m for m in messages), messages


def assert_failed(entry: dict[str, Any], *fragments: str) -> None:
    """The case failed, and its message holds every fragment."""
    assert entry["outcome"] == "failed", entry
    for fragment in fragments:
        assert fragment in entry["message"], entry["message"]


def alter_sent(monkeypatch: pytest.MonkeyPatch, action: str, change: Callable[[Payload], Any]) -> None:
    """The CSMS alters each ``action`` CALL before sending it (``change`` mutates a copy)."""
    real = StationConnection.call

    async def altered(self: StationConnection, name: str, payload: Payload, timeout: float) -> Any:
        if name == action:
            payload = copy.deepcopy(payload)
            change(payload)
        return await real(self, name, payload, timeout)

    monkeypatch.setattr(StationConnection, "call", altered)


def misreport_answer(monkeypatch: pytest.MonkeyPatch, action: str, change: Callable[[Payload], Any]) -> None:
    """The CSMS reports the station's answer to ``action`` wrongly to its operator."""
    real = StationConnection.request

    async def misread(self: StationConnection, name: str, payload: Payload, timeout: float) -> Any:
        answer = await real(self, name, payload, timeout)
        if name == action and isinstance(answer, CallResult):
            change(answer.payload)
        return answer

    monkeypatch.setattr(StationConnection, "request", misread)


def caught(pytester: pytest.Pytester, bundled: BundledCsms, case: str, *fragments: str) -> None:
    """The csmscheck case fails with ``--strict``, its message holding every fragment."""
    assert_failed(run_case(pytester, bundled, case, strict=True), *fragments)


def assert_all_pass_strictly(pytester: pytest.Pytester, bundled: BundledCsms, cases: list[str]) -> None:
    """Against the healthy bundled CSMS, every one of ``cases`` passes with ``--strict`` and no finding."""
    entries = run_cases(pytester, bundled, *cases, strict=True)
    assert sorted(e["id"] for e in entries) == sorted(cases)
    assert all(e["outcome"] == "passed" and not e.get("findings") for e in entries), entries


def end_reservations(bundled: BundledCsms) -> None:
    """End every active reservation of the bundled CSMS (a broken one may have kept one), for a clean next test."""
    path = Path(bundled.csms.config.db.removeprefix("sqlite:///"))  # type: ignore[attr-defined]
    with closing(sqlite3.connect(path)) as db:
        db.execute("UPDATE reservations SET status = 'Removed' WHERE status = 'Active'")
        db.execute("UPDATE v16_reservations SET status = 'Ended' WHERE status = 'Active'")
        db.commit()


def time_of_day_difference(start: datetime, end: datetime) -> float:
    """A naive CSMS's duration: the stop's time of day minus the start's (negative across midnight)."""
    return (datetime.combine(date.min, end.time()) - datetime.combine(date.min, start.time())).total_seconds()
