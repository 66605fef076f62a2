"""Mermaid ``sequenceDiagram`` source of the frames a test exchanged."""

from __future__ import annotations

from csmscheck.report.model import Step, describe_frames, failing_step, failure_headline, station_ids
from csmscheck.wire.transcript import FrameRecord

ARROWS = {"call": "->>", "result": "-->>", "error": "--x", "malformed": "-x"}
FAILED_FILL = "rgb(254, 226, 226)"
"""Mermaid arrow per step kind: solid CALL, dashed reply, cross for errors."""

# Mermaid entity codes for characters that would end or corrupt a statement.
_ESCAPES = {
    "#": "#35;",
    ";": "#59;",
    '"': "#quot;",
    "'": "#39;",
    "<": "#lt;",
    ">": "#gt;",
    "%": "#37;",
    "{": "#123;",
    "}": "#125;",
}
_TABLE = str.maketrans(_ESCAPES)


def escape_label(text: str) -> str:
    """Make ``text`` safe as a Mermaid label: one line, special characters as entities."""
    flat = " ".join(text.split())
    return (flat or "(empty)").translate(_TABLE)


def _aliases(stations: list[str]) -> dict[str, str]:
    return {station: f"S{index}" for index, station in enumerate(stations, start=1)}


def _step_line(step: Step, alias: str) -> str:
    if step.kind == "event":
        return f"    Note over {alias},CSMS: {escape_label(step.label)}"
    source, target = (alias, "CSMS") if step.direction == "out" else ("CSMS", alias)
    return f"    {source}{ARROWS[step.kind]}{target}: {escape_label(step.label)}"


def sequence_diagram(frames: list[FrameRecord], csms_label: str = "CSMS", *,
                     failed_at: float | None = None, failure: str = "") -> str:
    """Mermaid source with one participant per station seen plus the CSMS, one arrow per frame
    and a note per connection event; the step at which the case failed (``failed_at``) is
    highlighted in red and followed by a note with the ``failure``."""
    aliases = _aliases(station_ids(frames))
    lines = ["sequenceDiagram"]
    lines += [f"    participant {a} as {escape_label(s)}" for s, a in aliases.items()]
    lines.append(f"    participant CSMS as {escape_label(csms_label)}")
    if not frames:
        lines.append("    Note over CSMS: no frames exchanged")
    steps = describe_frames(frames)
    failed = failing_step(steps, failed_at)
    span = f"{next(iter(aliases.values()))},CSMS" if aliases else "CSMS"
    note = f"    Note over {span}: FAILED: {escape_label(failure_headline(failure))}"
    if failed == -1:
        lines.append(note)
    for index, step in enumerate(steps):
        line = _step_line(step, aliases[step.station_id])
        if index == failed:
            lines += [f"    rect {FAILED_FILL}", line, "    end", note]
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"
