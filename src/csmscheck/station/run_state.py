"""State that lives as long as one test run: keyed by the run's settings object.

The suite's fixtures hand every case the same ``Settings`` instance for a run, so state
kept per instance is per run; a new run (a new pytest session in the same process, as
the project's own tests start them) gets fresh state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from csmscheck.settings import Settings

T = TypeVar("T")


class PerRun(Generic[T]):
    """One ``T`` per run, made by ``factory`` on first use."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        # The settings are held with their state, so their id() cannot be reused by another run's.
        self._state: dict[int, tuple[Settings, T]] = {}

    def __call__(self, cfg: Settings) -> T:
        held = self._state.get(id(cfg))
        if held is None:
            held = self._state[id(cfg)] = (cfg, self._factory())
        return held[1]
