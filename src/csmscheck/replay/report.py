"""``replay.json`` and ``junit.xml``: one test case per transcript, one finding per difference."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from csmscheck.replay.player import Played
from csmscheck.verdicts.json_report import write_json
from csmscheck.verdicts.junit import write_junit
from csmscheck.verdicts.model import Finding, Rule, Verdicts


def verdicts_of(results: list[tuple[Path, Played]]) -> Verdicts:
    verdicts = Verdicts()
    for path, played in results:
        rule = Rule(path.name, f"replay of station {played.station}", str(path))
        verdicts.checked(rule, played.calls_sent)
        for difference in played.differences:
            verdicts.add(Finding(rule, f"frame {difference.frame}", _json(difference.got), str(difference),
                                 extra=difference.as_dict()))
        if played.error:
            verdicts.add(Finding(rule, "", played.error, f"the replay stopped: {played.error}"))
    return verdicts


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_reports(report_dir: Path, results: list[tuple[Path, Played]], summary: dict[str, Any]) -> Verdicts:
    report_dir.mkdir(parents=True, exist_ok=True)
    verdicts = verdicts_of(results)
    transcripts = [{"transcript": str(path), "station": played.station, "calls_sent": played.calls_sent,
                    "csms_calls": played.csms_calls, "duration_s": played.duration_s, "error": played.error,
                    "differences": [d.as_dict() for d in played.differences]} for path, played in results]
    write_json(report_dir / "replay.json", "replay", verdicts, {**summary, "transcripts": transcripts})
    write_junit(report_dir / "junit.xml", "csmscheck replay", verdicts)
    return verdicts
