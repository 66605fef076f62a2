"""Block I: tariff and cost — the running cost while charging and the total cost at the end.

The OCTT validates that a cost is reported (and which transaction a CostUpdated is for),
not its amount. Beyond that, as a csmscheck check: the CSMS is configured with the energy
tariff of the settings (``tariff_price_per_kwh``, ``tariff_session_fee``,
``tariff_price_per_hour``), so every cost it reports should be that tariff applied to the
energy the station metered and the time that passed since the transaction began, correct to
the cent. The station reports its energy register in Wh,
and once in kWh: a CSMS must read the unit of measure.
"""

from __future__ import annotations

from typing import Any

from csmscheck.checks import v201 as checks
from csmscheck.errors import StepFailed
from csmscheck.expect import ANY, Matcher, assert_matches, step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.station.states import v201 as states
from csmscheck.suite.bill import exact_cost, what_for
from csmscheck.suite.findings import check_matches
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.sent_transactions import sent_201
from csmscheck.timestamps import rfc3339

Payload = dict[str, Any]
ACCEPTED = states.ACCEPTED_TOKEN
CENT_TOLERANCE = 0.005 + 1e-9  # a correct figure rounded to the cent is at most half a cent off


def expected_cost(cfg: Settings, energy_wh: float, seconds: float) -> float:
    """What the configured tariff charges for ``energy_wh`` over ``seconds``, unrounded."""
    return float(exact_cost(cfg, energy_wh, seconds))


def so_far(station: Station, transaction_id: str) -> float:
    """Seconds from the transaction's first event to its latest one the CSMS answered (0: none answered)."""
    sent = sent_201(station, transaction_id)
    if sent is None:
        return 0.0
    latest = sent.events[max(sent.events)].timestamp
    return (latest - min(event.timestamp for event in sent.events.values())).total_seconds()


def to_the_cent(amount: float, what: str) -> Any:
    return Matcher(f"<{amount:.2f} to the cent: the tariff for {what}>",
                   lambda v: isinstance(v, int | float) and not isinstance(v, bool)
                   and abs(v - amount) <= CENT_TOLERANCE)


def register(wh: float, context: str, unit: str = "Wh") -> Payload:
    """A meterValue with the energy import register in ``unit`` (Wh or kWh)."""
    value = wh if unit == "Wh" else wh / 1000
    return {"timestamp": rfc3339(), "sampledValue": [
        {"value": round(value, 6), "context": context, "measurand": "Energy.Active.Import.Register",
         "unitOfMeasure": {"unit": unit}}]}


async def _event(station: Station, label: str, event_type: str, trigger_reason: str, meter: Payload | None = None,
                 **fields: Any) -> Payload:
    """A TransactionEvent of the station's transaction (starting one if there is none), with ``meter``."""
    model = station.model
    tx = model.transaction or model.new_transaction(station.cfg.evse_id, station.cfg.connector_id)
    payload = msg.transaction_event(tx, event_type, trigger_reason, **fields)
    if meter is not None:
        payload["meterValue"] = [meter]
    with step(label):
        response = await states.deliver_event(station, payload)
    tx.started = True
    if event_type == "Ended":
        model.end_transaction()
        model.ev_connected = False
    return response


@octt("TC_I_01", reqs=["I02.FR.01"])
async def test_tc_i_01(station: Station, csms: Csms, cfg: Settings) -> None:
    """Show EV Driver running total cost during charging - costUpdatedRequest."""
    begin = station.model.add_energy(12_345.0)  # the station's meter never starts at 0
    token = states.valid_token(station)
    with step("Step 1"):
        response = await states.authorize(station, token)
    assert_matches(response, ACCEPTED, "Step 2: AuthorizeResponse")
    response = await _event(station, "Step 3", "Updated", "Authorized", register(begin, "Transaction.Begin"),
                            token=token)
    assert_matches(response, ACCEPTED, "Step 4: TransactionEventResponse")
    station.model.authorized = True
    await states.ev_connected_pre_session(station)
    await states.energy_transfer_started(station)
    tx = station.model.transaction
    if tx is None:
        raise StepFailed("EnergyTransferStarted state: the station has no transaction")
    for number, (charged, unit) in enumerate(((1234.5, "Wh"), (2000.4, "kWh")), start=1):
        meter = station.model.add_energy(charged)
        energy = meter - begin
        where = f"(meter value {number}, in {unit})"
        response = await _event(station, f"Step 7 {where}", "Updated", "MeterValuePeriodic",
                                register(meter, "Sample.Periodic", unit))
        seconds = so_far(station, tx.id)
        cost, what = expected_cost(cfg, energy, seconds), what_for(cfg, energy, seconds)
        if "totalCost" in response:
            check_matches(station, checks.COST_FROM_TARIFF, response, {"totalCost": to_the_cent(cost, what)},
                          f"Step 8 {where}: TransactionEventResponse running cost")
            continue
        with step(f"Step 9 {where}"):
            async with station.expect("CostUpdated", reply={}) as got:
                await csms.request(station, "CostUpdated", {"totalCost": round(cost, 2), "transactionId": tx.id})
        assert_matches(got.payload, {"transactionId": tx.id}, f"Step 9 {where}: CostUpdatedRequest")
        check_matches(station, checks.COST_FROM_TARIFF, got.payload, {"totalCost": to_the_cent(cost, what)},
                      f"Step 9 {where}: CostUpdatedRequest")


@octt("TC_I_02", reqs=["I03.FR.02"])
async def test_tc_i_02(station: Station, cfg: Settings) -> None:
    """Show EV Driver Final Total Cost After Charging."""
    begin = station.model.add_energy(1000.0)
    with step("Step 1: EVConnectedPreSession state"):
        await states.connector_event(station, "Occupied")
    await _event(station, "Step 1: EVConnectedPreSession state", "Started", "CablePluggedIn",
                 register(begin, "Transaction.Begin"), charging_state="EVConnected")
    station.model.ev_connected = True
    await states.authorized(station)
    await states.energy_transfer_started(station)
    await states.stop_authorized(station)
    await states.ev_connected_post_session(station)
    with step("Step 6"):
        await states.connector_event(station, "Available")
    end = station.model.add_energy(6000.0 - station.model.meter_wh)
    tx_id = station.model.transaction.id if station.model.transaction else ""
    response = await _event(station, "Step 7", "Ended", "EVCommunicationLost", register(end, "Transaction.End"),
                            charging_state="Idle", stopped_reason="EVDisconnected")
    energy, seconds = end - begin, so_far(station, tx_id)
    final = "Step 8: TransactionEventResponse (final)"
    assert_matches(response, {"totalCost": ANY}, final)
    check_matches(station, checks.COST_FROM_TARIFF, response,
                  {"totalCost": to_the_cent(expected_cost(cfg, energy, seconds), what_for(cfg, energy, seconds))},
                  final)
