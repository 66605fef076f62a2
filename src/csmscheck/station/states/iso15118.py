"""OCPP 2.0.1 reusable state ISO15118SmartCharging, and the load-levelling steps it is made of (K15-K17).

An EV speaking ISO 15118 tells the station its charging needs; the station passes them to the
CSMS (NotifyEVChargingNeeds), which answers and then sends a TxProfile for the transaction on
its own. The EV chooses a schedule within that profile and the station reports it
(NotifyEVChargingSchedule); energy then flows. The state runs only what is missing, like the
states of ``states.v201``; its steps are numbered as the OCTT numbers them:

    1-2 NotifyEVChargingNeeds → Accepted (or Processing: the profile may take up to 60 s)
    3-4 SetChargingProfile (TxProfile) from the CSMS → Accepted
    5-6 NotifyEVChargingSchedule within the profile → Accepted
    7-8 TransactionEvent Updated, ChargingStateChanged, Charging

The TxProfile the station accepted is kept in ``station.model.tx_profile``: later steps build
EV schedules within (or beyond) it, and a renegotiation replaces it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from csmscheck.charging_schedule import VOLTS, convert
from csmscheck.checks import load_levelling as checks
from csmscheck.errors import StepFailed
from csmscheck.expect import assert_matches, one_of, step
from csmscheck.station.states import v201 as states
from csmscheck.station.station import Station
from csmscheck.station.v201 import Payload
from csmscheck.timestamps import rfc3339

ACCEPTED: Payload = {"status": "Accepted"}
PROCESSING_WAIT = 60.0  # K15.FR.05 / K17.FR.05: after Processing the OCTT waits this long for the profile

# The EV of the virtual station: what it reports in its charging needs.
EV_MAX_AMPS = 32
EV_MIN_AMPS = 6
EV_ENERGY_WH = 20_000
DC_MAX_AMPS, DC_MAX_VOLTS, DC_MAX_WATTS = 125, 500, 50_000
MAX_SCHEDULE_TUPLES = 3
DEPARTURE = timedelta(hours=4)
_TRANSFER = {1: "AC_single_phase", 2: "AC_two_phase", 3: "AC_three_phase"}


def charging_needs(station: Station, *, dc: bool = False) -> Payload:
    """NotifyEVChargingNeedsRequest for the configured EVSE: the EV's AC (or DC) limits, energy and departure."""
    cfg = station.cfg
    needs: Payload = {"departureTime": rfc3339(datetime.now(UTC) + DEPARTURE)}
    if dc:
        needs |= {"requestedEnergyTransfer": "DC",
                  "dcChargingParameters": {"evMaxCurrent": DC_MAX_AMPS, "evMaxVoltage": DC_MAX_VOLTS,
                                           "evMaxPower": DC_MAX_WATTS, "energyAmount": EV_ENERGY_WH,
                                           "stateOfCharge": 40}}
    else:
        needs |= {"requestedEnergyTransfer": _TRANSFER[cfg.number_phases],
                  "acChargingParameters": {"energyAmount": EV_ENERGY_WH, "evMinCurrent": EV_MIN_AMPS,
                                           "evMaxCurrent": EV_MAX_AMPS, "evMaxVoltage": int(VOLTS)}}
    return {"evseId": cfg.evse_id, "chargingNeeds": needs, "maxScheduleTuples": MAX_SCHEDULE_TUPLES}


def ev_maximum(needs: Payload, unit: str, phases: int) -> float:
    """The most the EV of ``needs`` can draw, in ``unit`` (AC: W at 230 V per phase; DC: its maximum power)."""
    charging = needs["chargingNeeds"]
    if "dcChargingParameters" in charging:
        dc = charging["dcChargingParameters"]
        if unit == "A":
            return float(dc["evMaxCurrent"])
        return float(dc.get("evMaxPower", dc["evMaxCurrent"] * dc["evMaxVoltage"]))
    amps = float(charging["acChargingParameters"]["evMaxCurrent"])
    return convert(amps, "A", unit, phases)


def periods(profile: Payload) -> list[Payload]:
    """The periods of a chargingProfile's first chargingSchedule (the one an EV follows)."""
    schedules = profile.get("chargingSchedule") or [{}]
    first: list[Payload] = schedules[0].get("chargingSchedulePeriod", [])
    return first


def ev_schedule(station: Station, profile: Payload, *, exceed: bool = False) -> Payload:
    """NotifyEVChargingScheduleRequest: the EV's schedule over the profile's periods, each limit the profile's
    (capped at the EV's own maximum), or with ``exceed`` each above the profile's limit by a margin (same unit)."""
    schedule = profile["chargingSchedule"][0]
    unit = schedule["chargingRateUnit"]
    start = schedule.get("startSchedule") or rfc3339()
    cap = ev_maximum(charging_needs(station), unit, station.cfg.number_phases)
    ev_periods = []
    for period in schedule["chargingSchedulePeriod"]:
        limit = float(period["limit"])
        limit = round(limit + max(1.0, limit / 2), 1) if exceed else min(limit, cap)
        ev_periods.append({key: value for key, value in period.items() if key != "limit"} | {"limit": limit})
    ev: Payload = {"id": schedule.get("id", 1), "startSchedule": start, "chargingRateUnit": unit,
                   "chargingSchedulePeriod": ev_periods}
    if "duration" in schedule:
        ev["duration"] = schedule["duration"]
    return {"timeBase": start, "evseId": station.cfg.evse_id, "chargingSchedule": ev}


def _label(prefix: str, number: int) -> str:
    return f"{prefix}: Step {number}" if prefix else f"Step {number}"


@contextmanager
def accepting_profiles(station: Station) -> Iterator[None]:
    """While the CSMS may send a TxProfile on its own, the station accepts any SetChargingProfile as the OCTT
    does (its reply policy, so a profile that arrives before the step waits for it is answered too)."""
    replies = station.session.replies
    previous = replies.get("SetChargingProfile")
    replies["SetChargingProfile"] = ACCEPTED
    try:
        yield
    finally:
        if previous is None:
            replies.pop("SetChargingProfile", None)
        else:
            replies["SetChargingProfile"] = previous


async def send_needs(station: Station, needs: Payload, number: int, statuses: tuple[str, ...],
                     prefix: str = "") -> str:
    """Steps ``number`` and the next: NotifyEVChargingNeeds; the answer's status must be one of ``statuses``.
    Returns it."""
    with step(_label(prefix, number)):
        response = await station.call("NotifyEVChargingNeeds", needs)
    assert_matches(response, {"status": one_of(*statuses)},
                   f"{_label(prefix, number + 1)}: NotifyEVChargingNeedsResponse")
    status: str = response["status"]
    return status


async def await_tx_profile(station: Station, label: str, *, processing: bool = False) -> Payload:
    """Steps 3-4: the CSMS sends a TxProfile on its own (within CSMS_ACTION_TIMEOUT, or 60 s after Processing);
    it must name the EVSE and the running transaction. The station accepts it and keeps it. Returns the request."""
    timeout = max(PROCESSING_WAIT, station.cfg.csms_action_timeout) if processing else None
    with step(label):
        got = await station.session.wait_for("SetChargingProfile",
                                             timeout=timeout or station.cfg.csms_action_timeout)
    check_tx_profile(station, got.payload, f"{label}: SetChargingProfileRequest")
    keep_tx_profile(station, got.payload)
    return got.payload


def keep_tx_profile(station: Station, request: Payload) -> None:
    """The station holds the TxProfile it accepted: the EV's schedules are built on it (it replaces the one of
    the same id or stack level, as any profile the station holds)."""
    station.model.tx_profile = request["chargingProfile"]
    station.charging_profiles.install(request["evseId"], request["chargingProfile"])


def check_tx_profile(station: Station, request: Payload, label: str) -> None:
    """The OCTT's validation of a TxProfile in load levelling: evseId, purpose TxProfile, the transactionId."""
    tx = station.model.transaction
    if tx is None:
        raise StepFailed(f"{label}: the station has no transaction for a TxProfile")
    assert_matches(request, {"evseId": station.cfg.evse_id,
                             "chargingProfile": {"chargingProfilePurpose": "TxProfile", "transactionId": tx.id}},
                   label)


def check_grant(station: Station, needs: Payload, request: Payload, label: str) -> None:
    """csmscheck checks of a TxProfile computed from the EV's needs: no more periods than maxScheduleTuples
    (CSC-201-K-20) and no limit above the EV's maximum (CSC-201-K-21)."""
    profile = request["chargingProfile"]
    for index, schedule in enumerate(profile.get("chargingSchedule", [])):
        count = len(schedule.get("chargingSchedulePeriod", []))
        where = f"{label}: chargingProfile.chargingSchedule[{index}]"
        if "maxScheduleTuples" in needs:
            station.findings.check(checks.WITHIN_SCHEDULE_TUPLES, count <= needs["maxScheduleTuples"],
                                   f"{where} has {count} periods, but the EV supports {needs['maxScheduleTuples']} "
                                   "(maxScheduleTuples)")
        unit = schedule.get("chargingRateUnit", "A")
        for number, period in enumerate(schedule.get("chargingSchedulePeriod", [])):
            phases = period.get("numberPhases", station.cfg.number_phases)
            most = ev_maximum(needs, unit, phases)
            station.findings.check(checks.WITHIN_EV_MAXIMUM, float(period["limit"]) <= most + 1e-6,
                                   f"{where}.chargingSchedulePeriod[{number}].limit {period['limit']} {unit} is "
                                   f"above the EV's maximum of {most:g} {unit}")


async def send_ev_schedule(station: Station, number: int, status: str, *, exceed: bool = False,
                           prefix: str = "") -> Payload:
    """Steps ``number`` and the next: the EV's schedule within (or with ``exceed`` beyond) the TxProfile the
    station holds; the CSMS must answer ``status``. Returns the request."""
    label = _label(prefix, number)
    profile = station.model.tx_profile
    if profile is None:
        raise StepFailed(f"{label}: the station holds no TxProfile to build the EV's schedule on")
    request = ev_schedule(station, profile, exceed=exceed)
    with step(label):
        response = await station.call("NotifyEVChargingSchedule", request)
    assert_matches(response, {"status": status}, f"{_label(prefix, number + 1)}: NotifyEVChargingScheduleResponse")
    return request


async def negotiate(station: Station, prefix: str = "", *, first: int = 1,
                    statuses: tuple[str, ...] = ("Accepted", "Processing")) -> Payload:
    """Steps ``first``..``first``+5: the EV's needs, the CSMS's TxProfile, the EV's schedule within it (Accepted).
    Returns the TxProfile request."""
    needs = charging_needs(station)
    with accepting_profiles(station):
        status = await send_needs(station, needs, first, statuses, prefix)
        request = await await_tx_profile(station, _label(prefix, first + 2), processing=status == "Processing")
    check_grant(station, needs, request, _label(prefix, first + 2))
    await send_ev_schedule(station, first + 4, "Accepted", prefix=prefix)
    return request


async def iso15118_smart_charging(station: Station, prefix: str = "ISO15118SmartCharging state") -> None:
    """ISO15118SmartCharging: after Authorized and EVConnectedPreSession, the load-levelling negotiation, then
    energy flows (TransactionEvent ChargingStateChanged / Charging). ``prefix`` names the steps in a failure
    (empty where the state is the case's main scenario)."""
    if station.model.charging and station.model.tx_profile is not None:
        return
    await states.authorized(station)
    await states.ev_connected_pre_session(station)
    await negotiate(station, prefix)
    station.model.add_energy(10.0)
    with step(_label(prefix, 7)):
        await states.send_event(station, "Updated", "ChargingStateChanged", charging_state="Charging")
    station.model.charging, station.model.suspended = True, False


def held_profile(station: Station) -> dict[str, Any]:
    """The TxProfile the station holds for its transaction (a step before must have received one)."""
    if station.model.tx_profile is None:
        raise StepFailed("the station holds no TxProfile (the ISO15118SmartCharging state did not complete)")
    return station.model.tx_profile
