"""The shared verdict collection and its three report writers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import orjson

from csmscheck.verdicts import Finding, Rule, Verdicts, write_html, write_json, write_junit

CODE = Rule("OCPPJ-16-4.2.3", "Error code of the right version", "OCPP-J 1.6 §4.2.3")
OPEN = Rule("OCPPJ-CONN", "Connection stays open", "OCPP-J 1.6 §4.1")


def _verdicts() -> Verdicts:
    verdicts = Verdicts()
    verdicts.checked(CODE, 3)
    verdicts.checked(OPEN, 2)
    verdicts.add(Finding(CODE, '[2,"1","Heartbeat",[]]', '[4,"1","FormatViolation","<script>x</script>",{}]',
                         "2.0.1 code on a 1.6 connection", "--seed 7"))
    return verdicts


def test_counts() -> None:
    verdicts = _verdicts()
    assert [r.id for r in verdicts.rules] == [CODE.id, OPEN.id]
    assert (verdicts.passed, verdicts.failed, bool(verdicts)) == (1, 1, True)
    assert verdicts.checks == {CODE.id: 3, OPEN.id: 2}
    assert not Verdicts()


def test_json(tmp_path: Path) -> None:
    write_json(tmp_path / "fuzz.json", "fuzz", _verdicts(), {"seed": 7})
    doc = orjson.loads((tmp_path / "fuzz.json").read_bytes())
    assert doc["summary"] == {"seed": 7, "rules": 2, "passed": 1, "failed": 1, "findings": 1}
    assert doc["rules"][0]["findings"][0]["reproduce"] == "--seed 7"
    assert doc["rules"][1]["passed"] is True


def test_junit_has_one_case_per_rule(tmp_path: Path) -> None:
    write_junit(tmp_path / "junit.xml", "csmscheck fuzz", _verdicts())
    cases = ET.parse(tmp_path / "junit.xml").getroot().findall(".//testcase")
    assert len(cases) == 2
    failure = cases[0].find("failure")
    assert failure is not None and "FormatViolation" in (failure.text or "")
    assert cases[1].find("failure") is None


def test_html_escapes_and_groups(tmp_path: Path) -> None:
    write_html(tmp_path / "fuzz.html", "csmscheck fuzz", _verdicts())
    page = (tmp_path / "fuzz.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert page.index(CODE.id) < page.index(OPEN.id) and "OCPP-J 1.6 §4.2.3" in page
