"""``csmscheck fuzz``: options to a run per version, the progress line, the reports and the exit status."""

from __future__ import annotations

import asyncio
import re
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from csmscheck.errors import ConfigError
from csmscheck.fuzz.bundled_target import PASSWORD, start_bundled, station_ids
from csmscheck.fuzz.link import LinkFailed
from csmscheck.fuzz.report import write_reports
from csmscheck.fuzz.runner import Fuzzer, FuzzOptions, Stats
from csmscheck.fuzz.schema import NothingToFuzz, station_actions
from csmscheck.settings import Settings
from csmscheck.verdicts import Verdicts
from csmscheck.wire.versions import OcppVersion

BUNDLED_STATIONS = 4  # connections per version against the bundled CSMS (one station id each)
PLAIN_EVERY_S = 10.0  # progress lines when the output is no terminal


@dataclass(frozen=True)
class Budget:
    frames: int | None
    seconds: float | None

    def __str__(self) -> str:
        return f"{self.frames} frames" if self.frames is not None else f"{self.seconds:g} s"


def parse_budget(text: str) -> Budget:
    """``10000`` (frames) or ``90s``/``5m``/``1h`` (time)."""
    if text.isdigit() and int(text) > 0:
        return Budget(int(text), None)
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(s|m|h)", text.strip())
    if not match or float(match[1]) <= 0:
        raise ConfigError(f"--budget {text!r}: give a number of frames (10000) or a duration (90s, 5m, 1h)")
    return Budget(None, float(match[1]) * {"s": 1, "m": 60, "h": 3600}[match[2]])


def check_actions(version: OcppVersion, wanted: list[str] | None) -> list[str]:
    known = station_actions(version)
    if not wanted:
        return known
    unknown = [a for a in wanted if a not in known]
    if unknown:
        raise ConfigError(f"--actions: {', '.join(unknown)} is no station-to-CSMS action of OCPP {version} "
                          f"(known: {', '.join(known)})")
    return wanted


def _progress_printer(version: str, budget: Budget, progress: Progress) -> Any:
    task = progress.add_task(f"fuzz {version}", total=budget.frames or budget.seconds, findings=0)
    last = [0.0]

    def update(stats: Stats, findings: int) -> None:
        now = time.monotonic()
        if now - last[0] < (0.25 if not progress.disable else PLAIN_EVERY_S):
            return
        last[0] = now
        done = stats.frames if budget.frames else stats.elapsed
        rate = f"{stats.frames / max(stats.elapsed, 1e-9) * 60:,.0f} frames/min"
        if progress.disable:  # no terminal (CI): a plain line now and then
            print(f"csmscheck fuzz {version}: {stats.frames} frames, {rate}, {findings} findings", file=sys.stderr)
        progress.update(task, completed=done, findings=findings, rate=rate)
    return update


async def fuzz_all(settings: Settings, versions: list[OcppVersion], actions: list[str] | None, budget: Budget,
                   seed: int, report_dir: Path) -> int:
    bundled = None
    if settings.target is None:
        bundled = await start_bundled(BUNDLED_STATIONS)
    verdicts, runs = Verdicts(), []
    console = Console(stderr=True)
    try:
        for version in versions:
            trigger: str | None
            if bundled is not None:
                url, trigger, password = bundled.url, bundled.trigger, PASSWORD
                stations = station_ids(version, BUNDLED_STATIONS)
            else:
                url, trigger, password = settings.target or "", settings.trigger, settings.basic_auth_password
                stations = [settings.cp201_sp1 if version == "2.0.1" else settings.cp16_sp1]
            options = FuzzOptions(version, url, stations, password, check_actions(version, actions), seed,
                                  budget.frames, budget.seconds,
                                  trigger=None if trigger in (None, "manual") else trigger)
            with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[rate]}"),
                          TextColumn("findings {task.fields[findings]}"), TimeElapsedColumn(), console=console,
                          disable=not console.is_terminal) as progress:
                fuzzer = Fuzzer(options, _progress_printer(version, budget, progress))
                progress.update(progress.task_ids[0], rate="")
                try:
                    run = await fuzzer.run()
                except (LinkFailed, NothingToFuzz) as exc:  # refused before any frame, or nothing to send
                    raise ConfigError(str(exc)) from None
            stats = fuzzer.stats
            for rule in run.rules:
                verdicts.checked(rule, run.checks.get(rule.id, 0))
                for finding in run.findings(rule.id):
                    verdicts.add(finding)
            per_minute = stats.frames / max(stats.elapsed, 1e-9) * 60
            runs.append({"ocpp": version, "frames": stats.frames, "probes": stats.probes,
                         "minimisation_frames": stats.minimisation_frames, "reconnects": stats.reconnects,
                         "duration_s": round(stats.elapsed, 3), "frames_per_minute": round(per_minute),
                         "payload_pool_s": round(stats.pool_seconds, 3),
                         "findings": len(run.findings()), "categories": dict(sorted(stats.categories.items()))})
            print(f"csmscheck fuzz {version}: {stats.frames} frames in {stats.elapsed:.1f} s "
                  f"({per_minute:,.0f}/min), {len(run.rules)} rules, {len(run.failed_rules())} broken, "
                  f"{len(run.findings())} distinct findings (payload pools drawn in {stats.pool_seconds:.1f} s)",
                  file=sys.stderr)
    finally:
        if bundled is not None:
            await bundled.stop()
    summary = {"target": settings.target or "bundled reference CSMS", "ocpp": ", ".join(versions), "seed": seed,
               "budget": str(budget), "runs": runs}
    for path in write_reports(report_dir, verdicts, summary):
        print(f"csmscheck fuzz: wrote {path}", file=sys.stderr)
    for rule in verdicts.failed_rules():
        found = verdicts.findings(rule.id)
        print(f"  FAILED {rule.id} ({rule.reference}): {found[0].message[:160]} ({len(found)} distinct)",
              file=sys.stderr)
    return 1 if verdicts else 0


def run_fuzz(settings: Settings, ocpp: str | None, actions: list[str] | None, budget_text: str,
             seed: int | None, report_dir: Path) -> int:
    budget = parse_budget(budget_text)
    versions: list[OcppVersion] = [ocpp] if ocpp in ("1.6", "2.0.1") else ["2.0.1", "1.6"]  # type: ignore[list-item]
    if actions:
        for version in versions:
            check_actions(version, actions)
    if settings.target is not None and settings.target.startswith("wss://"):
        raise ConfigError("csmscheck fuzz speaks ws:// (security profile 1): give a ws:// --target")
    chosen = secrets.randbelow(2**31) if seed is None else seed
    print(f"csmscheck fuzz: seed {chosen} (--seed {chosen} repeats the same frames)", file=sys.stderr)
    return asyncio.run(fuzz_all(settings, versions, actions, budget, chosen, report_dir))
