"""A single self-contained HTML report: inline CSS and SVG, no scripts, no network."""

from __future__ import annotations

import re
from datetime import datetime
from html import escape
from pathlib import Path

import orjson

from csmscheck.report.mermaid import sequence_diagram
from csmscheck.report.model import (
    DIRECTION_ARROWS,
    RunReport,
    Step,
    TestRecord,
    count_outcomes,
    describe_frames,
    failing_step,
    printable,
)
from csmscheck.report.svg import sequence_svg

Layout = list[tuple[tuple[str, str], list[tuple[str, TestRecord]]]]
KIND_NAMES = {"call": "CALL", "result": "CALLRESULT", "error": "CALLERROR", "malformed": "malformed",
              "event": "connection"}

CSS = """
:root { --ok:#15803d; --ok-bg:#dcfce7; --bad:#b91c1c; --bad-bg:#fee2e2;
  --skip:#4b5563; --skip-bg:#e5e7eb; --line:#e5e7eb; --ink:#111827; --muted:#6b7280; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: #f8fafc; }
main { max-width: 1200px; margin: 0 auto; padding: 24px; }
header { background: #fff; border: 1px solid var(--line); border-left: 6px solid var(--ok);
  border-radius: 8px; padding: 16px 20px; margin-bottom: 20px; }
header.has-failures { border-left-color: var(--bad); }
h1 { font-size: 20px; margin: 0 0 6px; }
h2 { font-size: 16px; margin: 28px 0 10px; }
h3 { font-size: 14px; margin: 22px 0 8px; color: var(--muted); font-weight: 600; }
h4 { font-size: 13px; margin: 16px 0 6px; color: var(--muted); text-transform: uppercase;
  letter-spacing: .04em; }
.meta { color: var(--muted); margin: 0; }
.meta b { color: var(--ink); font-weight: 600; }
.stopped { color: var(--bad); font-weight: 600; margin: 10px 0 0; }
.totals { margin-top: 10px; display: flex; gap: 8px; flex-wrap: wrap; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12.5px; }
.badge { display: inline-block; min-width: 62px; text-align: center; padding: 1px 8px;
  border-radius: 999px; font-size: 12px; font-weight: 600; }
.badge.passed { color: var(--ok); background: var(--ok-bg); }
.badge.failed { color: var(--bad); background: var(--bad-bg); }
.badge.skipped { color: var(--skip); background: var(--skip-bg); }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: #f9fafb; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.bad { color: var(--bad); font-weight: 600; }
.summary { border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
a { color: #4338ca; text-decoration: none; }
a:hover { text-decoration: underline; }
ul.failures { margin: 0; padding-left: 20px; }
details.test { background: #fff; border: 1px solid var(--line); border-radius: 8px;
  margin: 8px 0; }
details.test.failed { border-color: #fca5a5; }
details.test > summary { cursor: pointer; padding: 10px 14px; display: flex; gap: 12px;
  align-items: center; list-style: none; }
details.test > summary::-webkit-details-marker { display: none; }
details.test > summary::before { content: "▸"; color: var(--muted); }
details.test[open] > summary::before { content: "▾"; }
details.test[open] > summary { border-bottom: 1px solid var(--line); }
.tid { font-weight: 600; }
.tname { flex: 1; }
.dur { color: var(--muted); font-variant-numeric: tabular-nums; }
.body { padding: 4px 16px 16px; }
pre { margin: 0; padding: 10px 12px; background: #f8fafc; border: 1px solid var(--line);
  border-radius: 6px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
pre.message.failed { background: #fef2f2; border-color: #fecaca; color: #7f1d1d; }
.diagram { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px;
  padding: 6px; background: #fff; }
details.mermaid-src { margin-top: 8px; }
details.mermaid-src > summary { cursor: pointer; color: var(--muted); font-size: 12px; }
details.mermaid-src pre { margin-top: 6px; }
table.frames td { font-size: 12.5px; }
table.frames td.text pre { border: 0; padding: 0; background: none; }
table.frames tr.error td, table.frames tr.malformed td { background: #fef2f2; }
table.frames tr.event td { background: #f1f5f9; font-style: italic; }
table.frames tr.failed-here td { background: #fee2e2; border-top: 2px solid var(--bad);
  border-bottom: 2px solid var(--bad); }
ul.findings { margin: 0; padding-left: 20px; }
ul.findings code { color: #92400e; }
.badge.findings { color: #92400e; background: #fef3c7; }
.muted { color: var(--muted); }
footer { color: var(--muted); font-size: 12px; margin-top: 32px; }
"""


def _e(text: object) -> str:
    """HTML-escape any value, control characters made visible."""
    return escape(printable(str(text)), quote=True)


def _seconds(value: float) -> str:
    return f"{value:.3f} s" if value < 60 else f"{int(value // 60)} min {value % 60:.1f} s"


def _local_time(t: float) -> str:
    return datetime.fromtimestamp(t).astimezone().isoformat(sep=" ", timespec="seconds")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"


def _block_anchor(ocpp: str, block: str) -> str:
    return f"block-{_slug(ocpp)}-{_slug(block)}"


def _badge(outcome: str) -> str:
    return f'<span class="badge {_e(outcome)}">{_e(outcome)}</span>'


def _header(report: RunReport) -> str:
    counts = report.summary()
    css = "has-failures" if counts["failed"] or report.stopped else "all-good"
    stopped = f'<p class="stopped">Stopped early: {_e(report.stopped)}</p>' if report.stopped else ""
    totals = "".join(
        f'<span class="badge {k}">{counts[k]} {k}</span>' for k in ("passed", "failed", "skipped")
    )
    return (
        f'<header class="{css}"><h1>csmscheck report</h1>'
        f'<p class="meta">Target <b class="mono">{_e(report.target)}</b> · started '
        f"<b>{_e(_local_time(report.started_at))}</b> · duration "
        f"<b>{_e(_seconds(report.duration_s))}</b> · <b>{counts['total']}</b> tests</p>"
        f'<div class="totals">{totals}</div>{stopped}</header>'
    )


def _count_cell(value: int, bad: bool = False) -> str:
    css = "num bad" if bad and value else "num"
    return f'<td class="{css}">{value}</td>'


def _summary_table(report: RunReport) -> str:
    rows = []
    for (ocpp, block), tests in report.groups():
        counts = count_outcomes(tests)
        rows.append(
            f'<tr><td>OCPP {_e(ocpp)}</td><td><a href="#{_block_anchor(ocpp, block)}">'
            f"{_e(block)}</a></td>{_count_cell(counts['total'])}{_count_cell(counts['passed'])}"
            f"{_count_cell(counts['failed'], bad=True)}{_count_cell(counts['skipped'])}"
            f'<td class="num">{_e(_seconds(sum(t.duration_s for t in tests)))}</td></tr>'
        )
    head = (
        '<tr><th>OCPP</th><th>Block</th><th class="num">Tests</th><th class="num">Passed</th>'
        '<th class="num">Failed</th><th class="num">Skipped</th><th class="num">Time</th></tr>'
    )
    return f'<h2>Summary</h2><div class="summary"><table>{head}{"".join(rows)}</table></div>'


def _failure_list(layout: Layout) -> str:
    items = [
        f'<li><a href="#{anchor}"><code>{_e(t.id)}</code> {_e(t.name)}</a></li>'
        for _, tests in layout
        for anchor, t in tests
        if t.outcome == "failed"
    ]
    return f'<h2>Failures</h2><ul class="failures">{"".join(items)}</ul>' if items else ""


def _pretty(text: str) -> str:
    """Indented JSON when the frame parses, otherwise the raw text."""
    try:
        return orjson.dumps(orjson.loads(text), option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONDecodeError:
        return text


def _frame_row(step: Step, t0: float, failed_here: bool = False) -> str:
    f = step.frame
    kind = KIND_NAMES[step.kind]
    css = f"{step.kind} failed-here" if failed_here else step.kind
    text = _e(f.text) if f.is_event else _e(_pretty(f.text))
    return (
        f'<tr class="{css}"><td class="num mono">{(f.t - t0) * 1000:.0f}</td>'
        f'<td class="mono">{_e(f.station_id)}</td><td>{_e(DIRECTION_ARROWS[f.direction])}</td>'
        f"<td>{_e(kind)}<br><span class=\"muted\">{_e(step.label)}</span></td>"
        f'<td class="text"><pre>{text}</pre></td></tr>'
    )


def _frame_table(steps: list[Step], failed_at: float | None) -> str:
    if not steps:
        return '<p class="muted">No frames were exchanged.</p>'
    t0 = steps[0].frame.t
    failed = failing_step(steps, failed_at)
    head = (
        '<tr><th class="num">ms</th><th>Station</th><th>Direction</th><th>Message</th>'
        "<th>Frame</th></tr>"
    )
    rows = "".join(_frame_row(step, t0, index == failed) for index, step in enumerate(steps))
    return f'<table class="frames">{head}{rows}</table>'


def _findings(test: TestRecord) -> str:
    if not test.findings:
        return ""
    items = "".join(f"<li><code>{_e(f.check)}</code> {_e(f.message)}</li>" for f in test.findings)
    return f'<h4>csmscheck checks not met ({len(test.findings)})</h4><ul class="findings">{items}</ul>'


def _test_section(anchor: str, test: TestRecord) -> str:
    is_open = " open" if test.outcome == "failed" else ""
    message = (
        f'<h4>{"Failure" if test.outcome == "failed" else "Message"}</h4>'
        f'<pre class="message {_e(test.outcome)}">{_e(test.message)}</pre>'
        if test.message
        else ""
    )
    findings = f'<span class="badge findings">{len(test.findings)} findings</span>' if test.findings else ""
    svg = sequence_svg(test.frames, failed_at=test.failed_at, failure=test.message)
    mermaid = sequence_diagram(test.frames, failed_at=test.failed_at, failure=test.message)
    return (
        f'<details class="test {_e(test.outcome)}" id="{anchor}"{is_open}>'
        f"<summary>{_badge(test.outcome)}<code class=\"tid\">{_e(test.id)}</code>"
        f'<span class="tname">{_e(test.name)}</span>{findings}'
        f'<span class="dur">{_e(_seconds(test.duration_s))}</span></summary>'
        f'<div class="body"><p class="meta">OCPP {_e(test.ocpp)} · block {_e(test.block)} · '
        f"{len(test.frames)} frames</p>{message}{_findings(test)}"
        f'<h4>Sequence</h4><div class="diagram">{svg}</div>'
        '<details class="mermaid-src"><summary>Mermaid source</summary>'
        f'<pre class="mermaid">{_e(mermaid)}</pre></details>'
        f"<h4>Frames</h4>{_frame_table(describe_frames(test.frames), test.failed_at)}</div></details>"
    )


def _layout(report: RunReport) -> Layout:
    """Tests grouped by version and block, each with a unique anchor."""
    return [
        (key, [(f"{_block_anchor(*key)}-{n}-{_slug(t.id)}", t) for n, t in enumerate(tests)])
        for key, tests in report.groups()
    ]


def _test_sections(layout: Layout) -> str:
    parts = ["<h2>Tests</h2>"]
    for (ocpp, block), tests in layout:
        anchor = _block_anchor(ocpp, block)
        parts.append(f'<h3 id="{anchor}">OCPP {_e(ocpp)} · block {_e(block)}</h3>')
        parts += [_test_section(test_anchor, test) for test_anchor, test in tests]
    return "".join(parts)


def render_html(report: RunReport) -> str:
    """The complete report page as a string."""
    layout = _layout(report)
    counts = report.summary()
    title = f"csmscheck: {counts['failed']} failed, {counts['passed']} passed — {report.target}"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>"
        f"{_header(report)}{_summary_table(report)}{_failure_list(layout)}"
        f"{_test_sections(layout)}"
        "<footer>Generated by csmscheck. Mermaid sources can be pasted into any Mermaid "
        "renderer.</footer></main></body></html>\n"
    )


def write_html_report(report: RunReport, path: Path) -> None:
    """Write the self-contained HTML report to ``path`` (UTF-8)."""
    Path(path).write_text(render_html(report), encoding="utf-8")
