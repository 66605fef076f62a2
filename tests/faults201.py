"""Helpers of the 2.0.1 fault tests: a csmscheck check that is a finding, not an OCTT failure."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest
from faults import assert_failed, assert_finding, run_case

from csmscheck.bundled import BundledCsms


def finding_not_failure(pytester: pytest.Pytester, bundled: BundledCsms, case: str, check: str,
                        *fragments: str) -> None:
    """``case`` passes its OCTT verdict with a finding of ``check`` (holding every fragment), and fails with
    ``--strict`` for that finding."""
    assert_finding(run_case(pytester, bundled, case), check, *fragments)
    assert_failed(run_case(pytester, bundled, case, strict=True), "--strict", check, *fragments)


_FRAME = re.compile(r"^(\S+Z) \S+ ([→←]) CSMS (\[.*\])$")


def transcript(pytester: pytest.Pytester, case: str) -> list[tuple[datetime, str, str]]:
    """The frames of ``case``'s last run (from its junit.xml): time, direction ('→' to the CSMS) and frame."""
    root = ET.parse(Path(pytester.path / "report" / "junit.xml")).getroot()
    (testcase,) = [c for c in root.iter("testcase") if c.get("name", "").startswith(f"{case} ")]
    text = testcase.findtext("system-out") or ""
    frames = []
    for line in text.splitlines():
        match = _FRAME.match(line)
        if match:
            when = datetime.fromisoformat(match[1].replace("Z", "+00:00"))
            frames.append((when, match[2], match[3]))
    return frames
