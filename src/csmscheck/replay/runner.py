"""``csmscheck replay``: the target (a given CSMS, or the bundled one with the stations provisioned), every
transcript played, the differences printed and reported, the golden answers rewritten on request."""

from __future__ import annotations

import asyncio
import os
import ssl
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import httpx

from csmscheck.bundled import BundledCsms
from csmscheck.csms.process import DEFAULT_PASSWORD
from csmscheck.errors import ConfigError
from csmscheck.replay.player import Played, play, recorded_tokens, version_of
from csmscheck.replay.report import write_reports
from csmscheck.replay.transcript import Frame, Transcript, read_transcript, write_transcript
from csmscheck.settings import Settings
from csmscheck.station.quirks import QuirksProfile

ANSWER_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ReplayOptions:
    transcripts: list[Path]
    target: str | None  # None: the bundled reference CSMS, in-process, the transcripts' stations provisioned
    password: str | None
    speed: float | None  # 1: the recorded timing; None: as fast as the CSMS answers
    update_golden: bool
    report_dir: Path
    timeout: float = ANSWER_TIMEOUT_S
    ssl_context: ssl.SSLContext | None = None  # for a wss:// target
    quirks: QuirksProfile | None = None  # station CALLs reshaped the way this vendor writes them


def run_replay(options: ReplayOptions) -> int:
    """Exit 0 without differences, 1 with any (or a transcript that could not be played through)."""
    transcripts = [(path, read_transcript(path)) for path in options.transcripts]
    started = time.monotonic()
    bundled = None
    target, password = options.target, options.password
    if target is None:
        print("starting the bundled reference CSMS …", flush=True)
        bundled = BundledCsms(Settings())
        target, password = bundled.endpoints.ws, password or DEFAULT_PASSWORD
    try:
        if bundled is not None:
            asyncio.run(provision(bundled.endpoints.api, [t for _, t in transcripts], password))
        results = asyncio.run(play_all(transcripts, target, password, options))
    finally:
        if bundled is not None:
            bundled.stop()
    for path, played in results:
        shown = f"{len(played.differences)} difference(s)" + (f", stopped: {played.error}" if played.error else "")
        print(f"{path}: {played.calls_sent} call(s) replayed in {played.duration_s:g} s, {shown}")
        for difference in played.differences:
            print(f"  {difference}")
        if options.update_golden and played.new_answers:
            update_golden(path, dict(transcripts)[path], played)
            print(f"  golden answers rewritten ({len(played.new_answers)})")
    summary = {"target": "bundled" if bundled is not None else target, "speed": options.speed or "max",
               "quirks": options.quirks.name if options.quirks is not None else None,
               "duration_s": round(time.monotonic() - started, 3)}
    verdicts = write_reports(options.report_dir, results, summary)
    print(f"reports in {options.report_dir}")
    stopped = any(played.error for _, played in results)
    return 1 if stopped or (verdicts and not options.update_golden) else 0


# Token statuses that are a fact about the token (ConcurrentTx is about a transaction: the token is valid).
_TOKEN_STATUSES = {"Accepted", "Blocked", "Expired", "NoCredit", "NotAllowedTypeEVSE", "NotAtThisLocation",
                   "NotAtThisTime"}


async def provision(api: str, transcripts: list[Transcript], password: str | None) -> None:
    """Register each transcript's station with the bundled CSMS (an existing one is kept), and each token the
    recorded CSMS knew, with the status it first gave it (tokens it did not know stay unknown)."""
    async with httpx.AsyncClient(base_url=api, timeout=ANSWER_TIMEOUT_S) as client:
        for transcript in transcripts:
            body = {"stationId": transcript.header.station, "ocppVersion": version_of(transcript),
                    "securityProfile": 1, "password": password}
            response = await client.post("/api/stations", json=body)
            if response.status_code not in (201, 409):
                raise ConfigError(f"the bundled CSMS refused station {transcript.header.station}: "
                                   f"{response.status_code} {response.text[:200]}")
            for token, recorded in recorded_tokens(transcript).items():
                status = "Accepted" if recorded.status == "ConcurrentTx" else recorded.status
                if status not in _TOKEN_STATUSES:
                    continue
                body = {"idToken": token, "type": recorded.type, "status": status, "groupId": recorded.group}
                response = await client.post("/api/octt/create-token", json=body)
                if response.status_code != 200:
                    raise ConfigError(f"the bundled CSMS refused token {token!r} of {transcript.header.station}: "
                                      f"{response.status_code} {response.text[:200]}")


async def play_all(transcripts: list[tuple[Path, Transcript]], target: str, password: str | None,
                   options: ReplayOptions) -> list[tuple[Path, Played]]:
    """Stations at once; the transcripts of one station one after another."""
    by_station: dict[str, list[tuple[Path, Transcript]]] = defaultdict(list)
    for path, transcript in transcripts:
        by_station[transcript.header.station].append((path, transcript))

    async def one_station(group: list[tuple[Path, Transcript]]) -> list[tuple[Path, Played]]:
        return [(path, await play(transcript, target, password=password, speed=options.speed,
                                  timeout=options.timeout, ssl_context=options.ssl_context,
                                  quirks=options.quirks))
                for path, transcript in group]

    played = await asyncio.gather(*(one_station(group) for group in by_station.values()))
    order = {path: i for i, (path, _) in enumerate(transcripts)}
    return sorted((result for group in played for result in group), key=lambda result: order[result[0]])


def update_golden(path: Path, transcript: Transcript, played: Played) -> None:
    """Rewrite the transcript with the CSMS's new answers in place of the recorded ones."""
    entries = [Frame(entry.t, entry.side, text=played.new_answers[i]) if i in played.new_answers
               and isinstance(entry, Frame) else entry for i, entry in enumerate(transcript.entries)]
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as out:
        write_transcript(out, Transcript(transcript.header, entries))
    os.replace(temporary, path)
