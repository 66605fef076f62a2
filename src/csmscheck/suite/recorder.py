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
from csmscheck.station.session import FrameListener
from csmscheck.suite.marks import case_of

console = Console(highlight=False)

_BADGES = {"passed": "[green]PASS[/]", "failed": "[red]FAIL[/]", "skipped": "[yellow]N/A [/]"}


def frame_printer() -> FrameListener:
    def show(direction: str, station_id: str, text: str) -> None:
        arrow = "→ CSMS" if direction == "out" else "← CSMS"
        console.print(f"{time.strftime('%H:%M:%S')} {station_id} {arrow} {text}", markup=False, soft_wrap=True)

    return show


class Recorder:
    """One TestRecord per OCTT case, from its setup, call and teardown reports."""

    def __init__(self, target: str | None, report_dir: Path | None, *, progress: bool) -> None:
        self.target = target or "bundled reference CSMS"
        self.report_dir = report_dir
        self.progress = progress
        self.records: list[TestRecord] = []
        self._current: dict[str, TestRecord] = {}
        self._started = time.time()
        self.written: dict[str, Path] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = self._current.get(report.nodeid)
        if record is None:
            return
        record.duration_s += report.duration
        record.frames = getattr(report, "csms_frames", record.frames) or record.frames
        if report.failed and record.outcome != "failed":
            record.outcome = "failed"
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
            self._current[item.nodeid] = TestRecord(case.id, case.version, case.block, case.name, "passed", 0.0)

    def _finish(self, nodeid: str) -> None:
        record = self._current.pop(nodeid)
        self.records.append(record)
        if self.progress:
            first_line = record.message.strip().splitlines()[0] if record.message.strip() else ""
            first_line = first_line[:100] if record.outcome == "failed" else first_line
            reason = f"  [dim]{escape(first_line)}[/]" if first_line and record.outcome != "passed" else ""
            console.print(f"{_BADGES[record.outcome]} {record.id:<10} {record.duration_s:5.2f}s  "
                          f"{escape(record.name[:64])}{reason}", markup=True, soft_wrap=True)

    def run_report(self) -> RunReport:
        return RunReport(self.records, self._started, time.time() - self._started, self.target)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        report = self.run_report()
        if self.report_dir is not None:
            self.written = write_reports(report, self.report_dir)
        if self.progress:
            print_summary(report)
            if self.written:
                console.print(f"Reports: {', '.join(str(p) for p in self.written.values())}")


def print_summary(report: RunReport) -> None:
    table = Table(title="csmscheck summary")
    for column in ("OCPP", "block", "passed", "failed", "n/a", "time"):
        table.add_column(column, justify="left" if column in ("OCPP", "block") else "right")
    for (version, block), records in report.groups():
        counts = count_outcomes(records)
        table.add_row(version, block, str(counts["passed"]), _red(counts["failed"]), str(counts["skipped"]),
                      f"{sum(r.duration_s for r in records):.1f}s")
    totals = report.summary()
    table.add_row("all", "", str(totals["passed"]), _red(totals["failed"]), str(totals["skipped"]),
                  f"{report.duration_s:.1f}s", style="bold")
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
            console.print(f"[red]FAILED[/] {record.id} {record.name}", markup=True)
            console.print(f"  {record.message}", markup=False)


def _red(count: int) -> str:
    return f"[red]{count}[/]" if count else "0"
