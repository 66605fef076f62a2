"""Smart charging (block K), OCPP 2.0.1: the charging profiles each station holds, as the CSMS knows them.

SetChargingProfile, ClearChargingProfile, GetChargingProfiles, GetCompositeSchedule and
RequestStartTransaction (with a TxProfile) go out through the trigger API, after
:mod:`csmscheck.csms.handlers.v201.profile_vetting` found nothing wrong with them. From the
station's answers the CSMS keeps what the station holds:

- an accepted profile is recorded; it replaces the one with its id and the one of the same
  stack level and purpose on its EVSE (a TxProfile: of the same transaction);
- a ClearChargingProfile removes what its id or criteria name, whether the station answered
  Accepted or Unknown (then it held none, so the record should hold none either);
- a report (GetChargingProfiles, then ReportChargingProfiles parts of that requestId until one
  without ``tbc``) replaces what the CSMS believed about the profiles matching the request on
  the EVSEs it covers, external constraints included; NoProfiles means there are none;
- a TxProfile sent with a remote start waits for the transaction carrying its remoteStartId
  and then belongs to it; every TxProfile ends with its transaction;
- an accepted GetCompositeSchedule is compared, limit by limit, with the composite the CSMS
  computes from what it believes the station holds; differences are logged and kept.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, select

from csmscheck.charging_schedule import EXTERNAL, TX_PROFILE, Step, composite_schedule, composite_steps
from csmscheck.csms import requested_reports as reports
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import Payload, before_call, observes, on_response
from csmscheck.csms.smart_charging_models import (
    REMOTE_START,
    REPORTED,
    SET,
    CompositeCheck,
    ProfileReport,
    StationProfile,
)
from csmscheck.csms.smart_charging_state import install, limiting_profiles, ongoing_transaction, started
from csmscheck.csms.store import get_or_create, now
from csmscheck.timestamps import parse_time

log = logging.getLogger("csmscheck.csms")

TOLERANCE = 0.1  # limits carry one decimal; a difference below this is rounding


# -- SetChargingProfile and ClearChargingProfile -----------------------------------------------


@on_response("2.0.1", "SetChargingProfile")
async def profile_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    """Accepted: the station holds the profile. Rejected: it holds what it held before."""
    if response["status"] != "Accepted":
        return
    async with connection.csms.store.session() as db:
        await install(db, connection.station_id, request["evseId"], request["chargingProfile"], SET)


def cleared_by(request: Payload) -> list[Any]:
    """The ClearChargingProfile's id, else its criteria, as filters (external constraints are never cleared)."""
    filters: list[Any] = [StationProfile.purpose != EXTERNAL]
    if "chargingProfileId" in request:
        return [*filters, StationProfile.profile_id == request["chargingProfileId"]]
    criteria = request.get("chargingProfileCriteria") or {}
    for field, column in (("evseId", StationProfile.evse_id), ("chargingProfilePurpose", StationProfile.purpose),
                          ("stackLevel", StationProfile.stack_level)):
        if field in criteria:
            filters.append(column == criteria[field])
    return filters


@on_response("2.0.1", "ClearChargingProfile")
async def clear_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    """Accepted: what the request names is gone. Unknown: the station held none of it, so the record holds none."""
    async with connection.csms.store.session() as db:
        result = await db.execute(delete(StationProfile).where(
            StationProfile.station_id == connection.station_id, *cleared_by(request)))
    removed = getattr(result, "rowcount", 0)
    if response["status"] == "Unknown" and removed:
        log.info("%s: ClearChargingProfile answered Unknown; %d profile(s) the CSMS believed installed are dropped",
                 connection.station_id, removed)


# -- GetChargingProfiles and its reports ---------------------------------------------------------


async def _apply_report(db: Any, station_id: str, report: ProfileReport) -> None:
    """Replace the profiles the request covered (its EVSE, or all; matching its criteria) by those reported."""
    asked: Payload = report.request
    criteria: Payload = asked.get("chargingProfile") or {}
    filters: list[Any] = [StationProfile.station_id == station_id,
                          (StationProfile.purpose != TX_PROFILE) | StationProfile.transaction_id.is_not(None)]
    if "evseId" in asked:
        filters.append(StationProfile.evse_id == asked["evseId"])
    if criteria.get("chargingProfileId"):
        filters.append(StationProfile.profile_id.in_(criteria["chargingProfileId"]))
    if "stackLevel" in criteria:
        filters.append(StationProfile.stack_level == criteria["stackLevel"])
    if "chargingProfilePurpose" in criteria:
        filters.append(StationProfile.purpose == criteria["chargingProfilePurpose"])
    if criteria.get("chargingLimitSource"):
        filters.append(StationProfile.source.in_(criteria["chargingLimitSource"]))
    await db.execute(delete(StationProfile).where(*filters))
    for part in report.parts:
        for profile in part["chargingProfile"]:
            await install(db, station_id, part["evseId"], profile, REPORTED, source=part["chargingLimitSource"])


# -- TxProfiles and transactions -----------------------------------------------------------------


@before_call("2.0.1", "RequestStartTransaction")
async def remote_start_profile(connection: StationConnection, request: Payload) -> None:
    """A TxProfile sent with a remote start waits for the transaction that carries its remoteStartId
    (recorded before it goes out: the transaction may be reported before the answer is read)."""
    profile = request.get("chargingProfile")
    if profile is None:
        return
    async with connection.csms.store.session() as db:
        await install(db, connection.station_id, request.get("evseId", 0), profile, REMOTE_START,
                      remote_start_id=request["remoteStartId"])


@on_response("2.0.1", "RequestStartTransaction")
async def remote_start_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    if "chargingProfile" not in request:
        return
    async with connection.csms.store.session() as db:
        pending = await db.scalar(select(StationProfile).filter_by(
            station_id=connection.station_id, remote_start_id=request["remoteStartId"], transaction_id=None,
            profile_id=request["chargingProfile"]["id"]))
        if pending is None:
            return
        if response["status"] != "Accepted":
            await db.delete(pending)
        elif "transactionId" in response:  # the transaction was already running
            _bind(pending, response["transactionId"], None)


def _bind(pending: StationProfile, transaction_id: str, evse_id: int | None) -> None:
    """The remote start's TxProfile now governs its transaction, on the EVSE the transaction runs on."""
    pending.transaction_id = transaction_id
    pending.profile = pending.profile | {"transactionId": transaction_id}
    if evse_id is not None:
        pending.evse_id = evse_id


@observes("2.0.1", "TransactionEvent")
async def follow_transaction(connection: StationConnection, request: Payload, response: Payload) -> None:
    """Bind a remote start's TxProfile to its transaction; drop a transaction's TxProfiles when it ends."""
    info = request["transactionInfo"]
    if "remoteStartId" not in info and request["eventType"] != "Ended":
        return  # the routine event: no database work (it may be committed in a group, see group_commit)
    transaction_id = info["transactionId"]
    async with connection.csms.store.session() as db:
        if "remoteStartId" in info:
            pending = (await db.scalars(select(StationProfile).filter_by(
                station_id=connection.station_id, remote_start_id=info["remoteStartId"], transaction_id=None))).all()
            for row in pending:
                _bind(row, transaction_id, (request.get("evse") or {}).get("id"))
        if request["eventType"] == "Ended":
            await db.execute(delete(StationProfile).filter_by(station_id=connection.station_id, purpose=TX_PROFILE,
                                                               transaction_id=transaction_id))


# -- composite schedules --------------------------------------------------------------------------


@on_response("2.0.1", "GetCompositeSchedule")
async def composite_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    """Compare the station's composite with the CSMS's own over the same window; log and keep the differences."""
    reported = response.get("schedule")
    if response["status"] != "Accepted" or reported is None:
        return
    evse_id, start, duration = reported["evseId"], parse_time(reported["scheduleStart"]), reported["duration"]
    unit = reported["chargingRateUnit"]
    async with connection.csms.store.session() as db:
        tx = await ongoing_transaction(db, connection.station_id, evse_id) if evse_id else None
        profiles = await limiting_profiles(db, connection.station_id)
        keywords: dict[str, Any] = {"transaction_id": tx.transaction_id if tx else None,
                                    "transaction_start": started(tx)}
        steps = composite_steps(profiles, evse_id, start, duration, unit, **keywords)
        expected = composite_schedule(profiles, evse_id, start, duration, unit, **keywords)
        differences = discrepancies(steps, reported)
        for difference in differences:
            log.warning("%s: composite schedule of EVSE %s differs at %s (+%ss): expected %s %s, reported %s",
                        connection.station_id, evse_id, reported["scheduleStart"], difference["offset"],
                        difference["expected"], unit, difference["reported"])
        row = await get_or_create(db, CompositeCheck, {"station_id": connection.station_id, "evse_id": evse_id},
                                  reported=reported, expected=expected, discrepancies=differences, checked_at=now())
        row.reported, row.expected, row.discrepancies, row.checked_at = reported, expected, differences, now()


def discrepancies(steps: list[Step], reported: Payload) -> list[Payload]:
    """Where the reported limit differs from the expected one; time where the CSMS knows of no limit
    (the station's own maximum applies) is not compared."""
    periods = reported["chargingSchedulePeriod"]
    duration = reported["duration"]
    offsets = sorted({s.offset for s in steps} | {p["startPeriod"] for p in periods if p["startPeriod"] < duration})
    found: list[Payload] = []
    for offset in offsets:
        step = next(s for s in reversed(steps) if s.offset <= offset)
        period = next((p for p in reversed(periods) if p["startPeriod"] <= offset), None)
        if step.limit is None:
            continue
        got = None if period is None else float(period["limit"])
        if got is None or abs(got - step.limit) >= TOLERANCE:
            found.append({"offset": offset, "expected": round(step.limit, 1), "reported": got})
    return found


async def _unasked_report(db: Any, station_id: str, part: Payload) -> None:
    for profile in part["chargingProfile"]:
        await install(db, station_id, part["evseId"], profile, REPORTED, source=part["chargingLimitSource"])


reports.handle_reports("GetChargingProfiles", "ReportChargingProfiles", ProfileReport, "NoProfiles", _apply_report,
                       _unasked_report, "profiles")
