"""The sequence diagram as a self-contained inline ``<svg>`` (no script, no fonts, no network)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from csmscheck.report.model import (
    Step,
    describe_frames,
    failing_step,
    failure_headline,
    printable,
    shorten,
    station_ids,
)
from csmscheck.wire.transcript import FrameRecord

GUTTER = 76  # left column holding the relative time of each frame
TOP = 16
BOX_H = 30
FIRST_ROW = TOP + BOX_H + 34
ROW_H = 30
CHAR_W = 6.6  # rough width of one 12px sans-serif character
MIN_COL, MAX_COL = 170, 460
TOOLTIP_CHARS = 400

INK = "#1f2937"
MUTED = "#6b7280"
RED = "#dc2626"
BOX_FILL = "#eef2ff"
NOTE_FILL = "#f1f5f9"
NOTE_STROKE = "#94a3b8"
FAILED_FILL = "#fee2e2"
BOX_STROKE = "#6366f1"
HALO = 'stroke="#fff" stroke-width="4" stroke-linejoin="round" paint-order="stroke"'
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


@dataclass(frozen=True, slots=True)
class _Style:
    colour: str
    dashed: bool
    cross: bool


STYLES = {
    "call": _Style(INK, dashed=False, cross=False),
    "result": _Style(MUTED, dashed=True, cross=False),
    "error": _Style(RED, dashed=True, cross=True),
    "malformed": _Style(RED, dashed=False, cross=True),
}


def _text(value: str) -> str:
    """Escape for SVG text and attribute values (control characters made visible)."""
    return escape(printable(value), quote=True)


def _column_width(steps: list[Step]) -> int:
    longest = max((len(step.label) for step in steps), default=0)
    return int(min(MAX_COL, max(MIN_COL, longest * CHAR_W + 48)))


def _participant(x: float, name: str, col: int, height: int) -> str:
    width = col - 24
    label = shorten(name or "(unnamed)", max(4, int((width - 16) / 7.5)))
    return (
        f'<line x1="{x:.0f}" y1="{TOP + BOX_H}" x2="{x:.0f}" y2="{height - 8}" '
        f'stroke="#cbd5e1" stroke-dasharray="4 4"/>'
        f'<rect x="{x - width / 2:.0f}" y="{TOP}" width="{width}" height="{BOX_H}" rx="5" '
        f'fill="{BOX_FILL}" stroke="{BOX_STROKE}"/>'
        f'<text x="{x:.0f}" y="{TOP + BOX_H / 2 + 5:.0f}" text-anchor="middle" '
        f'font-size="13" font-weight="600" fill="{INK}"><title>{_text(name)}</title>'
        f"{_text(label)}</text>"
    )


def _head(x2: float, y: float, sign: int, style: _Style) -> str:
    """Arrowhead (filled triangle) or, for errors, a cross at the line's end."""
    c = style.colour
    if style.cross:
        cx = x2 - sign * 6
        return (
            f'<path d="M{cx - 5:.0f} {y - 5:.0f}L{cx + 5:.0f} {y + 5:.0f}'
            f'M{cx - 5:.0f} {y + 5:.0f}L{cx + 5:.0f} {y - 5:.0f}" stroke="{c}" stroke-width="2"/>'
        )
    back = x2 - sign * 9
    return f'<path d="M{x2:.0f} {y:.0f}L{back:.0f} {y - 4.5}L{back:.0f} {y + 4.5}Z" fill="{c}"/>'


def _arrow(step: Step, x1: float, x2: float, y: float, t0: float) -> str:
    style = STYLES[step.kind]
    sign = 1 if x2 > x1 else -1
    dash = ' stroke-dasharray="6 4"' if style.dashed else ""
    end = x2 - sign * (1 if style.cross else 8)
    weight = "600" if step.kind == "call" else "400"
    ms = (step.frame.t - t0) * 1000
    return (
        f"<g><title>{_text(shorten(step.frame.text, TOOLTIP_CHARS))}</title>"
        f'<text x="{GUTTER - 10}" y="{y + 4:.0f}" text-anchor="end" font-size="11" '
        f'fill="{MUTED}">+{ms:.0f} ms</text>'
        f'<line x1="{x1:.0f}" y1="{y:.0f}" x2="{end:.0f}" y2="{y:.0f}" stroke="{style.colour}" '
        f'stroke-width="1.5"{dash}/>'
        f"{_head(x2, y, sign, style)}"
        f'<text x="{(x1 + x2) / 2:.0f}" y="{y - 6:.0f}" text-anchor="middle" font-size="12" '
        f'font-weight="{weight}" fill="{style.colour}" {HALO}>{_text(step.label)}</text></g>'
    )


def _note(step: Step, x1: float, x2: float, y: float, t0: float, bounds: tuple[float, float]) -> str:
    """A connection event: a box across the station's and the CSMS's lifelines, wide enough for its text."""
    middle = (x1 + x2) / 2
    half = max(abs(x2 - x1) / 2 + 60, len(step.label) * CHAR_W * 0.95 / 2 + 12)
    left, right = max(bounds[0], middle - half), min(bounds[1], middle + half)
    return (
        f"<g><title>{_text(step.frame.text)}</title>"
        f'<text x="{GUTTER - 10}" y="{y + 4:.0f}" text-anchor="end" font-size="11" '
        f'fill="{MUTED}">+{(step.frame.t - t0) * 1000:.0f} ms</text>'
        f'<rect x="{left:.0f}" y="{y - 11:.0f}" width="{right - left:.0f}" height="20" rx="4" '
        f'fill="{NOTE_FILL}" stroke="{NOTE_STROKE}"/>'
        f'<text x="{(left + right) / 2:.0f}" y="{y + 4:.0f}" text-anchor="middle" font-size="11.5" '
        f'font-style="italic" fill="{INK}">{_text(step.label)}</text></g>'
    )


def _failure(message: str, left: float, right: float, y: float) -> str:
    """The note under the step at which the case failed."""
    return (
        f'<g><title>{_text(message)}</title>'
        f'<rect x="{left:.0f}" y="{y - 11:.0f}" width="{right - left:.0f}" height="20" rx="4" '
        f'fill="{FAILED_FILL}" stroke="{RED}"/>'
        f'<text x="{(left + right) / 2:.0f}" y="{y + 4:.0f}" text-anchor="middle" font-size="11.5" '
        f'font-weight="600" fill="{RED}">✗ {_text(failure_headline(message))}</text></g>'
    )


def _highlight(left: float, right: float, y: float) -> str:
    return (f'<rect x="{left:.0f}" y="{y - ROW_H / 2 - 2:.0f}" width="{right - left:.0f}" '
            f'height="{ROW_H}" rx="4" fill="{FAILED_FILL}"/>')


def _svg_open(width: int, height: int, label: str, xmlns: bool) -> str:
    ns = ' xmlns="http://www.w3.org/2000/svg"' if xmlns else ""
    return (
        f'<svg{ns} class="sequence" role="img" aria-label="{_text(label)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{FONT}">'
    )


def sequence_svg(frames: list[FrameRecord], csms_label: str = "CSMS", *, xmlns: bool = False,
                 failed_at: float | None = None, failure: str = "") -> str:
    """Draw the frames as a sequence diagram: stations and CSMS as lifelines, one arrow per frame.

    CALLs are solid, replies dashed, CALLERRORs and malformed frames red with a cross;
    connection events (connect, refusal, close) are notes across the lifelines. With
    ``failed_at`` the step at which the case failed is shaded red and followed by a red
    note with the ``failure``. ``xmlns`` adds the SVG namespace, needed only when the
    markup is saved as a ``.svg`` file; inline in HTML it is not needed.
    """
    steps = describe_frames(frames)
    stations = station_ids(frames)
    col = _column_width([s for s in steps if s.kind != "event"])
    names = [*stations, csms_label]
    xs = {name: GUTTER + col * (i + 0.5) for i, name in enumerate(stations)}
    csms_x = GUTTER + col * (len(stations) + 0.5)
    failed = failing_step(steps, failed_at)
    rows = max(len(steps) + (failed is not None), 1)
    width = int(GUTTER + col * len(names) + 8)
    height = FIRST_ROW + rows * ROW_H
    parts = [_svg_open(width, height, f"Sequence diagram, {len(steps)} frames", xmlns)]
    parts += [_participant(x, name, col, height) for name, x in xs.items()]
    parts.append(_participant(csms_x, csms_label, col, height))
    if not steps:
        parts.append(
            f'<text x="{csms_x:.0f}" y="{FIRST_ROW:.0f}" text-anchor="middle" font-size="12" '
            f'font-style="italic" fill="{MUTED}">no frames exchanged</text>'
        )
    t0 = frames[0].t if frames else 0.0
    span = (GUTTER + 4, width - 4)
    row = 0
    if failed == -1:
        parts.append(_failure(failure, *span, FIRST_ROW))
        row += 1
    for index, step in enumerate(steps):
        y = FIRST_ROW + row * ROW_H
        station_x = xs[step.station_id]
        x1, x2 = (station_x, csms_x) if step.direction == "out" else (csms_x, station_x)
        if index == failed:
            parts.append(_highlight(*span, y))
        parts.append(_note(step, x1, x2, y, t0, span) if step.kind == "event" else _arrow(step, x1, x2, y, t0))
        row += 1
        if index == failed:
            parts.append(_failure(failure, *span, FIRST_ROW + row * ROW_H))
            row += 1
    parts.append("</svg>")
    return "".join(parts)
