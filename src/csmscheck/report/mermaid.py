"""Mermaid ``sequenceDiagram`` source of the frames a test exchanged."""

from __future__ import annotations

from csmscheck.report.model import Step, describe_frames, station_ids
from csmscheck.wire.transcript import FrameRecord

ARROWS = {"call": "->>", "result": "-->>", "error": "--x", "malformed": "-x"}
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


def _arrow_line(step: Step, alias: str) -> str:
    source, target = (alias, "CSMS") if step.direction == "out" else ("CSMS", alias)
    return f"    {source}{ARROWS[step.kind]}{target}: {escape_label(step.label)}"


def sequence_diagram(frames: list[FrameRecord], csms_label: str = "CSMS") -> str:
    """Mermaid source with one participant per station seen plus the CSMS, one arrow per frame."""
    aliases = _aliases(station_ids(frames))
    lines = ["sequenceDiagram"]
    lines += [f"    participant {a} as {escape_label(s)}" for s, a in aliases.items()]
    lines.append(f"    participant CSMS as {escape_label(csms_label)}")
    if not frames:
        lines.append("    Note over CSMS: no frames exchanged")
    for step in describe_frames(frames):
        lines.append(_arrow_line(step, aliases[step.station_id]))
    return "\n".join(lines) + "\n"
