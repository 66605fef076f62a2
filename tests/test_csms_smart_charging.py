"""The reference CSMS's OCPP 2.0.1 smart charging, driven by a raw station session and the trigger API.

What the CSMS stores of the profiles a station holds (set, replaced, cleared, reported in parts,
sent with a remote start), what it refuses to send (400 with reasons, nothing on the wire), external
limits, ISO 15118 load levelling, composite schedule checks, and that all of it survives a restart.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import DEFAULTS, CsmsStarter, RunningCsms, StationOpener
from trigger_calls import refused, relayed

from csmscheck.charging_schedule import EXTERNAL
from csmscheck.station.session import StationSession
from csmscheck.timestamps import rfc3339
from csmscheck.wire import CallError

STATION = "CP201_SP1"
TOKEN = {"idToken": DEFAULTS.valid_id_token, "type": DEFAULTS.valid_id_token_type}
ACCEPTED = {"status": "Accepted"}
Payload = dict[str, Any]


def _id() -> int:
    return secrets.randbelow(2**30) + 1


def _profile(profile_id: int, purpose: str = "TxDefaultProfile", *, limit: float = 16.0, stack: int = 0,
             kind: str = "Absolute", unit: str = "A", **extra: Any) -> Payload:
    schedule: Payload = {"id": 1, "chargingRateUnit": unit,
                         "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}
    if kind != "Relative":
        schedule["startSchedule"] = rfc3339(datetime.now(UTC) - timedelta(seconds=5))
    return {"id": profile_id, "stackLevel": stack, "chargingProfilePurpose": purpose, "chargingProfileKind": kind,
            "chargingSchedule": [schedule], **extra}


@pytest.fixture
async def api(reference_csms: RunningCsms) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=reference_csms.api, timeout=10.0) as client:
        yield client


async def _held(api: httpx.AsyncClient, station_id: str = STATION) -> dict[int, Payload]:
    """The profiles the CSMS believes the station holds, by id (the station detail)."""
    response = await api.get(f"/api/stations/{station_id}")
    assert response.status_code == 200, response.text
    return {p["chargingProfile"]["id"]: p for p in response.json()["chargingProfiles"]}


async def _start_transaction(station: StationSession, evse_id: int = 1, **info: Any) -> str:
    tx_id = f"tx-{uuid.uuid4().hex[:12]}"
    await station.call("TransactionEvent", {
        "eventType": "Started", "timestamp": rfc3339(), "triggerReason": "Authorized", "seqNo": 0,
        "transactionInfo": {"transactionId": tx_id, "chargingState": "Charging", **info},
        "evse": {"id": evse_id, "connectorId": 1}, "idToken": TOKEN})
    return tx_id


async def _end_transaction(station: StationSession, tx_id: str) -> None:
    await station.call("TransactionEvent", {
        "eventType": "Ended", "timestamp": rfc3339(), "triggerReason": "StopAuthorized", "seqNo": 9,
        "transactionInfo": {"transactionId": tx_id, "stoppedReason": "Local"}})


# -- what the station holds -----------------------------------------------------------------


async def test_accepted_profiles_are_stored_and_replaced(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                         open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    first, second, refused = _id(), _id(), _id()
    stack = 3
    await relayed(api, station, "SetChargingProfile", {"evseId": 1, "chargingProfile": _profile(first, stack=stack)})
    assert (await _held(api))[first]["evseId"] == 1
    # same stack level, purpose and EVSE: replaces the first
    await relayed(api, station, "SetChargingProfile", {"evseId": 1, "chargingProfile": _profile(second, stack=stack)})
    held = await _held(api)
    assert second in held and first not in held
    # the same id at another stack level replaces it too
    await relayed(api, station, "SetChargingProfile", {"evseId": 1, "chargingProfile": _profile(second, stack=4,
                                                                                              limit=10.0)})
    held = await _held(api)
    assert held[second]["chargingProfile"]["stackLevel"] == 4
    assert held[second]["source"] == "CSO" and held[second]["learntFrom"] == "SetChargingProfile"
    # rejected or answered with a CALLERROR: not stored, and the CSMS keeps sending profiles
    await relayed(api, station, "SetChargingProfile", {"evseId": 1, "chargingProfile": _profile(refused, stack=5)},
                reply={"status": "Rejected"})
    error = await relayed(api, station, "SetChargingProfile", {"evseId": 1, "chargingProfile": _profile(refused)},
                        reply=CallError("", "NotSupported", "no smart charging"))
    assert error["error"]["code"] == "NotSupported"
    assert refused not in await _held(api)
    await relayed(api, station, "ClearChargingProfile", {"chargingProfileId": second})
    assert second not in await _held(api)


async def test_clear_by_id_and_by_criteria(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                           open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    one, two, three = _id(), _id(), _id()
    for profile_id, evse_id, stack in ((one, 1, 6), (two, 1, 7), (three, 0, 7)):
        await relayed(api, station, "SetChargingProfile",
                    {"evseId": evse_id, "chargingProfile": _profile(profile_id, stack=stack)})
    await relayed(api, station, "ClearChargingProfile", {"chargingProfileId": one})
    held = await _held(api)
    assert one not in held and {two, three} <= held.keys()
    # Unknown: the station holds none matching, so the CSMS's record drops them too
    await relayed(api, station, "ClearChargingProfile", {"chargingProfileCriteria": {
        "evseId": 1, "chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 7}}, reply={"status": "Unknown"})
    held = await _held(api)
    assert two not in held and three in held, "criteria on EVSE 1 cleared a profile of EVSE 0"
    await relayed(api, station, "ClearChargingProfile", {"chargingProfileId": three})


async def test_report_in_parts_replaces_what_the_csms_believed(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                               open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    believed, reported, external = _id(), _id(), _id()
    await relayed(api, station, "SetChargingProfile", {"evseId": 1, "chargingProfile": _profile(believed, stack=8)})
    request_id = _id()
    await relayed(api, station, "GetChargingProfiles", {"requestId": request_id, "chargingProfile": {
        "chargingLimitSource": ["CSO", "EMS"]}})
    await station.call("ReportChargingProfiles", {"requestId": request_id, "chargingLimitSource": "CSO", "tbc": True,
                                                  "evseId": 1, "chargingProfile": [_profile(reported, stack=8)]})
    assert believed in await _held(api), "a report replaced the record before its last part"
    limit = _profile(external, "ChargingStationExternalConstraints", limit=20.0)
    await station.call("ReportChargingProfiles", {"requestId": request_id, "chargingLimitSource": "EMS",
                                                  "evseId": 0, "chargingProfile": [limit]})
    held = await _held(api)
    assert believed not in held
    assert held[reported]["learntFrom"] == "ReportChargingProfiles" and held[reported]["evseId"] == 1
    assert (held[external]["source"], held[external]["evseId"]) == ("EMS", 0)
    # NoProfiles for an id: the record holds none of it either
    await relayed(api, station, "GetChargingProfiles", {"requestId": _id(), "chargingProfile": {
        "chargingProfileId": [reported]}}, reply={"status": "NoProfiles"})
    assert reported not in await _held(api)
    await relayed(api, station, "GetChargingProfiles", {"requestId": _id(), "chargingProfile": {
        "chargingLimitSource": ["EMS"]}}, reply={"status": "NoProfiles"})
    assert external not in await _held(api)


async def test_remote_start_profile_follows_its_transaction(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                            open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    profile_id, remote_start_id = _id(), _id()
    profile = _profile(profile_id, "TxProfile", kind="Relative")
    await relayed(api, station, "RequestStartTransaction", {"idToken": TOKEN, "remoteStartId": remote_start_id,
                                                          "evseId": 1, "chargingProfile": profile})
    assert (await _held(api))[profile_id]["waitingForRemoteStartId"] == remote_start_id
    tx_id = await _start_transaction(station, remoteStartId=remote_start_id)
    bound = (await _held(api))[profile_id]
    assert bound["waitingForRemoteStartId"] is None and bound["chargingProfile"]["transactionId"] == tx_id
    await _end_transaction(station, tx_id)
    assert profile_id not in await _held(api), "a TxProfile outlived its transaction"


# -- what the CSMS refuses to send ----------------------------------------------------------


async def test_invalid_requests_are_refused_with_reasons(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                         open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    path = "set-charging-profile"
    tx_profile = _profile(_id(), "TxProfile", kind="Relative")
    assert any("transactionId is missing" in e for e in await refused(api, station, path, {
        "evseId": 1, "chargingProfile": tx_profile}))
    late_start = _profile(_id())
    late_start["chargingSchedule"][0]["chargingSchedulePeriod"][0]["startPeriod"] = 30
    assert any("K01.FR.31" in e for e in await refused(api, station, path, {"evseId": 1,
                                                                             "chargingProfile": late_start}))
    assert any("evseId 0" in e for e in await refused(api, station, path, {
        "evseId": 1, "chargingProfile": _profile(_id(), "ChargingStationMaxProfile")}))
    assert any("never by the CSMS" in e for e in await refused(api, station, path, {
        "evseId": 0, "chargingProfile": _profile(_id(), "ChargingStationExternalConstraints")}))
    assert any("F01.FR.11" in e for e in await refused(api, station, "request-start-transaction", {
        "idToken": TOKEN, "remoteStartId": _id(), "chargingProfile": tx_profile | {"transactionId": "x"}}))
    assert any("K09.FR.03" in e for e in await refused(api, station, "get-charging-profiles", {
        "requestId": _id(), "evseId": 1, "chargingProfile": {}}))
    assert any("K10.FR.02" in e for e in await refused(api, station, "clear-charging-profile", {}))
    # TxProfiles against what the CSMS knows of the transaction
    tx_id = await _start_transaction(station, evse_id=2)
    assert any("runs on EVSE 2" in e for e in await refused(api, station, path, {
        "evseId": 1, "chargingProfile": tx_profile | {"transactionId": tx_id}}))
    first = tx_profile | {"transactionId": tx_id, "stackLevel": 1}
    await relayed(api, station, "SetChargingProfile", {"evseId": 2, "chargingProfile": first})
    second = first | {"id": _id(), "stackLevel": 2}
    assert any("one TxProfile per transaction" in e for e in await refused(api, station, path, {
        "evseId": 2, "chargingProfile": second}))
    # the same stack level replaces it: allowed
    await relayed(api, station, "SetChargingProfile", {"evseId": 2, "chargingProfile": second | {"stackLevel": 1}})
    await _end_transaction(station, tx_id)
    assert any("has ended" in e for e in await refused(api, station, path, {
        "evseId": 2, "chargingProfile": tx_profile | {"transactionId": tx_id}}))
    # a transaction the CSMS has not heard of: the station decides (TC_K_02)
    unknown = tx_profile | {"transactionId": f"tx-{uuid.uuid4().hex[:8]}"}
    await relayed(api, station, "SetChargingProfile", {"evseId": 1, "chargingProfile": unknown},
                reply={"status": "Rejected"})


async def test_requests_beyond_what_the_station_reported_are_refused(start_csms: CsmsStarter,
                                                                     open_station: StationOpener) -> None:
    csms = start_csms()
    station = await open_station(csms, STATION)
    component = {"name": "SmartChargingCtrlr"}
    await station.call("NotifyReport", {"requestId": 1, "generatedAt": rfc3339(), "seqNo": 0, "reportData": [
        {"component": component, "variable": {"name": name}, "variableAttribute": [{"value": value}]}
        for name, value in (("RateUnit", "A"), ("ProfileStackLevel", "2"), ("PeriodsPerSchedule", "1"))]})
    profile = _profile(_id(), unit="W", stack=3)
    profile["chargingSchedule"][0]["chargingSchedulePeriod"].append({"startPeriod": 60, "limit": 8.0})
    async with httpx.AsyncClient(base_url=csms.api, timeout=10.0) as api:
        errors = await refused(api, station, "set-charging-profile", {"evseId": 1, "chargingProfile": profile})
        assert any("RateUnit" in e for e in errors) and any("ProfileStackLevel" in e for e in errors)
        assert any("PeriodsPerSchedule" in e for e in errors)
        assert any("RateUnit" in e for e in await refused(api, station, "get-composite-schedule", {
            "duration": 60, "evseId": 1, "chargingRateUnit": "W"}))
        await relayed(api, station, "SetChargingProfile", {"evseId": 1, "chargingProfile": _profile(_id(), stack=2)})


# -- external limits, load levelling, composite schedules --------------------------------------


async def test_external_limits_are_kept_until_cleared(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                      open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP202_SP2")
    schedule = {"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}]}
    assert await station.call("NotifyChargingLimit", {"evseId": 1, "chargingLimit": {
        "chargingLimitSource": "EMS", "isGridCritical": True}, "chargingSchedule": [schedule]}) == {}
    detail = (await api.get("/api/stations/CP202_SP2")).json()
    assert [(x["evseId"], x["chargingLimitSource"], x["isGridCritical"]) for x in detail["externalLimits"]] == [
        (1, "EMS", True)]
    # The station also reported the limit as a ChargingStationExternalConstraints profile.
    request_id, reported = _id(), _id()
    await relayed(api, station, "GetChargingProfiles", {"requestId": request_id, "chargingProfile": {
        "chargingLimitSource": ["EMS"]}})
    await station.call("ReportChargingProfiles", {"requestId": request_id, "chargingLimitSource": "EMS", "evseId": 1,
                                                  "chargingProfile": [_profile(reported, EXTERNAL, limit=10.0)]})
    assert reported in await _held(api, "CP202_SP2")
    assert await station.call("ClearedChargingLimit", {"chargingLimitSource": "EMS", "evseId": 1}) == {}
    assert (await api.get("/api/stations/CP202_SP2")).json()["externalLimits"] == []
    assert reported not in await _held(api, "CP202_SP2"), "a released limit still caps the station as a profile"


def _needs(max_current: int = 16, min_current: int = 6, tuples: int = 3) -> Payload:
    return {"evseId": 1, "maxScheduleTuples": tuples, "chargingNeeds": {
        "requestedEnergyTransfer": "AC_three_phase", "acChargingParameters": {
            "energyAmount": 20_000, "evMinCurrent": min_current, "evMaxCurrent": max_current, "evMaxVoltage": 400}}}


def _ev_schedule(limit: float) -> Payload:
    """The EV's schedule for the next 5 minutes (the external limit of 9 A starts later)."""
    return {"evseId": 1, "timeBase": rfc3339(), "chargingSchedule": {
        "id": 1, "duration": 300, "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}}


async def test_load_levelling_grants_sends_and_renegotiates(start_csms: CsmsStarter,
                                                            open_station: StationOpener) -> None:
    csms = start_csms()
    station = await open_station(csms, STATION)
    assert (await station.call("NotifyEVChargingNeeds", _needs()))["status"] == "Rejected"  # no transaction
    async with httpx.AsyncClient(base_url=csms.api, timeout=10.0) as api:
        await relayed(api, station, "SetChargingProfile", {"evseId": 0, "chargingProfile": _profile(
            _id(), "ChargingStationMaxProfile", limit=12.0)})
    assert (await station.call("NotifyChargingLimit", {"evseId": 1, "chargingLimit": {"chargingLimitSource": "SO"},
                                                       "chargingSchedule": [{
        "id": 1, "startSchedule": rfc3339(datetime.now(UTC) + timedelta(seconds=600)), "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 9.0}]}]})) == {}
    tx_id = await _start_transaction(station)
    async with station.expect("SetChargingProfile") as sent:
        assert await station.call("NotifyEVChargingNeeds", _needs()) == ACCEPTED
    request = sent.payload
    profile = request["chargingProfile"]
    assert (request["evseId"], profile["chargingProfilePurpose"], profile["transactionId"]) == (1, "TxProfile", tx_id)
    periods = profile["chargingSchedule"][0]["chargingSchedulePeriod"]
    # the station maximum (12 A) now, the external limit (9 A) from 600 s on; the EV could take 16 A
    assert [(p["startPeriod"], p["limit"]) for p in periods] == [(0, 12.0), (600, 9.0)]
    assert profile["chargingProfileKind"] == "Absolute"
    assert profile["chargingSchedule"][0]["id"] and periods[0]["numberPhases"] == 3

    assert await station.call("NotifyEVChargingSchedule", _ev_schedule(11.0)) == ACCEPTED
    async with station.expect("SetChargingProfile") as again:
        answer = await station.call("NotifyEVChargingSchedule", _ev_schedule(14.0))
    assert answer["status"] == "Rejected" and "allows 12" in answer["statusInfo"]["additionalInfo"]
    assert again.payload == request, "the renegotiation did not send the TxProfile again"
    # the EV renegotiates (K17): the same profile id for the transaction, a new grant
    async with station.expect("SetChargingProfile") as renewed:
        assert await station.call("NotifyEVChargingNeeds", _needs(max_current=10)) == ACCEPTED
    assert renewed.payload["chargingProfile"]["id"] == profile["id"]
    assert renewed.payload["chargingProfile"]["chargingSchedule"][0]["chargingSchedulePeriod"][0]["limit"] == 10.0
    # an EV whose minimum is above what can be granted
    assert (await station.call("NotifyEVChargingNeeds", _needs(max_current=32, min_current=13)))["status"] == \
        "Rejected"
    async with httpx.AsyncClient(base_url=csms.api, timeout=10.0) as api:
        levelling = (await api.get(f"/api/stations/{STATION}")).json()["loadLevelling"]
    assert [(x["transactionId"], x["needsStatus"], x["profileId"], x["scheduleStatus"], x["renegotiations"])
            for x in levelling] == [(tx_id, "Rejected", profile["id"], "Rejected", 1)]
    await _end_transaction(station, tx_id)


async def test_composite_schedule_differences_are_logged_and_kept(
        reference_csms: RunningCsms, api: httpx.AsyncClient, open_station: StationOpener,
        caplog: pytest.LogCaptureFixture) -> None:
    station = await open_station(reference_csms, "CP202_SP2")
    profile_id = _id()
    await relayed(api, station, "SetChargingProfile", {"evseId": 2, "chargingProfile": _profile(profile_id, limit=10.0,
                                                                                              stack=9)})
    start = rfc3339(datetime.now(UTC).replace(microsecond=0))
    reported = {"evseId": 2, "duration": 300, "scheduleStart": start, "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}, {"startPeriod": 120, "limit": 12.0}]}
    with caplog.at_level(logging.WARNING, logger="csmscheck.csms"):
        await relayed(api, station, "GetCompositeSchedule", {"duration": 300, "evseId": 2, "chargingRateUnit": "A"},
                    reply={"status": "Accepted", "schedule": reported})
    checks = {c["evseId"]: c for c in (await api.get("/api/stations/CP202_SP2")).json()["compositeChecks"]}
    assert checks[2]["discrepancies"] == [{"offset": 120, "expected": 10.0, "reported": 12.0}]
    assert any("CP202_SP2" in r.getMessage() and "+120s" in r.getMessage() for r in caplog.records)
    await relayed(api, station, "ClearChargingProfile", {"chargingProfileId": profile_id})


async def test_profiles_and_limits_survive_a_restart(start_csms: CsmsStarter, open_station: StationOpener) -> None:
    csms = start_csms()
    station = await open_station(csms, STATION)
    profile_id = _id()
    async with httpx.AsyncClient(base_url=csms.api, timeout=10.0) as api:
        await relayed(api, station, "SetChargingProfile", {"evseId": 1, "chargingProfile": _profile(profile_id)})
    await station.call("NotifyChargingLimit", {"chargingLimit": {"chargingLimitSource": "EMS"}})
    await station.close()
    csms.stop()
    again = start_csms(db_path=csms.db_path)
    async with httpx.AsyncClient(base_url=again.api, timeout=10.0) as api:
        assert profile_id in await _held(api)
        limits = (await api.get(f"/api/stations/{STATION}")).json()["externalLimits"]
    assert [(x["evseId"], x["chargingLimitSource"]) for x in limits] == [(0, "EMS")]
