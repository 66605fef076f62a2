"""The record of every frame a session exchanged, in order."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["out", "in"]


@dataclass(frozen=True, slots=True)
class FrameRecord:
    """One frame as it crossed the wire.

    ``direction`` is seen from the charging station: ``out`` is station → CSMS,
    ``in`` is CSMS → station.
    """

    t: float
    direction: Direction
    station_id: str
    text: str


@dataclass(slots=True)
class Transcript:
    """Append-only list of frames; disabled transcripts record nothing (load tests)."""

    enabled: bool = True
    frames: list[FrameRecord] = field(default_factory=list)

    def record(self, direction: Direction, station_id: str, text: str) -> None:
        if self.enabled:
            self.frames.append(FrameRecord(time.time(), direction, station_id, text))
