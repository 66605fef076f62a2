"""Block K: composite schedules (K08) and external charging limits (K12, K13).

Beyond the OCTT's steps, as a csmscheck check (a finding, never the verdict): in TC_K_48, once
the station reported the external limit, an ISO 15118 EV starts charging on that EVSE; the
TxProfile the CSMS computes for it must stay within the limit (CSC-201-K-22). A case that
imposes an external limit releases it again (ClearedChargingLimit) before it ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta

from csmscheck.charging_schedule import convert
from csmscheck.checks import load_levelling as checks
from csmscheck.errors import StepFailed
from csmscheck.expect import assert_matches, step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import iso15118
from csmscheck.station.states import v201 as states
from csmscheck.station.v201 import Payload
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v201.operations_steps import fresh_id, operator_asks
from csmscheck.suite.v201.profile_steps import get_profiles, profiles_request
from csmscheck.timestamps import rfc3339
from csmscheck.wire import CallError

EXTERNAL_AMPS = 10.0  # the external limit the EMS imposes in TC_K_48 and reports in TC_K_52
REPORT_VALIDITY = timedelta(minutes=5)


def _limit(cfg: Settings, amps: float) -> float:
    """``amps`` in the configured unit (W at 230 V per phase)."""
    return convert(amps, "A", cfg.charging_rate_unit, cfg.number_phases)


def _schedule(cfg: Settings, amps: float, **fields: object) -> Payload:
    """One chargingSchedule from now of ``amps`` (in the configured unit), as an external system imposes it."""
    return {"id": fresh_id(), "startSchedule": rfc3339(), "chargingRateUnit": cfg.charging_rate_unit,
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": _limit(cfg, amps)}]} | fields


def _composite(request: Payload, evse_id: int) -> Payload:
    """The OCTT's GetCompositeScheduleResponse: 300 s of 10 from now, in the unit asked for."""
    return {"status": "Accepted", "schedule": {
        "evseId": evse_id, "duration": 300, "scheduleStart": rfc3339(),
        "chargingRateUnit": request.get("chargingRateUnit", "A"),
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10}]}}


async def _composite_schedule(station: Station, csms: Csms, evse_id: int) -> None:
    """Steps 1-2 of TC_K_43 / TC_K_44: the operator has the CSMS ask for the composite schedule of ``evse_id``."""
    cfg = station.cfg
    asked = {"evseId": evse_id, "duration": cfg.schedule_duration, "chargingRateUnit": cfg.charging_rate_unit}
    request = await operator_asks(station, csms, "GetCompositeSchedule", asked,
                                  lambda got: _composite(got, evse_id), "Step 1")
    assert_matches(request, {"evseId": evse_id, "duration": cfg.schedule_duration,
                             "chargingRateUnit": cfg.charging_rate_unit}, "Step 1: GetCompositeScheduleRequest")


@octt("TC_K_43", reqs=["K08.FR.01"])
async def test_tc_k_43(station: Station, csms: Csms) -> None:
    """Get Composite Schedule - Specific EVSE."""
    await _composite_schedule(station, csms, 1)


@octt("TC_K_44", reqs=["K08.FR.01"])
async def test_tc_k_44(station: Station, csms: Csms) -> None:
    """Get Composite Schedule - Charging Station."""
    await _composite_schedule(station, csms, 0)


async def _released(station: Station, label: str) -> None:
    """The external system releases its limit on the configured EVSE: ClearedChargingLimit(EMS)."""
    with step(label):
        await station.call("ClearedChargingLimit", {"chargingLimitSource": "EMS", "evseId": station.cfg.evse_id})


@asynccontextmanager
async def _external_limit(station: Station) -> AsyncIterator[None]:
    """A limit the case imposes lasts until it ends: afterwards the station reports it released (clean-up)."""
    try:
        yield
    finally:
        if station.session.connected:
            with suppress(StepFailed):
                await _released(station, "Clean-up")


async def _granted_profile(station: Station, label: str) -> Payload | None:
    """An ISO 15118 EV starts on the configured EVSE and sends its needs; the TxProfile the CSMS then sends, or
    None where the CSMS does no load levelling for it (refused, not supported, no profile in time)."""
    try:
        await states.authorized(station)
        await states.ev_connected_pre_session(station)
        with iso15118.accepting_profiles(station):
            with step(f"{label}: Step 1"):
                answer = await station.send("NotifyEVChargingNeeds", iso15118.charging_needs(station))
            status = None if isinstance(answer, CallError) else answer.payload.get("status")
            if status not in ("Accepted", "Processing"):
                return None
            wait = max(iso15118.PROCESSING_WAIT, station.cfg.csms_action_timeout) if status == "Processing" else None
            got = await station.session.wait_for("SetChargingProfile", timeout=wait or station.cfg.csms_action_timeout)
    except StepFailed:
        return None
    return got.payload


async def _granted_within(station: Station, limit_amps: float) -> None:
    """Post scenario (CSC-201-K-22): an ISO 15118 EV starts on the limited EVSE; the TxProfile the CSMS computes
    for it stays within the external limit in every period."""
    label = "Post scenario (K15)"
    request = await _granted_profile(station, label)
    if request is None:
        return
    for index, schedule in enumerate(request["chargingProfile"].get("chargingSchedule", [])):
        unit = schedule["chargingRateUnit"]
        for number, period in enumerate(schedule["chargingSchedulePeriod"]):
            phases = period.get("numberPhases", station.cfg.number_phases)
            amps = convert(float(period["limit"]), unit, "A", phases)
            station.findings.check(
                checks.WITHIN_EXTERNAL_LIMIT, amps <= limit_amps + 1e-6,
                f"{label}: Step 3: SetChargingProfileRequest: chargingProfile.chargingSchedule[{index}]"
                f".chargingSchedulePeriod[{number}].limit {period['limit']} {unit} is above the external "
                f"limit of {limit_amps:g} A the station reported with NotifyChargingLimit")


@octt("TC_K_48")
async def test_tc_k_48(station: Station, cfg: Settings) -> None:
    """Set / Update External Charging Limit (not on a transaction)."""
    async with _external_limit(station):
        with step("Step 1"):
            await station.call("NotifyChargingLimit", {
                "chargingLimit": {"chargingLimitSource": "EMS", "isGridCritical": False},
                "evseId": cfg.evse_id, "chargingSchedule": [_schedule(cfg, EXTERNAL_AMPS)]})
        await _granted_within(station, EXTERNAL_AMPS)


@octt("TC_K_50")
async def test_tc_k_50(station: Station) -> None:
    """Reset / release external charging limit - Without ongoing transaction."""
    await _released(station, "Step 1")


@octt("TC_K_51")
async def test_tc_k_51(station: Station) -> None:
    """Reset / release external charging limit - With ongoing transaction."""
    await states.energy_transfer_started(station)
    await _released(station, "Step 1")
    with step("Step 3"):
        await states.send_event(station, "Updated", "ChargingRateChanged")


def _constraints_report(cfg: Settings, request_id: int) -> Payload:
    """Step 3 of TC_K_52: the EMS's limit as the station holds it, a ChargingStationExternalConstraints profile
    (valid for five minutes, so it never outlives the case)."""
    now = datetime.now(UTC)
    profile = {"id": fresh_id(), "stackLevel": 0, "chargingProfilePurpose": "ChargingStationExternalConstraints",
               "chargingProfileKind": "Absolute", "validFrom": rfc3339(now), "validTo": rfc3339(now + REPORT_VALIDITY),
               "chargingSchedule": [_schedule(cfg, EXTERNAL_AMPS, duration=int(REPORT_VALIDITY.total_seconds()))]}
    return {"requestId": request_id, "chargingLimitSource": "EMS", "evseId": cfg.evse_id, "tbc": False,
            "chargingProfile": [profile]}


@octt("TC_K_52")
async def test_tc_k_52(station: Station, csms: Csms, cfg: Settings) -> None:
    """Set / Update External Charging Limit - ChargingStationExternalConstraints in report."""
    asked = profiles_request(cfg, cfg.evse_id, {"chargingProfilePurpose": "ChargingStationExternalConstraints"})
    async with _external_limit(station):
        request = await get_profiles(station, csms, asked, "Step 1")
        with step("Step 3"):
            await station.call("ReportChargingProfiles", _constraints_report(cfg, request["requestId"]))
