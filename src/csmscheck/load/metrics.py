"""What one load process measured: counters, latency HdrHistograms and a per-second series.

Words used throughout the load results (and in ``load.json``):

- an *answer* is a CALLRESULT or a CALLERROR to one of our CALLs; ``messages`` counts answers;
- *calls* are answers plus timeouts (CALLs that got no answer within the message timeout);
- *errors* are calls that failed: CALLERRORs plus timeouts; ``timeouts`` is that subset;
- a latency histogram holds the answer times (CALLRESULT and CALLERROR) in microseconds,
  1 µs to 10 minutes, 3 significant digits.

Everything merges exactly (histograms added, counts summed, the series aligned by second
since ``started_at``), so shards of one run give the same totals as one big process.

The series keeps one latency histogram per second, encoded when the second ends; only the
current second's is live. Those have 2 significant digits (1 % resolution, ~0.2–1 KB
encoded): coarse enough for a 2-hour soak to hold about 7,200 small strings, and fine for
plots; percentiles and SLOs come from the per-action histograms, which have 3 digits.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]

FORMAT = 1  # of ``to_dict``; bumped when an older reader could not merge it exactly
MAX_US = 600_000_000
LATENCY_DIGITS = 3
SECOND_DIGITS = 2
MAX_NAMES = 100  # distinct CALLERROR codes, causes, kinds kept: a CSMS must not grow our memory
MAX_NAME_LEN = 120
MAX_EXAMPLES = 20  # details kept per inconsistency kind / violating action
MAX_SECONDS = 14 * 86_400  # a clock gone wrong must not allocate a series of years
OTHER = "(other)"
COUNT_SERIES = ("messages", "callerrors", "timeouts", "connects", "connect_failures", "disconnects")


def new_histogram(digits: int = LATENCY_DIGITS) -> HdrHistogram:
    """An empty latency histogram in µs (1 µs to 10 minutes)."""
    return HdrHistogram(1, MAX_US, digits)


def encode(histogram: HdrHistogram) -> str:
    """HdrHistogram's compressed base64 form, as text."""
    return str(histogram.encode().decode("ascii"))


def decode(encoded: str) -> HdrHistogram:
    return HdrHistogram.decode(encoded.encode("ascii"))


def combine(parts: Iterable[str], digits: int = LATENCY_DIGITS) -> HdrHistogram:
    """One histogram holding every value of the encoded ``parts``."""
    total = new_histogram(digits)
    for part in parts:
        total.decode_and_add(part.encode("ascii"))
    return total


def percentile_ms(histogram: HdrHistogram, percentile: float) -> float | None:
    """``percentile`` (0–100) of ``histogram`` in ms, or None when it is empty."""
    if not histogram.get_total_count():
        return None
    if percentile >= 100:
        return int(histogram.get_max_value()) / 1000
    return int(histogram.get_value_at_percentile(percentile)) / 1000


def _clamp(latency_us: int) -> int:
    return min(max(int(latency_us), 0), MAX_US)


def _key(counts: dict[str, int], name: str) -> str:
    """``name`` as a bounded key: shortened, and OTHER once MAX_NAMES distinct names are held."""
    name = name[:MAX_NAME_LEN]
    return name if name in counts or len(counts) < MAX_NAMES else OTHER


class Tally:
    """A count per name with the first few details, e.g. inconsistencies by kind."""

    __slots__ = ("counts", "examples")

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.examples: dict[str, list[str]] = {}

    def add(self, name: str, detail: str | None = None, count: int = 1) -> None:
        key = _key(self.counts, name)
        self.counts[key] = self.counts.get(key, 0) + count
        if detail is not None:
            kept = self.examples.setdefault(key, [])
            if len(kept) < MAX_EXAMPLES:
                kept.append(detail[:1000])

    def total(self) -> int:
        return sum(self.counts.values())

    def merge(self, other: Tally) -> None:
        for name, count in other.counts.items():
            self.add(name, count=count)
            key = _key(self.counts, name)
            room = MAX_EXAMPLES - len(self.examples.get(key, []))
            if other.examples.get(name) and room > 0:
                self.examples.setdefault(key, []).extend(other.examples[name][:room])

    def to_dict(self) -> dict[str, Any]:
        return {name: {"count": n, "examples": self.examples.get(name, [])} for name, n in self.counts.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tally:
        tally = cls()
        for name, entry in data.items():
            tally.counts[name] = int(entry["count"])
            if entry.get("examples"):
                tally.examples[name] = [str(e) for e in entry["examples"]]
        return tally


class ActionStats:
    """One action's answers, CALLERRORs by code, timeouts and answer times."""

    __slots__ = ("answered", "callerrors", "latency", "timeouts")

    def __init__(self) -> None:
        self.answered = 0  # CALLRESULTs
        self.callerrors: dict[str, int] = {}
        self.timeouts = 0
        self.latency = new_histogram()

    @property
    def errors(self) -> int:
        return sum(self.callerrors.values()) + self.timeouts

    @property
    def calls(self) -> int:
        return self.answered + sum(self.callerrors.values()) + self.timeouts


class Metrics:
    """What one process measured. Cheap to record: called ~10,000 times/s on the hot path."""

    def __init__(self, started_at: float) -> None:
        self.started_at = started_at  # epoch seconds; shards of one run share it
        self.actions: dict[str, ActionStats] = {}
        self.connect_attempts = 0
        self.connects = 0
        self.connect_failures = Tally()  # by cause
        self.disconnects = 0
        self.connect_latency = new_histogram()  # handshake times, µs
        self.reconnect_latency = new_histogram()  # network lost → booted again, µs
        self.inconsistencies = Tally()  # by kind
        self.violations = Tally()  # schema violations by action
        self.connected_now = 0
        # The series, one entry per second since started_at; ``_sec`` is the live second.
        self._sec = 0
        self.counts: dict[str, list[int]] = {name: [0] for name in COUNT_SERIES}
        self.connected_series: list[int] = [0]  # the gauge, by second
        self.latency_parts: list[list[str]] = [[]]  # encoded per-second histograms (several after a merge)
        self.rss_mb: list[float | None] = [None]
        self.cpu: list[float | None] = [None]
        # Latencies of the seconds not yet encoded: the live one and the one before (answers
        # stamped a little late); a second already encoded gets a further part, so it stays exact.
        self._open: dict[int, HdrHistogram] = {}
        self._messages = self.counts["messages"]  # aliases for the hot path
        self._callerrors = self.counts["callerrors"]

    # -- recording -------------------------------------------------------------------------

    def _second(self, now: float) -> int:
        second = min(int(now - self.started_at), MAX_SECONDS) if now > self.started_at else 0
        if second > self._sec:
            self._advance(second)
        return second

    def _advance(self, second: int) -> None:
        """Close the live second, and extend the series up to ``second`` (the new live one)."""
        for closed in [s for s in self._open if s < second - 1]:
            self.latency_parts[closed].append(encode(self._open.pop(closed)))
        missing = second - self._sec
        for values in self.counts.values():
            values.extend([0] * missing)
        self.connected_series.extend([self.connected_now] * missing)  # a gauge holds its last value
        self.latency_parts.extend([] for _ in range(missing))
        self.rss_mb.extend([None] * missing)
        self.cpu.extend([None] * missing)
        self._sec = second

    def _record_latency(self, second: int, us: int) -> None:
        histogram = self._open.get(second)
        if histogram is None:
            histogram = self._open[second] = new_histogram(SECOND_DIGITS)
        histogram.record_value(us)

    def _action(self, action: str) -> ActionStats:
        stats = self.actions.get(action)
        if stats is None:
            stats = self.actions[action] = ActionStats()
        return stats

    def answered(self, action: str, latency_us: int, now: float) -> None:
        """A CALLRESULT to our CALL, ``latency_us`` after we sent it."""
        second = self._second(now)
        stats = self._action(action)
        stats.answered += 1
        us = _clamp(latency_us)
        stats.latency.record_value(us)
        self._record_latency(second, us)
        self._messages[second] += 1

    def call_error(self, action: str, code: str, latency_us: int, now: float) -> None:
        """A CALLERROR (``code`` e.g. "InternalError") to our CALL."""
        second = self._second(now)
        stats = self._action(action)
        key = _key(stats.callerrors, code)
        stats.callerrors[key] = stats.callerrors.get(key, 0) + 1
        us = _clamp(latency_us)
        stats.latency.record_value(us)
        self._record_latency(second, us)
        self._messages[second] += 1
        self._callerrors[second] += 1

    def timed_out(self, action: str, now: float) -> None:
        """No answer within the message timeout."""
        second = self._second(now)
        self._action(action).timeouts += 1
        self.counts["timeouts"][second] += 1

    def connect_attempt(self, now: float) -> None:
        self._second(now)
        self.connect_attempts += 1

    def connected(self, seconds: float, now: float) -> None:
        """A WebSocket handshake succeeded after ``seconds``."""
        second = self._second(now)
        self.connects += 1
        self.connect_latency.record_value(_clamp(int(seconds * 1_000_000)))
        self.counts["connects"][second] += 1

    def connect_failed(self, cause: str, now: float) -> None:
        """A connection attempt failed; ``cause`` e.g. "HTTP 401", "TLS", "timeout", "refused"."""
        second = self._second(now)
        self.connect_failures.add(cause)
        self.counts["connect_failures"][second] += 1

    def disconnected(self, now: float) -> None:
        """A connection we had was lost or closed by the peer."""
        second = self._second(now)
        self.disconnects += 1
        self.counts["disconnects"][second] += 1

    def reconnected(self, seconds: float) -> None:
        """From losing the network to booted again."""
        self.reconnect_latency.record_value(_clamp(int(seconds * 1_000_000)))

    def inconsistency(self, kind: str, detail: str) -> None:
        self.inconsistencies.add(kind, detail)

    def set_connected(self, count: int, now: float) -> None:
        """Gauge: stations connected now."""
        second = self._second(now)
        self.connected_now = count
        self.connected_series[second] = count

    def csms_sample(self, now: float, rss_mb: float, cpu_percent: float) -> None:
        second = self._second(now)
        self.rss_mb[second] = rss_mb
        self.cpu[second] = cpu_percent

    def violation(self, action: str, message: str) -> None:
        """A schema violation seen on a validated (sampled) station."""
        self.violations.add(action, message)

    # -- reading ---------------------------------------------------------------------------

    @property
    def seconds(self) -> int:
        """Length of the series."""
        return self._sec + 1

    def total(self, name: str) -> int:
        """Sum of one count series, e.g. ``total("messages")``."""
        return sum(self.counts[name])

    @property
    def errors(self) -> int:
        """CALLERRORs plus timeouts."""
        return self.total("callerrors") + self.total("timeouts")

    @property
    def calls(self) -> int:
        return self.total("messages") + self.total("timeouts")

    def callerrors_by_code(self) -> dict[str, int]:
        codes: dict[str, int] = {}
        for stats in self.actions.values():
            for code, n in stats.callerrors.items():
                codes[code] = codes.get(code, 0) + n
        return dict(sorted(codes.items(), key=lambda item: -item[1]))

    def latency(self, action: str | None = None) -> HdrHistogram:
        """Answer times of ``action``, or of all actions (a new histogram: added, exact)."""
        if action is not None:
            stats = self.actions.get(action)
            return stats.latency if stats else new_histogram()
        total = new_histogram()
        for stats in self.actions.values():
            total.add(stats.latency)
        return total

    def second_latency(self, second: int) -> HdrHistogram:
        """The latencies answered in ``second`` (2 significant digits)."""
        histogram = combine(self.latency_parts[second], SECOND_DIGITS)
        if second in self._open:
            histogram.add(self._open[second])
        return histogram

    def _encoded_parts(self) -> list[list[str]]:
        """The per-second histograms, the live second's included."""
        parts = [list(p) for p in self.latency_parts]
        for second, histogram in self._open.items():
            parts[second].append(encode(histogram))
        return parts

    def snapshot(self) -> dict[str, Any]:
        """For a live view: the last complete second and the totals so far."""
        last = int(time.time() - self.started_at) - 1
        recorded = 0 <= last < self.seconds  # else nothing was recorded since (or it is before the start)
        return {
            "connected": self.connected_now,
            "msg_per_s": self._messages[last] if recorded else 0,
            "p99_ms": percentile_ms(self.second_latency(last), 99) if recorded else None,
            "errors": self.errors,
            "timeouts": self.total("timeouts"),
            "connect_failures": self.connect_failures.total(),
        }

    # -- exact merge -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable, everything needed for an exact merge."""
        return {
            "format": FORMAT,
            "started_at": self.started_at,
            "actions": {
                name: {"answered": s.answered, "callerrors": dict(s.callerrors), "timeouts": s.timeouts,
                       "histogram": encode(s.latency)}
                for name, s in self.actions.items()
            },
            "connect": {"attempts": self.connect_attempts, "ok": self.connects, "disconnects": self.disconnects,
                        "failures": self.connect_failures.to_dict(), "histogram": encode(self.connect_latency),
                        "reconnect_histogram": encode(self.reconnect_latency), "connected_now": self.connected_now},
            "inconsistencies": self.inconsistencies.to_dict(),
            "violations": self.violations.to_dict(),
            "series": {**{name: list(v) for name, v in self.counts.items()}, "connected": list(self.connected_series),
                       "latency": self._encoded_parts(), "rss_mb": list(self.rss_mb), "cpu": list(self.cpu)},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Metrics:
        """Rebuild what ``to_dict`` wrote. Raises ValueError (one line) for anything else."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"metrics of an unknown format (want format {FORMAT})")
        try:
            metrics = cls(float(data["started_at"]))
            for name, entry in data["actions"].items():
                stats = metrics._action(name)
                stats.answered, stats.timeouts = int(entry["answered"]), int(entry["timeouts"])
                stats.callerrors = {str(k): int(v) for k, v in entry["callerrors"].items()}
                stats.latency.decode_and_add(entry["histogram"].encode("ascii"))
            connect = data["connect"]
            metrics.connect_attempts, metrics.connects = int(connect["attempts"]), int(connect["ok"])
            metrics.disconnects, metrics.connected_now = int(connect["disconnects"]), int(connect["connected_now"])
            metrics.connect_failures = Tally.from_dict(connect["failures"])
            metrics.connect_latency.decode_and_add(connect["histogram"].encode("ascii"))
            metrics.reconnect_latency.decode_and_add(connect["reconnect_histogram"].encode("ascii"))
            metrics.inconsistencies = Tally.from_dict(data["inconsistencies"])
            metrics.violations = Tally.from_dict(data["violations"])
            series = data["series"]
            metrics.counts = {name: [int(n) for n in series[name]] for name in COUNT_SERIES}
            metrics.connected_series = [int(n) for n in series["connected"]]
            metrics.latency_parts = [[str(p) for p in parts] for parts in series["latency"]]
            metrics.rss_mb = [None if v is None else float(v) for v in series["rss_mb"]]
            metrics.cpu = [None if v is None else float(v) for v in series["cpu"]]
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ValueError(f"metrics are incomplete or malformed ({type(exc).__name__}: {exc})") from None
        series_lists: list[list[Any]] = [*metrics.counts.values(), metrics.connected_series,
                                         metrics.latency_parts, metrics.rss_mb, metrics.cpu]
        lengths = {len(values) for values in series_lists}
        if len(lengths) != 1 or not lengths.pop():
            raise ValueError("metrics series of different lengths")
        metrics._sec = len(metrics.connected_series) - 1
        metrics._messages, metrics._callerrors = metrics.counts["messages"], metrics.counts["callerrors"]
        return metrics

    def merge(self, other: Metrics) -> None:
        """Add ``other`` into this: histograms added, counts summed, series aligned by second."""
        if other.started_at != self.started_at:
            raise ValueError(f"cannot merge metrics of runs started at {self.started_at} and {other.started_at}")
        for name, theirs in other.actions.items():
            ours = self._action(name)
            ours.answered += theirs.answered
            ours.timeouts += theirs.timeouts
            for code, n in theirs.callerrors.items():
                key = _key(ours.callerrors, code)
                ours.callerrors[key] = ours.callerrors.get(key, 0) + n
            ours.latency.add(theirs.latency)
        self.connect_attempts += other.connect_attempts
        self.connects += other.connects
        self.disconnects += other.disconnects
        self.connect_latency.add(other.connect_latency)
        self.reconnect_latency.add(other.reconnect_latency)
        self.connect_failures.merge(other.connect_failures)
        self.inconsistencies.merge(other.inconsistencies)
        self.violations.merge(other.violations)
        self._merge_series(other)

    def _merge_series(self, other: Metrics) -> None:
        if other._sec > self._sec:
            self._advance(other._sec)
        n = other.seconds
        gauge = other.connected_series + [other.connected_now] * (self.seconds - n)
        for second in range(self.seconds):
            self.connected_series[second] += gauge[second]
        self.connected_now += other.connected_now
        for name, values in other.counts.items():
            ours = self.counts[name]
            for second in range(n):
                ours[second] += values[second]
        for second, parts in enumerate(other._encoded_parts()):
            self.latency_parts[second].extend(parts)
        # Every shard may sample the same CSMS process: take the higher reading, never a sum.
        for ours_, theirs_ in ((self.rss_mb, other.rss_mb), (self.cpu, other.cpu)):
            for second in range(n):
                value = theirs_[second]
                if value is not None and (ours_[second] is None or value > (ours_[second] or 0.0)):
                    ours_[second] = value

    def compact(self) -> None:
        """Fold each second's merged histograms into one (smaller ``to_dict``)."""
        self.latency_parts = [[encode(combine(p, SECOND_DIGITS))] if len(p) > 1 else p for p in self.latency_parts]
