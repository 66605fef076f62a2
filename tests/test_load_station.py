"""The load station's calls: answered, timed out, and cancelled at the run's end."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from csmscheck.load.metrics import Metrics
from csmscheck.load.station import LoadStation


class _Transport:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send(self, kind: Any, data: bytes) -> None:
        self.sent.append(data)


def _station(timeout: float = 5.0) -> LoadStation:
    station = LoadStation("LOAD00000", "2.0.1", Metrics(time.time()), timeout=timeout)
    station.transport = _Transport()  # type: ignore[assignment]
    return station


@pytest.mark.asyncio
async def test_a_call_cancelled_as_its_answer_arrives_is_still_cancelled() -> None:
    """Python 3.11's wait_for can swallow such a cancellation; then a station outlives its run."""
    station = _station()
    call = asyncio.create_task(station.call("Heartbeat", {}))
    await asyncio.sleep(0)  # the call is now waiting for its answer
    (_, _, future), = station._pending.values()
    future.set_result({"currentTime": "2026-01-01T00:00:00Z"})
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call


@pytest.mark.asyncio
async def test_a_call_without_answer_times_out_and_its_late_answer_is_no_double() -> None:
    station = _station(timeout=0.05)
    assert await station.call("Heartbeat", {}) is None
    assert station.metrics.total("timeouts") == 1
    station._settle(3, "1", [3, "1", {"currentTime": "2026-01-01T00:00:00Z"}])  # the late answer
    assert station.metrics.inconsistencies.total() == 0
    station._settle(3, "7", [3, "7", {}])  # never asked
    assert station.metrics.inconsistencies.total() == 1
