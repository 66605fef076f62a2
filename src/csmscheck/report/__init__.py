"""Run reports: results.json for tools, junit.xml for CI, report.html for people."""

from __future__ import annotations

from pathlib import Path

from csmscheck.report.html import render_html, write_html_report
from csmscheck.report.junit import write_junit_xml
from csmscheck.report.mermaid import sequence_diagram
from csmscheck.report.model import RunReport, Step, TestRecord, describe_frames
from csmscheck.report.results_json import results_document, write_results_json
from csmscheck.report.svg import sequence_svg

__all__ = [
    "RunReport",
    "Step",
    "TestRecord",
    "describe_frames",
    "render_html",
    "results_document",
    "sequence_diagram",
    "sequence_svg",
    "write_html_report",
    "write_junit_xml",
    "write_reports",
    "write_results_json",
]

REPORT_FILES = {"results": "results.json", "junit": "junit.xml", "html": "report.html"}


def write_reports(report: RunReport, directory: Path) -> dict[str, Path]:
    """Write results.json, junit.xml and report.html into ``directory`` (created if missing).

    Returns the written paths keyed ``results``, ``junit`` and ``html``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {key: directory / name for key, name in REPORT_FILES.items()}
    write_results_json(report, paths["results"])
    write_junit_xml(report, paths["junit"])
    write_html_report(report, paths["html"])
    return paths
