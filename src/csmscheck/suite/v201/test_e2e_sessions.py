"""End-to-end sessions (OCPP 2.0.1): whole charging sessions as a real station sends them, billed and read back.

The OCTT cases check one message exchange at a time; these check what a driver and an operator
see at the end: the session the CSMS stored and the bill it sent. Each case plays one or more
sessions event by event, with the times of a real session written on the station's clock (no
waiting: the timestamps say when things happened), then reads the transaction back through the
trigger API and checks it to the second and to the cent: start and stop instants, the duration
(the time that really passed), the energy (stop register minus start register), the stop reason,
each TransactionEvent applied once, and the cost (in the answer to the Ended event and in the
read-back) against the configured tariff, worked out by the suite itself. Wherever a cost is
checked the energy is chosen so that its exact cost ends in half a cent after an even cent: a
bill rounded down, truncated or rounded half to even is a cent short and fails.

- E2E_01: the full lifecycle (connector Available, Occupied, Authorize, Started, Authorized,
  Charging with periodic readings, stopped by the driver, Available again) bills right.
- E2E_02: sessions across local midnight at UTC-05:00 and UTC+05:30, timestamps in local time,
  keep their instants and duration.
- E2E_03, E2E_04: sessions across the spring-forward and fall-back DST changes of a real zone
  are stored with the time that passed, not the wall-clock span (an hour apart).
- E2E_05: two sessions at once on a dual-EVSE station, their events interleaved, each bill its own.
- E2E_06: a session that never delivered energy costs the session fee alone.
- E2E_07: a session through a network drop: the queued (offline) events delivered after the
  reconnect, one of them twice, lose nothing and count nothing twice.
- E2E_08: every stop reason of the schema's ReasonEnumType is stored as the station named it.
- E2E_09: a meter value series read back after each reading: the energy so far is the latest
  register minus the start, and start plus delivered is the stop.

Their failures fail the run (they are no csmscheck findings).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

from csmscheck.errors import NotApplicable, StepFailed
from csmscheck.expect import assert_matches, step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.station.states import v201 as states
from csmscheck.suite.bill import check_bill, half_cent_energy
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.sent_transactions import sent_201
from csmscheck.suite.stored import differences, read_stored
from csmscheck.suite.stored_session import ENERGY_EXACT_WH, Happened, session_problems
from csmscheck.suite.v201.transaction_session import READBACK, TARIFF, Payload, Session, readings, sample
from csmscheck.timestamps import parse_time
from csmscheck.trigger.stored import StoredTransaction
from csmscheck.wire.schemas import enum_values

ACCEPTED = states.ACCEPTED_TOKEN
MINUTE = timedelta(minutes=1)


# -- what the cases choose -----------------------------------------------------------------------


def past_local_midnight(zone: str, days_ago: int) -> datetime:
    """The instant local midnight began in ``zone``, ``days_ago`` days before today (there)."""
    tz = ZoneInfo(zone)
    day = datetime.now(tz).date() - timedelta(days=days_ago)
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def stop_reasons() -> tuple[str, ...]:
    """Every stop reason of OCPP 2.0.1 (ReasonEnumType), as the official TransactionEvent schema lists them."""
    return enum_values("2.0.1", "TransactionEvent", "transactionInfo", "stoppedReason")


# The triggerReason a station names with a stop reason, where TriggerReasonEnumType has a matching one.
_STOP_TRIGGERS = {"Local": "StopAuthorized", "Remote": "RemoteStop", "EVDisconnected": "EVCommunicationLost",
                  "DeAuthorized": "Deauthorized", "EnergyLimitReached": "EnergyLimitReached",
                  "TimeLimitReached": "TimeLimitReached", "SOCLimitReached": "ChargingStateChanged",
                  "StoppedByEV": "ChargingStateChanged", "Timeout": "EVConnectTimeout",
                  "ImmediateReset": "ResetCommand", "Reboot": "ResetCommand"}


def steps() -> Iterator[str]:
    """``Step 1``, ``Step 2``, ...: the case's steps as they happen."""
    return (f"Step {number}" for number in count(1))


# -- what a session must read back as ----------------------------------------------------------


async def read_back(session: Session, csms: Csms, label: str, happened: Happened) -> StoredTransaction:
    """Read the session back and fail ``label`` on anything that is not as it happened, then on anything else
    that differs from what the station sent (event times, EVSE, token)."""
    station, tx_id = session.station, session.tx.id
    what = f"{label}: read back transaction {tx_id}"
    sent = sent_201(station, tx_id)
    with step(what):
        stored = await read_stored(csms.trigger, station, tx_id, sent)
    if stored is None:
        raise NotApplicable("in manual mode nothing reads back what the CSMS stored")
    clock = session.written if session.zone is not None else None
    wrong = session_problems(stored, replace(happened, clock=clock), station.cfg)
    if not wrong and sent is not None:
        wrong = [message for _check, message in differences(sent, stored)]
    if wrong:
        raise StepFailed(f"{what}: " + "; ".join(wrong))
    return stored


# -- what the station does -----------------------------------------------------------------------


async def connector(session: Session, label: str, status: str, when: datetime) -> None:
    """StatusNotification of the session's connector, timed on the station's clock."""
    tx = session.tx
    payload = msg.status_notification(tx.evse_id, tx.connector_id, status)
    payload["timestamp"] = session.written(when)
    with step(f"{label}: StatusNotification ({status})"):
        await session.station.call("StatusNotification", payload)


async def ended(session: Session, label: str, payload: Payload, energy_wh: float, started: datetime) -> Payload:
    """Send the Ended event; its answer must bill ``energy_wh`` over the time since ``started`` (I03: the final
    cost)."""
    response = await session.send(label, payload)
    check_bill(response.get("totalCost"), session.station.cfg, energy_wh, f"{label}: TransactionEventResponse: "
               "totalCost", since(started, payload))
    return response


def since(started: datetime, payload: Payload) -> float:
    """Seconds from instant ``started`` to the instant of event ``payload`` (whatever offset the station wrote)."""
    return (parse_time(payload["timestamp"]) - started).total_seconds()


async def short_session(session: Session, csms: Csms, label: str, start: datetime, start_wh: float,
                        energy_wh: float, reason: str, minutes: int) -> None:
    """Started, Charging, Ended for ``reason`` after ``minutes``; the bill and the read-back checked."""
    stop = start + minutes * MINUTE
    await session.send(f"{label}: TransactionEvent (Started)", session.started(
        when=start, charging_state="Charging", meter=readings(sample(start_wh, "Transaction.Begin"))))
    await ended(session, f"{label}: TransactionEvent (Ended, {reason})", session.event(
        "Ended", _STOP_TRIGGERS.get(reason, "AbnormalCondition"), when=stop, stopped_reason=reason,
        charging_state="Idle", meter=readings(sample(start_wh + energy_wh, "Transaction.End"))), energy_wh, start)
    await read_back(session, csms, label, Happened(start, start_wh, start_wh + energy_wh, stop, reason, events=2))


def recent(hours_ago: float) -> datetime:
    """A whole second ``hours_ago`` hours ago."""
    return (datetime.now(UTC) - timedelta(hours=hours_ago)).replace(microsecond=0)


# -- the cases -------------------------------------------------------------------------------------


@octt("E2E_01", reqs=["E01", "E02", "E06", "I03", "J02"], features=[READBACK, TARIFF])
async def test_e2e_01(station: Station, csms: Csms, cfg: Settings) -> None:
    """The full lifecycle of a session, billed to the cent and read back."""
    step_ = steps()
    session = Session.start(station)
    start, start_wh = recent(3), 48_000.0
    stop = start + timedelta(hours=1, minutes=47, seconds=13)
    energy = half_cent_energy(cfg, 17_000, (stop - start).total_seconds())
    periodic = [start_wh + energy * part // 4 for part in (1, 2, 3)]
    await connector(session, next(step_), "Available", start - 3 * MINUTE)
    label = f"{next(step_)}: AuthorizeRequest (the driver presents the valid token)"
    with step(label):
        answer = await states.authorize(station)
    assert_matches(answer, ACCEPTED, f"{label}: AuthorizeResponse")
    await connector(session, next(step_), "Occupied", start)
    await session.send(f"{next(step_)}: TransactionEvent (Started, cable plugged in)", session.event(
        "Started", "CablePluggedIn", when=start, charging_state="EVConnected",
        meter=readings(sample(start_wh, "Transaction.Begin"))))
    label = f"{next(step_)}: TransactionEvent (Updated, Authorized)"
    answer = await session.send(label, session.event("Updated", "Authorized", when=start + MINUTE / 2,
                                                     token=states.valid_token(station)))
    assert_matches(answer, ACCEPTED, f"{label}: TransactionEventResponse")
    await session.send(f"{next(step_)}: TransactionEvent (Updated, Charging)", session.event(
        "Updated", "ChargingStateChanged", when=start + MINUTE, charging_state="Charging"))
    for number, wh in enumerate(periodic, start=1):
        await session.send(f"{next(step_)}: TransactionEvent (Updated, periodic meter value {number})", session.event(
            "Updated", "MeterValuePeriodic", when=start + number * 25 * MINUTE,
            meter=readings(sample(wh, "Sample.Periodic"))))
    await ended(session, f"{next(step_)}: TransactionEvent (Ended, stopped by the driver)", session.event(
        "Ended", "StopAuthorized", when=stop, token=states.valid_token(station), stopped_reason="Local",
        charging_state="EVConnected", meter=readings(sample(start_wh + energy, "Transaction.End"))), energy, start)
    await connector(session, next(step_), "Available", stop + 2 * MINUTE)
    await read_back(session, csms, next(step_), Happened(start, start_wh, start_wh + energy, stop, "Local", events=7))


@octt("E2E_02", reqs=["E01.FR.11", "I03"], features=[READBACK, TARIFF])
async def test_e2e_02(station: Station, csms: Csms, cfg: Settings) -> None:
    """Sessions across local midnight on stations at UTC-05:00 and UTC+05:30, times written in local time."""
    step_ = steps()
    for zone, begin_wh, before, after in (("America/Bogota", 7_000.0, 40, 55), ("Asia/Kolkata", 91_000.0, 25, 65)):
        midnight = past_local_midnight(zone, 2)
        session = Session.start(station, zone=zone)
        start, stop = midnight - before * MINUTE, midnight + after * MINUTE
        energy = half_cent_energy(cfg, 9_000 + int(begin_wh) // 10, (stop - start).total_seconds())
        label = f"{next(step_)} ({zone}, across local midnight)"
        await session.send(f"{label}: TransactionEvent (Started)", session.started(
            when=start, charging_state="Charging", meter=readings(sample(begin_wh, "Transaction.Begin"))))
        await session.send(f"{label}: TransactionEvent (Updated, at local midnight)", session.event(
            "Updated", "MeterValuePeriodic", when=midnight, meter=readings(sample(begin_wh + energy // 3,
                                                                                 "Sample.Periodic"))))
        await ended(session, f"{label}: TransactionEvent (Ended)", session.event(
            "Ended", "EVCommunicationLost", when=stop, stopped_reason="EVDisconnected", charging_state="Idle",
            meter=readings(sample(begin_wh + energy, "Transaction.End"))), energy, start)
        await read_back(session, csms, label, Happened(
            start, begin_wh, begin_wh + energy, stop, "EVDisconnected", events=3))


async def across_dst(station: Station, csms: Csms, cfg: Settings, change: str, start: datetime,
                     stop: datetime) -> None:
    """A session in Europe/Berlin from ``start`` to ``stop`` (instants), across the DST ``change``, with a
    reading each quarter of an hour: stored with the time that passed."""
    zone = "Europe/Berlin"
    session = Session.start(station, zone=zone)
    begin_wh = 20_000.0
    energy = half_cent_energy(cfg, 6_000, (stop - start).total_seconds())
    quarters = int((stop - start) / (15 * MINUTE))
    label = f"Step 1 ({change}: {session.written(start)} to {session.written(stop)})"
    await session.send(f"{label}: TransactionEvent (Started)", session.started(
        when=start, charging_state="Charging", meter=readings(sample(begin_wh, "Transaction.Begin"))))
    for quarter in range(1, quarters):
        await session.send(f"Step {1 + quarter}: TransactionEvent (Updated, {quarter * 15} minutes in)", session.event(
            "Updated", "MeterValuePeriodic", when=start + quarter * 15 * MINUTE,
            meter=readings(sample(begin_wh + energy * quarter // quarters, "Sample.Periodic"))))
    await ended(session, f"Step {quarters + 1}: TransactionEvent (Ended)", session.event(
        "Ended", "StopAuthorized", when=stop, token=states.valid_token(station), stopped_reason="Local",
        charging_state="EVConnected", meter=readings(sample(begin_wh + energy, "Transaction.End"))), energy, start)
    await read_back(session, csms, f"Step {quarters + 2}", Happened(
        start, begin_wh, begin_wh + energy, stop, "Local", events=quarters + 1))


@octt("E2E_03", reqs=["E01.FR.11", "I03"], features=[READBACK, TARIFF])
async def test_e2e_03(station: Station, csms: Csms, cfg: Settings) -> None:
    """A session across the spring-forward DST change (Europe/Berlin, 2026-03-29): 45 minutes, though the
    wall clock moved 1 h 45."""
    start = datetime(2026, 3, 29, 0, 40, tzinfo=UTC)  # 01:40 CET; at 01:00 UTC clocks jump from 02:00 to 03:00
    await across_dst(station, csms, cfg, "spring forward", start, start + 45 * MINUTE)


@octt("E2E_04", reqs=["E01.FR.11", "I03"], features=[READBACK, TARIFF])
async def test_e2e_04(station: Station, csms: Csms, cfg: Settings) -> None:
    """A session across the fall-back DST change (Europe/Berlin, 2026-10-25): 1 h 20, though the wall clock
    moved 20 minutes."""
    start = datetime(2026, 10, 25, 0, 20, tzinfo=UTC)  # 02:20 CEST; at 01:00 UTC clocks go back from 03:00 to 02:00
    await across_dst(station, csms, cfg, "fall back", start, start + 80 * MINUTE)


@octt("E2E_05", reqs=["E01", "I03"], features=[READBACK, TARIFF])
async def test_e2e_05(station: Station, csms: Csms, cfg: Settings) -> None:
    """Two sessions at once on a dual-EVSE station (EVSE 1 and 2), their events interleaved: each bills its own."""
    if cfg.number_of_evses < 2:
        raise NotApplicable(f"the station has {cfg.number_of_evses} EVSE (CONFIGURED_NUMBER_OF_EVSES): two are "
                            "needed")
    start = recent(2)
    one, two = Session.start(station, 1, 1), Session.start(station, 2, 1)
    energy = {one.tx.id: half_cent_energy(cfg, 11_000, 71 * 60), two.tx.id: half_cent_energy(cfg, 23_000, 54 * 60)}
    began = {one.tx.id: start, two.tx.id: start + 4 * MINUTE}
    begin = {one.tx.id: 100_000.0, two.tx.id: 250_000.0}
    plan: list[tuple[Session, str, int]] = [(one, "Started", 0), (two, "Started", 4), (one, "Updated", 20),
                                           (two, "Updated", 30), (one, "Updated", 40), (two, "Ended", 58),
                                           (one, "Ended", 71)]
    readings_at = {one.tx.id: iter((1, 2)), two.tx.id: iter((1,))}
    for number, (session, event_type, minute) in enumerate(plan, start=1):
        tx_id, evse = session.tx.id, session.tx.evse_id
        label = f"Step {number}: TransactionEvent ({event_type}, EVSE {evse})"
        when = start + minute * MINUTE
        if event_type == "Started":
            await session.send(label, session.started(when=when, charging_state="Charging",
                                                      meter=readings(sample(begin[tx_id], "Transaction.Begin"))))
        elif event_type == "Updated":
            part = next(readings_at[tx_id])
            await session.send(label, session.event("Updated", "MeterValuePeriodic", when=when, meter=readings(
                sample(begin[tx_id] + energy[tx_id] * part // 3, "Sample.Periodic"))))
        else:
            await ended(session, label, session.event(
                "Ended", "EVCommunicationLost", when=when, stopped_reason="EVDisconnected", charging_state="Idle",
                meter=readings(sample(begin[tx_id] + energy[tx_id], "Transaction.End"))), energy[tx_id],
                began[tx_id])
    for number, (session, events) in enumerate(((one, 4), (two, 3)), start=len(plan) + 1):
        tx_id = session.tx.id
        stop = start + (71 if session is one else 58) * MINUTE
        await read_back(session, csms, f"Step {number} (EVSE {session.tx.evse_id})", Happened(
            began[tx_id], begin[tx_id], begin[tx_id] + energy[tx_id], stop, "EVDisconnected", events=events))


@octt("E2E_06", reqs=["I03", "I02.FR.01"], features=[READBACK, TARIFF])
async def test_e2e_06(station: Station, csms: Csms, cfg: Settings) -> None:
    """A session that never delivered energy (plugged in, authorized, never charged): it costs the session fee
    alone (0.00 without one)."""
    session = Session.start(station)
    start, register = recent(1), 73_210.0
    stop = start + 9 * MINUTE
    await session.send("Step 1: TransactionEvent (Started, cable plugged in)", session.event(
        "Started", "CablePluggedIn", when=start, charging_state="EVConnected",
        meter=readings(sample(register, "Transaction.Begin"))))
    label = "Step 2: TransactionEvent (Updated, Authorized)"
    answer = await session.send(label, session.event("Updated", "Authorized", when=start + MINUTE,
                                                     token=states.valid_token(station)))
    assert_matches(answer, ACCEPTED, f"{label}: TransactionEventResponse")
    await session.send("Step 3: TransactionEvent (Updated, the EV never draws: periodic reading unchanged)",
                       session.event("Updated", "MeterValuePeriodic", when=start + 5 * MINUTE,
                                     meter=readings(sample(register, "Sample.Periodic"))))
    await ended(session, "Step 4: TransactionEvent (Ended, cable unplugged)", session.event(
        "Ended", "EVCommunicationLost", when=stop, stopped_reason="EVDisconnected", charging_state="Idle",
        meter=readings(sample(register, "Transaction.End"))), 0.0, start)
    await read_back(session, csms, "Step 5", Happened(start, register, register, stop, "EVDisconnected", events=4))


@octt("E2E_07", reqs=["E04", "E12", "J02.FR.19", "I03"], features=[READBACK, TARIFF])
async def test_e2e_07(station: Station, csms: Csms, cfg: Settings) -> None:
    """A network drop mid-session: the station keeps charging, queues its events, reconnects and delivers them in
    order (one twice): nothing lost, nothing applied twice, the bill right."""
    session = Session.start(station)
    start, begin_wh = recent(2), 61_000.0
    stop = start + 70 * MINUTE
    energy = half_cent_energy(cfg, 14_000, (stop - start).total_seconds())
    await session.send("Step 1: TransactionEvent (Started)", session.started(
        when=start, charging_state="Charging", meter=readings(sample(begin_wh, "Transaction.Begin"))))
    await session.send("Step 2: TransactionEvent (Updated, periodic meter value 1)", session.event(
        "Updated", "MeterValuePeriodic", when=start + 15 * MINUTE,
        meter=readings(sample(begin_wh + energy // 5, "Sample.Periodic"))))
    with step("Step 3 (the connection drops)"):
        await station.close()
    queue = [session.event("Updated", "MeterValuePeriodic", when=start + minute * MINUTE, offline=True,
                           meter=readings(sample(begin_wh + energy * part // 5, "Sample.Periodic")))
             for part, minute in ((2, 30), (3, 45), (4, 60))]
    queue.append(session.event("Ended", "EnergyLimitReached", when=stop, offline=True,
                               stopped_reason="EnergyLimitReached", charging_state="EVConnected",
                               meter=readings(sample(begin_wh + energy, "Transaction.End"))))
    with step("Step 4 (the station reconnects)"):
        await station.connect()
    for number, payload in enumerate(queue[:-1], start=5):
        await session.send(f"Step {number}: queued TransactionEvent (Updated, seqNo {payload['seqNo']})", payload)
    await session.send("Step 8: queued TransactionEvent (Updated, seqNo 2) again (the station had no answer to it "
                       "on record)", queue[0])
    await ended(session, "Step 9: queued TransactionEvent (Ended, seqNo 5)", queue[-1], energy, start)
    stored = await read_back(session, csms, "Step 10", Happened(
        start, begin_wh, begin_wh + energy, stop, "EnergyLimitReached", events=6))
    misflagged = [event.seqNo for event in stored.events or () if event.offline is not None
                  and event.offline != (event.seqNo >= 2)]
    if misflagged:
        raise StepFailed(f"Step 10: read back transaction {session.tx.id}: events: expected seqNo 2 to 5 "
                         f"offline (queued) and 0, 1 live, got seqNo {', '.join(map(str, misflagged))} the other way")


@octt("E2E_08", reqs=["E06", "E07", "E03.FR.05"], features=[READBACK, TARIFF])
async def test_e2e_08(station: Station, csms: Csms, cfg: Settings) -> None:
    """Every stop reason of OCPP 2.0.1 (ReasonEnumType, from the schema): a short session each, stored with its
    reason."""
    reasons = stop_reasons()
    first = recent(len(reasons) * 10 / 60 + 1)
    energy = half_cent_energy(cfg, 2_000, 7 * 60)
    for number, reason in enumerate(reasons, start=1):
        await short_session(Session.start(station), csms, f"Step {number} (stopped for {reason})",
                            first + (number - 1) * 10 * MINUTE, 1_000.0 * number, energy, reason, 7)


@octt("E2E_09", reqs=["J02", "I02.FR.01", "I03"], features=[READBACK, TARIFF])
async def test_e2e_09(station: Station, csms: Csms, cfg: Settings) -> None:
    """A meter value series read back after each reading: the energy so far is the latest register minus the
    start; at the end start plus delivered is the stop."""
    session = Session.start(station)
    start, begin_wh = recent(2), 35_500.0
    series = [begin_wh + half_cent_energy(cfg, at_least, number * 12 * 60)
              for number, at_least in enumerate((1_500, 4_000, 7_500, 9_000), start=1)]
    stop = start + 66 * MINUTE
    stop_wh = begin_wh + half_cent_energy(cfg, 12_000, (stop - start).total_seconds())
    await session.send("Step 1: TransactionEvent (Started)", session.started(
        when=start, charging_state="Charging", meter=readings(sample(begin_wh, "Transaction.Begin"))))
    await read_back(session, csms, "Step 2", Happened(start, begin_wh, begin_wh, events=1))
    for number, wh in enumerate(series, start=1):
        label = f"Step {2 * number + 1}: TransactionEvent (Updated, meter value {number})"
        payload = session.event("Updated", "MeterValuePeriodic", when=start + number * 12 * MINUTE,
                                meter=readings(sample(wh, "Sample.Periodic")))
        answer = await session.send(label, payload)
        if "totalCost" in answer:  # a running cost is optional (I02.FR.01); when given, it is the tariff so far
            check_bill(answer["totalCost"], cfg, wh - begin_wh, f"{label}: TransactionEventResponse: running "
                       "totalCost", since(start, payload))
        await read_back(session, csms, f"Step {2 * number + 2}", Happened(start, begin_wh, wh, events=number + 1))
    last = 2 * len(series) + 3
    await ended(session, f"Step {last}: TransactionEvent (Ended)", session.event(
        "Ended", "EVCommunicationLost", when=stop, stopped_reason="EVDisconnected", charging_state="Idle",
        meter=readings(sample(stop_wh, "Transaction.End"))), stop_wh - begin_wh, start)
    stored = await read_back(session, csms, f"Step {last + 1}", Happened(
        start, begin_wh, stop_wh, stop, "EVDisconnected", events=len(series) + 2))
    start_read, delivered, stop_read = stored.meterStartWh, stored.energyWh, stored.meterStopWh
    if start_read is not None and delivered is not None and stop_read is not None \
            and abs(start_read + delivered - stop_read) > ENERGY_EXACT_WH:
        raise StepFailed(f"Step {last + 1}: read back transaction {session.tx.id}: meterStartWh + energyWh: expected "
                         f"meterStopWh {stop_read:g}, got {start_read:g} + {delivered:g} = {start_read + delivered:g}")
