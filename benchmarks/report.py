"""Medians over repeats, bundled/baseline ratios and the table that shows them."""

from __future__ import annotations

import json
import statistics
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

from benchmarks.targets import BASELINE, BUNDLED

Result = dict[str, Any]


def flatten(result: Result, prefix: str = "") -> dict[str, float]:
    """The numbers of a nested result under dotted keys (``throughput.100.p50_ms``); failures left out."""
    flat: dict[str, float] = {}
    for key, value in result.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and key != "failures":
            flat |= flatten(value, f"{name}.")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[name] = value
    return flat


def medians(results: Iterable[Result]) -> dict[str, float]:
    values: dict[str, list[float]] = {}
    for result in results:
        for key, value in flatten(result).items():
            values.setdefault(key, []).append(value)
    return {key: statistics.median(found) for key, found in values.items()}


def failures(results: Iterable[Result], prefix: str = "") -> dict[str, Counter[str]]:
    """Failures by scenario (dotted key), summed over the repeats."""
    found: dict[str, Counter[str]] = {}
    for result in results:
        for key, value in result.items():
            if key == "failures":
                found.setdefault(prefix.rstrip("."), Counter()).update(value)
            elif isinstance(value, dict):
                for scenario, counts in failures([value], f"{prefix}{key}.").items():
                    found.setdefault(scenario, Counter()).update(counts)
    return found


def summarize(target: Result) -> Result:
    """One target's figures: medians of the repeated runs plus the scenarios run once."""
    once = {key: value for key, value in target.items() if key not in ("runs", "log")}
    log = sum((Counter(found["log"]) for found in [target, *target["runs"]]), Counter())
    return {"medians": medians(scenarios(run) for run in target["runs"]) | flatten(once),
            "failures": {k: dict(v) for k, v in failures([*target["runs"], once]).items() if v},
            "log": {k: v for k, v in log.items() if v}}


def scenarios(run: Result) -> Result:
    return {key: value for key, value in run.items() if key != "log"}


def ratios(bundled: dict[str, float], baseline: dict[str, float]) -> dict[str, float]:
    return {key: bundled[key] / baseline[key] for key in bundled.keys() & baseline.keys() if baseline[key]}


def rows(levels: Sequence[int], handshake_stations: int, memory_stations: int) -> list[tuple[str, str, str]]:
    """(label, key, format) of each line of the table."""
    lines: list[tuple[str, str, str]] = []
    for n in levels:
        lines += [
            (f"TransactionEvents/s, {n:,} station{'s' if n > 1 else ''}", f"throughput.{n}.events_per_s", "{:,.0f}"),
            *([("  stations sending", f"throughput.{n}.stations", "{:,.0f}")] if n > 1 else []),
            ("  p50 ms", f"throughput.{n}.p50_ms", "{:,.1f}"),
            ("  p99 ms", f"throughput.{n}.p99_ms", "{:,.1f}"),
            ("  server CPU s / 1,000 events", f"throughput.{n}.cpu_s_per_1000", "{:,.2f}"),
            ("  client CPU s / 1,000 events", f"throughput.{n}.client_cpu_s_per_1000", "{:,.2f}"),
        ]
    lines += [
        (f"handshakes/s, {handshake_stations:,} at once", "handshakes.handshakes_per_s", "{:,.0f}"),
        ("  booted", "handshakes.booted", "{:,.0f}"),
        ("  p50 / p99 ms", "handshakes.p50_ms|handshakes.p99_ms", "{:,.0f}"),
        ("  server CPU ms / handshake", "handshakes.cpu_ms_per_handshake", "{:,.1f}"),
        (f"KB per idle station, {memory_stations:,} stations", "memory.kb_per_station", "{:,.1f}"),
        ("  booted", "memory.booted", "{:,.0f}"),
        ("long transaction: events sent", "long_transaction.events", "{:,.0f}"),
        ("  last 100 events: up to event", "long_transaction.last_window_end", "{:,.0f}"),
        ("  p50 ms, events 1–100", "long_transaction.first_p50_ms", "{:,.1f}"),
        ("  p50 ms, last 100 events", "long_transaction.last_p50_ms", "{:,.1f}"),
        ("  CPU ms / event, 1–100", "long_transaction.first_cpu_ms_per_event", "{:,.2f}"),
        ("  CPU ms / event, last 100", "long_transaction.last_cpu_ms_per_event", "{:,.2f}"),
    ]
    return lines


def _cell(values: dict[str, float], keys: str, form: str) -> str:
    shown = [form.format(values[key]) if key in values else "–" for key in keys.split("|")]
    return " / ".join(shown)


def grid(summary: dict[str, Result], lines: list[tuple[str, str, str]]) -> list[list[str]]:
    """The table's text: a header row, then one row per line, with the ratio when both targets ran."""
    names = [name for name in (BUNDLED, BASELINE) if name in summary]
    both = len(names) == 2
    ratio = ratios(summary[BUNDLED]["medians"], summary[BASELINE]["medians"]) if both else {}
    header = ["", *names, *(["bundled / ocpp-lib"] if both else [])]
    return [header, *([label, *(_cell(summary[name]["medians"], keys, form) for name in names),
                       *([_cell(ratio, keys, "{:,.2f}×")] if both else [])] for label, keys, form in lines)]


def table(rows: list[list[str]]) -> Table:
    view = Table(title="csmscheck CSMS benchmark (medians)")
    view.add_column(rows[0][0], no_wrap=True)
    for name in rows[0][1:]:
        view.add_column(name, justify="right")
    for row in rows[1:]:
        view.add_row(*row)
    return view


def markdown(rows: list[list[str]]) -> str:
    """The table for the README; leading spaces of sub-rows kept as non-breaking ones."""
    lines = ["| " + " | ".join(cell.replace("  ", "\u00a0\u00a0") for cell in row) + " |" for row in rows]
    lines.insert(1, "|---|" + "---:|" * (len(rows[0]) - 1))
    return "\n".join(lines)


def main() -> None:
    """``python -m benchmarks.report results.json``: the results of a run as a Markdown table."""
    data = json.loads(Path(sys.argv[1]).read_text())
    plan = data["meta"]["plan"]
    summary = {name: summarize(found) for name, found in data["results"].items()}
    print(markdown(grid(summary, rows(plan["levels"], max(plan["levels"]), plan["memory_stations"]))))
    print("", *(f"- {line}" for line in failure_lines(summary)), sep="\n")



def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{what} ×{count}" for what, count in counts.items())


def failure_lines(summary: dict[str, Result]) -> list[str]:
    """Failures per target and scenario, then what the servers' logs show, all repeats together."""
    lines = [f"{name} {scenario}: {_counts(counts)}"
             for name, found in summary.items() for scenario, counts in found["failures"].items()]
    logs = [f"{name} server log lines: {_counts(found['log'])}" for name, found in summary.items() if found["log"]]
    return lines + logs


if __name__ == "__main__":
    main()
