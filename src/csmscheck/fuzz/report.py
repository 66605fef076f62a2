"""The fuzz run's reports: ``fuzz.json``, ``junit.xml`` (one case per rule) and ``fuzz.html``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csmscheck.verdicts import Verdicts, write_html, write_json, write_junit


def write_reports(directory: Path, verdicts: Verdicts, summary: dict[str, Any]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "fuzz.json", directory / "junit.xml", directory / "fuzz.html"]
    write_json(paths[0], "fuzz", verdicts, summary)
    write_junit(paths[1], "csmscheck fuzz", verdicts)
    shown = {k: v for k, v in summary.items() if k not in ("categories", "runs")}
    write_html(paths[2], "csmscheck fuzz", verdicts, shown)
    return paths
