"""The record of every frame a session exchanged, and of its connection events, in order."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["out", "in"]
RecordKind = Literal["frame", "event"]


@dataclass(frozen=True, slots=True)
class FrameRecord:
    """One frame as it crossed the wire, or one connection event.

    ``direction`` is seen from the charging station: ``out`` is station → CSMS (or the
    station acted: it connected, it closed), ``in`` is CSMS → station (or the CSMS acted:
    it accepted, refused or closed the connection). An ``event`` record's text describes
    the event in words (``connect ws://…``, ``refused: HTTP 401``, ``closed by the CSMS …``).
    """

    t: float
    direction: Direction
    station_id: str
    text: str
    kind: RecordKind = "frame"

    @property
    def is_event(self) -> bool:
        return self.kind == "event"


FrameListener = Callable[[FrameRecord], None]
"""Called with every record as it happens (``--log-messages``)."""


@dataclass(slots=True)
class Transcript:
    """Append-only list of records; disabled transcripts record nothing (load tests)."""

    enabled: bool = True
    frames: list[FrameRecord] = field(default_factory=list)

    def record(self, direction: Direction, station_id: str, text: str, kind: RecordKind = "frame") -> FrameRecord:
        record = FrameRecord(time.time(), direction, station_id, text, kind)
        if self.enabled:
            self.frames.append(record)
        return record
