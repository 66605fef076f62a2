"""``junit.xml``: one test case per rule; a rule with findings fails, listing them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from csmscheck.report.model import printable
from csmscheck.verdicts.model import Finding, Verdicts

MAX_LISTED = 20  # findings written out in full per rule; the JSON report has all of them


def finding_text(finding: Finding) -> str:
    lines = [f"- {finding.message}" if finding.message else "-", f"  sent: {finding.sent}",
             f"  received: {finding.received}"]
    if finding.reproduce:
        lines.append(f"  reproduce: {finding.reproduce}")
    return "\n".join(lines)


def junit_element(suite_name: str, verdicts: Verdicts) -> ET.Element:
    rules = verdicts.rules
    counts = {"tests": str(len(rules)), "failures": str(verdicts.failed), "errors": "0", "skipped": "0"}
    root = ET.Element("testsuites", {"name": printable(suite_name), **counts})
    suite = ET.SubElement(root, "testsuite", {"name": printable(suite_name), **counts})
    for rule in rules:
        case = ET.SubElement(suite, "testcase", classname=printable(suite_name),
                             name=printable(f"{rule.id} {rule.title}"))
        found = verdicts.findings(rule.id)
        if found:
            body = [f"{rule.reference}: {rule.title}", *(finding_text(f) for f in found[:MAX_LISTED])]
            if len(found) > MAX_LISTED:
                body.append(f"... and {len(found) - MAX_LISTED} more")
            ET.SubElement(case, "failure", message=printable(f"{len(found)} finding(s): {found[0].message}"),
                          type=printable(rule.id)).text = printable("\n".join(body))
    ET.indent(root)
    return root


def write_junit(path: Path, suite_name: str, verdicts: Verdicts) -> None:
    ET.ElementTree(junit_element(suite_name, verdicts)).write(path, encoding="utf-8", xml_declaration=True)
