"""The three files of a load run in ``--report-dir``: ``load.json``, ``junit.xml``, ``load.html``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from csmscheck.load.report_html import load_html
from csmscheck.load.report_json import build_load_json, read_load_json, write_load_json
from csmscheck.load.report_junit import write_junit_xml

__all__ = ["build_load_json", "read_load_json", "write_reports"]


def write_reports(report_dir: Path, load_json: dict[str, Any]) -> None:
    """Write ``load.json``, ``junit.xml`` and ``load.html`` into ``report_dir`` (created if needed)."""
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    write_load_json(report_dir / "load.json", load_json)
    write_junit_xml(report_dir / "junit.xml", load_json)
    (report_dir / "load.html").write_text(load_html(load_json), encoding="utf-8")
