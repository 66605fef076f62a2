"""ISO 15118 load levelling (K15–K17), OCPP 2.0.1.

NotifyEVChargingNeeds: the CSMS finds the transaction running on the EVSE and works out
what it can grant: the lowest of the EV's maximum (AC: evMaxCurrent per phase on the
requested phases; DC: evMaxPower, else evMaxCurrent × evMaxVoltage), the limits in force
(the station's ChargingStationMaxProfile, external constraints reported or notified) and
the EVSE maximum of the CSMS's configuration, over time. It answers Accepted when that is
above 0 and at least the EV's minimum, Rejected when no transaction runs there or nothing
can be granted. After an Accepted answer it sends, on its own, a TxProfile for the
transaction (Absolute from now, at most maxScheduleTuples periods); the transaction keeps
one profile id, so a renegotiation (new needs: K16.FR.12, K17) replaces it.

NotifyEVChargingSchedule: every EV period is compared with the TxProfile last sent for the
transaction (by the CSMS or an operator; answered Accepted or not yet answered), units
converted. Within it: Accepted. Above it: Rejected, and the CSMS starts a renegotiation by
sending that TxProfile again (K15.FR.13, K16.FR.08, K17.FR.13).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from csmscheck.charging_schedule import (
    EXTERNAL,
    STATION_MAX,
    TX_PROFILE,
    composite_steps,
    convert,
    limit_at,
    schedule_start,
    schedules,
    unit_of,
)
from csmscheck.csms import own_calls
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import Payload, before_call, handles, on_response
from csmscheck.csms.smart_charging_models import LoadLevelling, StationProfile
from csmscheck.csms.smart_charging_state import (
    abilities,
    limiting_profiles,
    ongoing_transaction,
    started,
    tx_profile_of,
)
from csmscheck.csms.store import get_or_create, now
from csmscheck.timestamps import parse_time, rfc3339
from csmscheck.wire import CallResult

log = logging.getLogger("csmscheck.csms")

HORIZON = 86_400  # seconds a granted schedule covers when the EV names no departure time
FIRST_OWN_PROFILE_ID = 1_000_000_000  # the CSMS's own TxProfile ids count up from here, apart from an operator's
TOLERANCE = 0.05  # limits carry one decimal
_PHASES = {"AC_single_phase": 1, "AC_two_phase": 2, "AC_three_phase": 3}


@dataclass(frozen=True)
class EvLimits:
    unit: str
    maximum: float  # math.inf: the EV named none
    minimum: float
    phases: int | None  # None: DC


def ev_limits(needs: Payload) -> EvLimits:
    mode = needs["requestedEnergyTransfer"]
    if mode == "DC":
        dc = needs.get("dcChargingParameters") or {}
        power = dc.get("evMaxPower") or (dc["evMaxCurrent"] * dc["evMaxVoltage"] if dc else math.inf)
        return EvLimits("W", float(power), 0.0, None)
    ac = needs.get("acChargingParameters") or {}
    return EvLimits("A", float(ac.get("evMaxCurrent", math.inf)), float(ac.get("evMinCurrent", 0)), _PHASES[mode])


@handles("2.0.1", "NotifyEVChargingNeeds")
async def ev_charging_needs(connection: StationConnection, request: Payload) -> Payload:
    evse_id, station_id, csms = request["evseId"], connection.station_id, connection.csms
    async with csms.store.session() as db:
        tx = await ongoing_transaction(db, station_id, evse_id)
        if tx is None:
            log.info("%s: charging needs on EVSE %s, where no transaction runs: Rejected", station_id, evse_id)
            return _status("Rejected", "NoTransaction", f"no transaction runs on EVSE {evse_id}")
        ev = ev_limits(request["chargingNeeds"])
        known = await abilities(db, station_id)
        unit = ev.unit if known.rate_units is None or ev.unit in known.rate_units else ("A" if ev.unit == "W" else "W")
        start = now()
        departure = request["chargingNeeds"].get("departureTime")
        horizon = HORIZON if departure is None else max(60, min(HORIZON, int(
            (parse_time(departure) - start).total_seconds())))
        tuples = min(t for t in (request.get("maxScheduleTuples"), known.periods, 1024) if t is not None)
        caps = [(evse, profile) for evse, profile in await limiting_profiles(db, station_id)
                if profile["chargingProfilePurpose"] in (STATION_MAX, EXTERNAL)]
        periods = _grant(caps, evse_id, start, horizon, unit, ev, connection, max(tuples, 1))
        row = await get_or_create(db, LoadLevelling, {"station_id": station_id, "transaction_id": tx.transaction_id},
                                  evse_id=evse_id, updated_at=start)
        granted = periods[0]["limit"]
        row.needs, row.granted, row.granted_unit, row.updated_at = request, granted, unit, start
        minimum = convert(ev.minimum, ev.unit, unit, ev.phases)
        if granted <= 0 or granted < minimum:
            row.needs_status = "Rejected"
            log.info("%s: EVSE %s can be granted %s %s, below what the EV needs: Rejected", station_id, evse_id,
                     granted, unit)
            return _status("Rejected", "NoPower", f"{granted} {unit} can be granted; the EV needs {minimum:g}")
        row.needs_status = "Accepted"
        profile = await _tx_profile(db, row, csms.config.tx_profile_stack_level, start, horizon, unit, periods)
    csms.store.when_committed(lambda: send_later(connection, evse_id, profile))
    return {"status": "Accepted"}


def _status(status: str, reason: str, info: str) -> Payload:
    return {"status": status, "statusInfo": {"reasonCode": reason, "additionalInfo": info}}


def _grant(caps: list[tuple[int, Payload]], evse_id: int, start: datetime, horizon: int, unit: str, ev: EvLimits,
           connection: StationConnection, tuples: int) -> list[Payload]:
    """The periods the CSMS can grant from ``start``: the lowest of the caps, the EV's and the EVSE's maximum."""
    config = connection.csms.config
    phases = ev.phases or 3
    evse_max = min(convert(config.evse_max_current, "A", unit, phases), convert(config.evse_max_power, "W", unit,
                                                                                  phases))
    ceiling = min(evse_max, convert(ev.maximum, ev.unit, unit, ev.phases) if ev.maximum != math.inf else math.inf)
    periods: list[Payload] = []
    for step in composite_steps(caps, evse_id, start, horizon, unit):
        # one decimal, rounded down (the epsilon keeps 2.3 from becoming 2.2 through 22.999...)
        limit = math.floor(min(ceiling, step.limit if step.limit is not None else math.inf) * 10 + 1e-6) / 10
        if periods and periods[-1]["limit"] == limit:
            continue
        periods.append({"startPeriod": step.offset, "limit": limit} | ({"numberPhases": ev.phases} if ev.phases
                                                                         else {}))
    if len(periods) > tuples:  # the last period allowed keeps the lowest limit of those it stands for
        periods[tuples - 1]["limit"] = min(p["limit"] for p in periods[tuples - 1:])
        del periods[tuples:]
    return periods


async def _tx_profile(db: AsyncSession, row: LoadLevelling, stack_level: int, start: datetime, horizon: int, unit: str,
                      periods: list[Payload]) -> Payload:
    """The transaction's TxProfile with the granted periods: its installed one's id and stack level when it
    has one (it is replaced), else the CSMS's own id for the transaction."""
    installed = await tx_profile_of(db, row.station_id, row.transaction_id)
    if installed is not None:
        profile_id, stack_level = installed.profile_id, installed.stack_level
    elif row.profile_id is not None:
        profile_id = row.profile_id
    else:
        highest = max(await db.scalar(select(func.max(StationProfile.profile_id)).where(
            StationProfile.station_id == row.station_id, StationProfile.profile_id >= FIRST_OWN_PROFILE_ID)) or 0,
            await db.scalar(select(func.max(LoadLevelling.profile_id)).where(
                LoadLevelling.station_id == row.station_id)) or 0)
        profile_id = max(highest + 1, FIRST_OWN_PROFILE_ID)
    row.profile_id = profile_id
    return {"id": profile_id, "stackLevel": stack_level, "chargingProfilePurpose": TX_PROFILE,
            "chargingProfileKind": "Absolute", "transactionId": row.transaction_id,
            "chargingSchedule": [{"id": profile_id, "startSchedule": rfc3339(start), "duration": horizon,
                                  "chargingRateUnit": unit, "chargingSchedulePeriod": periods}]}


def send_later(connection: StationConnection, evse_id: int, profile: Payload) -> None:
    """Send the TxProfile once the current answer is on its way."""
    own_calls.start(_send(connection, evse_id, profile))


async def _send(connection: StationConnection, evse_id: int, profile: Payload) -> None:
    answer = await own_calls.call_or_none(connection, "SetChargingProfile",
                                          {"evseId": evse_id, "chargingProfile": profile},
                                          f"TxProfile {profile['id']} for transaction {profile['transactionId']}")
    if not isinstance(answer, CallResult):
        await _profile_fate(connection, profile, "Undelivered")


# -- the TxProfile last sent for a transaction -----------------------------------------------


@before_call("2.0.1", "SetChargingProfile")
async def tx_profile_sent(connection: StationConnection, request: Payload) -> None:
    """Whoever sends a transaction's TxProfile (the CSMS, an operator), it is the one an EV schedule must keep to."""
    profile = request["chargingProfile"]
    if profile["chargingProfilePurpose"] != TX_PROFILE or "transactionId" not in profile:
        return
    async with connection.csms.store.session() as db:
        row = await get_or_create(db, LoadLevelling, {"station_id": connection.station_id,
                                                      "transaction_id": profile["transactionId"]},
                                  evse_id=request["evseId"], updated_at=now())
        row.profile, row.profile_status, row.updated_at = profile, "Sent", now()


@on_response("2.0.1", "SetChargingProfile")
async def tx_profile_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    await _profile_fate(connection, request["chargingProfile"], str(response["status"]))


async def _profile_fate(connection: StationConnection, profile: Payload, status: str) -> None:
    if profile["chargingProfilePurpose"] != TX_PROFILE or "transactionId" not in profile:
        return
    async with connection.csms.store.session() as db:
        row = await db.get(LoadLevelling, (connection.station_id, profile["transactionId"]))
        if row is not None and row.profile == profile:
            row.profile_status, row.updated_at = status, now()


# -- the EV's schedule ------------------------------------------------------------------------


@handles("2.0.1", "NotifyEVChargingSchedule")
async def ev_charging_schedule(connection: StationConnection, request: Payload) -> Payload:
    evse_id, station_id = request["evseId"], connection.station_id
    async with connection.csms.store.session() as db:
        tx = await ongoing_transaction(db, station_id, evse_id)
        if tx is None:
            return _status("Rejected", "NoTransaction", f"no transaction runs on EVSE {evse_id}")
        row = await db.get(LoadLevelling, (station_id, tx.transaction_id))
        limits = row.profile if row is not None and row.profile_status in ("Sent", "Accepted") else None
        if limits is None:
            installed = await tx_profile_of(db, station_id, tx.transaction_id)
            limits = installed.profile if installed is not None else None
        if limits is None:
            log.info("%s: EV schedule on EVSE %s: the CSMS sent no TxProfile for transaction %s; nothing to exceed",
                     station_id, evse_id, tx.transaction_id)
            return {"status": "Accepted"}
        excess = exceeding(request, limits, started(tx))
        if row is not None:
            row.schedule_status, row.updated_at = "Rejected" if excess else "Accepted", now()
        if not excess:
            return {"status": "Accepted"}
        log.info("%s: EV schedule on EVSE %s exceeds TxProfile %s: %s; renegotiating", station_id, evse_id,
                 limits["id"], excess)
        if row is not None:
            row.renegotiations += 1
    again: Payload = limits
    connection.csms.store.when_committed(lambda: send_later(connection, evse_id, again))
    return _status("Rejected", "ExceedsLimits", excess[:512])


def exceeding(request: Payload, profile: Payload, transaction_start: datetime | None) -> str:
    """The first instant where the EV's schedule asks more than ``profile`` allows, described; "" if none."""
    ev_schedule = request["chargingSchedule"]
    base = parse_time(ev_schedule.get("startSchedule") or request["timeBase"])
    ev = {"chargingProfileKind": "Absolute", "chargingSchedule": [ev_schedule | {"startSchedule": rfc3339(base)}]}
    moments = {base + timedelta(seconds=p["startPeriod"]) for p in ev_schedule["chargingSchedulePeriod"]}
    found = schedules(profile)
    begun = schedule_start(profile, base, transaction_start) if found else None
    if begun is not None:
        moments |= {begun + timedelta(seconds=p["startPeriod"]) for p in found[0]["chargingSchedulePeriod"]}
    unit = unit_of(profile)
    for moment in sorted(m for m in moments if m >= base):
        asked, allowed = limit_at(ev, moment), limit_at(profile, moment, transaction_start=transaction_start)
        if asked is None or allowed is None:
            continue
        wanted = convert(asked[0], ev_schedule["chargingRateUnit"], unit, asked[1] or allowed[1])
        if wanted > allowed[0] + TOLERANCE:
            return (f"at {rfc3339(moment)} the EV asks {asked[0]:g} {ev_schedule['chargingRateUnit']}, "
                    f"TxProfile {profile['id']} allows {allowed[0]:g} {unit}")
    return ""
