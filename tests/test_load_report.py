"""The three report files of a load run: load.json's contract, junit.xml, and load.html in a real browser."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from csmscheck.load.metrics import Metrics, decode, percentile_ms
from csmscheck.load.report import build_load_json, read_load_json, write_reports
from csmscheck.load.slo import evaluate, parse_slo

T0 = 1_700_000_000.0
RULES = "p99<500ms,p99<1us,errors<5%,connect_failures=0"
HOSTILE = '<script>alert("x")</script>'

SUMMARY = {"stations", "duration_s", "messages", "msg_per_s", "errors", "timeouts", "connect_failures"}
ACTION = {"count", "errors", "p50_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms", "histogram"}
# Keys load.json adds to the contract (documented in csmscheck.load.report_json).
EXTRA_TOP = {"passed", "started_at", "meta", "slo_rules", "connect_failures_by_cause", "callerrors_by_code",
             "connections", "consistency", "metrics"}
EXTRA_SUMMARY = {"calls", "callerrors", "connect_attempts", "connects", "disconnects", "inconsistencies",
                 "violations", "p50_ms", "p95_ms", "p99_ms", "max_ms"}


def recorded(csms_samples: bool = True) -> Metrics:
    m = Metrics(T0)
    for second in range(30):
        for i in range(40):
            now = T0 + second + i / 40
            m.answered("TransactionEvent" if i % 2 else "Heartbeat", 2000 + 100 * i + 1000 * second, now)
        m.call_error("TransactionEvent", HOSTILE, 5000, T0 + second)
        m.connect_attempt(T0 + second)
        m.connected(0.05, T0 + second)
        m.set_connected(10 * second, T0 + second + 0.5)
        if csms_samples:
            m.csms_sample(T0 + second + 0.5, 250.0 + second, 35.0)
    m.timed_out("Heartbeat", T0 + 3)
    m.connect_attempt(T0 + 4)
    m.connect_failed(f"HTTP 401 {HOSTILE}", T0 + 4)
    m.inconsistency("duplicate transactionId", f"tx-1 {HOSTILE}")
    m.violation("TransactionEvent", "'idToken' is a required property")
    return m


def load_json(rules: str | None = RULES, csms_samples: bool = True) -> dict[str, Any]:
    m = recorded(csms_samples)
    verdicts = evaluate(parse_slo(rules), m, 10, 30.0) if rules else []
    return build_load_json(m, stations=10, duration_s=30.0, verdicts=verdicts, rules_text=rules,
                           meta={"profile": "steady", "target": "ws://127.0.0.1:1/ocpp", "shard": "0/1"})


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("load-report")
    write_reports(path, load_json())
    return path


def test_load_json_has_the_contract_keys(report_dir: Path) -> None:
    data = read_load_json(report_dir / "load.json")
    assert set(data) == {"summary", "actions", "series", "slo", "csms"} | EXTRA_TOP
    assert set(data["summary"]) == SUMMARY | EXTRA_SUMMARY
    assert set(data["actions"]) == {"Heartbeat", "TransactionEvent"}
    for action in data["actions"].values():
        assert set(action) == ACTION | {"timeouts"}
    assert [set(v) for v in data["slo"]] == [{"rule", "value", "passed", "message"}] * 4
    assert set(data["csms"]) == {"rss_mb", "cpu"}


def test_load_json_values(report_dir: Path) -> None:
    data = read_load_json(report_dir / "load.json")
    s = data["summary"]
    assert (s["stations"], s["duration_s"], s["messages"], s["msg_per_s"]) == (10, 30.0, 1230, 41.0)
    assert (s["errors"], s["timeouts"], s["connect_failures"], s["callerrors"], s["calls"]) == (31, 1, 1, 30, 1231)
    te = data["actions"]["TransactionEvent"]
    assert (te["count"], te["errors"], te["timeouts"]) == (630, 30, 0)
    histogram = decode(te["histogram"])
    assert histogram.get_total_count() == 630
    assert te["p99_ms"] == percentile_ms(histogram, 99)
    assert te["max_ms"] == pytest.approx(34.9, rel=1e-3)
    assert [v["passed"] for v in data["slo"]] == [True, False, True, False]
    assert data["passed"] is False
    assert data["slo"][1]["value"] == pytest.approx(te["p99_ms"], rel=0.05)
    assert len(data["series"]) == 30 == len(data["csms"]["rss_mb"])
    row = data["series"][29]
    assert (row["t"], row["messages"], row["callerrors"], row["connected"]) == (29, 41, 1, 290)
    assert row["p50_ms"] < row["p99_ms"]
    assert data["csms"]["rss_mb"][3] == 253.0
    assert data["callerrors_by_code"] == {HOSTILE: {"count": 30, "actions": {"TransactionEvent": 30}}}
    assert data["connect_failures_by_cause"] == {f"HTTP 401 {HOSTILE}": 1}
    assert data["meta"]["shard"] == "0/1" and data["slo_rules"] == RULES
    assert Metrics.from_dict(data["metrics"]).total("messages") == 1230


def test_csms_lists_are_empty_without_samples() -> None:
    assert load_json(csms_samples=False)["csms"] == {"rss_mb": [], "cpu": []}


def test_junit_has_one_case_per_rule_and_fails_the_broken(report_dir: Path) -> None:
    root = ET.parse(report_dir / "junit.xml").getroot()
    cases = root.findall(".//testcase")
    assert [c.get("name") for c in cases] == RULES.split(",")
    failures = {c.get("name"): c.find("failure") for c in cases}
    assert failures["p99<500ms"] is None and failures["errors<5%"] is None
    broken = failures["p99<1us"]
    assert broken is not None
    message = broken.get("message") or ""
    assert message.startswith("p99<1us broken: measured ") and "threshold < 1 us" in message
    assert failures["connect_failures=0"] is not None
    assert "measured 1, threshold = 0" in (failures["connect_failures=0"].get("message") or "")  # type: ignore[union-attr]
    assert (root.get("tests"), root.get("failures")) == ("4", "2")


def test_junit_without_slo_has_one_passing_case(tmp_path: Path) -> None:
    write_reports(tmp_path, load_json(rules=None))
    cases = ET.parse(tmp_path / "junit.xml").getroot().findall(".//testcase")
    assert [c.get("name") for c in cases] == ["load run completed"]
    assert cases[0].find("failure") is None


def test_html_is_self_contained_with_inline_plots(report_dir: Path) -> None:
    page = (report_dir / "load.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 6  # answers, latency, connected, errors, CSMS memory, CSMS CPU
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "every id is unique across the plots"
    for target in re.findall(r'href="#([^"]+)"', page):
        assert target in ids
    # Verdicts first, then the summary, the actions, the plots and the details.
    order = [page.index(h) for h in ("Service level objectives", "Summary", "Latency by action", "Over time",
                                     "Connection failures by cause", "CALLERRORs by code", "Inconsistencies")]
    assert order == sorted(order)
    assert "an SLO broke" in page


def test_html_without_csms_samples_or_slo(tmp_path: Path) -> None:
    write_reports(tmp_path, load_json(rules=None, csms_samples=False))
    page = (tmp_path / "load.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 4
    assert "no SLO given" in page


@pytest.mark.parametrize(("content", "reason"), [
    (None, "no such file"), (b"{not json", "not valid JSON"), (b"[1]", "a JSON object is expected"),
    (b'{"summary": {}}', "missing actions, series, slo, csms, metrics")])
def test_read_load_json_says_what_is_wrong(tmp_path: Path, content: bytes | None, reason: str) -> None:
    path = tmp_path / "load.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(reason)) as caught:
        read_load_json(path)
    assert str(path) in str(caught.value)


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def headless(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, timeout=120, check=False)


def test_page_renders_in_a_headless_browser(report_dir: Path, tmp_path: Path) -> None:
    binary = chromium()
    if binary is None:
        pytest.skip("Chromium not installed: the rendering of load.html is not checked "
                    "(apt-get install chromium; .ci/run installs it when it runs as root)")
    url = (report_dir / "load.html").resolve().as_uri()
    shot = tmp_path / "shot.png"
    done = headless(binary, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,2000", url)
    assert shot.exists(), done.stderr.decode(errors="replace")[-2000:]
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[:2] == (2000, 1280)
    colours = {tuple(p) for p in pixels[::7, ::7].reshape(-1, pixels.shape[2]).tolist()}
    assert len(colours) > 20, "the screenshot is (nearly) one colour: nothing rendered"
    dom = headless(binary, tmp_path / "profile2", "--dump-dom", url).stdout.decode(errors="replace")
    assert "csmscheck load: an SLO broke" in dom
    assert "p99&lt;1us" in dom and "broken" in dom
    assert dom.count("<svg") == 6 and "<path" in dom
