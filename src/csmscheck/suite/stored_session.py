"""What a whole session must read back as, in either OCPP version: the figures a bill rests on.

The end-to-end cases know how a session really went (they played it): when it started and
stopped, the registers at its start and at its stop (or latest), why it stopped. The CSMS's
stored view (the trigger API's read-back) must show exactly that, to the second and to the
Wh, and the cost the suite works out itself (:mod:`csmscheck.suite.bill`). Every difference
is one sentence naming the field, what was expected and what came.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from csmscheck.errors import StepFailed
from csmscheck.settings import Settings
from csmscheck.suite.bill import check_bill
from csmscheck.suite.stored import TIME_TOLERANCE_S
from csmscheck.timestamps import rfc3339
from csmscheck.trigger.stored import StoredTransaction

ENERGY_EXACT_WH = 0.5  # the sessions' energies are whole Wh: a CSMS that keeps whole Wh still has them exactly


@dataclass(frozen=True)
class Happened:
    """A session as it happened. ``stopped`` None: still running (``latest_wh`` is then the latest register).
    ``clock``: how the station's clock wrote an instant, when not in UTC (named beside the instant).
    ``events``: the 2.0.1 TransactionEvents sent (seqNo 0 to events - 1), each to be applied once."""

    started: datetime
    start_wh: float
    latest_wh: float
    stopped: datetime | None = None
    reason: str | None = None
    clock: Callable[[datetime], str] | None = None
    events: int | None = None

    @property
    def energy_wh(self) -> float:
        return self.latest_wh - self.start_wh

    @property
    def seconds(self) -> float:
        """How long it lasted, instant to instant (0 while it runs)."""
        return 0.0 if self.stopped is None else (self.stopped - self.started).total_seconds()

    def instant(self, moment: datetime) -> str:
        written = "" if self.clock is None else f" ({self.clock(moment)} on the station's clock)"
        return rfc3339(moment) + written


def _utc(moment: datetime) -> datetime:
    """A stored time without a zone is UTC (the read-back's documented shape)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _figure(value: float) -> str:
    """A figure in full (a register of millions of Wh, a duration of days), never as 3.15e+07."""
    return format(value, ".15g")


def _when(moment: datetime | None) -> str:
    return "none" if moment is None else rfc3339(_utc(moment))


def _off(stored: datetime | None, expected: datetime) -> bool:
    return stored is None or abs((_utc(stored) - expected).total_seconds()) > TIME_TOLERANCE_S


def session_problems(stored: StoredTransaction, happened: Happened, cfg: Settings) -> list[str]:
    """Every way the stored session is not the one that happened: the 2.0.1 events applied, stop reason, start
    and stop instants, the duration the CSMS states, registers, energy and (once stopped) the cost; one sentence
    each."""
    found: list[str] = []
    if stored.events is not None and happened.events is not None:
        seqs = sorted(event.seqNo for event in stored.events)
        if seqs != list(range(happened.events)):
            found.append(f"events: expected seqNo 0 to {happened.events - 1} each applied once, got seqNo "
                         f"{', '.join(map(str, seqs)) or 'none'}")
    if stored.stoppedReason != happened.reason:
        want = "none (it is still running)" if happened.reason is None else f'"{happened.reason}"'
        got = "none" if stored.stoppedReason is None else f'"{stored.stoppedReason}"'
        found.append(f"stoppedReason: expected {want}, got {got}")
    if _off(stored.startedAt, happened.started):
        found.append(f"startedAt: expected {happened.instant(happened.started)}, got {_when(stored.startedAt)}")
    if happened.stopped is None:
        if stored.stoppedAt is not None:
            found.append(f"stoppedAt: expected none (it is still running), got {_when(stored.stoppedAt)}")
    elif _off(stored.stoppedAt, happened.stopped):
        found.append(f"stoppedAt: expected {happened.instant(happened.stopped)}, got {_when(stored.stoppedAt)}")
    if happened.stopped is not None and stored.durationS is not None:
        lasted = happened.seconds
        if abs(stored.durationS - lasted) > TIME_TOLERANCE_S:
            found.append(f"durationS: expected {_figure(lasted)} s (the time that passed from start to stop), got "
                         f"{_figure(stored.durationS)}")
    registers: list[tuple[str, float | None, float | None]] = [
        ("meterStartWh", happened.start_wh, stored.meterStartWh),
        ("meterStopWh", happened.latest_wh if happened.stopped else None, stored.meterStopWh)]
    for name, reported, kept in registers:
        if reported is not None and kept is not None and abs(kept - reported) > ENERGY_EXACT_WH:
            found.append(f"{name}: expected {_figure(reported)} Wh (the register the station reported), "
                         f"got {_figure(kept)}")
    if stored.energyWh is None or abs(stored.energyWh - happened.energy_wh) > ENERGY_EXACT_WH:
        got = "none" if stored.energyWh is None else _figure(stored.energyWh)
        found.append(f"energyWh: expected {_figure(happened.energy_wh)} (register {_figure(happened.latest_wh)} Wh "
                     f"- start {_figure(happened.start_wh)} Wh), got {got}")
    if happened.stopped is not None:
        try:
            check_bill(stored.totalCost, cfg, happened.energy_wh, "totalCost", happened.seconds)
        except StepFailed as exc:
            found.append(str(exc))
    return found
