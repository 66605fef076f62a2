"""Sustained load: N stations booted with a transaction each, then one TransactionEvent per
station every PERIOD seconds (N / PERIOD events/s) for DURATION seconds.

Run by hand from the repository root (not part of the test suite)::

    python -m benchmarks.sustained_load --stations 5000 --period 5 --duration 60

Issue 9's target: 5,000 stations, 1,000 events/s for 60 s, no CALLERROR, no dropped
connection, p99 < 100 ms. The stations' first events (Started) are sent before the
measured window; the figures count the Updated events inside it.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from benchmarks.messages import transaction_event
from benchmarks.station import Station, Tally, handshake
from benchmarks.targets import PASSWORD, start_bundled, station_id
from csmscheck.gc_tuning import tune_for_many_connections

SETUP_CONCURRENCY = 200  # stations connecting (and starting their transaction) at a time


async def run(stations: int, period: float, duration: float) -> None:
    with tempfile.TemporaryDirectory() as directory:
        target = await start_bundled(Path(directory), stations)
        try:
            booted = await _set_up(target.url, stations)
            tally, cpu, started = Tally(), target.cpu_seconds(), time.monotonic()

            async def send(index: int, station: Station) -> None:
                await asyncio.sleep(period * index / len(booted))  # spread evenly over the period
                seq_no, due = 1, time.monotonic()
                while time.monotonic() - started < duration and station.alive:
                    sent = time.perf_counter_ns()
                    event = transaction_event(f"sustained-{station.id}", seq_no)
                    tally.record(await station.call("TransactionEvent", event, 30), sent)
                    seq_no, due = seq_no + 1, due + period
                    await asyncio.sleep(max(0.0, due - time.monotonic()))

            await asyncio.gather(*(send(index, station) for index, station in enumerate(booted)))
            elapsed = time.monotonic() - started
            print(f"{len(booted)} stations, {tally.ok} events in {elapsed:.1f} s = {tally.ok / elapsed:.0f}/s; "
                  f"p50 {tally.percentile_ms(50)} ms, p99 {tally.percentile_ms(99)} ms; "
                  f"failures {dict(tally.failures) or 'none'}; dropped {sum(not s.alive for s in booted)}; "
                  f"CSMS CPU {(target.cpu_seconds() - cpu) / elapsed:.0%} of a core; log {target.log_findings()}")
        finally:
            await target.stop()


async def _set_up(url: str, stations: int) -> list[Station]:
    """Connect and boot every station and start its transaction, ``SETUP_CONCURRENCY`` at a time."""
    boots, starts, gate = Tally(), Tally(), asyncio.Semaphore(SETUP_CONCURRENCY)

    async def one(n: int) -> Station | None:
        async with gate:
            station = await handshake(url, station_id(n), PASSWORD, 60, boots)
            if station is not None:
                sent = time.perf_counter_ns()
                starts.record(await station.call("TransactionEvent", transaction_event(f"sustained-{station.id}", 0),
                                                 60), sent)
            return station

    booted = [station for station in await asyncio.gather(*map(one, range(stations))) if station is not None]
    print(f"set up: {len(booted)} of {stations} booted, {starts.ok} transactions started; "
          f"failures {dict(boots.failures) | dict(starts.failures) or 'none'}", flush=True)
    return booted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=5000)
    parser.add_argument("--period", type=float, default=5.0, help="seconds between two events of a station")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of the measured window")
    args = parser.parse_args()
    tune_for_many_connections()  # the client's own full collections would show as the CSMS's latency
    asyncio.run(run(args.stations, args.period, args.duration))


if __name__ == "__main__":
    main()
