"""What every scan check works with: the settings, the stations it connects as, and the recorder of verdicts."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from csmscheck.settings import Settings
from csmscheck.station.station import Endpoint, Station
from csmscheck.verdicts import Finding, Rule, Verdicts
from csmscheck.wire.versions import OcppVersion

Printer = Callable[[str], None]


@dataclass
class Recorder:
    """Collects the verdict of every check and prints one line per check as it concludes.

    ``notes`` hold what informational rules observed; ``not_applicable`` the rules that could not run and why.
    """

    out: Printer = print
    verdicts: Verdicts = field(default_factory=Verdicts)
    notes: list[dict[str, str]] = field(default_factory=list)
    not_applicable: dict[str, str] = field(default_factory=dict)

    def _line(self, mark: str, rule: Rule, where: str, text: str) -> None:
        self.out(f"  {mark:<8} {rule.id:<13} {where}: {text}")

    def passed(self, rule: Rule, where: str, how: str) -> None:
        self.verdicts.checked(rule)
        self._line("ok", rule, where, how)

    def finding(self, rule: Rule, where: str, sent: str, received: str, message: str) -> None:
        self.verdicts.checked(rule)
        self.verdicts.add(Finding(rule, sent, received, f"{where}: {message}", reproduce=f"csmscheck scan ({where})"))
        self._line("FINDING", rule, where, message)

    def note(self, rule: Rule, where: str, observed: str) -> None:
        self.verdicts.checked(rule)
        self.notes.append({"rule": rule.id, "title": rule.title, "reference": rule.reference, "where": where,
                           "observed": observed})
        self._line("info", rule, where, observed)

    def skip(self, rule: Rule, where: str, reason: str) -> None:
        self.not_applicable[f"{rule.id} ({where})"] = reason
        self._line("n/a", rule, where, reason)

    def skip_all(self, skipped: Sequence[Rule], where: str, reason: str) -> None:
        """Several rules that cannot run for one reason, in one line."""
        for rule in skipped:
            self.not_applicable[f"{rule.id} ({where})"] = reason
        self.out(f"  {'n/a':<8} {skipped[0].id} … {skipped[-1].id} {where}: {reason}")

    def summary(self) -> dict[str, Any]:
        return {"informational": self.notes, "not_applicable": self.not_applicable}


@dataclass
class ScanContext:
    """The run's settings (targets, station ids, password, PKI), the OCPP version the stations speak, the recorder."""

    cfg: Settings
    record: Recorder
    version: OcppVersion = "2.0.1"

    def endpoint(self, profile: int) -> str | None:
        return {1: self.cfg.target, 2: self.cfg.target_sp2, 3: self.cfg.target_sp3}[profile]

    def station_id(self, profile: int) -> str:
        """The configured station of ``profile`` (1.6 has none of its own for profile 2: CP16_SP1 stands in)."""
        if self.version == "1.6":
            return self.cfg.cp16_sp3 if profile == 3 else self.cfg.cp16_sp1
        return {1: self.cfg.cp201_sp1, 2: self.cfg.cp201_sp2, 3: self.cfg.cp201_sp3}[profile]

    @asynccontextmanager
    async def station(self, station_id: str, url: str, password: str | None = None,
                      ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[Station]:
        """A station of the scan's version that is closed when the check is done with it."""
        station = Station(station_id, self.version, self.cfg, Endpoint(url, password, ssl_context))
        try:
            yield station
        finally:
            if station.session.connected:  # one the CSMS closed is done (closing it again can trip websockets)
                await station.close()
