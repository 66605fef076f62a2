"""``load.json``: the machine-readable result of a load run (DESIGN §2.7), and reading it back.

The contract keys are ``summary``, ``actions``, ``series``, ``slo`` and ``csms``. Added keys:

- ``summary`` also holds ``calls``, ``callerrors``, ``connect_attempts``, ``connects``,
  ``disconnects``, ``inconsistencies``, ``violations`` and ``p50_ms p95_ms p99_ms max_ms`` over
  all actions; ``errors`` are CALLERRORs plus timeouts, ``messages`` the answers received;
- each action also holds ``timeouts`` (``count`` is its calls, ``errors`` its CALLERRORs and
  timeouts; percentiles are null when nothing was answered);
- each ``slo`` entry also holds ``message``; ``passed`` (top level) is false when one broke;
- ``started_at`` (epoch seconds), ``meta`` (scenario, profile, target, shard, …, as given),
  ``slo_rules`` (the ``--slo`` text or null), ``connect_failures_by_cause``,
  ``callerrors_by_code`` (``{code: {"count", "actions": {action: count}}}``), ``connections``
  (handshake and reconnect times), ``consistency`` (inconsistencies and schema violations
  with examples) and ``metrics`` (``Metrics.to_dict()``: what ``load merge`` merges exactly).

``series`` has one entry per second since ``started_at``: ``t``, ``messages``, ``callerrors``,
``timeouts``, ``connects``, ``connect_failures``, ``disconnects``, ``connected``, ``p50_ms``,
``p99_ms``. ``csms.rss_mb`` and ``csms.cpu`` are aligned with it (null for a second without a
sample), and empty when the CSMS process was not sampled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from csmscheck.load.metrics import Metrics, Tally, encode, percentile_ms
from csmscheck.load.slo import Verdict

CONTRACT_KEYS = ("summary", "actions", "series", "slo", "csms")
PERCENTILES = {"p50_ms": 50.0, "p95_ms": 95.0, "p99_ms": 99.0, "p999_ms": 99.9, "max_ms": 100.0}


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _percentiles(histogram: Any, names: tuple[str, ...]) -> dict[str, float | None]:
    return {name: _ms(percentile_ms(histogram, PERCENTILES[name])) for name in names}


def _actions(metrics: Metrics) -> dict[str, Any]:
    actions = {}
    for name in sorted(metrics.actions):
        stats = metrics.actions[name]
        actions[name] = {
            "count": stats.calls,
            "errors": stats.errors,
            **_percentiles(stats.latency, tuple(PERCENTILES)),
            "histogram": encode(stats.latency),
            "timeouts": stats.timeouts,
        }
    return actions


def _series(metrics: Metrics) -> list[dict[str, Any]]:
    rows = []
    for second in range(metrics.seconds):
        latency = metrics.second_latency(second)
        rows.append({
            "t": second,
            **{name: values[second] for name, values in metrics.counts.items()},
            "connected": metrics.connected_series[second],
            "p50_ms": _ms(percentile_ms(latency, 50)),
            "p99_ms": _ms(percentile_ms(latency, 99)),
        })
    return rows


def _callerrors_by_code(metrics: Metrics) -> dict[str, Any]:
    codes: dict[str, Any] = {}
    for action, stats in sorted(metrics.actions.items()):
        for code, count in stats.callerrors.items():
            entry = codes.setdefault(code, {"count": 0, "actions": {}})
            entry["count"] += count
            entry["actions"][action] = count
    return dict(sorted(codes.items(), key=lambda item: -int(item[1]["count"])))


def _by_count(tally: Tally) -> dict[str, int]:
    return dict(sorted(tally.counts.items(), key=lambda item: -item[1]))


def build_load_json(metrics: Metrics, *, stations: int, duration_s: float, verdicts: list[Verdict],
                    rules_text: str | None, meta: dict[str, Any]) -> dict[str, Any]:
    """The ``load.json`` document for ``metrics`` and the SLO ``verdicts``."""
    messages = metrics.total("messages")
    overall = metrics.latency()
    sampled = any(v is not None for v in metrics.rss_mb) or any(v is not None for v in metrics.cpu)
    metrics.compact()  # one histogram per second, however many shards were merged into it
    return {
        "summary": {
            "stations": stations,
            "duration_s": round(duration_s, 3),
            "messages": messages,
            "msg_per_s": round(messages / duration_s, 3) if duration_s > 0 else 0.0,
            "errors": metrics.errors,
            "timeouts": metrics.total("timeouts"),
            "connect_failures": metrics.connect_failures.total(),
            "calls": metrics.calls,
            "callerrors": metrics.total("callerrors"),
            "connect_attempts": metrics.connect_attempts,
            "connects": metrics.connects,
            "disconnects": metrics.disconnects,
            "inconsistencies": metrics.inconsistencies.total(),
            "violations": metrics.violations.total(),
            **_percentiles(overall, ("p50_ms", "p95_ms", "p99_ms", "max_ms")),
        },
        "actions": _actions(metrics),
        "series": _series(metrics),
        "slo": [{"rule": v.rule, "value": v.value, "passed": v.passed, "message": v.message} for v in verdicts],
        "csms": {"rss_mb": list(metrics.rss_mb), "cpu": list(metrics.cpu)} if sampled else {"rss_mb": [], "cpu": []},
        "passed": all(v.passed for v in verdicts),
        "started_at": metrics.started_at,
        "meta": meta,
        "slo_rules": rules_text,
        "connect_failures_by_cause": _by_count(metrics.connect_failures),
        "callerrors_by_code": _callerrors_by_code(metrics),
        "connections": {
            "connect_ms": _percentiles(metrics.connect_latency, ("p50_ms", "p99_ms", "max_ms")),
            "reconnect_ms": _percentiles(metrics.reconnect_latency, ("p50_ms", "p99_ms", "max_ms")),
            "reconnects": int(metrics.reconnect_latency.get_total_count()),
        },
        "consistency": {"inconsistencies": metrics.inconsistencies.to_dict(),
                        "violations": metrics.violations.to_dict()},
        "metrics": metrics.to_dict(),
    }


def write_load_json(path: Path, load_json: dict[str, Any]) -> None:
    """Write ``load.json`` (indented, UTF-8, trailing newline)."""
    path.write_bytes(orjson.dumps(load_json, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))


def read_load_json(path: Path) -> dict[str, Any]:
    """A ``load.json`` written by ``write_reports``; ValueError (one line) for anything else."""
    try:
        data = orjson.loads(Path(path).read_bytes())
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file (not a load report directory?)") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a load report (a JSON object is expected)")
    missing = [key for key in (*CONTRACT_KEYS, "metrics") if key not in data]
    if missing:
        raise ValueError(f"{path}: not a complete load report (missing {', '.join(missing)})")
    return data
