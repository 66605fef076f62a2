"""``fuzz.json`` / ``scan.json``: the summary, then every rule with its findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from csmscheck.verdicts.model import Verdicts


def report_document(kind: str, verdicts: Verdicts, summary: dict[str, Any]) -> dict[str, Any]:
    counts = {"rules": len(verdicts.rules), "passed": verdicts.passed, "failed": verdicts.failed,
              "findings": len(verdicts.findings())}
    return {"kind": kind, "summary": {**summary, **counts}, **verdicts.as_dict()}


def write_json(path: Path, kind: str, verdicts: Verdicts, summary: dict[str, Any]) -> None:
    """Write the report; ``summary`` holds run facts (target, version, seed, duration_s, ...)."""
    document = report_document(kind, verdicts, summary)
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2, default=str))
