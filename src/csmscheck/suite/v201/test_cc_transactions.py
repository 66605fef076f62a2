"""csmscheck's own OCPP 2.0.1 cases of transactions (CC_E), cost (CC_I) and meter values (CC_J).

What real stations send and the OCTT has no case for: a TransactionEvent sent again because
its answer was lost, an offline queue delivered late and out of order, seqNo gaps, times
with a UTC offset, the transaction of a remote start reported before the answer to
RequestStartTransaction; meter values with a row per phase, without a measurand, in kWh or
with a multiplier, with negative and signed values; costs on a rounding boundary and with
a session fee. Each case checks what depends on the input: what the CSMS stored, read back
through the trigger API (capability ``transaction_readback``), and the cost it reported
(capability ``tariff_cost``). A failure is a finding unless the run is ``--strict``.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from csmscheck.errors import NotApplicable, StepFailed
from csmscheck.expect import assert_matches, step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v201 as states
from csmscheck.suite.bill import exact_cost, seconds_between, what_for
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms, relayed_answer
from csmscheck.suite.sent_transactions import sent_201
from csmscheck.suite.stored import declares
from csmscheck.suite.v201.transaction_session import (
    READBACK,
    REGISTER,
    TARIFF,
    Payload,
    Session,
    ago,
    readings,
    register_of,
    sample,
    with_offset,
)

HALF_A_CENT = Decimal("0.005")


# -- what it costs -------------------------------------------------------------------------------


def check_cost(response: Payload, cfg: Settings, energy_wh: float, label: str, *, required: bool,
               seconds: float = 0.0) -> None:
    """The totalCost of ``response`` is the tariff for ``energy_wh`` over ``seconds`` to the cent (within half a
    cent of the exact amount: rounded, never truncated); ``required``: it must be there (the final cost, I03)."""
    exact = exact_cost(cfg, energy_wh, seconds)
    what = what_for(cfg, energy_wh, seconds)
    if "totalCost" not in response:
        if required:
            raise StepFailed(f"{label}: TransactionEventResponse: totalCost: expected the final cost "
                             f"{exact.quantize(Decimal('0.01'), ROUND_HALF_UP)} (the tariff for {what}), got none")
        return
    got = Decimal(repr(float(response["totalCost"])))
    if abs(got - exact) > HALF_A_CENT:
        raise StepFailed(f"{label}: TransactionEventResponse: totalCost: expected "
                         f"{exact.quantize(Decimal('0.01'), ROUND_HALF_UP)} (the tariff for {what} is "
                         f"{exact.normalize()}, to the cent), got {response['totalCost']}")


async def metered(station: Station, csms: Csms, begin: list[Payload], updates: list[list[Payload]],
                  end: list[Payload]) -> None:
    """A transaction whose events carry ``begin`` (Transaction.Begin), ``updates`` (one Updated event each) and
    ``end`` (Transaction.End) readings; the CSMS keeps the register the station metered, and costs it so (the
    running cost, if it reports one, and the final cost)."""
    session = Session.start(station)
    costed = declares(station.cfg, TARIFF)
    started = session.started(meter=begin)
    await session.send("Step 1: TransactionEventRequest (Started, Transaction.Begin readings)", started)
    for number, meter in enumerate(updates, start=1):
        label = f"Step 2: TransactionEventRequest (Updated, readings {number})"
        updated = session.event("Updated", "MeterValuePeriodic", meter=meter, charging_state="Charging")
        response = await session.send(label, updated)
        start, so_far = register_of(begin), register_of(meter)
        if costed and start is not None and so_far is not None:
            check_cost(response, station.cfg, so_far - start, f"{label} running cost", required=False,
                       seconds=lasted(started, updated))
    ending = session.event("Ended", "EVCommunicationLost", meter=end, charging_state="Idle",
                           stopped_reason="EVDisconnected")
    response = await session.send("Step 3: TransactionEventRequest (Ended, Transaction.End readings)", ending)
    await session.stored(csms, "Step 4")
    sent = sent_201(station, session.tx.id)
    start, stop = (sent.meter_start_wh, sent.meter_stop_wh) if sent else (None, None)
    if costed and start is not None and stop is not None:
        check_cost(response, station.cfg, stop - start, "Step 3", required=False, seconds=lasted(started, ending))


# -- E: transactions -----------------------------------------------------------------------------


@octt("CC_E_01", reqs=["J02.FR.19", "E01.FR.07"], features=[READBACK])
async def test_cc_e_01(station: Station, csms: Csms) -> None:
    """TransactionEvents sent again (their answer was lost) are applied once."""
    session = Session.start(station)
    await session.send("Step 1", session.started(meter=readings(sample(5000, "Transaction.Begin"))))
    update = session.event("Updated", "MeterValuePeriodic", meter=readings(sample(6000, "Sample.Periodic")),
                           charging_state="Charging")
    await session.send("Step 2", update)
    await session.send("Step 3 (Step 2's event sent again)", update)
    ended = session.event("Ended", "StopAuthorized", meter=readings(sample(7250, "Transaction.End")),
                          token=states.valid_token(station), stopped_reason="Local")
    await session.send("Step 4", ended)
    await session.send("Step 5 (Step 4's event sent again)", ended)
    await session.stored(csms, "Step 6")


@octt("CC_E_02", reqs=["E12", "J02.FR.19"], features=[READBACK])
async def test_cc_e_02(station: Station, csms: Csms) -> None:
    """An offline queue delivered out of order, its Ended event first: the late events do not reopen it."""
    session = Session.start(station)
    await session.send("Step 1", session.started(when=ago(40), meter=readings(sample(10_000, "Transaction.Begin"))))
    # Offline: the station charges, the driver unplugs; three events wait in its queue.
    periodic = session.event("Updated", "MeterValuePeriodic", when=ago(30), offline=True,
                             meter=readings(sample(12_000, "Sample.Periodic")), charging_state="Charging")
    suspended = session.event("Updated", "ChargingStateChanged", when=ago(25), offline=True,
                              meter=readings(sample(13_500, "Sample.Periodic")), charging_state="SuspendedEV")
    ended = session.event("Ended", "EVCommunicationLost", when=ago(20), offline=True,
                          meter=readings(sample(14_000, "Transaction.End")), charging_state="Idle",
                          stopped_reason="EVDisconnected")
    await session.send("Step 2 (queued Ended event, seqNo 3, delivered first)", ended)
    await session.send("Step 3 (queued Updated event, seqNo 1, delivered late)", periodic)
    await session.send("Step 4 (queued Updated event, seqNo 2, delivered late)", suspended)
    await session.stored(csms, "Step 5")


@octt("CC_E_03", reqs=["E01.FR.11"], features=[READBACK])
async def test_cc_e_03(station: Station, csms: Csms) -> None:
    """Times with a UTC offset (+02:00, -05:00, +05:30) are kept as the instants they name."""
    session = Session.start(station)
    for label, payload, hours in (
            ("Step 1 (timestamp in +02:00)", session.started(meter=readings(sample(2000, "Transaction.Begin"))), 2),
            ("Step 2 (timestamp in -05:00)", session.event("Updated", "ChargingStateChanged",
                                                           charging_state="Charging"), -5),
            ("Step 3 (timestamp in +05:30)", session.event(
                "Ended", "StopAuthorized", token=states.valid_token(station), stopped_reason="Local",
                meter=readings(sample(2600, "Transaction.End"))), 5.5)):
        moment = datetime.fromisoformat(payload["timestamp"].replace("Z", "+00:00"))
        payload["timestamp"] = with_offset(moment, hours)
        for meter_value in payload.get("meterValue", []):
            meter_value["timestamp"] = payload["timestamp"]
        await session.send(label, payload)
    await session.stored(csms, "Step 4")


@octt("CC_E_04", reqs=["E01.FR.07", "J02.FR.19"], features=[READBACK])
async def test_cc_e_04(station: Station, csms: Csms) -> None:
    """seqNo gaps (events the station lost): every event that arrives is applied, the Ended one included."""
    session = Session.start(station)
    await session.send("Step 1 (seqNo 0)", session.started(meter=readings(sample(800, "Transaction.Begin"))))
    await session.send("Step 2 (seqNo 1)", session.event("Updated", "ChargingStateChanged", charging_state="Charging"))
    session.tx.seq_no = 3  # seqNo 2 was lost
    await session.send("Step 3 (seqNo 3)", session.event("Updated", "MeterValuePeriodic",
                                                         meter=readings(sample(1400, "Sample.Periodic"))))
    session.tx.seq_no = 5  # seqNo 4 was lost
    await session.send("Step 4 (seqNo 5)", session.event(
        "Ended", "EVCommunicationLost", meter=readings(sample(1900, "Transaction.End")), charging_state="Idle",
        stopped_reason="EVDisconnected"))
    await session.stored(csms, "Step 5")


@octt("CC_E_05", reqs=["E04", "E12"], features=[READBACK])
async def test_cc_e_05(station: Station, csms: Csms) -> None:
    """A transaction started and ended while the station was offline (on its other EVSE), delivered after it
    reconnected."""
    cfg = station.cfg
    evse_id = next((e for e in range(1, cfg.number_of_evses + 1) if e != cfg.evse_id), cfg.evse_id)
    session = Session(station, station.model.new_transaction(evse_id, 1))
    queue = [
        session.started(when=ago(50), offline=True, meter=readings(sample(30_000, "Transaction.Begin")),
                        charging_state="Charging"),
        session.event("Updated", "MeterValuePeriodic", when=ago(45), offline=True,
                      meter=readings(sample(33_000, "Sample.Periodic"))),
        session.event("Ended", "StopAuthorized", when=ago(40), offline=True, token=states.valid_token(station),
                      meter=readings(sample(34_500, "Transaction.End")), stopped_reason="Local")]
    with step("Step 1 (the station reconnects)"):
        await station.close()
        await station.connect()
    for number, payload in enumerate(queue, start=2):
        await session.send(f"Step {number} (queued {payload['eventType']} event)", payload)
    await session.stored(csms, "Step 5")


@octt("CC_E_06", reqs=["F02.FR.01", "E01.FR.11", "E01.FR.12"])
async def test_cc_e_06(station: Station, csms: Csms) -> None:
    """Remote start: the station reports the transaction before it answers RequestStartTransaction."""
    session = Session.start(station)
    token = states.valid_token(station)
    remote_start_id = secrets.randbelow(2**31 - 2) + 1
    reported: dict[str, Payload] = {}

    async def start_then_answer(request: Payload) -> Payload:
        """The station starts at once and reports it; the answer to the CSMS goes out afterwards."""
        started = session.event("Started", "RemoteStart", token=request["idToken"], charging_state="EVConnected",
                                remote_start_id=request["remoteStartId"])
        try:
            reported["response"] = await station.call("TransactionEvent", started)
        except StepFailed as exc:
            reported["error"] = {"problem": str(exc)}
        return {"status": "Accepted", "transactionId": session.tx.id}

    with step("Step 1"):
        async with station.expect("RequestStartTransaction", reply=start_then_answer):
            reply = await csms.request(station, "RequestStartTransaction", {
                "idToken": token, "remoteStartId": remote_start_id, "evseId": station.cfg.evse_id})
    if "error" in reported:
        raise StepFailed(f"Step 2 (TransactionEvent Started, before the answer): {reported['error']['problem']}")
    assert_matches(reported.get("response"), {"idTokenInfo": {"status": "Accepted"}},
                   "Step 2 (TransactionEvent Started, before the answer): TransactionEventResponse for the token "
                   "the CSMS itself sent")
    answer = relayed_answer(reply, "Step 3: RequestStartTransactionResponse")
    if answer is not None:
        assert_matches(answer, {"status": "Accepted", "transactionId": session.tx.id},
                       "Step 3: the station's RequestStartTransactionResponse as the trigger API relayed it")
    await session.send("Step 4", session.event(
        "Ended", "StopAuthorized", token=token, stopped_reason="Local", charging_state="EVConnected"))
    if not declares(station.cfg, READBACK):
        return
    try:
        stored = await session.stored(csms, "Step 5")
    except NotApplicable:
        return  # nothing can be read back: steps 1-4 are the case
    assert_matches(stored.model_dump(mode="json"), {"remoteStartId": remote_start_id},
                   f"Step 5: read back transaction {session.tx.id}: the remote start that caused it")


@octt("CC_E_07", reqs=["E03.FR.05"], features=[READBACK])
async def test_cc_e_07(station: Station, csms: Csms) -> None:
    """An Ended event without stoppedReason (a Local stop) is kept as stopped for reason Local."""
    session = Session.start(station)
    await session.send("Step 1", session.started(meter=readings(sample(400, "Transaction.Begin"))))
    await session.send("Step 2 (stoppedReason left out)", session.event(
        "Ended", "StopAuthorized", token=states.valid_token(station), meter=readings(sample(900, "Transaction.End"))))
    await session.stored(csms, "Step 3")


@octt("CC_E_08", reqs=["E01.FR.07", "J02.FR.19"], features=[READBACK])
async def test_cc_e_08(station: Station, csms: Csms) -> None:
    """A transaction whose Started event never arrived (the station's queue overflowed): its Updated and Ended
    events make the transaction all the same."""
    session = Session.start(station)
    session.tx.seq_no = 1  # seqNo 0, the Started event, was lost; the first event that arrives names the EVSE
    await session.send("Step 1 (Updated, seqNo 1)", session.event(
        "Updated", "ChargingStateChanged", token=states.valid_token(station), charging_state="Charging",
        meter=readings(sample(3300, "Sample.Periodic"))))
    await session.send("Step 2 (Ended, seqNo 2)", session.event(
        "Ended", "EVCommunicationLost", charging_state="Idle", stopped_reason="EVDisconnected",
        meter=readings(sample(4100, "Transaction.End"))))
    await session.stored(csms, "Step 3")


# -- I: tariff and cost --------------------------------------------------------------------------


def energy_costing(cfg: Settings, fraction: tuple[Decimal, Decimal], start: int) -> int:
    """Whole Wh from ``start`` up whose exact cost ends in a fraction of a cent within ``fraction``."""
    low, high = fraction
    for wh in range(start, start + 40_000):
        cents = exact_cost(cfg, wh) * 100
        if low <= cents - int(cents) <= high:
            return wh
    raise NotApplicable(f"the configured tariff ({cfg.tariff_price_per_kwh:g} per kWh, session fee "
                        f"{cfg.tariff_session_fee:g}) gives no cost with a fraction of a cent to round")


def lasted(started: Payload, event: Payload) -> float:
    """Seconds from the transaction's Started event to ``event``, by their timestamps."""
    return seconds_between(started["timestamp"], event["timestamp"])


async def charged(station: Station, label: str, begin_wh: float, updates: list[float], end_wh: float,
                  cfg: Settings) -> tuple[Payload, float]:
    """A transaction metered from ``begin_wh`` to ``end_wh`` (``updates``: readings in between, each checked
    against the running cost if the CSMS reports one); returns the answer to its Ended event and how long the
    transaction lasted (seconds)."""
    session = Session.start(station)
    started = session.started(meter=readings(sample(begin_wh, "Transaction.Begin")))
    await session.send(f"{label}: Started", started)
    for number, wh in enumerate(updates, start=1):
        updated = session.event("Updated", "MeterValuePeriodic", meter=readings(sample(wh, "Sample.Periodic")),
                                charging_state="Charging")
        response = await session.send(f"{label}: Updated ({number})", updated)
        check_cost(response, cfg, wh - begin_wh, f"{label}: Updated ({number}) running cost", required=False,
                   seconds=lasted(started, updated))
    ending = session.event("Ended", "EVCommunicationLost", meter=readings(sample(end_wh, "Transaction.End")),
                           charging_state="Idle", stopped_reason="EVDisconnected")
    return await session.send(f"{label}: Ended", ending), lasted(started, ending)


@octt("CC_I_01", reqs=["I03"], features=[TARIFF])
async def test_cc_i_01(station: Station, cfg: Settings) -> None:
    """Final costs with a fraction of a cent are rounded to the nearest cent, not truncated nor rounded up."""
    up = energy_costing(cfg, (Decimal("0.6"), Decimal("0.9")), 4000)  # x.xx7: rounds up
    down = energy_costing(cfg, (Decimal("0.1"), Decimal("0.4")), 6000)  # x.xx2: rounds down
    for number, energy in enumerate((up, down), start=1):
        begin = 20_000.0 * number
        response, seconds = await charged(station, f"Step {number} (transaction {number})", begin, [],
                                          begin + energy, cfg)
        check_cost(response, cfg, energy, f"Step {number} (transaction {number}): Ended", required=True,
                   seconds=seconds)


@octt("CC_I_02", reqs=["I02.FR.01", "I03"], features=[TARIFF])
async def test_cc_i_02(station: Station, cfg: Settings) -> None:
    """A session fee is charged once per transaction: alone when no energy flowed, beside the energy price."""
    if cfg.tariff_session_fee <= 0:
        raise NotApplicable("the configured tariff has no session fee (tariff_session_fee = 0)")
    response, seconds = await charged(station, "Step 1 (no energy)", 5000.0, [], 5000.0, cfg)
    check_cost(response, cfg, 0.0, "Step 1 (no energy): Ended", required=True, seconds=seconds)
    response, seconds = await charged(station, "Step 2 (3.3 kWh)", 9000.0, [10_000.0, 11_000.0, 12_000.0], 12_300.0,
                                      cfg)
    check_cost(response, cfg, 3300.0, "Step 2 (3.3 kWh): Ended", required=True, seconds=seconds)


# -- J: meter values -----------------------------------------------------------------------------


def phases(total: float, context: str, *, measurand: str = REGISTER) -> list[Payload]:
    """A register row per phase (a third each), as three-phase meters report them."""
    return [sample(round(total / 3, 3), context, measurand=measurand, phase=phase) for phase in ("L1", "L2", "L3")]


@octt("CC_J_01", reqs=["J02.FR.19"], features=[READBACK])
async def test_cc_j_01(station: Station, csms: Csms) -> None:
    """Meter values with a register row per phase beside the total (before it, or after): the total is the
    register."""
    await metered(station, csms,
                  readings(*phases(12_000, "Transaction.Begin"), sample(12_000, "Transaction.Begin")),
                  [readings(sample(13_500, "Sample.Periodic"), *phases(13_500, "Sample.Periodic"))],
                  readings(sample(15_000, "Transaction.End"), *phases(15_000, "Transaction.End")))


@octt("CC_J_02", reqs=["J02.FR.19"], features=[READBACK])
async def test_cc_j_02(station: Station, csms: Csms) -> None:
    """Readings without a measurand: it is Energy.Active.Import.Register by default."""
    await metered(station, csms, readings(sample(3000, "Transaction.Begin", measurand=None)),
                  [readings(sample(3700, "Sample.Periodic", measurand=None, unit=None))],
                  readings(sample(4200, "Transaction.End", measurand=None, unit=None)))


@octt("CC_J_03", reqs=["J02.FR.19"], features=[READBACK])
async def test_cc_j_03(station: Station, csms: Csms) -> None:
    """A Power.Active.Import reading before the register in each meterValue: only the register is energy."""
    def power_first(wh: float, context: str) -> list[Payload]:
        return readings(sample(7400, context, measurand="Power.Active.Import", unit="W"), sample(wh, context))

    await metered(station, csms, power_first(8000, "Transaction.Begin"), [power_first(9100, "Sample.Periodic")],
                  power_first(10_250, "Transaction.End"))


@octt("CC_J_04", reqs=["J02.FR.19"], features=[READBACK])
async def test_cc_j_04(station: Station, csms: Csms) -> None:
    """Readings with a unitOfMeasure multiplier (value × 10^multiplier): 12.345 Wh × 10³ is 12345 Wh."""
    await metered(station, csms, readings(sample(12.345, "Transaction.Begin", multiplier=3)),
                  [readings(sample(137_000, "Sample.Periodic", multiplier=-1))],
                  readings(sample(15.678, "Transaction.End", multiplier=3)))


@octt("CC_J_05", reqs=["J02.FR.19"], features=[READBACK])
async def test_cc_j_05(station: Station, csms: Csms) -> None:
    """The register in Wh at the start and in kWh later: both are the same register."""
    await metered(station, csms, readings(sample(21_000, "Transaction.Begin")),
                  [readings(sample(22.5, "Sample.Periodic", unit="kWh"))],
                  readings(sample(23.75, "Transaction.End", unit="kWh")))


@octt("CC_J_06", reqs=["J02.FR.19", "J02.FR.21"], features=[READBACK])
async def test_cc_j_06(station: Station, csms: Csms) -> None:
    """Negative and signed values (power fed back, an export register, a signed register reading) beside the
    import register: the CSMS answers, and the import register alone is the energy charged."""
    signature = {"signedMeterData": "T0NNRnx7fQ==", "signingMethod": "ECDSA-secp256r1-SHA256",
                 "encodingMethod": "OCMF", "publicKey": "Y3Ntc2NoZWNrIG1ldGVyIGtleQ=="}

    def mixed(wh: float, context: str) -> list[Payload]:
        return readings(sample(-350.0, context, measurand="Power.Active.Import", unit="W"),
                        sample(-1.2, context, measurand="Current.Import", unit="A", phase="L1"),
                        sample(640.0, context, measurand="Energy.Active.Export.Register"),
                        sample(wh, context, signedMeterValue=signature))

    await metered(station, csms, mixed(5500, "Transaction.Begin"), [mixed(5600, "Sample.Periodic")],
                  mixed(6150, "Transaction.End"))
