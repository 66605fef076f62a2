"""Notices a CSMS that stopped answering, and paces cases for CSMSes that need it.

When a CSMS breaks for good (it stops accepting connections or answering
BootNotification), every later case would fail the same way at setup, each after its
full deadline. After ``limit`` consecutive cases failed at setup with the same reason
the watchdog stops the run; the rest are reported as not run.
"""

from __future__ import annotations

import re
import time

import pytest

from csmscheck.suite.marks import case_of

_MESSAGE_ID = re.compile(r"\b(?=[0-9a-fA-F-]*\d)[0-9a-fA-F-]{8,}\b")


def failure_kind(message: str, station_ids: set[str]) -> str:
    """A failure's first line with what differs between cases (station ids, message ids) taken out."""
    line = message.strip().splitlines()[0] if message.strip() else ""
    for station_id in station_ids:
        line = line.replace(station_id, "<station>")
    return _MESSAGE_ID.sub("#", line)


class Watchdog:
    """Stops the run after ``limit`` consecutive same-reason setup failures (0: never); sleeps
    ``pace`` seconds before every case but the first."""

    def __init__(self, limit: int, pace: float, station_ids: set[str]) -> None:
        self.limit = limit
        self.pace = pace
        self.station_ids = station_ids
        self.stopped: str | None = None  # why the run stopped early
        self._session: pytest.Session | None = None
        self._case = ""
        self._last_answered: str | None = None
        self._kind = ""
        self._streak = 0
        self._first_failure = ""
        self._cases_run = 0

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        case = case_of(item)
        if case is None or item.get_closest_marker("skip") is not None:
            return
        if self.pace and self._cases_run:
            time.sleep(self.pace)  # a documented pause between cases, never a synchronisation
        self._cases_run += 1
        self._session = item.session
        self._case = case.id

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self._case:
            return
        if report.when == "setup" and report.failed:
            self._setup_failed(getattr(report, "csms_message", "") or report.longreprtext)
        elif report.when == "call":
            self._streak = 0
            self._last_answered = self._case

    def _setup_failed(self, message: str) -> None:
        kind = failure_kind(message, self.station_ids)
        if kind == self._kind:
            self._streak += 1
        else:
            self._kind, self._streak, self._first_failure = kind, 1, message.strip().splitlines()[0]
        if self.limit and self._streak >= self.limit and self._session is not None:
            since = f"after {self._last_answered}" if self._last_answered else "from the first case"
            self.stopped = f"the CSMS stopped answering {since}: {self._first_failure}"
            self._session.shouldfail = self.stopped
