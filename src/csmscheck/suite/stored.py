"""What the CSMS stored about a transaction, read back and compared with what the station sent.

After a transaction ends (the hook :func:`read_back_ended`, registered for the reusable states)
the suite reads the CSMS's view of it through the trigger API (``GET …/transactions/{id}``)
and compares it with the station's own account (:mod:`csmscheck.suite.sent_transactions`):
stop reason, meter start and stop, energy, start and stop times, the TransactionEvents
applied (each once), the final cost. A difference is a finding of a ``CSC-TX`` check; the
OCTT verdict is never touched. csmscheck's own transaction cases read back with
:func:`assert_stored` (or :func:`read_stored`) and fail on what they find.

It reads back only where it can: not in manual mode, not when the capabilities file leaves
out ``transaction_readback``, not once the CSMS answered that it does not serve the route.
A CSMS that stores asynchronously gets ``SETTLE_S`` seconds to show what it stored.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from csmscheck.checks import ExtraCheck
from csmscheck.checks import transactions as checks
from csmscheck.errors import NotApplicable, StepFailed
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.run_state import PerRun
from csmscheck.station.states.ended import on_transaction_end
from csmscheck.suite.capabilities import load_capabilities
from csmscheck.suite.sent_transactions import SentTransaction, sent_transaction
from csmscheck.timestamps import rfc3339
from csmscheck.trigger.client import HttpTrigger, TransactionNotStored, Trigger
from csmscheck.trigger.stored import StoredTransaction

SETTLE_S = 1.0  # how long a stored view may lag behind the answers the CSMS gave
_POLL_S = 0.1
TIME_TOLERANCE_S = 1.0  # a CSMS may keep whole seconds
ENERGY_TOLERANCE_WH = 1.0  # a CSMS may keep whole Wh (1.6 meter values are integers)
COST_TOLERANCE = 0.001
READBACK = "transaction_readback"
TARIFF = "tariff_cost"

Difference = tuple[ExtraCheck, str]


# -- what may be read back in this run ---------------------------------------------------------


@dataclass
class _ReadBack:
    route_missing: str | None = None  # why the CSMS cannot be read back (it does not serve the route)


_read_back: PerRun[_ReadBack] = PerRun(_ReadBack)


def declares(cfg: Settings, feature: str) -> bool:
    """The CSMS declares ``feature`` (no capabilities file: it declares everything)."""
    return cfg.capabilities is None or feature in load_capabilities(cfg.capabilities).declared


def readable(cfg: Settings) -> bool:
    """Whether what the CSMS stored can be read back in this run."""
    return (not cfg.manual and cfg.trigger is not None and declares(cfg, READBACK)
            and _read_back(cfg).route_missing is None)


def trigger_for(cfg: Settings) -> HttpTrigger:
    if cfg.trigger is None:
        raise NotApplicable("no trigger API to read back what the CSMS stored")
    return HttpTrigger(cfg.trigger, cfg.trigger_token, dialect=cfg.trigger_dialect)


# -- comparing ---------------------------------------------------------------------------------


def _time(moment: datetime | None) -> str:
    return "none" if moment is None else rfc3339(moment)


def _near(stored: datetime | None, sent: datetime, tolerance: float = TIME_TOLERANCE_S) -> bool:
    if stored is None:
        return False
    if stored.tzinfo is None:  # the documented shape: a time without a zone is UTC
        stored = stored.replace(tzinfo=UTC)
    return abs((stored - sent).total_seconds()) <= tolerance


def _quoted(value: str | None) -> str:
    return "none" if value is None else f'"{value}"'


def differences(sent: SentTransaction, stored: StoredTransaction) -> list[Difference]:
    """Every way the stored view differs from what the station sent, one sentence each.

    A field the CSMS leaves null is not compared (it does not keep it), except what it bills:
    the stop time and reason of a stopped transaction, its energy once the station metered a
    start and a stop, the final cost once the CSMS sent one.
    """
    found: list[Difference] = []

    def differ(check: ExtraCheck, what: str, expected: str, got: str) -> None:
        found.append((check, f"{what}: expected {expected}, got {got}"))

    if sent.stopped:
        if stored.stoppedReason != sent.stopped_reason:
            differ(checks.STOP_REASON_STORED, "stoppedReason", f"{_quoted(sent.stopped_reason)} (the station's "
                   "reason)", _quoted(stored.stoppedReason))
        if sent.stopped_at is not None and not _near(stored.stoppedAt, sent.stopped_at):
            differ(checks.TIMES_STORED, "stoppedAt", f"{_time(sent.stopped_at)} (when the station stopped it)",
                   _time(stored.stoppedAt))
    elif stored.stoppedAt is not None:
        differ(checks.TIMES_STORED, "stoppedAt", "none (the transaction is still running)", _time(stored.stoppedAt))
    if sent.started_at is not None and stored.startedAt is not None and not _near(stored.startedAt, sent.started_at):
        differ(checks.TIMES_STORED, "startedAt", f"{_time(sent.started_at)} (when the station started it)",
               _time(stored.startedAt))
    found += _meter_differences(sent, stored)
    found += _event_differences(sent, stored)
    if sent.final_cost is not None and (stored.totalCost is None
                                        or abs(stored.totalCost - sent.final_cost) > COST_TOLERANCE):
        differ(checks.COST_STORED, "totalCost", f"{sent.final_cost:g} (the final cost the CSMS sent the station)",
               "none" if stored.totalCost is None else f"{stored.totalCost:g}")
    for name, expected, got in (("evseId", sent.evse_id, stored.evseId),
                                ("connectorId", sent.connector_id, stored.connectorId),
                                ("idToken", sent.id_token, stored.idToken)):
        if expected is not None and got is not None and got != expected:
            differ(checks.TRANSACTION_STORED, name, f"{_quoted(expected) if isinstance(expected, str) else expected} "
                   "(as the station reported it)", _quoted(got) if isinstance(got, str) else str(got))
    if sent.charging_state is not None and stored.chargingState not in (None, sent.charging_state):
        differ(checks.EVENTS_APPLIED_ONCE, "chargingState", f"{_quoted(sent.charging_state)} (the latest the station "
               "reported, by event time)", _quoted(stored.chargingState))
    if sent.remote_start_id is not None and stored.remoteStartId is not None \
            and stored.remoteStartId != sent.remote_start_id:
        differ(checks.REMOTE_START_STORED, "remoteStartId", f"{sent.remote_start_id} (the station named it)",
               str(stored.remoteStartId))
    return found


def _meter_differences(sent: SentTransaction, stored: StoredTransaction) -> list[Difference]:
    found: list[Difference] = []
    check = checks.METER_STORED
    for name, expected, got in (("meterStartWh", sent.meter_start_wh, stored.meterStartWh),
                                ("meterStopWh", sent.meter_stop_wh, stored.meterStopWh)):
        if expected is not None and got is not None and abs(got - expected) > ENERGY_TOLERANCE_WH:
            found.append((check, f"{name}: expected {expected:g} Wh (the register the station reported), "
                                 f"got {got:g}"))
    start, stop, energy = stored.meterStartWh, stored.meterStopWh, stored.energyWh
    if sent.stopped and start is not None and stop is not None and energy is not None \
            and abs(energy - (stop - start)) > ENERGY_TOLERANCE_WH:
        found.append((check, f"energyWh: expected {stop - start:g} (meterStopWh {stop:g} - meterStartWh {start:g}), "
                             f"got {energy:g}"))
    if sent.stopped and sent.meter_start_wh is not None and sent.meter_stop_wh is not None:
        # The energy billed is the one value a stopped transaction's read-back must state.
        metered = sent.meter_stop_wh - sent.meter_start_wh
        if energy is None or abs(energy - metered) > ENERGY_TOLERANCE_WH:
            found.append((check, f"energyWh: expected {metered:g} (the station metered {sent.meter_start_wh:g} Wh "
                                 f"at the start and {sent.meter_stop_wh:g} Wh at the stop), got "
                                 f"{'none' if energy is None else f'{energy:g}'}"))
    return found


def _event_differences(sent: SentTransaction, stored: StoredTransaction) -> list[Difference]:
    if sent.version != "2.0.1" or stored.events is None:
        return []
    check = checks.EVENTS_APPLIED_ONCE
    found: list[Difference] = []
    seen: dict[int, int] = {}
    for event in stored.events:
        seen[event.seqNo] = seen.get(event.seqNo, 0) + 1
    twice = sorted(seq for seq, count in seen.items() if count > 1)
    if twice:
        found.append((check, f"events: expected each seqNo once, got seqNo {', '.join(map(str, twice))} applied "
                             f"more than once"))
    missing = sorted(set(sent.events) - set(seen))
    if missing:
        found.append((check, f"events: expected seqNo {', '.join(map(str, missing))} applied (the CSMS answered "
                             f"them), got none"))
    extra = sorted(set(seen) - set(sent.events))
    if extra:
        found.append((check, f"events: expected only the seqNos the station sent, got seqNo "
                             f"{', '.join(map(str, extra))} as well"))
    for event in stored.events:
        mine = sent.events.get(event.seqNo)
        if mine is None:
            continue
        if (event.eventType, event.triggerReason) != (mine.event_type, mine.trigger_reason):
            found.append((check, f"events: seqNo {event.seqNo}: expected {mine.event_type} ({mine.trigger_reason}), "
                                 f"got {event.eventType} ({event.triggerReason})"))
        elif not _near(event.timestamp, mine.timestamp):
            found.append((checks.TIMES_STORED, f"events: seqNo {event.seqNo} timestamp: expected "
                                               f"{_time(mine.timestamp)}, got {_time(event.timestamp)}"))
    return found


# -- reading back ------------------------------------------------------------------------------


async def read_stored(trigger: Trigger, station: Station, transaction_id: str,
                      sent: SentTransaction | None = None) -> StoredTransaction | None:
    """The CSMS's view of the transaction (None in manual mode). With ``sent``, a view that still differs
    is read again for up to ``SETTLE_S`` seconds (a CSMS may store after it answered).

    Raises NotApplicable when the CSMS does not serve the route, TransactionNotStored when it
    does not know the transaction, StepFailed when the answer is not the documented shape.
    """
    deadline = asyncio.get_running_loop().time() + SETTLE_S
    while True:
        try:
            stored = await trigger.transaction(station.version, station.id, transaction_id)
        except TransactionNotStored:
            if asyncio.get_running_loop().time() >= deadline:
                raise
            stored = None
        else:
            if stored is None or sent is None or not differences(sent, stored):
                return stored
            if asyncio.get_running_loop().time() >= deadline:
                return stored
        await asyncio.sleep(_POLL_S)  # polling the stored view with a deadline, not waiting for a frame


def _final_cost_sent(station: Station, sent: SentTransaction) -> None:
    """CSC-201-I-02: a CSMS that runs tariffs answers the Ended event of a transaction it authorized with totalCost."""
    if sent.version != "2.0.1" or not sent.stopped or not sent.authorized or not declares(station.cfg, TARIFF):
        return
    ended = next((e for e in sent.events.values() if e.event_type == "Ended"), None)
    if ended is not None:
        station.findings.check(
            checks.FINAL_COST_SENT, "totalCost" in ended.response,
            f"TransactionEventResponse to the Ended event (seqNo {ended.seq_no}) of transaction "
            f"{sent.transaction_id}: totalCost: expected the final cost (the CSMS declares tariff_cost), got none")


@on_transaction_end
async def read_back_ended(station: Station, transaction_id: str) -> None:
    """After a transaction ended: findings for every way what the CSMS stored differs from what the station sent."""
    sent = sent_transaction(station, transaction_id)
    if sent is None:
        return
    _final_cost_sent(station, sent)
    if not readable(station.cfg):
        return
    label = f"Read back transaction {transaction_id} (what the CSMS stored)"
    trigger = trigger_for(station.cfg)
    try:
        stored = await read_stored(trigger, station, transaction_id, sent)
    except NotApplicable as exc:
        _read_back(station.cfg).route_missing = str(exc)
        return
    except StepFailed as exc:
        station.findings.check(checks.TRANSACTION_STORED, False, f"{label}: {exc}")
        return
    finally:
        await trigger.close()
    if stored is not None:
        for check, message in differences(sent, stored):
            station.findings.check(check, False, f"{label}: {message}")


async def assert_stored(station: Station, trigger: Trigger, transaction_id: str, label: str) -> StoredTransaction:
    """csmscheck's own cases: read the transaction back and fail ``label`` on every difference from what the
    station sent. Not applicable where nothing can be read back (manual mode, the route not served)."""
    sent = sent_transaction(station, transaction_id)
    if sent is None:
        raise StepFailed(f"{label}: the CSMS answered no message of transaction {transaction_id}")
    try:
        stored = await read_stored(trigger, station, transaction_id, sent)
    except StepFailed as exc:
        raise StepFailed(f"{label}: {exc}") from None
    if stored is None:
        raise NotApplicable("in manual mode nothing reads back what the CSMS stored")
    problems = differences(sent, stored)
    if problems:
        raise StepFailed(f"{label}: " + "; ".join(message for _check, message in problems))
    return stored
