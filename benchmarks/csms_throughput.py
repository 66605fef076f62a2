"""Benchmark the bundled reference CSMS against an ``ocpp``-library CSMS, driven by the same client.

    python -m benchmarks.csms_throughput --quick        # about a minute, for development
    python -m benchmarks.csms_throughput                # the full run, about 10 minutes

Prints a table of medians over the repeats with the bundled/baseline ratio, and writes
every figure to a JSON file. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console

import csmscheck
from benchmarks import report
from benchmarks.scenarios import FULL, QUICK, Plan, close_all, handshakes, idle_memory, long_transaction, throughput
from benchmarks.targets import BASELINE, BUNDLED, Target, start_baseline, start_bundled, station_id
from csmscheck.gc_tuning import tune_for_many_connections

Starter = Callable[[Path], Awaitable[Target]]
console = Console(width=max(Console().width, 100))


async def once(start: Starter, workdir: Path, plan: Plan) -> dict[str, Any]:
    """Idle memory at ``memory_stations`` stations, then one long transaction, on a fresh server."""
    target = await start(workdir)
    try:
        memory, stations = await idle_memory(target, [station_id(n) for n in range(plan.memory_stations)], plan)
        console.log(f"{target.name}: idle memory", brief(memory))
        await close_all(stations[1:])
        long = await long_transaction(target, stations[0], plan) if stations else {}
        console.log(f"{target.name}: long transaction", brief(long))
        await close_all(stations[:1])
        return {"memory": memory, "long_transaction": long, "log": target.log_findings()}
    finally:
        await target.stop()


async def repeat(start: Starter, workdir: Path, plan: Plan, run: int) -> dict[str, Any]:
    """Handshakes of the most stations at once, then TransactionEvents at each level, on a fresh server."""
    target = await start(workdir)
    try:
        ids = [station_id(n) for n in range(max(plan.levels))]
        shakes, stations = await handshakes(target, ids, plan.handshake_deadline)
        console.log(f"{target.name} run {run}: handshakes", brief(shakes))
        rates = {}
        for level in plan.levels:
            rates[str(level)] = await throughput(target, stations[:level], plan.duration, plan.call_deadline,
                                                 f"r{run}-n{level}")
            console.log(f"{target.name} run {run}: {level} stations", brief(rates[str(level)]))
        await close_all(stations)
        return {"handshakes": shakes, "throughput": rates, "log": target.log_findings()}
    finally:
        await target.stop()


async def benchmark(plan: Plan, repeats: int, names: list[str], workdir: Path) -> dict[str, Any]:
    stations = max(plan.memory_stations, *plan.levels)
    starters: dict[str, Starter] = {BUNDLED: lambda d: start_bundled(d, stations), BASELINE: start_baseline}
    results: dict[str, dict[str, Any]] = {name: {"runs": []} for name in names}
    for name in names:
        results[name] |= await once(starters[name], _fresh(workdir / f"{name}-once"), plan)
    for run in range(repeats):  # the targets take turns, so a noisy neighbour hurts both alike
        for name in names:
            results[name]["runs"].append(await repeat(starters[name], _fresh(workdir / f"{name}-{run}"), plan, run))
    return results


def brief(result: dict[str, Any]) -> str:
    """A scenario's result on one line, numbers rounded."""
    return ", ".join(f"{key} {value:,.4g}" if isinstance(value, float) else f"{key} {value}"
                     for key, value in result.items() if value or key != "failures")


def _fresh(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


def machine() -> dict[str, Any]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"cpus": os.cpu_count(), "cpu_model": model, "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "load_average": os.getloadavg(), "python": platform.python_version(),
            "ocpp": version("ocpp"), "websockets": version("websockets")}


def commit() -> str:
    """The last commit that changed the csmscheck package measured (``+changes`` if it has uncommitted ones)."""
    source = Path(csmscheck.__file__).parent
    try:
        head = subprocess.run(["git", "-C", str(source), "log", "-1", "--format=%h", "--", "."], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(source), "status", "--porcelain", "--", "."], capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}{'+changes' if dirty else ''}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run for development (about a minute)")
    parser.add_argument("--repeats", type=int, help="runs of the throughput and handshake scenarios "
                                                    "(default 3, 1 with --quick)")
    parser.add_argument("--only", choices=[BUNDLED, BASELINE], help="benchmark one target only")
    parser.add_argument("--json", type=Path, default=Path("csms_throughput.json"), help="where the results go")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    repeats = args.repeats or (1 if args.quick else 3)
    names = [args.only] if args.only else [BUNDLED, BASELINE]
    meta = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "commit": commit(), "machine": machine(),
            "plan": dataclasses.asdict(plan), "repeats": repeats}
    console.log(f"commit {meta['commit']}, {meta['machine']}")
    started = time.monotonic()
    tune_for_many_connections()  # the client's own full collections would show as the servers' latency
    with tempfile.TemporaryDirectory(prefix="csms-bench-") as tmp:
        results = asyncio.run(benchmark(plan, repeats, names, Path(tmp)))
    meta["seconds"] = round(time.monotonic() - started)
    summary = {name: report.summarize(found) for name, found in results.items()}
    if len(names) == 2:
        meta["ratios"] = report.ratios(summary[BUNDLED]["medians"], summary[BASELINE]["medians"])
    args.json.write_text(json.dumps({"meta": meta, "summary": summary, "results": results}, indent=2))
    console.print(report.table(report.grid(summary, report.rows(plan.levels, max(plan.levels), plan.memory_stations))))
    for line in report.failure_lines(summary):
        console.print(f"[red]{line}")
    console.print(f"{meta['seconds']} s; figures in {args.json}")


if __name__ == "__main__":
    main()
