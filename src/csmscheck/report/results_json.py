"""Machine-readable ``results.json``: the stable contract other tools read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from csmscheck.report.model import RunReport, TestRecord


def _test_entry(test: TestRecord) -> dict[str, Any]:
    entry = {
        "id": test.id,
        "ocpp": test.ocpp,
        "block": test.block,
        "name": test.name,
        "outcome": test.outcome,
        "duration_s": round(test.duration_s, 3),
        "message": test.message,
    }
    if test.findings:  # csmscheck checks not met (DESIGN §2.2): present only when there are any
        entry["findings"] = [{"check": f.check, "message": f.message} for f in test.findings]
    return entry


def results_document(report: RunReport) -> dict[str, Any]:
    """The ``results.json`` content as plain data."""
    counts = report.summary()
    return {
        "summary": {
            "passed": counts["passed"],
            "failed": counts["failed"],
            "skipped": counts["skipped"],
            "duration_s": round(report.duration_s, 3),
        },
        "tests": [_test_entry(test) for test in report.tests],
        "target": report.target,
        "stopped": report.stopped,
        "started_at": round(report.started_at, 3),
    }


def write_results_json(report: RunReport, path: Path) -> None:
    """Write ``results.json`` (indented, UTF-8, trailing newline) to ``path``."""
    options = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
    Path(path).write_bytes(orjson.dumps(results_document(report), option=options))
