"""Turns pytest's reports into csmscheck's: progress lines, summary table, report files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from csmscheck.report import RunReport, TestRecord, write_reports
from csmscheck.report.model import count_outcomes
from csmscheck.station.quirks import QuirksProfile
from csmscheck.suite.marks import case_of
from csmscheck.suite.watchdog import Watchdog
from csmscheck.wire.transcript import FrameListener, FrameRecord

console = Console(highlight=False)

_BADGES = {"passed": "[green]PASS[/]", "failed": "[red]FAIL[/]", "skipped": "[yellow]N/A [/]"}


def frame_printer() -> FrameListener:
    def show(record: FrameRecord) -> None:
        arrow = "--" if record.is_event else "→ CSMS" if record.direction == "out" else "← CSMS"
        console.print(f"{time.strftime('%H:%M:%S', time.localtime(record.t))} {record.station_id} {arrow} "
                      f"{record.text}", markup=False, soft_wrap=True)

    return show


def profile_of(item: pytest.Item) -> QuirksProfile | None:
    """The vendor-behaviour profile a quirks case runs with (None for any other case)."""
    callspec = getattr(item, "callspec", None)
    profile = callspec.params.get("quirks") if callspec is not None else None
    return profile if isinstance(profile, QuirksProfile) else None


class Recorder:
    """One TestRecord per OCTT case, from its setup, call and teardown reports."""

    def __init__(self, target: str | None, report_dir: Path | None, *, progress: bool,
                 watchdog: Watchdog | None = None) -> None:
        self.target = target or "bundled reference CSMS"
        self.report_dir = report_dir
        self.progress = progress
        self.watchdog = watchdog
        self.records: list[TestRecord] = []
        self._current: dict[str, TestRecord] = {}
        self._started = time.time()
        self._first_case_at: float | None = None
        self.written: dict[str, Path] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = self._current.get(report.nodeid)
        if record is None:
            return
        record.duration_s += report.duration
        record.frames = getattr(report, "csms_frames", record.frames) or record.frames
        record.findings += getattr(report, "csms_findings", [])
        if report.failed and record.outcome != "failed":
            record.outcome = "failed"
            record.failed_at = getattr(report, "csms_failed_at", None)
            phase = "" if report.when == "call" else f" (during {report.when})"
            record.message = (getattr(report, "csms_message", "") or report.longreprtext) + phase
        elif report.skipped and record.outcome == "passed":
            record.outcome = "skipped"
            longrepr = report.longrepr
            message = str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
            record.message = message.removeprefix("Skipped: ")
        if report.when == "teardown":
            self._finish(report.nodeid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        case = case_of(item)
        if case is not None:
            self._first_case_at = self._first_case_at or time.time()
            block, name = case.block, case.name
            profile = profile_of(item)
            if profile is not None:  # a quirks case: one record per profile, told apart by the block
                block, name = f"{block}/{profile.name}", f"[{profile.name}] {name}"
            self._current[item.nodeid] = TestRecord(case.id, case.version, block, name, "passed", 0.0)

    def _finish(self, nodeid: str) -> None:
        record = self._current.pop(nodeid)
        self.records.append(record)
        if self.progress:
            reason = ""
            first_line = record.message.strip().splitlines()[0] if record.message.strip() else ""
            if record.outcome != "passed" and first_line:
                reason = f"  [dim]{escape(first_line[:200])}[/]"
            elif record.findings:
                reason = f"  [yellow]{len(record.findings)} csmscheck finding(s)[/]"
            console.print(f"{_BADGES[record.outcome]} {record.id:<10} {record.duration_s:5.2f}s  "
                          f"{escape(record.name[:64])}{reason}", markup=True, soft_wrap=True)

    def run_report(self) -> RunReport:
        """The run so far; its duration counts from the first case (start-up is not a case's time)."""
        started = self._first_case_at or self._started
        stopped = self.watchdog.stopped if self.watchdog is not None else None
        return RunReport(self.records, started, time.time() - started, self.target, stopped)

    def _not_run(self, session: pytest.Session) -> None:
        """Record the cases a stopped run never reached."""
        reason = self.watchdog.stopped if self.watchdog is not None else None
        if not reason:
            return
        done = {(r.id, r.ocpp) for r in self.records}
        for item in session.items:
            case = case_of(item)
            if case is not None and (case.id, case.version) not in done:
                self.records.append(TestRecord(case.id, case.version, case.block, case.name, "skipped", 0.0,
                                               f"not run: {reason}", not_run=True))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self._not_run(session)
        report = self.run_report()
        if self.report_dir is not None:
            self.written = write_reports(report, self.report_dir)
        if self.progress:
            print_summary(report)
            if self.watchdog is not None and self.watchdog.stopped:
                not_run = sum(r.not_run for r in report.tests)
                console.print(f"[red]Stopped:[/] {escape(self.watchdog.stopped)}; {not_run} cases not run",
                              markup=True)
            if self.written:
                console.print(f"Reports: {', '.join(str(p) for p in self.written.values())}")


def print_summary(report: RunReport) -> None:
    """Per block: passed, failed, not applicable (and not run, findings when there are any), time."""
    not_run = any(r.not_run for r in report.tests)
    findings = any(r.findings for r in report.tests)
    columns = ["OCPP", "block", "passed", "failed", "n/a", *(["not run"] * not_run), *(["findings"] * findings),
               "time"]
    table = Table(title="csmscheck summary")
    for column in columns:
        table.add_column(column, justify="left" if column in ("OCPP", "block") else "right")

    def row(records: list[TestRecord], duration: float) -> list[str]:
        counts = count_outcomes(records)
        skipped_not_run = sum(r.not_run for r in records)
        cells = [str(counts["passed"]), _red(counts["failed"]), str(counts["skipped"] - skipped_not_run)]
        cells += [str(skipped_not_run)] * not_run
        cells += [_yellow(sum(len(r.findings) for r in records))] * findings
        return [*cells, f"{duration:.1f}s"]

    for (version, block), records in report.groups():
        table.add_row(version, block, *row(records, sum(r.duration_s for r in records)))
    table.add_row("all", "", *row(report.tests, report.duration_s), style="bold")
    console.print(table)
    not_applicable: dict[str, list[str]] = {}
    for record in report.tests:
        if record.outcome == "skipped" and record.message.startswith("not applicable: "):
            not_applicable.setdefault(record.message.removeprefix("not applicable: "), []).append(record.id)
    for reason, ids in not_applicable.items():
        cases = f"{len(ids)} case{'s' if len(ids) > 1 else ''}"
        console.print(f"[yellow]N/A[/] {cases}: {escape(reason)}: {', '.join(ids)}", markup=True)
    for record in report.tests:
        if record.outcome == "failed":
            console.print(f"[red]FAILED[/] {record.id} {escape(record.name)}", markup=True)
            console.print(f"  {record.message}", markup=False)
    for record in report.tests:
        for finding in record.findings:
            console.print(f"[yellow]FINDING[/] {record.id} [{escape(finding.check)}] {escape(finding.message)}",
                          markup=True)


def _yellow(count: int) -> str:
    return f"[yellow]{count}[/]" if count else "0"


def _red(count: int) -> str:
    return f"[red]{count}[/]" if count else "0"
