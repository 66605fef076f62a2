"""Merging shard reports: exact totals and histograms, SLOs evaluated again, other runs refused."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from csmscheck.load.merge import merge_reports
from csmscheck.load.metrics import Metrics, decode, new_histogram, percentile_ms
from csmscheck.load.report import build_load_json, read_load_json, write_reports
from csmscheck.load.slo import evaluate, parse_slo

T0 = 1_700_000_000.0
RULES = "p99<40ms,errors<2%,Heartbeat.timeouts=0"


def shard(seed: int, seconds: int, latencies: list[int]) -> Metrics:
    """Record a shard's traffic; every answer latency is appended to ``latencies``."""
    rng = random.Random(seed)
    m = Metrics(T0)
    for second in range(seconds):
        for i in range(60):
            now = T0 + second + i / 60
            latency = int(rng.lognormvariate(9.2, 0.5))
            if i == 7:
                m.call_error("TransactionEvent", "InternalError", latency, now)
            else:
                m.answered("TransactionEvent" if i % 3 else "Heartbeat", latency, now)
            latencies.append(latency)
        m.connect_attempt(T0 + second)
        m.connected(0.02, T0 + second)
        m.set_connected(50, T0 + second + 0.5)
    if seed == 2:
        m.timed_out("Heartbeat", T0 + 1)
        m.connect_failed("refused", T0 + 2)
    return m


def write_shard(path: Path, metrics: Metrics, index: int, *, count: int = 2, rules: str | None = RULES,
                started_at: float = T0) -> Path:
    verdicts = evaluate(parse_slo(rules), metrics, 50, 10.0) if rules else []
    data = build_load_json(metrics, stations=50, duration_s=10.0, verdicts=verdicts, rules_text=rules,
                           meta={"scenario": "steady", "profile": "steady", "ocpp": "2.0.1",
                                 "shard": f"{index}/{count}", "processes": 1})
    data["started_at"] = started_at
    write_reports(path, data)
    return path


@pytest.fixture
def two_shards(tmp_path: Path) -> tuple[Path, Path, list[int]]:
    latencies: list[int] = []
    a = write_shard(tmp_path / "a", shard(1, 10, latencies), 0)
    b = write_shard(tmp_path / "b", shard(2, 9, latencies), 1)
    return a, b, latencies


def test_merged_totals_are_the_sum_of_the_shards(two_shards: tuple[Path, Path, list[int]], tmp_path: Path) -> None:
    a, b, _ = two_shards
    merge_reports([a, b], tmp_path / "merged")
    parts = [read_load_json(d / "load.json") for d in (a, b)]
    merged = read_load_json(tmp_path / "merged" / "load.json")
    for key in ("stations", "messages", "errors", "timeouts", "connect_failures", "calls", "callerrors", "connects"):
        assert merged["summary"][key] == sum(p["summary"][key] for p in parts), key
    assert merged["summary"]["messages"] == 60 * 19
    for action in ("Heartbeat", "TransactionEvent"):
        assert merged["actions"][action]["count"] == sum(p["actions"][action]["count"] for p in parts)
    assert [row["messages"] for row in merged["series"]] == [120] * 9 + [60]
    assert [row["connected"] for row in merged["series"]] == [100] * 10  # a shard that ended holds its last value
    assert merged["meta"]["shards"] == ["0/2", "1/2"] and "missing_shards" not in merged["meta"]
    assert merged["summary"]["duration_s"] == 10.0


def test_merged_histogram_equals_one_histogram_of_all_values(two_shards: tuple[Path, Path, list[int]],
                                                             tmp_path: Path) -> None:
    a, b, latencies = two_shards
    merge_reports([a, b], tmp_path / "merged")
    merged = read_load_json(tmp_path / "merged" / "load.json")
    everything = new_histogram()
    for latency in latencies:
        everything.record_value(latency)
    union = decode(merged["actions"]["Heartbeat"]["histogram"])
    union.add(decode(merged["actions"]["TransactionEvent"]["histogram"]))
    assert union.get_total_count() == len(latencies)
    for p in (50, 90, 99, 99.9, 100):
        assert percentile_ms(union, p) == percentile_ms(everything, p)
    assert merged["summary"]["p99_ms"] == round(percentile_ms(everything, 99) or 0, 3)
    # A second that both shards recorded has one histogram of both (2 significant digits).
    second = new_histogram(2)
    for latency in latencies[:60] + latencies[600:660]:  # second 0 of shard 0 (10 s long) and of shard 1
        second.record_value(latency)
    assert merged["series"][0]["p99_ms"] == round(percentile_ms(second, 99) or 0, 3)


def test_slo_rules_are_evaluated_again_on_the_sum(two_shards: tuple[Path, Path, list[int]], tmp_path: Path) -> None:
    a, b, _ = two_shards
    assert read_load_json(a / "load.json")["passed"] is True  # shard 0 had no timeout
    assert merge_reports([a, b], tmp_path / "merged") == 1  # shard 1's timeout breaks Heartbeat.timeouts=0
    merged = read_load_json(tmp_path / "merged" / "load.json")
    assert [v["rule"] for v in merged["slo"]] == RULES.split(",")
    assert [v["passed"] for v in merged["slo"]] == [True, True, False]
    assert (tmp_path / "merged" / "junit.xml").exists() and (tmp_path / "merged" / "load.html").exists()


def test_all_held_gives_zero_and_a_partial_merge_says_so(tmp_path: Path) -> None:
    a = write_shard(tmp_path / "a", shard(1, 5, []), 0, count=3)
    assert merge_reports([a], tmp_path / "merged") == 0
    assert read_load_json(tmp_path / "merged" / "load.json")["meta"]["missing_shards"] == ["1/3", "2/3"]


def test_a_missing_report_is_named(tmp_path: Path) -> None:
    a = write_shard(tmp_path / "a", shard(1, 3, []), 0)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=re.escape(f"{tmp_path / 'empty' / 'load.json'}: no such file")):
        merge_reports([a, tmp_path / "empty"], tmp_path / "merged")
    assert not (tmp_path / "merged").exists()


@pytest.mark.parametrize(("other", "reason"), [
    ({"started_at": T0 + 60}, "started_at"),
    ({"rules": "p99<1s"}, "the SLO 'p99<1s' differs from"),
    ({"rules": None}, "the SLO None differs from"),
    ({"index": 0}, "are the same shard 0/2"),
    ({"count": 3}, "shard count"),
])
def test_shards_of_different_runs_are_refused(tmp_path: Path, other: dict[str, object], reason: str) -> None:
    a = write_shard(tmp_path / "a", shard(1, 3, []), 0)
    b = write_shard(tmp_path / "b", shard(2, 3, []), **{"index": 1, **other})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=re.escape(reason)) as caught:
        merge_reports([a, b], tmp_path / "merged")
    assert "\n" not in str(caught.value)


def test_the_same_directory_twice_is_refused(tmp_path: Path) -> None:
    a = write_shard(tmp_path / "a", shard(1, 3, []), 0)
    with pytest.raises(ValueError, match="given twice"):
        merge_reports([a, tmp_path / "a" / ".." / "a"], tmp_path / "merged")


def test_a_damaged_report_is_named(tmp_path: Path) -> None:
    a = write_shard(tmp_path / "a", shard(1, 3, []), 0)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "load.json").write_text('{"summary": {}, "actions": {}, "series": [], "slo": [], "csms": {},'
                                              f' "started_at": {T0}, "slo_rules": "{RULES}", "metrics": {{}}}}')
    with pytest.raises(ValueError, match=re.escape(f"{tmp_path / 'b' / 'load.json'}: metrics of an unknown format")):
        merge_reports([a, tmp_path / "b"], tmp_path / "merged")
