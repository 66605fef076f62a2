"""End-to-end OCPP 1.6J charging sessions (E2E16_01 and on): whole sessions checked to the second and the cent.

Each case plays a charge point through a session as one sends it in the field (status changes,
authorization, the transaction, its meter values, the stop) and then reads back through the
trigger API what the Central System will bill and report: the energy (meterStop - meterStart),
the start and stop instants, the duration between them, the stop reason and the cost. The
cost is worked out by the suite itself (:mod:`csmscheck.suite.bill`) from the tariff the
settings name, with energies whose exact cost ends in half a cent, so a bill rounded the
wrong way shows.

The sessions happened in the past and their timestamps say when: nothing waits real time.
They cover local midnight and both daylight-saving changes with the charge point's clock in
a zone other than UTC, two transactions at once, a session without energy, a connection lost
mid-session (and a transaction started offline) with the queued messages delivered late,
every stop reason the schema allows, and a meter series read back reading by reading. Each
charge point register starts at a fresh random value, so a long-running Central System never
mistakes a case's transaction for one of an earlier run. A failure fails the run.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from csmscheck.errors import NotApplicable, StepFailed
from csmscheck.station import Station
from csmscheck.station.states import v16 as states
from csmscheck.station.v16 import Payload
from csmscheck.suite.bill import half_cent_energy, local_time
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.stored import ENERGY_TOLERANCE_WH, READBACK, TARIFF, assert_stored
from csmscheck.suite.stored_session import Happened, session_problems
from csmscheck.suite.v16.transaction_steps import (
    Build,
    OfflineQueue,
    energy_so_far,
    meter_values,
    read_back,
    register,
    start,
    start_request,
    stop,
    stop_reasons,
    stop_request,
)
from csmscheck.timestamps import rfc3339

FEATURES = [READBACK, TARIFF]
BERLIN = "Europe/Berlin"
Write = Callable[[datetime], str]  # how the charge point writes an instant


class Steps:
    """Numbers a case's steps as it goes: ``steps("StartTransaction.conf")`` is "Step 1: StartTransaction.conf"."""

    def __init__(self) -> None:
        self.number = 0

    def __call__(self, what: str) -> str:
        self.number += 1
        return f"Step {self.number}: {what}"


@dataclass(frozen=True)
class Session:
    """One transaction as the charge point lived it: when it began and ended, its registers, its reason (None: the
    StopTransaction.req leaves it out) and its clock (None: UTC, written with Z; else how it writes an instant)."""

    began: datetime
    ended: datetime
    meter_start: int
    meter_stop: int
    reason: str | None = "Local"
    clock: Write | None = None

    @classmethod
    def between(cls, began: datetime, ended: datetime, meter_start: int, energy_wh: int, *,
                clock: Write | None = None, reason: str | None = "Local") -> Session:
        return cls(began, ended, meter_start, meter_start + energy_wh, reason, clock)

    def written(self, moment: datetime) -> str:
        """``moment`` as the charge point's clock writes it."""
        return rfc3339(moment) if self.clock is None else self.clock(moment)

    @property
    def start(self) -> str:
        return self.written(self.began)

    @property
    def stop(self) -> str:
        return self.written(self.ended)

    @property
    def energy_wh(self) -> int:
        return self.meter_stop - self.meter_start

    @property
    def happened(self) -> Happened:
        """What the Central System must have stored (no reason sent: Local)."""
        return Happened(self.began, self.meter_start, self.meter_stop, self.ended, self.reason or "Local", self.clock)


def fresh_register() -> int:
    """A charge point's energy register at the start of a session: a fresh value per case (Wh, well within int32)."""
    return 1_000_000 + secrets.randbelow(50_000_000)


def minutes_ago(minutes: float) -> datetime:
    """A whole-second instant ``minutes`` ago."""
    return (datetime.now(UTC) - timedelta(minutes=minutes)).replace(microsecond=0)


async def check_session(station: Station, csms: Csms, transaction_id: int, session: Session, step: str) -> None:
    """Read the transaction back: what is billed must be the session's, and the rest what the charge point sent."""
    label = f"{step}: read back transaction {transaction_id}"
    stored = await read_back(station, csms, transaction_id, label)
    problems = session_problems(stored, session.happened, station.cfg)
    if problems:
        raise StepFailed(f"{label}: " + "; ".join(problems))
    await assert_stored(station, csms.trigger, str(transaction_id), label)


async def status(station: Station, connector_id: int, state: str, at: str, step: str) -> None:
    """A StatusNotification.req of the connector, stamped as the charge point's clock showed it."""
    await states.checked_call(station, "StatusNotification", {"connectorId": connector_id, "errorCode": "NoError",
                                                              "status": state, "timestamp": at}, step)


async def send_reading(station: Station, transaction_id: int, wh: int, at: str, step: str,
                       connector_id: int | None = None) -> None:
    """A MeterValues.req of the transaction: the register (Sample.Periodic) at ``at``."""
    payload = meter_values(station, transaction_id, at, *register(wh, at)["sampledValue"], connector_id=connector_id)
    await states.checked_call(station, "MeterValues", payload, step)


async def whole_session(station: Station, csms: Csms, steps: Steps, session: Session,
                        readings: Sequence[tuple[datetime, int]] = ()) -> int:
    """StartTransaction, a MeterValues.req per reading (when, register), StopTransaction, then the read-back."""
    transaction_id = await start(station, steps(f"StartTransaction.conf (at {session.start})"), session.meter_start,
                                 timestamp=session.start, accepted=True)
    for moment, wh in readings:
        at = session.written(moment)
        await send_reading(station, transaction_id, wh, at, steps(f"MeterValues.conf (register {wh} Wh at {at})"))
    reason = "left out" if session.reason is None else session.reason
    await stop(station, steps(f"StopTransaction.conf (at {session.stop}, reason {reason})"), transaction_id,
               session.meter_stop, reason=session.reason, timestamp=session.stop)
    await check_session(station, csms, transaction_id, session, steps("what the Central System stored"))
    return transaction_id


def other_connector(station: Station) -> int:
    cfg = station.cfg
    other = next((c for c in range(1, cfg.number_of_evses + 1) if c != cfg.connector_id), None)
    if other is None:
        raise NotApplicable("the charge point is configured with one connector (CONFIGURED_NUMBER_OF_EVSES)")
    return other


def _known(transaction_id: int | None) -> int:
    if transaction_id is None:  # a queue keeps a transaction's messages behind its StartTransaction.req
        raise StepFailed("the charge point queued a message of a transaction it has no id for")
    return transaction_id


def queued_reading(station: Station, wh: int, moment: datetime) -> Build:
    """A MeterValues.req kept offline: the register at ``moment``, for the transaction id known when it is sent."""
    return lambda tx: meter_values(station, _known(tx), moment, *register(wh, moment)["sampledValue"])


# -- the cases ------------------------------------------------------------------------------------------------


@octt("E2E16_01", reqs=["OCPP 1.6 §4.2", "OCPP 1.6 §4.7", "OCPP 1.6 §4.8", "OCPP 1.6 §4.9", "OCPP 1.6 §4.10"],
      features=FEATURES)
async def test_e2e16_01(station: Station, csms: Csms) -> None:
    """A whole session: plug in, authorize, charge with periodic meter values, stop with transaction data, unplug."""
    cfg, steps = station.cfg, Steps()
    connector = cfg.connector_id
    began, ended = minutes_ago(50), minutes_ago(5)
    energy = half_cent_energy(cfg, 12_000, (ended - began).total_seconds())
    session = Session.between(began, ended, fresh_register(), energy, reason="EVDisconnected")
    halfway, middle = began + (ended - began) / 2, session.meter_start + session.energy_wh // 2
    await status(station, connector, "Available", rfc3339(began - timedelta(minutes=3)),
                 steps("StatusNotification.conf (Available)"))
    await status(station, connector, "Preparing", rfc3339(began - timedelta(minutes=2)),
                 steps("StatusNotification.conf (Preparing: the cable plugged in)"))
    await states.present_id_tag(station, steps("Authorize.conf"))
    transaction_id = await start(station, steps("StartTransaction.conf"), session.meter_start,
                                 timestamp=session.start, accepted=True)
    await status(station, connector, "Charging", session.start, steps("StatusNotification.conf (Charging)"))
    await send_reading(station, transaction_id, middle, rfc3339(halfway),
                       steps("MeterValues.conf (Sample.Periodic, with the transactionId)"))
    await energy_so_far(station, csms, transaction_id, middle - session.meter_start,
                        steps("what the Central System stored while charging"))
    transaction_data = [register(session.meter_start, began, "Transaction.Begin"), register(middle, halfway),
                        register(session.meter_stop, ended, "Transaction.End")]
    await stop(station, steps("StopTransaction.conf (with transactionData)"), transaction_id, session.meter_stop,
               reason=session.reason, timestamp=session.stop, transaction_data=transaction_data)
    await status(station, connector, "Finishing", session.stop, steps("StatusNotification.conf (Finishing)"))
    await status(station, connector, "Available", rfc3339(ended + timedelta(minutes=1)),
                 steps("StatusNotification.conf (Available: the cable unplugged)"))
    await check_session(station, csms, transaction_id, session, steps("what the Central System stored"))


def before_local_midnight(offset_hours: float) -> datetime:
    """23:35 on the day before yesterday, on a clock running at UTC+``offset_hours`` (so the whole session is
    past)."""
    zone = timezone(timedelta(hours=offset_hours))
    day: date = datetime.now(zone).date() - timedelta(days=2)
    return datetime.combine(day, time(23, 35), zone)


def clock_at(offset_hours: float) -> Write:
    zone = timezone(timedelta(hours=offset_hours))
    return lambda moment: moment.astimezone(zone).isoformat(timespec="seconds")


@octt("E2E16_02", reqs=["OCPP 1.6 §4.8", "OCPP 1.6 §4.10"], features=FEATURES)
async def test_e2e16_02(station: Station, csms: Csms) -> None:
    """Sessions across local midnight on a charge point whose clock runs at -05:00, then at +05:30."""
    steps = Steps()
    for offset, at_least in ((-5.0, 8_000), (5.5, 16_000)):
        write = clock_at(offset)
        began = before_local_midnight(offset)
        session = Session.between(began, began + timedelta(minutes=50), fresh_register(),
                                  half_cent_energy(station.cfg, at_least, 50 * 60), clock=write)
        readings = [(began + timedelta(minutes=24), session.meter_start + session.energy_wh // 3),  # 23:59 local
                    (began + timedelta(minutes=35), session.meter_start + session.energy_wh * 2 // 3)]  # 00:10
        await whole_session(station, csms, steps, session, readings)


def berlin_clock(moment: datetime) -> str:
    """``moment`` as a charge point in Berlin writes it."""
    return local_time(moment, BERLIN)


@octt("E2E16_03", reqs=["OCPP 1.6 §4.8", "OCPP 1.6 §4.10"], features=FEATURES)
async def test_e2e16_03(station: Station, csms: Csms) -> None:
    """A session across the spring-forward change in Berlin (2026-03-29) is stored as the hour that passed.

    By the wall clock it lasted two hours (01:30 CET to 03:30 CEST)."""
    began = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET
    ended = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST
    session = Session.between(began, ended, fresh_register(), half_cent_energy(station.cfg, 11_000, 60 * 60),
                              clock=berlin_clock)
    readings = [(datetime(2026, 3, 29, 0, 55, tzinfo=UTC), session.meter_start + session.energy_wh // 3),  # 01:55
                (datetime(2026, 3, 29, 1, 5, tzinfo=UTC), session.meter_start + session.energy_wh // 2)]  # 03:05
    await whole_session(station, csms, Steps(), session, readings)


@octt("E2E16_04", reqs=["OCPP 1.6 §4.8", "OCPP 1.6 §4.10"], features=FEATURES)
async def test_e2e16_04(station: Station, csms: Csms) -> None:
    """A session across the fall-back change in Berlin (2026-10-25) is stored as the 50 minutes that passed.

    By the wall clock it stopped ten minutes before it started (02:30 CEST to 02:20 CET)."""
    began = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    ended = datetime(2026, 10, 25, 1, 20, tzinfo=UTC)  # 02:20 CET
    session = Session.between(began, ended, fresh_register(), half_cent_energy(station.cfg, 7_000, 50 * 60),
                              clock=berlin_clock)
    readings = [(datetime(2026, 10, 25, 0, 55, tzinfo=UTC), session.meter_start + session.energy_wh // 3),  # 02:55
                (datetime(2026, 10, 25, 1, 5, tzinfo=UTC), session.meter_start + session.energy_wh // 2)]  # 02:05
    await whole_session(station, csms, Steps(), session, readings)


@octt("E2E16_05", reqs=["OCPP 1.6 §4.8", "OCPP 1.6 §4.7", "OCPP 1.6 §4.10"], features=FEATURES)
async def test_e2e16_05(station: Station, csms: Csms) -> None:
    """Two sessions at once on connectors 1 and 2, their messages interleaved: each billed its own energy."""
    cfg, steps = station.cfg, Steps()
    one, two = cfg.connector_id, other_connector(station)
    t0 = minutes_ago(70)
    first = Session.between(t0, t0 + timedelta(minutes=40), fresh_register(), half_cent_energy(cfg, 9_000, 40 * 60),
                            reason="EVDisconnected")
    second = Session.between(t0 + timedelta(minutes=6), t0 + timedelta(minutes=55), fresh_register(),
                             half_cent_energy(cfg, 21_000, 49 * 60))
    await status(station, one, "Preparing", rfc3339(t0 - timedelta(minutes=1)),
                 steps(f"StatusNotification.conf (connector {one} Preparing)"))
    tx_one = await start(station, steps(f"StartTransaction.conf (connector {one})"), first.meter_start,
                         connector_id=one, timestamp=first.start, accepted=True)
    await status(station, one, "Charging", first.start, steps(f"StatusNotification.conf (connector {one} Charging)"))
    await status(station, two, "Preparing", rfc3339(t0 + timedelta(minutes=5)),
                 steps(f"StatusNotification.conf (connector {two} Preparing)"))
    tx_two = await start(station, steps(f"StartTransaction.conf (connector {two})"), second.meter_start,
                         connector_id=two, timestamp=second.start, accepted=True)
    if tx_two == tx_one:
        raise StepFailed(f"{steps('the two transactions')}: expected an id of its own for each, got {tx_one} twice")
    await status(station, two, "Charging", second.start, steps(f"StatusNotification.conf (connector {two} Charging)"))
    one_then, two_then = first.meter_start + 3_000, second.meter_start + 4_000
    await send_reading(station, tx_one, one_then, rfc3339(t0 + timedelta(minutes=15)),
                       steps(f"MeterValues.conf (connector {one})"), one)
    await send_reading(station, tx_two, two_then, rfc3339(t0 + timedelta(minutes=20)),
                       steps(f"MeterValues.conf (connector {two})"), two)
    await energy_so_far(station, csms, tx_one, 3_000, steps(f"what the Central System stored (transaction {tx_one})"))
    await energy_so_far(station, csms, tx_two, 4_000, steps(f"what the Central System stored (transaction {tx_two})"))
    await stop(station, steps(f"StopTransaction.conf (connector {one})"), tx_one, first.meter_stop,
               reason=first.reason, timestamp=first.stop)
    await status(station, one, "Finishing", first.stop, steps(f"StatusNotification.conf (connector {one} Finishing)"))
    await send_reading(station, tx_two, two_then + 2_000, rfc3339(t0 + timedelta(minutes=45)),
                       steps(f"MeterValues.conf (connector {two}, after connector {one} stopped)"), two)
    await status(station, one, "Available", rfc3339(t0 + timedelta(minutes=50)),
                 steps(f"StatusNotification.conf (connector {one} Available)"))
    await stop(station, steps(f"StopTransaction.conf (connector {two})"), tx_two, second.meter_stop,
               reason=second.reason, timestamp=second.stop)
    await status(station, two, "Finishing", second.stop, steps(f"StatusNotification.conf (connector {two} Finishing)"))
    await status(station, two, "Available", rfc3339(t0 + timedelta(minutes=57)),
                 steps(f"StatusNotification.conf (connector {two} Available)"))
    await check_session(station, csms, tx_one, first, steps(f"what the Central System stored (connector {one})"))
    await check_session(station, csms, tx_two, second, steps(f"what the Central System stored (connector {two})"))


@octt("E2E16_06", reqs=["OCPP 1.6 §4.8", "OCPP 1.6 §4.10"], features=FEATURES)
async def test_e2e16_06(station: Station, csms: Csms) -> None:
    """A session in which the EV draws nothing (meterStop = meterStart): it costs the session fee alone."""
    steps, connector = Steps(), station.cfg.connector_id
    began = minutes_ago(30)
    session = Session.between(began, began + timedelta(minutes=12), fresh_register(), 0, reason="EVDisconnected")
    await status(station, connector, "Preparing", session.start, steps("StatusNotification.conf (Preparing)"))
    transaction_id = await start(station, steps("StartTransaction.conf"), session.meter_start,
                                 timestamp=session.start, accepted=True)
    await status(station, connector, "SuspendedEV", session.start,
                 steps("StatusNotification.conf (SuspendedEV: the EV draws nothing)"))
    await stop(station, steps("StopTransaction.conf (meterStop = meterStart)"), transaction_id, session.meter_stop,
               reason=session.reason, timestamp=session.stop)
    await status(station, connector, "Finishing", session.stop, steps("StatusNotification.conf (Finishing)"))
    await status(station, connector, "Available", session.stop, steps("StatusNotification.conf (Available)"))
    await check_session(station, csms, transaction_id, session, steps("what the Central System stored"))


@octt("E2E16_07", reqs=["OCPP 1.6 §4.7", "OCPP 1.6 §4.10", "OCPP 1.6 §3.6"], features=FEATURES)
async def test_e2e16_07(station: Station, csms: Csms) -> None:
    """A connection lost mid-session: the queued meter values and stop, delivered on reconnect, lose nothing.

    The charge point keeps them while offline and sends them in order once it is back; the
    session is billed right."""
    cfg, steps = station.cfg, Steps()
    connector = cfg.connector_id
    t0 = minutes_ago(45)
    session = Session.between(t0, t0 + timedelta(minutes=35), fresh_register(), half_cent_energy(cfg, 14_000, 35 * 60),
                              reason="EVDisconnected")
    await status(station, connector, "Preparing", rfc3339(t0 - timedelta(minutes=1)),
                 steps("StatusNotification.conf (Preparing)"))
    transaction_id = await start(station, steps("StartTransaction.conf"), session.meter_start,
                                 timestamp=session.start, accepted=True)
    await status(station, connector, "Charging", session.start, steps("StatusNotification.conf (Charging)"))
    await send_reading(station, transaction_id, session.meter_start + 1_000, rfc3339(t0 + timedelta(minutes=5)),
                       steps("MeterValues.conf (online)"))
    await states.lose_connection(station)
    if station.session.connected:
        raise StepFailed(f"{steps('[Remove connectivity]')}: the charge point is still connected")
    queue = OfflineQueue(transaction_id)
    readings = [(t0 + timedelta(minutes=m), session.meter_start + wh) for m, wh in ((10, 2_500), (20, 6_000),
                                                                                     (30, 11_000))]
    for moment, wh in readings:
        queue.keep("MeterValues", f"queued offline: register {wh} Wh at {rfc3339(moment)}",
                   queued_reading(station, wh, moment))
    queue.keep("StopTransaction", "queued offline", lambda tx: stop_request(
        station, _known(tx), session.meter_stop, reason=session.reason, timestamp=session.stop))
    await states.reconnect(station, steps("[Restore connectivity]: the charge point reconnects"), drop=False)
    for _reading in readings:
        await queue.send_next(station, steps("queued message delivered"))
    await energy_so_far(station, csms, transaction_id, readings[-1][1] - session.meter_start,
                        steps("what the Central System stored from the queued meter values"))
    await queue.send_next(station, steps("queued message delivered"))
    await status(station, connector, "Finishing", rfc3339(), steps("StatusNotification.conf (Finishing, now)"))
    await status(station, connector, "Available", rfc3339(), steps("StatusNotification.conf (Available)"))
    await check_session(station, csms, transaction_id, session, steps("what the Central System stored"))


@octt("E2E16_08", reqs=["OCPP 1.6 §4.10", "OCPP 1.6 §7.39"], features=FEATURES)
async def test_e2e16_08(station: Station, csms: Csms) -> None:
    """Every stop reason the schema allows, and none (Local), one short transaction each, stored with its reason."""
    steps = Steps()
    reasons: list[str | None] = [*stop_reasons(), None]
    t0 = minutes_ago(10 * len(reasons) + 10)
    for number, reason in enumerate(reasons):
        began = t0 + timedelta(minutes=10 * number)
        session = Session.between(began, began + timedelta(minutes=7), fresh_register(),
                                  half_cent_energy(station.cfg, 500 + 200 * number, 7 * 60),
                                  reason=reason)
        await whole_session(station, csms, steps, session)


@octt("E2E16_09", reqs=["OCPP 1.6 §4.7", "OCPP 1.6 §4.10"], features=FEATURES)
async def test_e2e16_09(station: Station, csms: Csms) -> None:
    """A meter series read back reading by reading, and at the end meterStart + energy delivered = meterStop.

    After each MeterValues.req the energy so far is the latest register - meterStart."""
    cfg, steps = station.cfg, Steps()
    t0 = minutes_ago(60)
    session = Session.between(t0, t0 + timedelta(minutes=50), fresh_register(), half_cent_energy(cfg, 18_000, 50 * 60))
    transaction_id = await start(station, steps("StartTransaction.conf"), session.meter_start, timestamp=session.start,
                                 accepted=True)
    for minute, share in ((10, 0.1), (20, 0.35), (30, 0.6), (40, 0.9)):
        wh = session.meter_start + int(session.energy_wh * share)
        at = rfc3339(t0 + timedelta(minutes=minute))
        await send_reading(station, transaction_id, wh, at, steps(f"MeterValues.conf (register {wh} Wh at {at})"))
        await energy_so_far(station, csms, transaction_id, wh - session.meter_start,
                            steps(f"what the Central System stored after the reading at {at}"))
    await stop(station, steps("StopTransaction.conf"), transaction_id, session.meter_stop, reason=session.reason,
               timestamp=session.stop)
    label = steps("what the Central System stored")
    await check_session(station, csms, transaction_id, session, label)
    stored = await read_back(station, csms, transaction_id, label)
    if None in (stored.meterStartWh, stored.meterStopWh, stored.energyWh):
        raise StepFailed(f"{label}: expected meterStartWh, energyWh and meterStopWh, got {stored.meterStartWh}, "
                         f"{stored.energyWh} and {stored.meterStopWh}")
    assert stored.meterStartWh is not None and stored.energyWh is not None  # for the type checker
    if abs(stored.meterStartWh + stored.energyWh - session.meter_stop) > ENERGY_TOLERANCE_WH:
        raise StepFailed(f"{label}: meterStartWh + energyWh: expected {session.meter_stop} (meterStop), got "
                         f"{stored.meterStartWh:g} + {stored.energyWh:g} = {stored.meterStartWh + stored.energyWh:g}")


@octt("E2E16_10", reqs=["OCPP 1.6 §4.8", "OCPP 1.6 §4.10", "OCPP 1.6 §3.6"], features=FEATURES)
async def test_e2e16_10(station: Station, csms: Csms) -> None:
    """A session started and stopped offline: the transactionId of the late StartTransaction.conf is used after.

    The queued StartTransaction.req goes first on reconnect; the queued meter values and stop
    carry the id its .conf brings."""
    cfg, steps = station.cfg, Steps()
    t0 = minutes_ago(40)
    session = Session.between(t0, t0 + timedelta(minutes=30), fresh_register(), half_cent_energy(cfg, 10_000, 30 * 60),
                              reason="Local")
    middle = session.meter_start + session.energy_wh // 2
    await states.lose_connection(station)
    if station.session.connected:
        raise StepFailed(f"{steps('[Remove connectivity]')}: the charge point is still connected")
    queue = OfflineQueue()
    queue.keep("StartTransaction", "queued offline, started at " + session.start,
               lambda _tx: start_request(station, session.meter_start, timestamp=session.start))
    moment = t0 + timedelta(minutes=15)
    queue.keep("MeterValues", f"queued offline: register {middle} Wh", queued_reading(station, middle, moment))
    queue.keep("StopTransaction", "queued offline", lambda tx: stop_request(
        station, _known(tx), session.meter_stop, reason=session.reason, timestamp=session.stop))
    await states.reconnect(station, steps("[Restore connectivity]: the charge point reconnects"), drop=False)
    started: Payload = await queue.send_next(station, steps("queued message delivered"))
    step = steps("the StartTransaction.conf of the transaction started offline")
    if started.get("idTagInfo", {}).get("status") != "Accepted":
        raise StepFailed(f"{step}: idTagInfo.status: expected \"Accepted\", got {started.get('idTagInfo')}")
    transaction_id = queue.transaction_id
    assert transaction_id is not None
    await queue.send_next(station, steps("queued message delivered"))
    await energy_so_far(station, csms, transaction_id, middle - session.meter_start,
                        steps("what the Central System stored from the queued meter values"))
    await queue.send_next(station, steps("queued message delivered"))
    await check_session(station, csms, transaction_id, session, steps("what the Central System stored"))
