"""The fuzz run: a few stations per version, each sending one frame, judging its answer, sending the next.

Throughput comes from several connections in parallel (the CSMS is kept busy while each
station waits for its answer) and from cheap frames (seeded ``random`` picks and mutations of payloads
drawn once per run by hypothesis-jsonschema, orjson).
The liveness probe, a Heartbeat that must be answered with the time, follows every
``probe_every`` frames, every frame with a suspicious answer (InternalError, GenericError,
none, a broken rule) and every frame that needs no answer (the Heartbeat's answer then
marks the end of what the CSMS sent back). The first finding of each kind is minimised
(optional fields and array items dropped while the same breach still shows) on the same
connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from csmscheck.fuzz.cases import Case, make_case, rebuilt
from csmscheck.fuzz.link import BOOT, Collected, Link, LinkFailed
from csmscheck.fuzz.minimise import smaller
from csmscheck.fuzz.oracle import ERROR, RESULT, Verdict, judge, read
from csmscheck.fuzz.rules import RULES
from csmscheck.fuzz.schema import station_actions, usable_actions
from csmscheck.fuzz.sequences import run_sequences
from csmscheck.verdicts import Finding, Verdicts
from csmscheck.wire.versions import OcppVersion

MAX_MINIMISE = 40  # frames spent shrinking one finding


@dataclass
class FuzzOptions:
    version: OcppVersion
    url: str
    stations: list[str]
    password: str | None
    actions: list[str]
    seed: int
    frames: int | None = 10_000  # budget in frames, or
    seconds: float | None = None  # in time
    trigger: str | None = None
    timeout: float = 5.0
    probe_every: int = 50
    sequences: bool = True


@dataclass
class Stats:
    frames: int = 0
    probes: int = 0
    minimisation_frames: int = 0
    reconnects: int = 0
    pool_seconds: float = 0.0  # drawing the valid payload pools, before the first frame (not in ``elapsed``)
    started: float = field(default_factory=time.monotonic)
    categories: dict[str, int] = field(default_factory=dict)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


class Fuzzer:
    def __init__(self, options: FuzzOptions, on_progress: Callable[[Stats, int], None] | None = None) -> None:
        self.options = options
        self.rules = RULES[options.version]
        self.verdicts = Verdicts()
        self.stats = Stats()
        self._next = 0
        self._first: dict[tuple[str, str, str], Finding] = {}
        self._on_progress = on_progress or (lambda _s, _f: None)

    def _more(self) -> int | None:
        o = self.options
        if o.frames is not None and self._next >= o.frames:
            return None
        if o.seconds is not None and self.stats.elapsed >= o.seconds:
            return None
        self._next += 1
        return self._next - 1

    async def run(self) -> Verdicts:
        o, drawing = self.options, time.monotonic()
        usable_actions(o.version, tuple(o.actions), o.seed)  # NothingToFuzz when no action has a payload
        self.stats.pool_seconds = time.monotonic() - drawing
        self.stats.started = time.monotonic()
        links = [Link(self.options.url, s, self.options.version, self.options.password, self.options.timeout)
                 for s in self.options.stations]
        await asyncio.gather(*(link.open() for link in links))
        if self.options.sequences:
            await run_sequences(self, links[0])
        try:
            await asyncio.gather(*(self._work(link) for link in links))
        finally:
            await asyncio.gather(*(link.close() for link in links), return_exceptions=True)
        return self.verdicts

    async def _work(self, link: Link) -> None:
        since_probe = 0
        while (index := self._more()) is not None:
            case = make_case(self.options.version, self.options.actions, self.options.seed, index)
            self.stats.categories[case.category] = self.stats.categories.get(case.category, 0) + 1
            verdict, got = await self.exchange(link, case)
            self.stats.frames += 1
            since_probe += 1
            if case.action == "BootNotification" and case.category == "valid" and got.closed is None:
                await self._boot_again(link, got)
            if verdict.breaches:
                await self._record(link, case, verdict, got)
            if got.closed is not None or verdict.suspicious or since_probe >= self.options.probe_every:
                since_probe = 0
                if not await self.probe(link, case):
                    return
            self._on_progress(self.stats, len(self.verdicts.findings()))

    async def _boot_again(self, link: Link, got: Collected) -> None:
        """A CSMS may answer a drawn BootNotification Pending or Rejected: boot again with the usual one, so
        the frames that follow are not refused for the station's state."""
        answer = read(got.frames[-1]) if got.frames else None
        if not answer or answer[0] != 3 or not isinstance(answer[2], dict) or answer[2].get("status") != "Accepted":
            with contextlib.suppress(LinkFailed):
                await link.call(*BOOT[self.options.version])

    async def exchange(self, link: Link, case: Case) -> tuple[Verdict, Collected]:
        """Send ``case`` and judge what came back (a Heartbeat fences frames that may get no answer)."""
        expect = case.expect
        closed = await link.send(case.text)
        got = Collected(closed=closed)
        if closed is None:
            if expect.answer in (RESULT, ERROR) and case.uid in expect.ids:
                got = await link.collect(expect.ids)
            else:
                fence = "z" + case.uid
                if (closed := await link.send(f'[2,"{fence}","Heartbeat",{{}}]')) is None:
                    got = await link.collect((fence,))
                    got.frames = [f for f in got.frames if fence not in (f if isinstance(f, str) else f.decode(
                        errors="replace"))[:60]]
                else:
                    got = Collected(closed=closed)
                self.stats.probes += 1
        for rule in {expect.rule or self.rules.answered, self.rules.answered, self.rules.codes, self.rules.connection,
                     self.rules.description, self.rules.leak}:
            self.verdicts.checked(rule)
        return judge(self.options.version, case.action, expect, got.frames, got.closed, got.timed_out), got

    async def probe(self, link: Link, after: Case) -> bool:
        """The liveness check after ``after``: reconnect when closed; False when the station cannot go on."""
        self.stats.probes += 1
        problem = await link.heartbeat() if link.ws is not None and link.ws.close_code is None else "closed"
        if problem is None:
            return True
        if problem != "closed":
            self._add(self.rules.connection, after, f"after this frame, {problem}", problem)
        try:
            await link.close()
            await link.open()
            self.stats.reconnects += 1
        except LinkFailed as exc:
            self._add(self.rules.connection, after, f"after this frame the station could not reconnect: {exc}",
                      str(exc))
            return False
        return True

    async def _record(self, link: Link, case: Case, verdict: Verdict, got: Collected) -> None:
        for rule, message in verdict.breaches:
            key = (rule.id, case.category, message.split(":")[0][:120])
            known = self._first.get(key)
            if known is not None:
                known.extra["count"] += 1
                continue
            shown = case
            if case.payload is not None:
                shown = await self._minimise(link, case, rule.id, key[2])
            received = "\n".join(f if isinstance(f, str) else f"(binary) {f!r}" for f in got.frames) or "(no answer)"
            if got.closed is not None:
                received += f"\n(connection closed, code {got.closed})"
            self._first[key] = self._add(rule, shown, message, received, case)

    def _add(self, rule: Any, case: Case, message: str, received: str, original: Case | None = None) -> Finding:
        text = case.text if isinstance(case.text, str) else f"(binary frame) {case.text.decode(errors='replace')}"
        finding = Finding(rule, text, received, message, self.reproduce(case),
                          {"count": 1, "category": case.category, "action": case.action, "frame": case.index,
                           "minimised": original is not None and original.text != case.text})
        self.verdicts.add(finding)
        return finding

    def reproduce(self, case: Case) -> str:
        """The command that sends ``case`` again (frames are drawn from the seed, the version and the actions)."""
        o = self.options
        actions = "" if o.actions == station_actions(o.version) else f" --actions {' '.join(o.actions)}"
        if case.index < 0:
            return f"csmscheck fuzz --ocpp {o.version} --budget 1 (the {case.category} step runs before the frames)"
        return (f"csmscheck fuzz --ocpp {o.version} --seed {o.seed}{actions} --budget {case.index + 1} "
                f"(frame {case.index})")

    async def _minimise(self, link: Link, case: Case, rule_id: str, signature: str) -> Case:
        """The smallest payload found that still breaks ``rule_id`` the same way (dropping one part at a time)."""
        best, tries = case, 0
        improved = True
        while improved and tries < MAX_MINIMISE:
            improved = False
            assert best.payload is not None
            for payload in smaller(best.payload, case.path):
                tries += 1
                candidate = rebuilt(best, self.options.version, payload)
                verdict, got = await self.exchange(link, candidate)
                self.stats.minimisation_frames += 1
                if got.closed is not None and not await self.probe(link, candidate):
                    return best
                if any(r.id == rule_id and m.split(":")[0][:120] == signature for r, m in verdict.breaches):
                    best, improved = candidate, True
                    break
                if tries >= MAX_MINIMISE:
                    break
        return best
