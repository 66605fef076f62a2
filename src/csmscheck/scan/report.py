"""The scan's reports in the report directory: ``scan.json``, ``junit.xml`` (one case per rule), ``scan.html``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csmscheck.scan.context import Recorder
from csmscheck.verdicts import write_html, write_json, write_junit

TITLE = "csmscheck scan"


def write_reports(directory: Path, record: Recorder, facts: dict[str, Any]) -> list[Path]:
    """Write the three reports; ``facts`` are the run's (targets, duration). Returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "scan.json", directory / "junit.xml", directory / "scan.html"]
    write_json(paths[0], "scan", record.verdicts, {**facts, **record.summary()})
    write_junit(paths[1], TITLE, record.verdicts)
    # The page's header holds the facts; the informational observations go there as one line each.
    notes = {f"{n['rule']} ({n['where']})": n["observed"] for n in record.notes}
    skipped = {f"n/a {rule}": why for rule, why in record.not_applicable.items()}
    write_html(paths[2], TITLE, record.verdicts, {**facts, **notes, **skipped})
    return paths
