"""``load.html``: one self-contained page (inline CSS and SVG, no script, no network).

In reading order: the SLO verdicts, the summary, latency by action, the plots, connection
failures by cause, CALLERRORs by code, and what was inconsistent. Every text that may come
from the CSMS (codes, causes, details) is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from csmscheck.load.report_plots import plots, render
from csmscheck.load.slo import duration
from csmscheck.report.model import printable

CSS = """
:root { --ok:#15803d; --ok-bg:#dcfce7; --bad:#b91c1c; --bad-bg:#fee2e2; --line:#e5e7eb; --ink:#111827;
  --muted:#6b7280; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  background: #f8fafc; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
header { background: #fff; border: 1px solid var(--line); border-left: 6px solid var(--muted); border-radius: 8px;
  padding: 16px 20px; margin-bottom: 20px; }
header.passed { border-left-color: var(--ok); } header.failed { border-left-color: var(--bad); }
h1 { font-size: 20px; margin: 0 0 6px; } h2 { font-size: 16px; margin: 28px 0 10px; }
h3 { font-size: 13px; margin: 18px 0 4px; color: var(--muted); font-weight: 600; }
.meta { color: var(--muted); margin: 0; } .meta b { color: var(--ink); font-weight: 600; }
.badge { display: inline-block; min-width: 62px; text-align: center; padding: 1px 8px; border-radius: 999px;
  font-size: 12px; font-weight: 600; }
.badge.passed { color: var(--ok); background: var(--ok-bg); }
.badge.failed { color: var(--bad); background: var(--bad-bg); }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: #f9fafb; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.bad { color: var(--bad); font-weight: 600; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; }
.tile { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.tile .v { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.tile .k { color: var(--muted); font-size: 12px; } .tile.bad .v { color: var(--bad); }
figure { margin: 0 0 12px; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
figcaption { font-weight: 600; font-size: 13px; } svg.plot { width: 100%; height: auto; display: block; }
.none { color: var(--muted); font-style: italic; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
ul.examples { margin: 0; padding-left: 18px; color: var(--muted); word-break: break-word; }
"""


def text(value: object) -> str:
    """Escaped, control characters made visible: safe for any text the CSMS sent."""
    return escape(printable(str(value)), quote=True)


def number(value: float | int | None, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"


def ms(value: float | None) -> str:
    return "–" if value is None else duration(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: Iterable[int] = ()) -> str:
    """Cells are HTML already (a cell that is a whole ``<td …>`` is kept); ``numeric`` columns align right."""
    right = set(numeric)

    def cell(i: int, html: str) -> str:
        if html.startswith("<td"):
            return html
        return f'<td class="num">{html}</td>' if i in right else f"<td>{html}</td>"

    head = "".join(f'<th class="num">{h}</th>' if i in right else f"<th>{h}</th>" for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(cell(i, c) for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fact(value: object) -> str:
    if value is True:
        return "yes"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _header(data: dict[str, Any]) -> str:
    verdicts = data["slo"]
    state = ("passed" if data.get("passed", True) else "failed") if verdicts else "none"
    title = {"passed": "every SLO held", "failed": "an SLO broke", "none": "no SLO given"}[state]
    meta = dict(data.get("meta") or {})
    started = datetime.fromtimestamp(float(data.get("started_at", 0)), tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    facts = [("started", started)] + [(str(k), _fact(v)) for k, v in meta.items()
                                      if k != "started_at" and v not in (None, "", [], {}, False)]
    line = " · ".join(f"{text(k)} <b>{text(v)}</b>" if v != "yes" else f"<b>{text(k)}</b>" for k, v in facts)
    return (f'<header class="{state}"><h1>csmscheck load: {title}</h1><p class="meta">{line}</p>'
            + (f'<p class="meta">SLO <code>{text(data["slo_rules"])}</code></p>' if data.get("slo_rules") else "")
            + "</header>")


def _measured(verdict: dict[str, Any]) -> str:
    """The verdict's message without the rule and verdict words the row already shows."""
    message = str(verdict.get("message", ""))
    for word in ("held: ", "broken: "):
        prefix = f"{verdict['rule']} {word}"
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def _verdicts(data: dict[str, Any]) -> str:
    verdicts = data["slo"]
    if not verdicts:
        return '<h2>Service level objectives</h2><p class="none">No --slo given: the run passes as it ran.</p>'
    rows = [(f'<span class="badge {"passed" if v["passed"] else "failed"}">{"held" if v["passed"] else "broken"}'
             f'</span>', f"<code>{text(v['rule'])}</code>", text(_measured(v))) for v in verdicts]
    return "<h2>Service level objectives</h2>" + table(("verdict", "rule", "measured"), rows)


def _tile(label: str, value: str, bad: bool = False) -> str:
    return f'<div class="tile{" bad" if bad else ""}"><div class="v">{value}</div><div class="k">{label}</div></div>'


def _summary(data: dict[str, Any]) -> str:
    s = data["summary"]
    calls = s.get("calls") or 0
    share = f", {100 * s['errors'] / calls:.3g} % of calls" if calls and s["errors"] else ""
    tiles = [
        _tile("stations", number(s["stations"])),
        _tile("duration", f"{number(s['duration_s'], 1)} s"),
        _tile("answers", number(s["messages"])),
        _tile("answers per second", number(s["msg_per_s"], 1)),
        _tile("p50 (all actions)", ms(s.get("p50_ms"))),
        _tile("p99 (all actions)", ms(s.get("p99_ms"))),
        _tile("max latency", ms(s.get("max_ms"))),
        _tile(f"errors (CALLERRORs and timeouts{share})", number(s["errors"]), bool(s["errors"])),
        _tile("timeouts", number(s["timeouts"]), bool(s["timeouts"])),
        _tile("connection failures", number(s["connect_failures"]), bool(s["connect_failures"])),
        _tile("disconnects", number(s.get("disconnects"))),
        _tile("inconsistencies", number(s.get("inconsistencies")), bool(s.get("inconsistencies"))),
        _tile("schema violations", number(s.get("violations")), bool(s.get("violations"))),
    ]
    return f'<h2>Summary</h2><div class="tiles">{"".join(tiles)}</div>'


def _actions(data: dict[str, Any]) -> str:
    if not data["actions"]:
        return '<h2>Latency by action</h2><p class="none">No call was made.</p>'
    rows = []
    for name, a in data["actions"].items():
        errors = f'<td class="num bad">{number(a["errors"])}</td>' if a["errors"] else number(a["errors"])
        rows.append((text(name), number(a["count"]), errors, number(a.get("timeouts")),
                     *(ms(a[key]) for key in ("p50_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms"))))
    headers = ("action", "calls", "errors", "timeouts", "p50", "p95", "p99", "p99.9", "max")
    return "<h2>Latency by action</h2>" + table(headers, rows, numeric=range(1, 9))


def _plots(data: dict[str, Any]) -> str:
    figures = [f"<figure><figcaption>{text(plot.title)}</figcaption>{render(plot, f'plot{i}')}</figure>"
               for i, plot in enumerate(plots(data))]
    return "<h2>Over time</h2>" + "".join(figures)


def _connections(data: dict[str, Any]) -> str:
    causes = data.get("connect_failures_by_cause") or {}
    conn = data.get("connections") or {}
    connect, reconnect = conn.get("connect_ms") or {}, conn.get("reconnect_ms") or {}
    parts = ["<h2>Connections</h2>",
             f'<p class="meta">{number(data["summary"].get("connect_attempts"))} attempts, '
             f'{number(data["summary"].get("connects"))} connected; handshake p50 {ms(connect.get("p50_ms"))}, '
             f'p99 {ms(connect.get("p99_ms"))}, max {ms(connect.get("max_ms"))}'
             + (f'; {number(conn.get("reconnects"))} reconnects, back in p50 {ms(reconnect.get("p50_ms"))}, '
                f'p99 {ms(reconnect.get("p99_ms"))}' if conn.get("reconnects") else "") + "</p>",
             "<h3>Connection failures by cause</h3>"]
    if causes:
        parts.append(table(("cause", "failures"), ((text(c), number(n)) for c, n in causes.items()), numeric=[1]))
    else:
        parts.append('<p class="none">None.</p>')
    return "".join(parts)


def _callerrors(data: dict[str, Any]) -> str:
    codes = data.get("callerrors_by_code") or {}
    if not codes:
        return '<h2>CALLERRORs by code</h2><p class="none">None.</p>'
    rows = ((f"<code>{text(code)}</code>", number(e["count"]),
             text(", ".join(f"{a} {n:,}" for a, n in e.get("actions", {}).items()))) for code, e in codes.items())
    return "<h2>CALLERRORs by code</h2>" + table(("code", "count", "by action"), rows, numeric=[1])


def _tally(title: str, entries: dict[str, Any], what: str) -> str:
    if not entries:
        return f'<h3>{title}</h3><p class="none">None.</p>'
    rows = ((text(name), number(e["count"]),
             '<ul class="examples">' + "".join(f"<li>{text(x)}</li>" for x in e.get("examples", [])) + "</ul>")
            for name, e in sorted(entries.items(), key=lambda item: -int(item[1]["count"])))
    return f"<h3>{title}</h3>" + table((what, "count", "first examples"), rows, numeric=[1])


def _consistency(data: dict[str, Any]) -> str:
    found = data.get("consistency") or {}
    return ("<h2>Consistency</h2>" + _tally("Inconsistencies", found.get("inconsistencies") or {}, "kind")
            + _tally("Schema violations (validated stations)", found.get("violations") or {}, "action"))


def load_html(data: dict[str, Any]) -> str:
    """The whole page for a ``load.json`` document."""
    sections = (_header, _verdicts, _summary, _actions, _plots, _connections, _callerrors, _consistency)
    body = "".join(section(data) for section in sections)
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>csmscheck load report</title><style>{CSS}</style></head><body><main>{body}</main></body></html>\n")
