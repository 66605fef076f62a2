"""The load report's plots: matplotlib figures rendered to SVG for inlining in ``load.html``.

Figures are built with ``matplotlib.figure.Figure`` rather than pyplot: no GUI backend, no
global figure state (the SVG canvas draws them; nothing is ever shown). Long runs are
bucketed to at most MAX_POINTS points per line (p99 keeps each bucket's worst second).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

MAX_POINTS = 1500
COLORS = {"blue": "#2563eb", "orange": "#ea580c", "green": "#16a34a", "red": "#dc2626", "purple": "#7c3aed",
          "grey": "#6b7280"}
RC: dict[Any, Any] = {  # rcParams keys are Literal-typed in matplotlib's stubs
    "svg.fonttype": "none",  # text stays text: smaller, selectable, found by search
    "svg.hashsalt": "csmscheck-load",  # reproducible ids
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e5e7eb",
    "axes.edgecolor": "#9ca3af",
}


@dataclass(frozen=True)
class Line:
    label: str
    values: Sequence[float | None]
    color: str
    worst: bool = False  # bucketed by maximum (a percentile), else by mean


@dataclass(frozen=True)
class Plot:
    title: str
    ylabel: str
    lines: tuple[Line, ...]


def _bucket(values: Sequence[float | None], size: int, pick: Callable[[list[float]], float]) -> list[float]:
    out = []
    for start in range(0, len(values), size):
        present = [v for v in values[start:start + size] if v is not None]
        out.append(pick(present) if present else math.nan)  # NaN: a gap in the line
    return out


def _time_axis(seconds: int) -> tuple[float, str]:
    if seconds > 3 * 3600:
        return 3600.0, "hours since start"
    if seconds > 600:
        return 60.0, "minutes since start"
    return 1.0, "seconds since start"


def inline_svg(svg: str, prefix: str, label: str) -> str:
    """Matplotlib's SVG document as an element for an HTML page: no XML prolog, no namespace
    URLs, ids made unique per plot (several share one page), scaled by CSS."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'\s+xmlns(?::xlink)?="[^"]*"', "", svg)
    svg = svg.replace("xlink:href=", "href=")
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m[1]}"', svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m[1]}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m[1]})", svg)
    label = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return re.sub(r'^<svg width="[^"]*" height="[^"]*"', f'<svg class="plot" role="img" aria-label="{label}"', svg)


def render(plot: Plot, prefix: str) -> str:
    """One plot as an inline ``<svg>`` element."""
    # matplotlib takes ~0.5 s to import: only when a report is drawn.
    import matplotlib
    from matplotlib.figure import Figure

    seconds = max((len(line.values) for line in plot.lines), default=0)
    size = max(1, math.ceil(seconds / MAX_POINTS))
    divisor, xlabel = _time_axis(seconds)
    with matplotlib.rc_context(RC):
        figure = Figure(figsize=(11.0, 2.6), layout="constrained")  # ~page width: text stays ~page size
        axes = figure.subplots()
        for line in plot.lines:
            values = _bucket(line.values, size, max if line.worst else (lambda v: sum(v) / len(v)))
            times = [i * size / divisor for i in range(len(values))]
            axes.plot(times, values, label=line.label, color=COLORS[line.color], linewidth=1.3)
        axes.set_xlabel(xlabel)
        axes.set_ylabel(plot.ylabel)
        axes.set_xlim(left=0)
        axes.set_ylim(bottom=0)
        if len(plot.lines) > 1:
            axes.legend(loc="lower left", bbox_to_anchor=(0, 1), frameon=False, ncols=len(plot.lines))
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return inline_svg(buffer.getvalue(), prefix, plot.title)


def plots(load_json: dict[str, Any]) -> list[Plot]:
    """The plots a ``load.json`` has data for."""
    series = load_json["series"]

    def column(name: str) -> list[float | None]:
        return [row.get(name) for row in series]

    found = [
        Plot("Answers per second", "answers/s", (Line("answers", column("messages"), "blue"),)),
        Plot("Latency per second (all actions)", "ms", (Line("p50", column("p50_ms"), "blue"),
                                                         Line("p99", column("p99_ms"), "orange", worst=True))),
        Plot("Connected stations", "stations", (Line("connected", column("connected"), "green"),)),
        Plot("Errors per second", "per second", (Line("CALLERRORs", column("callerrors"), "red"),
                                                 Line("timeouts", column("timeouts"), "orange"),
                                                 Line("connection failures", column("connect_failures"), "purple"),
                                                 Line("disconnects", column("disconnects"), "grey"))),
    ]
    csms = load_json.get("csms", {})
    if any(v is not None for v in csms.get("rss_mb", [])):
        found.append(Plot("CSMS memory (RSS)", "MB", (Line("RSS", csms["rss_mb"], "purple", worst=True),)))
    if any(v is not None for v in csms.get("cpu", [])):
        found.append(Plot("CSMS CPU", "% of one core", (Line("CPU", csms["cpu"], "red"),)))
    return found
