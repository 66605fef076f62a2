"""Fuzz frames per minute against the bundled reference CSMS, per OCPP version (median of N runs).

    python -m benchmarks.fuzz_throughput                 # 3 runs of 10,000 frames per version
    python -m benchmarks.fuzz_throughput --frames 3000 --repeats 1

The CSMS runs in its own process (``csmscheck csms``, fresh SQLite database), as
``csmscheck fuzz`` starts it; each run uses a new seed and fresh connections. A frame is one
fuzz frame sent and its answer judged; liveness probes, fences and minimisation frames are
counted apart (they are extra work the rate already pays for). Drawing the valid payload pools
(hypothesis-jsonschema, once per run before the first frame) is timed apart too.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics

import orjson

from csmscheck.fuzz.bundled_target import PASSWORD, start_bundled, station_ids
from csmscheck.fuzz.command import BUNDLED_STATIONS
from csmscheck.fuzz.runner import Fuzzer, FuzzOptions
from csmscheck.fuzz.schema import station_actions
from csmscheck.wire.versions import OcppVersion


async def measure(frames: int, repeats: int) -> dict[str, object]:
    target = await start_bundled(BUNDLED_STATIONS)
    results: dict[str, object] = {"cpus": os.cpu_count(), "python": platform.python_version(), "frames": frames}
    try:
        for version in ("2.0.1", "1.6"):
            v: OcppVersion = version  # type: ignore[assignment]
            rates, runs = [], []
            for seed in range(repeats):
                options = FuzzOptions(v, target.url, station_ids(v, BUNDLED_STATIONS), PASSWORD,
                                      station_actions(v), 1000 + seed, frames, trigger=target.trigger)
                fuzzer = Fuzzer(options)
                verdicts = await fuzzer.run()
                s = fuzzer.stats
                rate = s.frames / s.elapsed * 60
                rates.append(rate)
                runs.append({"seed": 1000 + seed, "frames": s.frames, "seconds": round(s.elapsed, 2),
                             "frames_per_minute": round(rate), "payload_pool_s": round(s.pool_seconds, 2),
                             "probes": s.probes,
                             "findings": len(verdicts.findings())})
                print(f"{version} seed {1000 + seed}: {s.frames} frames in {s.elapsed:.1f} s = {rate:,.0f}/min "
                      f"({s.probes} probes, {len(verdicts.findings())} findings; payload pools {s.pool_seconds:.1f} s)")
            results[version] = {"median_frames_per_minute": round(statistics.median(rates)), "runs": runs}
            print(f"{version}: median {statistics.median(rates):,.0f} frames/min")
    finally:
        await target.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    results = asyncio.run(measure(args.frames, args.repeats))
    if args.json:
        with open(args.json, "wb") as out:
            out.write(orjson.dumps(results, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
