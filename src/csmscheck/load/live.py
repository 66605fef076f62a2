"""The live terminal view of a load run: stations connected, messages/s, p99, errors, and the
CSMS's memory and CPU when they are sampled. Quiet when the output is no terminal."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from csmscheck.load.options import LoadOptions


class LiveView:
    def __init__(self, options: LoadOptions, *, enabled: bool) -> None:
        self.options = options
        self.console = Console(stderr=True)
        self.enabled = enabled and self.console.is_terminal
        self._live: Live | None = None

    def __enter__(self) -> LiveView:
        if self.enabled:
            self._live = Live(self._table([], None), console=self.console, refresh_per_second=2, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._live is not None:
            self._live.__exit__(kind, error, trace)

    def update(self, snapshots: list[dict[str, Any]], csms: str | None) -> None:
        """``snapshots``: one per process (Metrics.snapshot); ``csms``: its memory and CPU, if sampled."""
        if self._live is not None:
            self._live.update(self._table(snapshots, csms))

    def _table(self, snapshots: list[dict[str, Any]], csms: str | None) -> Table:
        def total(key: str) -> float:
            return sum(float(s.get(key) or 0) for s in snapshots)

        p99 = max((float(s["p99_ms"]) for s in snapshots if s.get("p99_ms") is not None), default=None)
        table = Table(title=f"csmscheck load · {self.options.profile.name} · {len(self.options.indices())} stations",
                      title_justify="left")
        for column in ("connected", "msg/s", "p99 ms (last s)", "errors", "timeouts", "connect failures", "CSMS"):
            table.add_column(column, justify="right")
        table.add_row(f"{total('connected'):.0f}", f"{total('msg_per_s'):.0f}",
                      "–" if p99 is None else f"{p99:.1f}", f"{total('errors'):.0f}", f"{total('timeouts'):.0f}",
                      f"{total('connect_failures'):.0f}", csms or "–")
        return table
