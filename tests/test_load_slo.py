"""SLO rules of a load run: parsing (every bad rule named), measuring and verdicts."""

from __future__ import annotations

import pytest

from csmscheck.load.metrics import Metrics
from csmscheck.load.slo import Rule, duration, evaluate, parse_rule, parse_slo

T0 = 1_700_000_000.0


def test_parses_the_contract_example() -> None:
    rules = parse_slo("p99<500ms, errors<0.1%,connect_failures=0")
    assert [(r.metric, r.op, r.threshold, r.percent) for r in rules] == [
        ("latency", "<", 500.0, False), ("errors", "<", 0.1, True), ("connect_failures", "=", 0.0, False)]
    assert [r.text for r in rules] == ["p99<500ms", "errors<0.1%", "connect_failures=0"]
    assert rules[0].percentile == 99


@pytest.mark.parametrize(("text", "percentile"), [
    ("p50<1ms", 50), ("p90<1ms", 90), ("p95<1ms", 95), ("p99<1ms", 99), ("p999<1ms", 99.9),
    ("p99.9<1ms", 99.9), ("p9999<1ms", 99.99), ("max<1ms", 100), ("p75<1ms", 75)])
def test_percentiles(text: str, percentile: float) -> None:
    assert parse_rule(text).percentile == pytest.approx(percentile)


@pytest.mark.parametrize(("text", "ms"), [
    ("p99<250us", 0.25), ("p99<250µs", 0.25), ("p99<250μs", 0.25), ("p99<30ms", 30.0), ("p99<1.5s", 1500.0),
    ("p99 < 2 s", 2000.0), ("p99<1e3ms", 1000.0)])
def test_latency_units_become_ms(text: str, ms: float) -> None:
    assert parse_rule(text).threshold == pytest.approx(ms)


@pytest.mark.parametrize("op", ["<", "<=", ">", ">=", "=", "=="])
def test_operators(op: str) -> None:
    assert parse_rule(f"timeouts{op}3").op == op


def test_per_action_rules() -> None:
    rule = parse_rule("TransactionEvent.p99<300ms")
    assert (rule.action, rule.metric, rule.threshold) == ("TransactionEvent", "latency", 300.0)
    assert parse_rule("Authorize.errors<1%").action == "Authorize"
    assert parse_rule("Heartbeat.timeouts=0").metric == "timeouts"


@pytest.mark.parametrize(("text", "reason"), [
    ("p99<5xs", "unknown unit 'xs'"),
    ("p99<5", "needs a unit"),
    ("p100<5ms", "unknown metric 'p100'"),
    ("latency<5ms", "unknown metric 'latency'"),
    ("p99!=5ms", "unknown operator '!='"),
    ("p99=>5ms", "unknown operator '=>'"),
    ("p99 5ms", "expected METRIC OP NUMBER"),
    ("p99<", "'nothing' is not a number"),
    ("errors<-1", "'-1' is not a number"),
    ("errors<1ms", "unknown unit 'ms' for errors"),
    ("msg_per_s>5%", "msg_per_s is not a share"),
    ("inconsistencies<1%", "inconsistencies is not a share"),
    ("Heartbeat.connect_failures=0", "not measured per action"),
    ("Heartbeat.msg_per_s>1", "not measured per action"),
])
def test_bad_rules_name_the_rule_and_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_slo(f"p99<1s,{text}")
    message = str(caught.value)
    assert repr(text) in message and reason in message
    assert "\n" not in message


@pytest.mark.parametrize("text", ["", "  ", "p99<1s,", ",p99<1s", "p99<1s,,errors=0"])
def test_empty_rules(text: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        parse_slo(text)


def run_metrics() -> Metrics:
    """990 answers (1–99 ms), 6 CALLERRORs, 4 timeouts; 2 of 100 connections failed."""
    m = Metrics(T0)
    for i in range(990):
        action = "TransactionEvent" if i % 2 else "Heartbeat"
        m.answered(action, 1000 * (1 + i % 99), T0 + i / 100)
    for _ in range(6):
        m.call_error("TransactionEvent", "InternalError", 500, T0 + 1)
    for _ in range(4):
        m.timed_out("Heartbeat", T0 + 2)
    for i in range(100):
        m.connect_attempt(T0)
        if i < 2:
            m.connect_failed("refused", T0)
        else:
            m.connected(0.01, T0)
    m.inconsistency("answered twice", "msg 7")
    return m


def verdicts(text: str, duration_s: float = 10.0) -> dict[str, tuple[float | None, bool]]:
    return {v.rule: (v.value, v.passed) for v in evaluate(parse_slo(text), run_metrics(), 100, duration_s)}


def test_latency_verdicts() -> None:
    got = verdicts("p99<1us,p99<100ms,max<=99.1ms,p50>=40ms,TransactionEvent.p99<100ms,Heartbeat.p50<1ms")
    assert got["p99<1us"][1] is False  # any real latency breaks it
    assert got["p99<100ms"][1] is True
    assert got["max<=99.1ms"] == (pytest.approx(99.0, rel=1e-3), True)
    assert got["p50>=40ms"][1] is True
    assert got["TransactionEvent.p99<100ms"][1] is True
    assert got["Heartbeat.p50<1ms"][1] is False


def test_error_counts_and_shares() -> None:
    got = verdicts("errors<10,errors<=10,errors<1%,errors<1.1%,callerrors=6,timeouts=4,timeouts<0.5%,"
                   "TransactionEvent.errors=6,Heartbeat.timeouts>3,Heartbeat.errors<1%")
    assert got["errors<10"] == (10.0, False)
    assert got["errors<=10"] == (10.0, True)
    assert got["errors<1%"] == (pytest.approx(1.0), False)  # 10 of 1000 calls
    assert got["errors<1.1%"][1] is True
    assert got["callerrors=6"][1] is True and got["timeouts=4"][1] is True
    assert got["timeouts<0.5%"] == (pytest.approx(0.4), True)
    assert got["TransactionEvent.errors=6"][1] is True
    assert got["Heartbeat.timeouts>3"][1] is True
    assert got["Heartbeat.errors<1%"] == (pytest.approx(100 * 4 / 499), True)


def test_connections_throughput_and_consistency() -> None:
    got = verdicts("connect_failures=0,connect_failures<=2,connect_failures<3%,msg_per_s>=99.6,msg_per_s>99.6,"
                   "inconsistencies=0,violations=0", duration_s=10.0)
    assert got["connect_failures=0"] == (2.0, False)
    assert got["connect_failures<=2"][1] is True
    assert got["connect_failures<3%"] == (pytest.approx(2.0), True)
    assert got["msg_per_s>=99.6"] == (pytest.approx(99.6), True)  # 996 answers in 10 s
    assert got["msg_per_s>99.6"][1] is False
    assert got["inconsistencies=0"] == (1.0, False)
    assert got["violations=0"] == (0.0, True)


def test_unmeasurable_rules_break_and_say_why() -> None:
    result = evaluate(parse_slo("Authorize.p99<1s,p99<1s,errors<1%"), Metrics(T0), 10, 5.0)
    assert [v.passed for v in result] == [False, False, False]
    assert [v.value for v in result] == [None, None, None]
    assert "no Authorize was sent" in result[0].message
    assert "no call was answered" in result[1].message
    assert "no calls" in result[2].message


def test_messages_name_rule_value_and_threshold() -> None:
    broken, held = evaluate(parse_slo("p99<1us,errors<=10"), run_metrics(), 100, 10.0)
    assert broken.message == "p99<1us broken: measured 98.05 ms, threshold < 1 us (100 stations, 10 s)"
    assert held.message == "errors<=10 held: 10"


@pytest.mark.parametrize(("ms", "text"), [(0.25, "250 µs"), (23.4123, "23.41 ms"), (9805.0, "9805 ms"),
                                          (12_500.0, "12.5 s")])
def test_durations_read_well(ms: float, text: str) -> None:
    assert duration(ms) == text


def test_rule_is_a_frozen_value() -> None:
    rule = parse_rule("p99<5ms")
    assert rule == Rule("p99<5ms", "latency", "<", 5.0, None, 99.0, unit="ms")
    with pytest.raises(AttributeError):
        rule.op = ">"  # type: ignore[misc]
