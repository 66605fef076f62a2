"""Reports: results.json contract, JUnit XML, Mermaid and SVG diagrams, HTML page."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from csmscheck.report import (
    RunReport,
    TestRecord,
    describe_frames,
    render_html,
    sequence_diagram,
    sequence_svg,
    write_reports,
)
from csmscheck.wire.transcript import Direction, FrameRecord

T0 = 1_700_000_000.0
STATION = "CP201_SP1"
SCRIPT = "<script>alert(1)</script>"
BOOT_CALL = (
    '[2, "b1", "BootNotification", {"reason": "PowerUp", '
    '"chargingStation": {"model": "M", "vendorName": "V"}}]'
)
BOOT_RESULT = '[3, "b1", {"currentTime": "2024-01-01T00:00:00Z", "interval": 300, "status": "Accepted"}]'
STATUS_CALL = (
    '[2, "s1", "StatusNotification", {"timestamp": "2024-01-01T00:00:00Z", '
    '"connectorStatus": "Available", "evseId": 1, "connectorId": 1}]'
)
STATUS_ERROR = '[4, "s1", "FormationViolation", "bad; \\"payload\\" #1", {}]'
MALFORMED = '[2, "x"'


def frame(dt: float, direction: Direction, text: str, station: str = STATION) -> FrameRecord:
    return FrameRecord(T0 + dt, direction, station, text)


def boot_frames() -> list[FrameRecord]:
    return [frame(0.0, "out", BOOT_CALL), frame(0.012, "in", BOOT_RESULT)]


def failing_frames() -> list[FrameRecord]:
    return [
        *boot_frames(),
        frame(0.1, "out", STATUS_CALL),
        frame(0.15, "in", STATUS_ERROR),
        frame(0.2, "out", MALFORMED),
        frame(0.25, "in", '[4, "x", "RpcFrameworkError", "not JSON", {}]'),
    ]


@pytest.fixture
def report() -> RunReport:
    return RunReport(
        tests=[
            TestRecord("TC_B_01", "2.0.1", "B", "Cold boot", "passed", 0.12345, frames=boot_frames()),
            TestRecord(
                "TC_E_01",
                "2.0.1",
                "E",
                "Start transaction",
                "failed",
                1.5,
                message=f"Step 3: expected StatusNotification result\ngot CALLERROR {SCRIPT}",
                frames=failing_frames(),
            ),
            TestRecord("TC_004_1", "1.6", "3.2", "Remote start", "skipped", 0.0, message="not applicable"),
        ],
        started_at=T0,
        duration_s=1.62345,
        target="ws://127.0.0.1:9000/ocpp",
    )


def test_results_json_has_exactly_the_contract_shape(report: RunReport, tmp_path: Path) -> None:
    paths = write_reports(report, tmp_path / "out")
    data = json.loads(paths["results"].read_text(encoding="utf-8"))
    assert set(data) >= {"summary", "tests"}
    assert data["summary"] == {"passed": 1, "failed": 1, "skipped": 1, "duration_s": 1.623}
    keys = {"id", "ocpp", "block", "name", "outcome", "duration_s", "message"}
    assert [set(test) for test in data["tests"]] == [keys, keys, keys]
    first, failed, skipped = data["tests"]
    assert first == {
        "id": "TC_B_01",
        "ocpp": "2.0.1",
        "block": "B",
        "name": "Cold boot",
        "outcome": "passed",
        "duration_s": 0.123,
        "message": "",
    }
    assert failed["outcome"] == "failed" and SCRIPT in failed["message"]
    assert skipped["ocpp"] == "1.6" and skipped["block"] == "3.2"
    assert sorted(p.name for p in paths.values()) == ["junit.xml", "report.html", "results.json"]


def test_junit_xml_counts_failures_and_carries_transcript(report: RunReport, tmp_path: Path) -> None:
    path = write_reports(report, tmp_path)["junit"]
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("3", "1", "1")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"OCPP 2.0.1 block B", "OCPP 2.0.1 block E", "OCPP 1.6 block 3.2"}
    failures = root.findall(".//failure")
    assert len(failures) == 1
    assert failures[0].get("message") == "Step 3: expected StatusNotification result"
    assert SCRIPT in (failures[0].text or "")
    case = suites["OCPP 2.0.1 block B"].find("testcase")
    assert case is not None
    assert case.get("classname") == "csmscheck.v201.B"
    assert case.get("name") == "TC_B_01 Cold boot"
    assert case.get("time") == "0.123"
    out = case.findtext("system-out") or ""
    assert [line.split(" ", 3)[2] for line in out.splitlines()] == ["→", "←"]
    assert BOOT_RESULT in out
    skipped = suites["OCPP 1.6 block 3.2"].find("testcase/skipped")
    assert skipped is not None and skipped.get("message") == "not applicable"


def test_groups_put_newest_version_first_and_blocks_in_natural_order() -> None:
    def rec(ocpp: str, block: str) -> TestRecord:
        return TestRecord(f"TC_{block}", ocpp, block, "n", "passed", 0.0)

    run = RunReport([rec("1.6", "3.10"), rec("2.0.1", "K"), rec("1.6", "3.2"), rec("2.0.1", "B")], T0, 0, "")
    assert [key for key, _ in run.groups()] == [("2.0.1", "B"), ("2.0.1", "K"), ("1.6", "3.2"), ("1.6", "3.10")]
    assert run.summary() == {"passed": 4, "failed": 0, "skipped": 0, "total": 4}


def test_unknown_outcome_is_rejected() -> None:
    with pytest.raises(ValueError, match="outcome"):
        TestRecord("TC_B_01", "2.0.1", "B", "n", "error", 0.0)  # type: ignore[arg-type]


def test_empty_run_still_writes_every_report(tmp_path: Path) -> None:
    paths = write_reports(RunReport([], T0, 0.0, "ws://x"), tmp_path / "new" / "dir")
    assert json.loads(paths["results"].read_bytes())["summary"] == {
        "passed": 0,
        "failed": 0,
        "skipped": 0,
        "duration_s": 0.0,
    }
    assert ET.parse(paths["junit"]).getroot().get("tests") == "0"
    assert "<svg" not in paths["html"].read_text(encoding="utf-8")


def test_junit_xml_survives_control_characters(tmp_path: Path) -> None:
    test = TestRecord("TC_X_01", "2.0.1", "X", "ctl", "failed", 0.1, message="bad\x00byte\x1b")
    test.frames.append(frame(0.0, "out", "\x07\x00"))
    run = RunReport([test], T0, 0.1, "ws://x")
    root = ET.parse(write_reports(run, tmp_path)["junit"]).getroot()
    assert root.findtext(".//failure") == "bad\\x00byte\\x1b"


def test_frames_are_read_as_calls_replies_and_malformed() -> None:
    steps = describe_frames(failing_frames())
    assert [s.kind for s in steps] == ["call", "result", "call", "error", "malformed", "error"]
    assert [s.label for s in steps] == [
        "BootNotification",
        "BootNotification result status=Accepted",
        "StatusNotification connectorStatus=Available",
        "StatusNotification error: FormationViolation",
        "malformed frame",
        "unmatched error: RpcFrameworkError",
    ]


def test_reply_is_matched_only_against_a_call_in_the_other_direction() -> None:
    frames = [
        frame(0.0, "in", '[2, "a", "Reset", {"type": "Immediate"}]'),
        frame(0.1, "in", '[3, "a", {"status": "Accepted"}]'),
        frame(0.2, "out", '[3, "a", {"status": "Accepted"}]'),
    ]
    assert [s.label for s in describe_frames(frames)] == [
        "Reset",
        "unmatched result status=Accepted",
        "Reset result status=Accepted",
    ]


def test_mermaid_has_participants_and_arrows_in_order() -> None:
    source = sequence_diagram(failing_frames())
    lines = [line.strip() for line in source.splitlines()]
    assert lines[0] == "sequenceDiagram"
    assert lines[1:3] == [f"participant S1 as {STATION}", "participant CSMS as CSMS"]
    assert lines[3:] == [
        "S1->>CSMS: BootNotification",
        "CSMS-->>S1: BootNotification result status=Accepted",
        "S1->>CSMS: StatusNotification connectorStatus=Available",
        "CSMS--xS1: StatusNotification error: FormationViolation",
        "S1-xCSMS: malformed frame",
        "CSMS--xS1: unmatched error: RpcFrameworkError",
    ]


def test_mermaid_escapes_labels_and_draws_one_lifeline_per_station() -> None:
    frames = [
        frame(0.0, "out", '[2, "1", "DataTransfer", {"status": "a;b#c\\"d\\ne"}]', "CP#1"),
        frame(0.1, "out", '[2, "2", "Heartbeat", {}]', "CP2"),
        frame(0.2, "in", '[3, "2", {"currentTime": "2024-01-01T00:00:00Z"}]', "CP2"),
    ]
    source = sequence_diagram(frames, csms_label="My CSMS")
    assert "participant S1 as CP#35;1" in source
    assert "participant S2 as CP2" in source
    assert "participant CSMS as My CSMS" in source
    assert "S1->>CSMS: DataTransfer status=a#59;b#35;c#quot;d e" in source
    assert "CSMS-->>S2: Heartbeat result" in source
    body = source.split("\n", 1)[1]
    assert ";" not in body.replace("#59;", "").replace("#35;", "").replace("#quot;", "")


def test_long_labels_are_shortened() -> None:
    text = '[2, "1", "StatusNotification", {"status": "' + "X" * 200 + '"}]'
    (step,) = describe_frames([frame(0.0, "out", text)])
    assert len(step.label) < 60 and step.label.endswith("…")


def test_svg_draws_every_frame_and_escapes_text() -> None:
    frames = [*failing_frames(), frame(0.3, "out", '[2, "z", "A<b>&", {}]')]
    svg = sequence_svg(frames)
    ET.fromstring(svg)  # well-formed
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<line x1=") - 2 == len(frames)  # two lifelines, one line per frame
    assert "A&lt;b&gt;&amp;" in svg and "A<b>" not in svg
    assert "#dc2626" in svg  # errors and malformed drawn in red
    assert "<script" not in svg and "http" not in svg
    assert 'xmlns="http://www.w3.org/2000/svg"' in sequence_svg(frames, xmlns=True)


def test_html_is_self_contained_with_one_diagram_per_test(report: RunReport, tmp_path: Path) -> None:
    html = write_reports(report, tmp_path)["html"].read_text(encoding="utf-8")
    assert html == render_html(report)
    assert html.count("<svg") == len(report.tests)
    assert html.count('<pre class="mermaid">') == len(report.tests)
    assert html.count('<details class="test') == len(report.tests)
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert report.target in html


def test_html_opens_failures_and_shows_transcript(report: RunReport) -> None:
    html = render_html(report)
    sections = re.findall(r'<details class="test (\w+)" id="[^"]+"( open)?>', html)
    assert sorted(sections) == [("failed", " open"), ("passed", ""), ("skipped", "")]
    assert "→ CSMS" in html and "← CSMS" in html
    assert "malformed frame" in html
    assert "\n    &quot;status&quot;: &quot;Accepted&quot;" in html  # pretty-printed JSON
    assert "[2, &quot;x&quot;" in html  # malformed text shown as sent
    assert "CSMS--&gt;&gt;S1: BootNotification result" in html
    assert '<td class="num mono">12</td>' in html  # relative time in ms


def event(dt: float, direction: Direction, text: str) -> FrameRecord:
    return FrameRecord(T0 + dt, direction, STATION, text, "event")


def connection_frames() -> list[FrameRecord]:
    return [
        event(-0.01, "out", "connect ws://127.0.0.1:9000/CP201_SP1 (offering ocpp2.0.1; basic auth as CP201_SP1)"),
        event(-0.005, "in", "connected, subprotocol ocpp2.0.1"),
        *boot_frames(),
        frame(0.1, "out", STATUS_CALL),
        event(0.2, "in", "the CSMS closed the connection (code 1011, internal error)"),
    ]


FAILURE = "no answer to StatusNotification: the CSMS closed the connection (code 1011, internal error)"


def test_mermaid_shows_connection_events_as_notes_and_marks_the_failure() -> None:
    source = sequence_diagram(connection_frames(), failed_at=T0 + 0.2, failure=FAILURE)
    lines = [line.strip() for line in source.splitlines()[3:]]
    assert lines == [
        "Note over S1,CSMS: connect ws://127.0.0.1:9000/CP201_SP1 (offering ocpp2.0.1#59; basic auth as CP201_SP1)",
        "Note over S1,CSMS: connected, subprotocol ocpp2.0.1",
        "S1->>CSMS: BootNotification",
        "CSMS-->>S1: BootNotification result status=Accepted",
        "S1->>CSMS: StatusNotification connectorStatus=Available",
        "rect rgb(254, 226, 226)",
        "Note over S1,CSMS: the CSMS closed the connection (code 1011, internal error)",
        "end",
        f"Note over S1,CSMS: FAILED: {FAILURE}",
    ]


def test_a_failure_before_any_frame_is_noted_first() -> None:
    source = sequence_diagram(boot_frames(), failed_at=T0 - 1, failure="Setup: could not connect")
    assert source.splitlines()[3].strip() == "Note over S1,CSMS: FAILED: Setup: could not connect"


def test_svg_draws_events_as_notes_and_the_failing_step_in_red() -> None:
    svg = sequence_svg(connection_frames(), failed_at=T0 + 0.2, failure=FAILURE)
    ET.fromstring(svg)
    assert "connected, subprotocol ocpp2.0.1" in svg
    assert svg.count("<line x1=") - 2 == 3  # events are notes, not arrows
    assert svg.count('fill="#fee2e2"') == 2  # the failing step shaded, the failure note
    assert f"✗ {FAILURE}" in svg
    assert "FAILED" not in sequence_svg(connection_frames())


def test_html_and_junit_show_connection_events_and_findings(tmp_path: Path) -> None:
    from csmscheck.checks import Finding

    test = TestRecord("TC_B_01", "2.0.1", "B", "Cold boot", "failed", 0.3, FAILURE, connection_frames(),
                      [Finding("CSC-201-X-01", "the CSMS did more than allowed")], failed_at=T0 + 0.2)
    report = RunReport([test], T0, 0.3, "ws://csms")
    paths = write_reports(report, tmp_path)
    html = paths["html"].read_text()
    assert '<tr class="event failed-here">' in html and "connected, subprotocol ocpp2.0.1" in html
    assert "<code>CSC-201-X-01</code> the CSMS did more than allowed" in html
    junit = paths["junit"].read_text()
    assert "-- the CSMS closed the connection (code 1011, internal error)" in junit
    assert 'name="csmscheck-check CSC-201-X-01" value="the CSMS did more than allowed"' in junit
    results = json.loads(paths["results"].read_text())
    assert results["tests"][0]["findings"] == [{"check": "CSC-201-X-01", "message": "the CSMS did more than allowed"}]


def test_html_says_why_a_run_stopped_early() -> None:
    reason = "the CSMS stopped answering after TC_B_01: no answer to BootNotification within 5s (timeout)"
    html = render_html(RunReport([], T0, 1.0, "ws://csms", reason))
    assert f'<p class="stopped">Stopped early: {reason}</p>' in html
