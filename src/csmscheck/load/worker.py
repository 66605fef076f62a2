"""One process's part of a load run: its slice of the stations, started on the shared
schedule, measured into one :class:`Metrics`.

The schedule is absolute (epoch seconds), so processes and shards started by any
scheduler agree on it: station *n* starts ``n / ramp`` seconds after ``start_at`` (all at
``start_at`` in a boot storm), a reconnect storm strikes every station at the same moment,
and the run ends ``duration`` after ``start_at``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from csmscheck.load.behaviour import Plan, StationLife
from csmscheck.load.metrics import Metrics
from csmscheck.load.options import LoadOptions
from csmscheck.load.station import LoadStation

STORM_SETTLE_S = 5.0  # a reconnect storm strikes this long after the last station was due to start …
STORM_WAIT_S = 60.0  # … once every station is connected, or at the latest this long after that


@dataclass(frozen=True)
class Slice:
    """The stations one process runs, and where to."""

    options: LoadOptions
    indices: range
    url: str
    start_at: float
    seed: int


def storm_at(options: LoadOptions, start_at: float) -> float:
    return start_at + options.stations / options.ramp_per_s + STORM_SETTLE_S


def _storm_due(options: LoadOptions, start_at: float, all_connected: bool) -> bool:
    """A storm of stations not yet all connected would test the ramp, not the reconnect."""
    scheduled = storm_at(options, start_at)
    return time.time() >= scheduled and (all_connected or time.time() >= scheduled + STORM_WAIT_S)


def ssl_context_for(options: LoadOptions) -> ssl.SSLContext | None:
    if options.pki_dir is None:
        return None
    context = ssl.create_default_context(cafile=str(options.pki_dir / "ca.pem"))
    context.check_hostname = False  # the stations know the CSMS by the CA, as chargers configured by IP do
    return context


async def run_slice(work: Slice, metrics: Metrics, stop: asyncio.Event,
                    each_second: Callable[[Metrics], None] = lambda m: None) -> None:
    """Run the slice until the schedule ends or ``stop`` is set; ``each_second`` sees the metrics
    once a second."""
    options = work.options
    plan = Plan(url=work.url, password=options.password, ssl_context=ssl_context_for(options),
                profile=options.profile, metrics=metrics, rng=random.Random(work.seed))
    sampled = _sampled(work.indices, options.validate_sample, work.seed)
    stations = [LoadStation(options.station_id(n), options.profile.version_of(n, options.stations), metrics,  # type: ignore[arg-type]
                            timeout=options.profile.message_timeout_s, validate=n in sampled, quirks=options.quirks)
                for n in work.indices]
    storm = options.profile.scenario == "reconnect-storm"
    tasks = [asyncio.create_task(_live(station, plan, _due(options, work.start_at, n)))
             for station, n in zip(stations, work.indices, strict=True)]
    ends = work.start_at + options.duration_s
    try:
        while time.time() < ends and not stop.is_set():
            connected = sum(not station.lost.is_set() for station in stations)
            if storm and not plan.storm.is_set() and _storm_due(options, work.start_at, connected == len(stations)):
                plan.storm.set()
            metrics.set_connected(connected, time.time())
            each_second(metrics)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), min(1.0, max(0.0, ends - time.time())))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        metrics.set_connected(0, time.time())


def _due(options: LoadOptions, start_at: float, n: int) -> float:
    if options.profile.scenario == "boot-storm":
        return start_at
    return start_at + n / options.ramp_per_s


async def _live(station: LoadStation, plan: Plan, due: float) -> None:
    """The station's life from its turn in the schedule until the run's end cancels it."""
    await asyncio.sleep(max(0.0, due - time.time()))
    await StationLife(station, plan).run()


def _sampled(indices: Sequence[int], share: float, seed: int) -> set[int]:
    """The stations that validate every frame: ``share`` of them, at least one when share > 0."""
    if share <= 0 or not indices:
        return set()
    count = max(1, round(len(indices) * share))
    return set(random.Random(seed).sample(list(indices), min(count, len(indices))))
