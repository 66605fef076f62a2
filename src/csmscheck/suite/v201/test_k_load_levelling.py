"""Block K: charging with load levelling based on ISO 15118 high-level communication (K15-K17).

The station passes the EV's charging needs to the CSMS, which answers and then sends a TxProfile
for the transaction on its own; the EV's schedule is reported back and the CSMS accepts it when
within that profile, or rejects it and renegotiates. Renegotiations start from the EV (new
needs) or from the CSMS (its operator sets a new TxProfile for the transaction, with the
chargingProfile id and stack level the station holds, which replaces it).

Beyond the OCTT's validations, as csmscheck checks (findings): a TxProfile the CSMS computes
from the EV's needs has at most maxScheduleTuples periods (CSC-201-K-20) and no limit above the
EV's maximum (CSC-201-K-21).
"""

from __future__ import annotations

from csmscheck.expect import step
from csmscheck.station import Station
from csmscheck.station.states import iso15118
from csmscheck.station.states import v201 as states
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v201.profile_steps import requested_profile, set_profile

RENEGOTIATED_AMPS = 10.0  # what the operator sets in a CSMS-initiated renegotiation


async def _ev_connected(station: Station) -> None:
    """Before: Authorized AND EVConnectedPreSession."""
    await states.authorized(station)
    await states.ev_connected_pre_session(station)


async def _smart_charging(station: Station) -> None:
    """Before: Authorized AND EVConnectedPreSession AND ISO15118SmartCharging."""
    await _ev_connected(station)
    await iso15118.iso15118_smart_charging(station)


async def _operator_renegotiates(station: Station, csms: Csms, label: str) -> None:
    """The operator has the CSMS set a new TxProfile for the transaction, with the id and stack level of the one
    the station holds (so it replaces it); the request must name the EVSE and the transaction."""
    held = iso15118.held_profile(station)
    tx = station.model.transaction
    profile = requested_profile(station.cfg, "TxProfile", "Absolute", amps=RENEGOTIATED_AMPS, profile_id=held["id"],
                                stack_level=held["stackLevel"], transaction_id=tx.id if tx else None)
    request = await set_profile(station, csms, station.cfg.evse_id, profile, label)
    iso15118.check_tx_profile(station, request, f"{label}: SetChargingProfileRequest")
    station.model.tx_profile = request["chargingProfile"]  # set_profile installed it


@octt("TC_K_53", reqs=["K15.FR.02", "K15.FR.03", "K15.FR.05", "K15.FR.07", "K15.FR.11"])
async def test_tc_k_53(station: Station) -> None:
    """Charging with load leveling based on High Level Communication - Success."""
    await _ev_connected(station)
    await iso15118.iso15118_smart_charging(station, prefix="")


@octt("TC_K_55", reqs=["K15.FR.12", "K15.FR.13", "K16.FR.07", "K16.FR.08", "K17.FR.12", "K17.FR.13"])
async def test_tc_k_55(station: Station) -> None:
    """Charging with load leveling - EV charging profile exceeds limits."""
    await _ev_connected(station)
    needs = iso15118.charging_needs(station)
    with iso15118.accepting_profiles(station):
        await iso15118.send_needs(station, needs, 1, ("Accepted",))
        first = await iso15118.await_tx_profile(station, "Step 3")
    iso15118.check_grant(station, needs, first, "Step 3")
    with iso15118.accepting_profiles(station):
        await iso15118.send_ev_schedule(station, 5, "Rejected", exceed=True)
        station.model.add_energy(10.0)
        with step("Step 7"):
            await states.send_event(station, "Updated", "ChargingStateChanged", charging_state="Charging")
        station.model.charging = True
        second = await iso15118.await_tx_profile(station, "Step 9")
    iso15118.check_grant(station, needs, second, "Step 9")
    await iso15118.send_ev_schedule(station, 11, "Accepted")
    with step("Step 13"):
        await states.send_event(station, "Updated", "ChargingRateChanged")


@octt("TC_K_57", reqs=["K17.FR.02", "K17.FR.03", "K17.FR.05", "K17.FR.07", "K17.FR.11"])
async def test_tc_k_57(station: Station) -> None:
    """Renegotiating a Charging Schedule - Initiated by EV."""
    await _smart_charging(station)
    await iso15118.negotiate(station)


@octt("TC_K_58", reqs=["K16.FR.06"])
async def test_tc_k_58(station: Station, csms: Csms) -> None:
    """Renegotiating a Charging Schedule - Initiated by CSMS."""
    await _smart_charging(station)
    await _operator_renegotiates(station, csms, "Step 1")
    await iso15118.send_ev_schedule(station, 3, "Accepted")


@octt("TC_K_59", reqs=["K16.FR.12"])
async def test_tc_k_59(station: Station, csms: Csms) -> None:
    """Renegotiating a Charging Schedule - Initiated by CSMS - Send NotifyEVChargingNeeds."""
    await _smart_charging(station)
    await _operator_renegotiates(station, csms, "Step 1")
    await iso15118.negotiate(station, first=3)
