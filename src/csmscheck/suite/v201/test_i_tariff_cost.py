"""Block I: tariff and cost — the running cost while charging and the total cost at the end.

The CSMS is configured with the energy tariff of the settings (``tariff_price_per_kwh``,
``tariff_session_fee``): every cost it reports must be that tariff applied to the energy
the station metered since the transaction began, correct to the cent. The station reports
its energy register in Wh, and once in kWh: a CSMS must read the unit of measure.
"""

from __future__ import annotations

from typing import Any

from csmscheck.expect import Matcher, assert_matches
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.station.states import v201 as states
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms, relayed_answer
from csmscheck.timestamps import rfc3339

Payload = dict[str, Any]
ACCEPTED = states.ACCEPTED_TOKEN
CENT_TOLERANCE = 0.005 + 1e-9  # a correct figure rounded to the cent is at most half a cent off


def expected_cost(cfg: Settings, energy_wh: float) -> float:
    """What the configured tariff charges for ``energy_wh``, unrounded."""
    return cfg.tariff_session_fee + cfg.tariff_price_per_kwh * energy_wh / 1000


def to_the_cent(amount: float, energy_wh: float) -> Any:
    return Matcher(f"<{amount:.2f} to the cent: the tariff for {energy_wh:g} Wh>",
                   lambda v: isinstance(v, int | float) and not isinstance(v, bool)
                   and abs(v - amount) <= CENT_TOLERANCE)


def register(wh: float, context: str, unit: str = "Wh") -> Payload:
    """A meterValue with the energy import register in ``unit`` (Wh or kWh)."""
    value = wh if unit == "Wh" else wh / 1000
    return {"timestamp": rfc3339(), "sampledValue": [
        {"value": round(value, 6), "context": context, "measurand": "Energy.Active.Import.Register",
         "unitOfMeasure": {"unit": unit}}]}


async def _event(station: Station, event_type: str, trigger_reason: str, meter: Payload | None = None,
                 **fields: Any) -> Payload:
    """A TransactionEvent of the station's transaction (starting one if there is none), with ``meter``."""
    model = station.model
    tx = model.transaction or model.new_transaction(station.cfg.evse_id, station.cfg.connector_id)
    payload = msg.transaction_event(tx, event_type, trigger_reason, **fields)
    if meter is not None:
        payload["meterValue"] = [meter]
    response = await station.call("TransactionEvent", payload)
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
    response = await states.authorize(station, token)
    assert_matches(response, ACCEPTED, "Step 2: AuthorizeResponse")
    response = await _event(station, "Updated", "Authorized", register(begin, "Transaction.Begin"), token=token)
    assert_matches(response, ACCEPTED, "Step 4: TransactionEventResponse")
    station.model.authorized = True
    await states.ev_connected_pre_session(station)
    await states.energy_transfer_started(station)
    tx = station.model.transaction
    assert tx is not None
    for number, (charged, unit) in enumerate(((1234.5, "Wh"), (2000.4, "kWh")), start=1):
        meter = station.model.add_energy(charged)
        energy = meter - begin
        cost = expected_cost(cfg, energy)
        response = await _event(station, "Updated", "MeterValuePeriodic", register(meter, "Sample.Periodic", unit))
        if "totalCost" in response:
            assert_matches(response, {"totalCost": to_the_cent(cost, energy)},
                           f"Step 8 (meter value {number}, in {unit}): TransactionEventResponse running cost")
            continue
        async with station.expect("CostUpdated", reply={}) as got:
            reply = await csms.request(station, "CostUpdated", {"totalCost": round(cost, 2), "transactionId": tx.id})
        assert_matches(got.payload, {"transactionId": tx.id, "totalCost": to_the_cent(cost, energy)},
                       f"Step 9 (meter value {number}, in {unit}): CostUpdatedRequest")
        relayed_answer(reply, f"Step 10 (meter value {number})")


@octt("TC_I_02", reqs=["I03.FR.02"])
async def test_tc_i_02(station: Station, cfg: Settings) -> None:
    """Show EV Driver Final Total Cost After Charging."""
    begin = station.model.add_energy(1000.0)
    await states.connector_event(station, "Occupied")
    await _event(station, "Started", "CablePluggedIn", register(begin, "Transaction.Begin"),
                 charging_state="EVConnected")
    station.model.ev_connected = True
    await states.authorized(station)
    await states.energy_transfer_started(station)
    await states.stop_authorized(station)
    await states.ev_connected_post_session(station)
    await states.connector_event(station, "Available")
    end = station.model.add_energy(6000.0 - station.model.meter_wh)
    response = await _event(station, "Ended", "EVCommunicationLost", register(end, "Transaction.End"),
                            charging_state="Idle", stopped_reason="EVDisconnected")
    energy = end - begin
    assert_matches(response, {"totalCost": to_the_cent(expected_cost(cfg, energy), energy)},
                   "Step 8: TransactionEventResponse (final)")
