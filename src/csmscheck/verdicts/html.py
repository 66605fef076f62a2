"""One self-contained HTML page (inline CSS, no script): findings grouped by rule, every text escaped."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from csmscheck.report.model import printable
from csmscheck.verdicts.model import Finding, Rule, Verdicts

CSS = """
body { margin: 0; font: 14px/1.5 system-ui, sans-serif; color: #111827; background: #f8fafc; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
header, section { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 12px 18px;
  margin-bottom: 14px; }
header.passed, section.passed { border-left: 6px solid #15803d; }
header.failed, section.failed { border-left: 6px solid #b91c1c; }
h1 { font-size: 20px; margin: 0 0 6px; } h2 { font-size: 15px; margin: 0; }
.ref, .meta { color: #6b7280; } .meta b { color: #111827; }
pre { background: #f3f4f6; padding: 6px 8px; white-space: pre-wrap; word-break: break-all; margin: 2px 0 8px; }
.finding { border-top: 1px solid #e5e7eb; padding-top: 6px; margin-top: 6px; }
"""
MAX_SHOWN = 20  # findings shown per rule; the JSON report has all of them
MAX_TEXT = 4000  # characters of a frame shown (a size-limit probe can be a megabyte)


def _text(value: str) -> str:
    cut = value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + f"… ({len(value)} characters)"
    return escape(printable(cut))


def _finding(finding: Finding) -> str:
    parts = [f'<div class="finding"><div>{_text(finding.message)}</div>',
             f"<div>sent</div><pre>{_text(finding.sent)}</pre>",
             f"<div>received</div><pre>{_text(finding.received)}</pre>"]
    if finding.reproduce:
        parts.append(f'<div class="ref">reproduce: <code>{_text(finding.reproduce)}</code></div>')
    return "".join(parts) + "</div>"


def _rule(rule: Rule, verdicts: Verdicts) -> str:
    found = verdicts.findings(rule.id)
    state = "failed" if found else "passed"
    head = (f'<section class="{state}"><h2>{_text(rule.id)} — {_text(rule.title)}</h2>'
            f'<div class="ref">{_text(rule.reference)} · checked {verdicts.checks.get(rule.id, 0)} time(s) · '
            f"{len(found)} finding(s)</div>")
    body = "".join(_finding(f) for f in found[:MAX_SHOWN])
    if len(found) > MAX_SHOWN:
        body += f'<div class="ref">… and {len(found) - MAX_SHOWN} more in the JSON report</div>'
    return head + body + "</section>"


def html_page(title: str, verdicts: Verdicts, summary: dict[str, Any] | None = None) -> str:
    state = "failed" if verdicts else "passed"
    facts = {**(summary or {}), "rules": len(verdicts.rules), "passed": verdicts.passed, "failed": verdicts.failed,
             "findings": len(verdicts.findings())}
    meta = " · ".join(f"{_text(str(k))} <b>{_text(str(v))}</b>" for k, v in facts.items())
    failed = verdicts.failed_rules()
    ordered = failed + [r for r in verdicts.rules if r not in failed]
    sections = "".join(_rule(r, verdicts) for r in ordered)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_text(title)}</title>'
            f'<style>{CSS}</style></head><body><main><header class="{state}"><h1>{_text(title)}</h1>'
            f'<p class="meta">{meta}</p></header>{sections}</main></body></html>\n')


def write_html(path: Path, title: str, verdicts: Verdicts, summary: dict[str, Any] | None = None) -> None:
    path.write_text(html_page(title, verdicts, summary), encoding="utf-8")
