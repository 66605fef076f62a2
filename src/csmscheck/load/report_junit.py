"""``junit.xml`` of a load run: one test case per SLO rule, for CI systems.

A broken rule is a ``<failure>`` whose message names the rule, the measured value and the
threshold. A run without ``--slo`` has one passing case, "load run completed", carrying the
summary: it exits 0 too (DESIGN §2.7), and CI still sees that the run happened.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from csmscheck.report.model import printable

CLASS_NAME = "csmscheck.load.slo"
SUMMARY_LINES = (("stations", "stations"), ("duration_s", "duration (s)"), ("messages", "answers"),
                 ("msg_per_s", "answers/s"), ("errors", "errors (CALLERRORs and timeouts)"),
                 ("timeouts", "timeouts"), ("connect_failures", "connection failures"),
                 ("p99_ms", "p99 (ms, all actions)"))


def summary_text(load_json: dict[str, Any]) -> str:
    summary = load_json["summary"]
    return "\n".join(f"{label}: {summary.get(key)}" for key, label in SUMMARY_LINES)


def junit_element(load_json: dict[str, Any]) -> ET.Element:
    """The indented ``<testsuites>`` element for a ``load.json`` document."""
    verdicts = load_json["slo"]
    duration = f"{float(load_json['summary']['duration_s']):.3f}"
    failures = sum(1 for v in verdicts if not v["passed"])
    counts = {"tests": str(max(len(verdicts), 1)), "failures": str(failures), "errors": "0", "skipped": "0",
              "time": duration}
    root = ET.Element("testsuites", {"name": "csmscheck load", **counts})
    started = datetime.fromtimestamp(float(load_json.get("started_at", 0)), tz=UTC)
    timestamp = started.isoformat(timespec="seconds").replace("+00:00", "Z")
    suite = ET.SubElement(root, "testsuite", {"name": "load SLO", **counts, "timestamp": timestamp})
    properties = ET.SubElement(suite, "properties")
    for key, value in sorted(load_json.get("meta", {}).items()):
        ET.SubElement(properties, "property", name=printable(str(key)), value=printable(str(value)))
    if load_json.get("slo_rules"):
        ET.SubElement(properties, "property", name="slo", value=printable(str(load_json["slo_rules"])))
    for verdict in verdicts:
        case = ET.SubElement(suite, "testcase", classname=CLASS_NAME, name=printable(verdict["rule"]), time=duration)
        if not verdict["passed"]:
            ET.SubElement(case, "failure", message=printable(verdict["message"]), type="SLO").text = (
                printable(f"{verdict['message']}\n\n{summary_text(load_json)}"))
    if not verdicts:
        case = ET.SubElement(suite, "testcase", classname="csmscheck.load", name="load run completed", time=duration)
        ET.SubElement(case, "system-out").text = printable(f"no SLO given\n{summary_text(load_json)}")
    ET.SubElement(suite, "system-out").text = printable(summary_text(load_json))
    ET.indent(root)
    return root


def write_junit_xml(path: Path, load_json: dict[str, Any]) -> None:
    """Write ``junit.xml`` (UTF-8, with XML declaration)."""
    ET.ElementTree(junit_element(load_json)).write(path, encoding="utf-8", xml_declaration=True)
