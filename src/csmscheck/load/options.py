"""The settings of one ``csmscheck load`` run, checked before anything connects."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from csmscheck.load.profile import Profile
from csmscheck.load.slo import Rule, parse_slo
from csmscheck.station.quirks import QuirksProfile

# Stations started per second unless --ramp says: gentle enough for a CSMS that checks each
# password (the bundled one boots ~270 stations/s on 2 cores), so a steady run measures traffic.
DEFAULT_RAMP_PER_S = 100.0
MAX_STATIONS_PER_PROCESS = 19_000  # 20,000 open files per process, less what the process itself needs
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


@dataclass(frozen=True)
class LoadOptions:
    stations: int
    profile: Profile
    duration_s: float
    ramp_per_s: float  # stations started per second (a boot storm starts them all at once)
    target: str | None  # None: the bundled reference CSMS, with the stations provisioned
    id_pattern: str
    password: str | None
    pki_dir: Path | None
    processes: int
    shard: tuple[int, int]  # (I, N): this run is shard I of N (0-based)
    start_at: float | None  # epoch seconds all shards align their ramp on
    csms_pid: int | None
    slo_text: str | None
    slo: tuple[Rule, ...]
    metrics_port: int | None
    report_dir: Path
    validate_sample: float  # share of stations that validate every frame (0 … 1)
    live: bool = True
    quirks: QuirksProfile | None = None  # the stations write their messages as this vendor's chargers do

    def indices(self) -> range:
        """The station numbers of this shard: a contiguous slice of 0 … stations-1."""
        index, count = self.shard
        per_shard, extra = divmod(self.stations, count)
        first = index * per_shard + min(index, extra)
        return range(first, first + per_shard + (1 if index < extra else 0))

    def station_id(self, n: int) -> str:
        return self.id_pattern.format(n=n)


def parse_duration(text: str, name: str) -> float:
    """"60", "60s", "5m", "2h", "500ms" as seconds; ValueError naming the option."""
    found = _DURATION.match(text.strip())
    if not found:
        raise ValueError(f"{name} {text!r}: give a duration such as 60s, 5m or 2h")
    return float(found.group(1)) * _SECONDS[found.group(2)]


def parse_shard(text: str) -> tuple[int, int]:
    """"I/N" with 0 ≤ I < N (shards counted from 0, as a Kubernetes Indexed Job's JOB_COMPLETION_INDEX)."""
    found = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if not found or not 0 <= int(found.group(1)) < int(found.group(2)):
        raise ValueError(f"--shard {text!r}: give I/N with 0 ≤ I < N, e.g. 0/2 and 1/2")
    return int(found.group(1)), int(found.group(2))


def parse_start_at(text: str) -> float:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--start-at {text!r}: give an ISO 8601 time such as 2026-11-29T12:00:00Z") from None
    if moment.tzinfo is None:
        raise ValueError(f"--start-at {text!r}: give a time zone (e.g. Z), so every shard reads the same moment")
    return moment.timestamp()


def check_id_pattern(pattern: str) -> str:
    try:
        first, second = pattern.format(n=0), pattern.format(n=1)
    except (KeyError, IndexError, ValueError):
        raise ValueError(f"--id-pattern {pattern!r}: use {{n}} for the station number, e.g. 'LOAD{{n:05d}}'") from None
    if first == second:
        raise ValueError(f"--id-pattern {pattern!r}: every station needs its own id; put {{n}} in it")
    if len(first) > 48 or not re.fullmatch(r"[A-Za-z0-9._~:@!$&'()*+,;=-]+", first):
        raise ValueError(f"--id-pattern {pattern!r}: {first!r} is no valid station id (at most 48 URL-safe characters)")
    return pattern


def default_processes() -> int:
    return max(1, os.cpu_count() or 1)


def make_options(*, stations: int, profile: Profile, duration: str, ramp: float | None, target: str | None,
                 id_pattern: str, password: str | None, pki_dir: Path | None, processes: int | None,
                 shard: str | None, start_at: str | None, csms_pid: int | None, slo: str | None,
                 metrics_port: int | None, report_dir: Path, validate_sample: float, live: bool,
                 quirks: QuirksProfile | None = None) -> LoadOptions:
    """Every setting checked; the first wrong one raises ValueError with a one-line reason."""
    if stations < 1:
        raise ValueError(f"--stations {stations}: give at least 1")
    duration_s = parse_duration(duration, "--duration")
    if duration_s <= 0:
        raise ValueError(f"--duration {duration}: must be more than 0")
    if ramp is not None and ramp <= 0:
        raise ValueError(f"--ramp {ramp}: stations per second must be more than 0")
    if target is not None and not re.match(r"^wss?://[^/\s]+", target):
        raise ValueError(f"--target {target!r}: give the CSMS's ws:// or wss:// address (stations append /<id>)")
    if target is not None and target.startswith("wss://") and pki_dir is None:
        raise ValueError("--target wss://…: give --pki-dir with the CA that signed the CSMS's certificate")
    if pki_dir is not None and not (pki_dir / "ca.pem").is_file():
        raise ValueError(f"--pki-dir {pki_dir}: no ca.pem in it")
    chosen = processes if processes is not None else default_processes()
    if chosen < 1:
        raise ValueError(f"--processes {processes}: give at least 1")
    shard_of = parse_shard(shard) if shard else (0, 1)
    options = LoadOptions(
        stations=stations, profile=profile, duration_s=duration_s,
        ramp_per_s=ramp if ramp is not None else DEFAULT_RAMP_PER_S,
        target=target, id_pattern=check_id_pattern(id_pattern), password=password, pki_dir=pki_dir,
        processes=chosen, shard=shard_of, start_at=parse_start_at(start_at) if start_at else None,
        csms_pid=csms_pid, slo_text=slo, slo=tuple(parse_slo(slo)) if slo else (), metrics_port=metrics_port,
        report_dir=report_dir, validate_sample=validate_sample, live=live, quirks=quirks)
    if not 0 <= validate_sample <= 1:
        raise ValueError(f"--validate-sample {validate_sample}: give a share between 0 and 1 (e.g. 0.01)")
    per_process = -(-len(options.indices()) // options.processes)
    if per_process > MAX_STATIONS_PER_PROCESS:
        raise ValueError(f"--processes {options.processes}: {per_process} stations per process is more than one "
                         f"process can hold ({MAX_STATIONS_PER_PROCESS}, 20,000 open files); give more processes")
    if metrics_port is not None and not 0 < metrics_port < 65536:
        raise ValueError(f"--metrics-port {metrics_port}: give a TCP port (1-65535)")
    if csms_pid is not None and csms_pid < 1:
        raise ValueError(f"--csms-pid {csms_pid}: give a process id")
    return options
