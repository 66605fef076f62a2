"""Metrics of a load run: recording, the per-second series, round trips, exact merges, the Prometheus endpoint."""

from __future__ import annotations

import random
import time

import httpx
import orjson
import pytest

from csmscheck.load.metrics import MAX_NAMES, MAX_SECONDS, OTHER, Metrics, new_histogram, percentile_ms
from csmscheck.load.prometheus import serve_metrics

T0 = 1_700_000_000.0


def record_some(metrics: Metrics, seed: int, seconds: int = 5) -> list[int]:
    """Record a mix of everything over ``seconds``; return the answer latencies recorded."""
    rng = random.Random(seed)
    latencies = []
    for second in range(seconds):
        for i in range(50):
            now = T0 + second + i / 50
            action = rng.choice(["BootNotification", "TransactionEvent", "Heartbeat"])
            latency = int(rng.lognormvariate(9, 1.2))
            if i % 17 == 0:
                metrics.call_error(action, rng.choice(["InternalError", "FormationViolation"]), latency, now)
            else:
                metrics.answered(action, latency, now)
            latencies.append(latency)
            if i % 23 == 0:
                metrics.timed_out(action, now)
        now = T0 + second + 0.5
        metrics.connect_attempt(now)
        metrics.connected(0.01 * (seed + 1), now)
        metrics.connect_attempt(now)
        metrics.connect_failed(rng.choice(["HTTP 401", "refused"]), now)
        metrics.disconnected(now)
        metrics.set_connected(100 * (seed + 1) + second, now)
        metrics.csms_sample(now, 200.0 + second + seed, 30.0 + seed)
    metrics.reconnected(1.5)
    metrics.inconsistency("duplicate transactionId", f"tx {seed}")
    metrics.violation("TransactionEvent", f"bad field {seed}")
    return latencies


def test_counts_by_action_and_totals() -> None:
    m = Metrics(T0)
    m.answered("Heartbeat", 1500, T0 + 0.1)
    m.answered("Heartbeat", 2500, T0 + 0.2)
    m.call_error("Heartbeat", "InternalError", 900, T0 + 0.3)
    m.timed_out("Authorize", T0 + 1.2)
    m.connect_attempt(T0)
    m.connect_failed("HTTP 401", T0 + 0.1)
    assert m.actions["Heartbeat"].answered == 2
    assert m.actions["Heartbeat"].callerrors == {"InternalError": 1}
    assert m.actions["Authorize"].timeouts == 1
    assert (m.total("messages"), m.errors, m.total("timeouts"), m.calls) == (3, 2, 1, 4)
    assert m.connect_failures.counts == {"HTTP 401": 1}
    assert m.callerrors_by_code() == {"InternalError": 1}
    assert m.latency("Heartbeat").get_total_count() == 3  # CALLERROR answer times included
    assert percentile_ms(m.latency(), 100) == pytest.approx(2.5, rel=1e-3)
    assert percentile_ms(m.latency("Authorize"), 99) is None


def test_series_by_second_since_start() -> None:
    m = Metrics(T0)
    m.answered("Heartbeat", 1000, T0 + 0.5)
    m.set_connected(10, T0 + 0.9)
    m.answered("Heartbeat", 4000, T0 + 3.2)
    m.answered("Heartbeat", 4000, T0 + 3.7)
    m.call_error("Heartbeat", "NotImplemented", 8000, T0 + 3.9)
    m.timed_out("Heartbeat", T0 + 2.0)
    m.answered("Heartbeat", 1000, T0 - 5)  # a clock slightly before the shared start counts in second 0
    m.answered("Heartbeat", 1000, T0 + 2.5)  # and an answer stamped late lands in its own second
    m.answered("Heartbeat", 1000, T0 + 0.7)
    assert m.seconds == 4
    assert m.counts["messages"] == [3, 0, 1, 3]
    assert m.counts["callerrors"] == [0, 0, 0, 1]
    assert m.counts["timeouts"] == [0, 0, 1, 0]
    assert m.connected_series == [10, 10, 10, 10]  # the gauge holds its value through quiet seconds
    assert m.second_latency(0).get_total_count() == 3
    assert m.second_latency(1).get_total_count() == 0
    assert m.second_latency(2).get_total_count() == 1
    third = m.second_latency(3)
    assert third.get_total_count() == 3
    assert percentile_ms(third, 100) == pytest.approx(8.0, rel=0.01)


def test_round_trip_through_json_is_exact() -> None:
    m = Metrics(T0)
    record_some(m, seed=1)
    copy = Metrics.from_dict(orjson.loads(orjson.dumps(m.to_dict())))
    assert copy.to_dict() == m.to_dict()
    for action, stats in m.actions.items():
        for p in (50, 99, 99.9, 100):
            assert percentile_ms(copy.latency(action), p) == percentile_ms(stats.latency, p)
    # Recording goes on after a round trip, into the same last second.
    copy.answered("Heartbeat", 1000, T0 + 4.5)
    assert copy.second_latency(4).get_total_count() == m.second_latency(4).get_total_count() + 1


@pytest.mark.parametrize("bad", [{}, {"format": 99}, {"format": 1, "started_at": T0}, [1, 2]])
def test_from_dict_rejects_what_it_did_not_write(bad: object) -> None:
    with pytest.raises(ValueError, match="metrics"):
        Metrics.from_dict(bad)  # type: ignore[arg-type]


def test_merge_equals_recording_everything_into_one() -> None:
    one, a, b = Metrics(T0), Metrics(T0), Metrics(T0)
    record_some(one, seed=1)
    record_some(one, seed=2, seconds=7)
    record_some(a, seed=1)
    record_some(b, seed=2, seconds=7)
    a.merge(Metrics.from_dict(b.to_dict()))
    for action in one.actions:
        assert a.actions[action].answered == one.actions[action].answered
        assert a.actions[action].callerrors == one.actions[action].callerrors
        assert a.actions[action].timeouts == one.actions[action].timeouts
        for p in (50, 90, 99, 99.9, 100):
            assert percentile_ms(a.latency(action), p) == percentile_ms(one.latency(action), p)
    assert a.counts == one.counts
    assert [a.second_latency(s).get_total_count() for s in range(7)] == [
        one.second_latency(s).get_total_count() for s in range(7)]
    assert percentile_ms(a.second_latency(2), 99) == percentile_ms(one.second_latency(2), 99)
    assert (a.connect_attempts, a.connects, a.disconnects) == (one.connect_attempts, one.connects, one.disconnects)
    assert a.connect_failures.counts == one.connect_failures.counts
    assert a.inconsistencies.total() == 2 and a.violations.total() == 2
    assert a.connect_latency.get_total_count() == 12
    assert a.reconnect_latency.get_total_count() == 2
    # The gauge adds up the processes' stations; a shard that ended holds its last value.
    assert a.connected_series[:5] == [200 + s + 300 + s for s in range(5)]
    assert a.connected_series[5:] == [204 + 300 + s for s in (5, 6)]
    # Both shards sampled the same CSMS: the higher reading, never a sum.
    assert a.rss_mb[:5] == [202.0 + s for s in range(5)]
    assert a.cpu[6] == 32.0
    compacted = Metrics.from_dict(a.to_dict())
    compacted.compact()
    assert all(len(parts) <= 1 for parts in compacted.latency_parts)
    assert percentile_ms(compacted.second_latency(3), 99) == percentile_ms(one.second_latency(3), 99)


def test_merge_refuses_another_run() -> None:
    with pytest.raises(ValueError, match="started at"):
        Metrics(T0).merge(Metrics(T0 + 1))


def test_names_from_the_csms_are_bounded() -> None:
    m = Metrics(T0)
    for i in range(MAX_NAMES + 50):
        m.call_error("Heartbeat", f"Code{i}" + "x" * 500, 100, T0)
        m.connect_failed(f"cause {i}", T0)
    assert len(m.actions["Heartbeat"].callerrors) == MAX_NAMES + 1
    assert m.actions["Heartbeat"].callerrors[OTHER] == 50
    assert max(len(code) for code in m.actions["Heartbeat"].callerrors) <= 120
    assert m.connect_failures.total() == MAX_NAMES + 50


def test_snapshot_reports_the_last_complete_second() -> None:
    start = time.time() - 10.5  # we are in second 10 of the run
    m = Metrics(start)
    for latency in (1000, 2000, 30_000):
        m.answered("Heartbeat", latency, start + 9.2)
    m.answered("Heartbeat", 5000, start + 10.1)  # the current, incomplete second
    m.timed_out("Heartbeat", start + 3)
    m.call_error("Heartbeat", "InternalError", 10, start + 4)
    m.connect_failed("TLS", start + 1)
    m.set_connected(42, start + 10.2)
    snap = m.snapshot()
    assert snap["connected"] == 42
    assert snap["msg_per_s"] == 3
    assert snap["p99_ms"] == pytest.approx(30.0, rel=0.01)
    assert (snap["errors"], snap["timeouts"], snap["connect_failures"]) == (2, 1, 1)
    assert orjson.loads(orjson.dumps(snap)) == snap


def test_snapshot_of_a_quiet_second() -> None:
    start = time.time() - 20.5
    m = Metrics(start)
    m.answered("Heartbeat", 1000, start + 2)
    assert m.snapshot()["msg_per_s"] == 0
    assert m.snapshot()["p99_ms"] is None


def test_extreme_values_are_clamped_not_lost() -> None:
    m = Metrics(T0)
    m.answered("Heartbeat", -5, T0)
    m.answered("Heartbeat", 10**12, T0)
    assert m.latency().get_total_count() == 2
    m.answered("Heartbeat", 1, T0 * 1000)  # a clock in ms by mistake: no series of millennia
    assert m.seconds == MAX_SECONDS + 1
    assert percentile_ms(new_histogram(), 50) is None


def scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """The endpoint's samples by name and labels."""
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_prometheus_endpoint_reads_the_metrics_at_scrape_time() -> None:
    m = Metrics(T0)
    for latency in range(1000, 101_000, 1000):  # 1..100 ms
        m.answered("TransactionEvent", latency, T0 + 1)
    m.call_error("TransactionEvent", "InternalError", 500, T0 + 1)
    m.timed_out("Heartbeat", T0 + 2)
    m.connect_attempt(T0)
    m.connect_failed("HTTP 401", T0)
    m.set_connected(7, T0 + 2)
    m.csms_sample(T0 + 2, 100.0, 55.0)
    m.inconsistency("answered twice", "msg 9")
    stop = serve_metrics(m, 0, {"shard": "0/2"}, host="127.0.0.1")
    try:
        shard = ("shard", "0/2")
        got = scrape(stop.port)
        assert got[("csmscheck_load_calls_total", frozenset({shard, ("action", "TransactionEvent"),
                                                           ("outcome", "answered")}))] == 100
        assert got[("csmscheck_load_callerrors_total", frozenset({shard, ("action", "TransactionEvent"),
                                                                 ("code", "InternalError")}))] == 1
        assert got[("csmscheck_load_timeouts_total", frozenset({shard, ("action", "Heartbeat")}))] == 1
        assert got[("csmscheck_load_connected", frozenset({shard}))] == 7
        assert got[("csmscheck_load_connect_failures_total", frozenset({shard, ("cause", "HTTP 401")}))] == 1
        assert got[("csmscheck_load_inconsistencies_total", frozenset({shard, ("kind", "answered twice")}))] == 1
        assert got[("csmscheck_load_csms_rss_bytes", frozenset({shard}))] == 100 * 2**20
        te = frozenset({shard, ("action", "TransactionEvent")})
        assert got[("csmscheck_load_latency_seconds_count", te)] == 101
        assert got[("csmscheck_load_latency_seconds", te | {("quantile", "0.99")})] == pytest.approx(0.099, rel=1e-3)
        assert got[("csmscheck_load_latency_seconds", te | {("quantile", "1.0")})] == pytest.approx(0.1, rel=1e-3)
        m.set_connected(9, T0 + 3)  # read again at the next scrape
        assert scrape(stop.port)[("csmscheck_load_connected", frozenset({shard}))] == 9
    finally:
        stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{stop.port}/metrics", timeout=2)


@pytest.mark.parametrize("label", ["0shard", "a-b", "__x", "action", "quantile"])
def test_prometheus_refuses_bad_labels(label: str) -> None:
    with pytest.raises(ValueError, match=repr(label)):
        serve_metrics(Metrics(T0), 0, {label: "x"}, host="127.0.0.1")
