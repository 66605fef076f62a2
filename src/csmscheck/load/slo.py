"""Service level objectives of a load run: ``--slo 'p99<500ms,errors<0.1%,connect_failures=0'``.

A rule is ``[Action.]metric OP number[unit]``:

- latency percentiles ``p50 p90 p95 p99 p999 max`` (any ``pNN…``: ``p999`` is 99.9, ``p9999``
  99.99; ``p99.9`` is accepted too) of the answer times, over all actions or one (``TransactionEvent.p99<300ms``);
  the unit is required: ``us``/``µs``, ``ms`` or ``s``;
- ``errors`` (CALLERRORs plus timeouts), ``callerrors`` and ``timeouts``: a count, or with ``%``
  a share of the calls; also per action;
- ``connect_failures``: a count, or with ``%`` a share of the connection attempts;
- ``msg_per_s``: answers per second over the run; ``inconsistencies`` and ``violations``: counts.

OP is one of ``< <= > >= = ==``. A rule that cannot be measured (a latency or a share with
nothing to measure, e.g. no TransactionEvent answered) is broken: an SLO is a claim to check.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from csmscheck.load.metrics import Metrics, percentile_ms


def _equal(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)  # thresholds like 0.1 % are decimal fractions


OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "=": _equal, "==": _equal,
}
LATENCY_UNITS = {"us": 0.001, "µs": 0.001, "μs": 0.001, "ms": 1.0, "s": 1000.0}  # to ms
COUNTS = ("errors", "callerrors", "timeouts", "connect_failures", "inconsistencies", "violations")
SHARES = ("errors", "callerrors", "timeouts", "connect_failures")  # may be given in %
PER_ACTION = ("errors", "callerrors", "timeouts")
KNOWN = ("p50, p90, p95, p99, p999, max, errors, callerrors, timeouts, connect_failures, msg_per_s, "
         "inconsistencies, violations")

_RULE = re.compile(r"^(?:(?P<action>[A-Za-z][A-Za-z0-9]*)\.)?(?P<metric>[A-Za-z_][A-Za-z0-9_.]*)\s*"
                   r"(?P<op>[<>=!~]+)\s*(?P<value>.*)$")
_VALUE = re.compile(r"^(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*(?P<unit>[^\d\s]*)$")
_PERCENTILE = re.compile(r"^p(?:(?P<digits>\d{2,})|(?P<decimal>\d{1,2}\.\d+))$")


@dataclass(frozen=True)
class Rule:
    """One parsed rule; ``threshold`` in ms for latencies, in percent when ``percent``."""

    text: str
    metric: str  # "latency", "msg_per_s" or one of COUNTS
    op: str
    threshold: float
    action: str | None = None
    percentile: float | None = None  # latency rules: 0–100 (100 is max)
    percent: bool = False
    unit: str = ""  # as written, for messages

    def describe(self, value: float, *, as_written: bool = False) -> str:
        """``value`` in the rule's terms, e.g. "23.4 ms", "0.02 %", "3"; a threshold ``as_written``."""
        if self.metric == "latency":
            return f"{value / LATENCY_UNITS[self.unit]:g} {self.unit}" if as_written else duration(value)
        if self.percent:
            return f"{value:.4g} %"
        return f"{value:.4g}" if self.metric == "msg_per_s" else f"{value:g}"


@dataclass(frozen=True)
class Verdict:
    rule: str
    value: float | None
    passed: bool
    message: str


def duration(ms: float) -> str:
    """A latency for people: "870 µs", "23.41 ms", "12.5 s"."""
    if ms < 1:
        return f"{ms * 1000:.4g} µs"
    return f"{ms:.4g} ms" if ms < 10_000 else f"{ms / 1000:.4g} s"


def _bad(text: str, reason: str) -> ValueError:
    return ValueError(f"SLO rule {text!r}: {reason}")


def _percentile(name: str) -> float | None:
    if name == "max":
        return 100.0
    match = _PERCENTILE.match(name)
    if not match:
        return None
    decimal, digits = match.group("decimal"), match.group("digits")
    if digits and len(digits) > 2 and digits.endswith("0"):
        return None  # p100 would read as p10: ambiguous (use max)
    percentile = float(decimal) if decimal else float("0." + digits) * 100  # p99.9; p999 is 99.9 too
    return percentile if 0 < percentile < 100 else None


def parse_rule(text: str) -> Rule:
    """One rule; raises ValueError with a one-line reason that quotes it."""
    rule = text.strip()
    match = _RULE.match(rule)
    if not match:
        raise _bad(rule, "expected METRIC OP NUMBER[UNIT], e.g. p99<500ms or errors<0.1%")
    action, name, op, raw = match.group("action"), match.group("metric"), match.group("op"), match.group("value")
    if op not in OPERATORS:
        raise _bad(rule, f"unknown operator {op!r} (use <, <=, >, >=, =)")
    value = _VALUE.match(raw.strip())
    if not value:
        raise _bad(rule, f"{raw.strip() or 'nothing'!r} is not a number with an optional unit")
    number, unit = float(value.group("number")), value.group("unit")
    percentile = _percentile(name)
    if percentile is not None:
        if unit not in LATENCY_UNITS:
            reason = "needs a unit" if not unit else f"unknown unit {unit!r}"
            raise _bad(rule, f"{reason} (use us, ms or s)")
        return Rule(rule, "latency", op, number * LATENCY_UNITS[unit], action, percentile, unit=unit)
    if name != "msg_per_s" and name not in COUNTS:
        raise _bad(rule, f"unknown metric {name!r} (use {KNOWN})")
    if action is not None and name not in PER_ACTION:
        raise _bad(rule, f"{name} is not measured per action")
    if unit == "%" and name not in SHARES:
        raise _bad(rule, f"{name} is not a share: drop the %")
    if unit not in ("", "%") and not (name == "msg_per_s" and unit == "/s"):
        raise _bad(rule, f"unknown unit {unit!r} for {name}")
    return Rule(rule, name, op, number, action, percent=unit == "%", unit=unit)


def parse_slo(text: str) -> list[Rule]:
    """``"p99<500ms,errors<0.1%"`` → rules; raises ValueError naming the bad rule."""
    if not text.strip():
        raise ValueError("SLO is empty: give rules such as 'p99<500ms,errors<0.1%'")
    parts = text.split(",")
    if not all(part.strip() for part in parts):
        raise ValueError(f"SLO {text!r} has an empty rule (two commas, or one at an end)")
    return [parse_rule(part) for part in parts]


def _share(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def measure(rule: Rule, metrics: Metrics, duration_s: float) -> tuple[float | None, str]:
    """The rule's measured value (None: nothing to measure) and, if None, why."""
    stats = metrics.actions.get(rule.action) if rule.action else None
    if rule.action and stats is None:
        return None, f"no {rule.action} was sent"
    if rule.metric == "latency":
        assert rule.percentile is not None
        value = percentile_ms(metrics.latency(rule.action), rule.percentile)
        return value, f"no {rule.action or 'call'} was answered"
    if rule.metric == "msg_per_s":
        return (metrics.total("messages") / duration_s if duration_s > 0 else None), "the run had no duration"
    if rule.metric == "connect_failures":
        count, whole, what = metrics.connect_failures.total(), metrics.connect_attempts, "connection attempts"
    elif rule.metric in ("inconsistencies", "violations"):
        tally = metrics.inconsistencies if rule.metric == "inconsistencies" else metrics.violations
        return float(tally.total()), ""
    else:
        callerrors = sum(stats.callerrors.values()) if stats else metrics.total("callerrors")
        timeouts = stats.timeouts if stats else metrics.total("timeouts")
        count = {"errors": callerrors + timeouts, "callerrors": callerrors, "timeouts": timeouts}[rule.metric]
        whole, what = (stats.calls if stats else metrics.calls), f"{rule.action or ''} calls".strip()
    if rule.percent:
        return _share(count, whole), f"there were no {what}"
    return float(count), ""


def evaluate(rules: list[Rule], metrics: Metrics, stations: int, duration_s: float) -> list[Verdict]:
    """One verdict per rule, in order. ``stations`` is named in the messages."""
    verdicts = []
    for rule in rules:
        value, why = measure(rule, metrics, duration_s)
        if value is None:
            verdicts.append(Verdict(rule.text, None, False, f"{rule.text} broken: cannot be measured, {why}"))
            continue
        passed = OPERATORS[rule.op](value, rule.threshold)
        measured = rule.describe(value)
        if passed:
            message = f"{rule.text} held: {measured}"
        else:
            message = (f"{rule.text} broken: measured {measured}, threshold {rule.op} "
                       f"{rule.describe(rule.threshold, as_written=True)} ({stations} stations, {duration_s:g} s)")
        verdicts.append(Verdict(rule.text, value, passed, message))
    return verdicts
