"""What the benchmark measures on one target: handshakes, throughput, idle memory, one long transaction.

Each scenario returns plain numbers (JSON-ready) and never raises for what a CSMS does
wrong: refusals, CALLERRORs, timeouts and dropped connections are counted by name.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.messages import transaction_event
from benchmarks.station import OK, Station, Tally, handshake
from benchmarks.targets import PASSWORD, Target

Result = dict[str, Any]
WINDOW = 100  # events compared at the start and at the end of the long transaction


@dataclass(frozen=True)
class Plan:
    levels: tuple[int, ...]  # concurrent stations sending TransactionEvents
    duration: float  # seconds each level sends
    memory_stations: int  # idle stations connected to measure memory
    long_events: int  # events in the long transaction
    long_cap: float  # seconds the long transaction may take at most
    memory_cap: float  # seconds connecting the idle stations may take at most
    call_deadline: float = 30.0  # a CALL unanswered by then is a timeout (a usual station message timeout)
    handshake_deadline: float = 30.0  # connect + BootNotification
    memory_concurrency: int = 100  # idle stations connecting at the same time


QUICK = Plan(levels=(1, 100), duration=3, memory_stations=500, long_events=1_000, long_cap=15, memory_cap=30)
FULL = Plan(levels=(1, 100, 1_000), duration=8, memory_stations=5_000, long_events=10_000, long_cap=120,
            memory_cap=240)


def _latency(tally: Tally) -> Result:
    return {"p50_ms": tally.percentile_ms(50), "p99_ms": tally.percentile_ms(99), "failures": dict(tally.failures)}


def _per_1000(seconds: float, count: int) -> float | None:
    return seconds / count * 1000 if count else None


async def handshakes(target: Target, ids: Sequence[str], deadline: float) -> tuple[Result, list[Station]]:
    """All ``ids`` connect and boot at once; the rate counts booted stations until the last one booted."""
    tally, cpu, started = Tally(), target.cpu_seconds(), time.monotonic()
    last_booted = started

    async def one(station_id: str) -> Station | None:
        nonlocal last_booted
        station = await handshake(target.url, station_id, PASSWORD, deadline, tally)
        if station is not None:
            last_booted = time.monotonic()
        return station

    stations = [s for s in await asyncio.gather(*map(one, ids)) if s is not None]
    cpu = target.cpu_seconds() - cpu
    return {
        "stations": len(ids),
        "booted": len(stations),
        "handshakes_per_s": len(stations) / (last_booted - started) if stations else 0.0,
        "cpu_ms_per_handshake": _per_1000(cpu, len(stations)),
        **_latency(tally),
    }, stations


async def throughput(target: Target, stations: Sequence[Station], duration: float, deadline: float,
                     tag: str) -> Result:
    """Each station starts a transaction and sends its events back to back for ``duration`` seconds."""
    tally, cpu, client_cpu, started = Tally(), target.cpu_seconds(), time.process_time(), time.monotonic()
    end = started + duration

    async def send(station: Station) -> None:
        transaction_id, seq_no = f"{tag}-{station.id}", 0
        while station.alive and time.monotonic() < end:
            sent = time.perf_counter_ns()
            tally.record(await station.call("TransactionEvent", transaction_event(transaction_id, seq_no), deadline),
                         sent)
            seq_no += 1

    await asyncio.gather(*map(send, stations))
    elapsed = time.monotonic() - started
    return {
        "stations": len(stations),
        "events": tally.ok,
        "events_per_s": tally.ok / elapsed,
        "cpu_s_per_1000": _per_1000(target.cpu_seconds() - cpu, tally.ok),
        "client_cpu_s_per_1000": _per_1000(time.process_time() - client_cpu, tally.ok),
        **_latency(tally),
    }


async def idle_memory(target: Target, ids: Sequence[str], plan: Plan) -> tuple[Result, list[Station]]:
    """RSS of the CSMS before and after ``ids`` connect and boot (``memory_concurrency`` at a time)."""
    before, tally, gate, stations = target.rss(), Tally(), asyncio.Semaphore(plan.memory_concurrency), []
    started = time.monotonic()

    async def one(station_id: str) -> None:
        async with gate:
            station = await handshake(target.url, station_id, PASSWORD, plan.handshake_deadline, tally)
        if station is not None:
            stations.append(station)

    try:
        async with asyncio.timeout(plan.memory_cap):
            await asyncio.gather(*map(one, ids))
        capped = False
    except TimeoutError:
        capped = True
    elapsed = time.monotonic() - started
    await asyncio.sleep(1)  # let the last handshakes settle
    grown = target.rss() - before
    return {
        "stations": len(ids),
        "booted": len(stations),
        "capped": capped,
        "rss_before_mb": before / 2**20,
        "rss_after_mb": (before + grown) / 2**20,
        "kb_per_station": grown / 1024 / len(stations) if stations else None,
        "handshakes_per_s": len(stations) / elapsed,
        **_latency(tally),
    }, stations


async def long_transaction(target: Target, station: Station, plan: Plan) -> Result:
    """One transaction of ``long_events`` events: the first ``WINDOW`` against the last ``WINDOW`` reached."""
    latencies: list[Tally] = []  # one per window of WINDOW events
    cpu: list[float] = [target.cpu_seconds()]  # at each window's end
    failures = Tally()
    end = time.monotonic() + plan.long_cap
    seq_no = 0
    while seq_no < plan.long_events and station.alive and time.monotonic() < end:
        if seq_no % WINDOW == 0:
            latencies.append(Tally())
        sent = time.perf_counter_ns()
        outcome = await station.call("TransactionEvent", transaction_event("long-1", seq_no), plan.call_deadline)
        (latencies[-1] if outcome == OK else failures).record(outcome, sent)
        seq_no += 1
        if seq_no % WINDOW == 0:
            cpu.append(target.cpu_seconds())
    complete = len(cpu) - 1  # windows sent in full
    if complete < 2:
        return {"events": seq_no, "target_events": plan.long_events, "failures": dict(failures.failures)}
    first, last = latencies[0], latencies[complete - 1]
    result: Result = {
        "events": seq_no,
        "target_events": plan.long_events,
        "last_window_end": complete * WINDOW,  # the last window: events last_window_end - 99 … last_window_end
        "first_p50_ms": first.percentile_ms(50),
        "last_p50_ms": last.percentile_ms(50),
        "first_p99_ms": first.percentile_ms(99),
        "last_p99_ms": last.percentile_ms(99),
        "first_cpu_ms_per_event": (cpu[1] - cpu[0]) / WINDOW * 1000,
        "last_cpu_ms_per_event": (cpu[complete] - cpu[complete - 1]) / WINDOW * 1000,
        "failures": dict(failures.failures),
    }
    result["growth_p50"] = _ratio(result["last_p50_ms"], result["first_p50_ms"])
    result["growth_cpu"] = _ratio(result["last_cpu_ms_per_event"], result["first_cpu_ms_per_event"])
    return result


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


async def close_all(stations: Sequence[Station]) -> None:
    await asyncio.gather(*(station.close() for station in stations), return_exceptions=True)
