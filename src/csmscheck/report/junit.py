"""JUnit XML for CI systems: one ``<testsuite>`` per OCPP version and block."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from csmscheck.report.model import (
    DIRECTION_ARROWS,
    RunReport,
    TestRecord,
    count_outcomes,
    printable,
    version_tag,
)


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _utc(t: float, timespec: str = "milliseconds") -> str:
    stamp = datetime.fromtimestamp(t, tz=UTC).isoformat(timespec=timespec)
    return stamp.replace("+00:00", "Z")


def suite_name(ocpp: str, block: str) -> str:
    """Display name of a block's suite, e.g. "OCPP 2.0.1 block B"."""
    return f"OCPP {ocpp} block {block}"


def class_name(test: TestRecord) -> str:
    """JUnit classname, e.g. ``csmscheck.v201.B``: dots in 1.6 chapters and the slash of a quirks set
    (``quirks/kwh-phases``) become ``_``, so CI viewers that split class names on them keep one class per block."""
    return f"csmscheck.{version_tag(test.ocpp)}.{re.sub(r'[./]', '_', test.block)}"


def transcript_text(test: TestRecord) -> str:
    """One line per frame: UTC time, station, direction arrow, raw text."""
    lines = [
        f"{_utc(f.t)} {f.station_id} {'--' if f.is_event else DIRECTION_ARROWS[f.direction]} {f.text}"
        for f in test.frames
    ]
    return printable("\n".join(lines))


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else ""


def _testcase(parent: ET.Element, test: TestRecord) -> None:
    case = ET.SubElement(
        parent,
        "testcase",
        classname=printable(class_name(test)),
        name=printable(f"{test.id} {test.name}"),
        time=_seconds(test.duration_s),
    )
    if test.findings:
        properties = ET.SubElement(case, "properties")
        for finding in test.findings:
            ET.SubElement(properties, "property", name=f"csmscheck-check {printable(finding.check)}",
                          value=printable(finding.message))
    if test.outcome in ("failed", "skipped"):
        tag = "failure" if test.outcome == "failed" else "skipped"
        node = ET.SubElement(case, tag, message=printable(_first_line(test.message)))
        if test.message:
            node.text = printable(test.message)
    if test.frames:
        ET.SubElement(case, "system-out").text = transcript_text(test)


def _counts(tests: list[TestRecord]) -> dict[str, str]:
    counts = count_outcomes(tests)
    return {
        "tests": str(counts["total"]),
        "failures": str(counts["failed"]),
        "errors": "0",
        "skipped": str(counts["skipped"]),
        "time": _seconds(sum(t.duration_s for t in tests)),
    }


def junit_element(report: RunReport) -> ET.Element:
    """Build the indented ``<testsuites>`` element for ``report``."""
    root = ET.Element("testsuites", {"name": "csmscheck", **_counts(report.tests)})
    root.set("time", _seconds(report.duration_s))
    for (ocpp, block), tests in report.groups():
        attributes = {
            "name": printable(suite_name(ocpp, block)),
            "timestamp": _utc(report.started_at, "seconds"),
            **_counts(tests),
        }
        suite = ET.SubElement(root, "testsuite", attributes)
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="target", value=printable(report.target))
        ET.SubElement(properties, "property", name="ocpp", value=printable(ocpp))
        for test in tests:
            _testcase(suite, test)
    ET.indent(root)
    return root


def write_junit_xml(report: RunReport, path: Path) -> None:
    """Write the JUnit XML file to ``path`` (UTF-8, with XML declaration)."""
    tree = ET.ElementTree(junit_element(report))
    tree.write(Path(path), encoding="utf-8", xml_declaration=True)
