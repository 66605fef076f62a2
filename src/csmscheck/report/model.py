"""Data the report writers consume, plus a reading of raw frames as OCPP-J messages.

``TestRecord`` and ``RunReport`` are what the test runner fills in.  ``describe_frames``
turns a frame transcript into ``Step`` objects (one per frame) that both diagram
renderers and the HTML transcript use, so every view labels a frame the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import orjson

from csmscheck.checks import Finding
from csmscheck.wire.frames import Call, CallResult, FrameError, parse
from csmscheck.wire.transcript import Direction, FrameRecord

Outcome = Literal["passed", "failed", "skipped"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)

DIRECTION_ARROWS: dict[str, str] = {"out": "→ CSMS", "in": "← CSMS"}
"""How a frame's direction is shown: station to CSMS, or CSMS to station."""

StepKind = Literal["call", "result", "error", "malformed", "event"]

MAX_LABEL = 59
"""Longest label a diagram arrow gets (characters, ellipsis included)."""

MAX_EVENT_LABEL = 110
"""Longest label of a connection event note."""

DETAIL_KEYS: tuple[str, ...] = ("status", "connectorStatus", "eventType", "triggerReason")
"""Top-level payload fields worth showing next to the action name."""

NESTED_STATUS_KEYS: tuple[str, ...] = ("idTokenInfo", "idTagInfo")
"""Objects whose ``status`` is shown when the payload has no top-level status."""


@dataclass
class TestRecord:
    """Outcome of one conformance test case and the frames it exchanged."""

    __test__ = False  # keep pytest from collecting this class

    id: str
    ocpp: str
    block: str
    name: str
    outcome: Outcome
    duration_s: float
    message: str = ""
    frames: list[FrameRecord] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    failed_at: float | None = None  # when the failing step gave up (epoch seconds), to mark it in diagrams
    not_run: bool = False  # skipped because the run stopped early (the CSMS stopped answering)

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {self.outcome!r}")


@dataclass
class RunReport:
    """Everything one run of the suite produced."""

    tests: list[TestRecord]
    started_at: float
    duration_s: float
    target: str
    stopped: str | None = None  # why the run stopped before its last case, if it did

    def summary(self) -> dict[str, int]:
        """Count tests per outcome (every outcome present, plus ``total``)."""
        return count_outcomes(self.tests)

    def groups(self) -> list[tuple[tuple[str, str], list[TestRecord]]]:
        """Tests grouped by (OCPP version, block): newest version first, blocks in natural order."""
        grouped: dict[tuple[str, str], list[TestRecord]] = {}
        for test in self.tests:
            grouped.setdefault((test.ocpp, test.block), []).append(test)
        keys = sorted(grouped, key=lambda k: natural_key(k[1]))
        keys.sort(key=lambda k: natural_key(k[0]), reverse=True)
        return [(key, grouped[key]) for key in keys]


def count_outcomes(tests: Iterable[TestRecord]) -> dict[str, int]:
    """Tests per outcome, every outcome present, plus ``total``."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for test in tests:
        counts[test.outcome] += 1
    counts["total"] = sum(counts.values())
    return counts


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key ordering embedded numbers numerically ("3.10" after "3.2")."""
    parts = re.split(r"(\d+)", text)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p)


def version_tag(ocpp: str) -> str:
    """Compact version name used in identifiers: "2.0.1" -> "v201"."""
    return "v" + re.sub(r"[^0-9A-Za-z]", "", ocpp)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """Replace control characters (invalid in XML, invisible in HTML) by ``\\xNN`` escapes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def shorten(text: str, limit: int = MAX_LABEL) -> str:
    """Collapse whitespace and cut ``text`` to ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class Step:
    """One frame read as an OCPP-J message."""

    frame: FrameRecord
    kind: StepKind
    action: str | None
    label: str
    unique_id: str | None = None
    error_code: str | None = None

    @property
    def direction(self) -> Direction:
        return self.frame.direction

    @property
    def station_id(self) -> str:
        return self.frame.station_id


def _detail(payload: Any) -> str:
    """Short ``key=value`` summary of the payload fields people look for first."""
    if not isinstance(payload, dict):
        return ""
    pairs = [(k, payload[k]) for k in DETAIL_KEYS if _is_scalar(payload.get(k))]
    if not any(k == "status" for k, _ in pairs):
        for outer in NESTED_STATUS_KEYS:
            inner = payload.get(outer)
            if isinstance(inner, dict) and _is_scalar(inner.get("status")):
                pairs.insert(0, ("status", inner["status"]))
                break
    return ", ".join(f"{k}={_scalar_text(v)}" for k, v in pairs)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _with_detail(head: str, payload: Any) -> str:
    detail = _detail(payload)
    return shorten(f"{head} {detail}" if detail else head)


_Key = tuple[str, Direction, str]


class _Reader:
    """Reads frames in order, remembering CALLs so replies can be named."""

    def __init__(self) -> None:
        self.pending: dict[_Key, str] = {}

    def read(self, frame: FrameRecord) -> Step:
        if frame.is_event:
            return Step(frame, "event", None, shorten(frame.text, MAX_EVENT_LABEL))
        try:
            message = parse(frame.text)
        except FrameError as exc:
            return self._malformed(frame, exc.unique_id)
        if isinstance(message, Call):
            self._remember(frame, message.unique_id, message.action)
            label = _with_detail(message.action, message.payload)
            return Step(frame, "call", message.action, label, message.unique_id)
        action = self._reply_action(frame, message.unique_id)
        if isinstance(message, CallResult):
            label = _with_detail(f"{action} result", message.payload)
            return Step(frame, "result", action, label, message.unique_id)
        label = shorten(f"{action} error: {message.code}")
        return Step(frame, "error", action, label, message.unique_id, message.code)

    def _malformed(self, frame: FrameRecord, unique_id: str | None) -> Step:
        """Label a frame that is not valid OCPP-J, keeping its id so a reply still matches."""
        action = _call_action(frame.text)
        if unique_id is not None and action is not None:
            self._remember(frame, unique_id, action)
        label = shorten(f"malformed frame ({action})") if action else "malformed frame"
        return Step(frame, "malformed", action, label, unique_id)

    def _remember(self, frame: FrameRecord, unique_id: str, action: str) -> None:
        self.pending[(frame.station_id, frame.direction, unique_id)] = action

    def _reply_action(self, frame: FrameRecord, unique_id: str) -> str:
        asked_by: Direction = "in" if frame.direction == "out" else "out"
        action = self.pending.pop((frame.station_id, asked_by, unique_id), None)
        return action if action is not None else "unmatched"


def _call_action(text: str) -> str | None:
    """Best-effort action name of a wrong-shaped CALL (``[2, id, "Action", ...]``)."""
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if isinstance(message, list) and len(message) > 2 and message[0] == 2:
        action = message[2]
        return action if isinstance(action, str) and action else None
    return None


def describe_frames(frames: Iterable[FrameRecord]) -> list[Step]:
    """Read every frame in order; replies are named after the CALL they answer."""
    reader = _Reader()
    return [reader.read(frame) for frame in frames]


def failing_step(steps: list[Step], failed_at: float | None) -> int | None:
    """Index of the step at which a case failed: the last one up to ``failed_at`` (-1: before any)."""
    if failed_at is None:
        return None
    index = -1
    for i, step in enumerate(steps):
        if step.frame.t <= failed_at:
            index = i
    return index


def failure_headline(message: str) -> str:
    """The first line of a failure message, for a diagram note."""
    return shorten(message.strip().splitlines()[0] if message.strip() else "failed", MAX_EVENT_LABEL)


def station_ids(frames: Iterable[FrameRecord]) -> list[str]:
    """Distinct station ids in order of first appearance."""
    return list(dict.fromkeys(frame.station_id for frame in frames))
