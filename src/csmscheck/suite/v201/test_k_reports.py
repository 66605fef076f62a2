"""Block K: the CSMS reads the profiles a station holds (K09), and starts a transaction with a profile (K05, F01).

For K_29-K_36 the station already holds a profile that matches what the case asks for (as
the OCTT's station does), so it accepts the GetChargingProfilesRequest and reports it:
ReportChargingProfiles with the received requestId, one per EVSE, each answered by the CSMS.
The CSMS is asked for the criterion the definition names; where it names only an EVSE, for
the configured purpose too, as K09.FR.03 wants a criterion besides the EVSE.
"""

from __future__ import annotations

from typing import Any

import pytest

from csmscheck.checks import v201 as v201_checks
from csmscheck.expect import ABSENT, ANY_INT, Matcher, step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v201 as states
from csmscheck.station.v201 import Payload
from csmscheck.suite.findings import check_matches
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v201.operations_steps import fresh_id
from csmscheck.suite.v201.profile_steps import (
    ACCEPTED,
    NOT_OMITTED,
    Validations,
    answer_reported,
    check_well_formed,
    get_profiles,
    held_profile,
    profiles_cleared,  # noqa: F401  (the fixture, used through pytestmark)
    profiles_request,
    report_profiles,
    requested_profile,
    start_schedule_by_kind,
    validate,
)

pytestmark = pytest.mark.usefixtures("profiles_cleared")

GET = "GetChargingProfilesRequest"
K09 = ["K09.FR.03"]


def _held(station: Station, evse_id: int) -> Payload:
    """The station holds a profile of the configured purpose and stack level on ``evse_id``; one of the
    configured limit source where that is not the CSO (an external system's limit)."""
    cfg = station.cfg
    if cfg.charging_limit_source != "CSO":
        return held_profile(station, "ChargingStationExternalConstraints", evse_id, source=cfg.charging_limit_source)
    return held_profile(station, cfg.charging_profile_purpose, evse_id)


def contains(value: Any) -> Any:
    return Matcher(f"<a list holding {value!r}>", lambda items: isinstance(items, list) and value in items)


async def _read(station: Station, csms: Csms, asked: Payload, validations: Validations) -> Payload:
    """Steps 1-4: the CSMS sends GetChargingProfiles as asked (validated), the station accepts (step 2) and
    reports what matches (step 3), each report answered (step 4). Returns the request."""
    request = await get_profiles(station, csms, asked)
    validate(request, validations, f"Step 1: {GET}")
    await report_profiles(station, request, "Step 3")
    return request


def _purpose(cfg: Settings) -> Payload:
    return {"chargingProfilePurpose": cfg.charging_profile_purpose}


@octt("TC_K_29", reqs=K09)
async def test_tc_k_29(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get Charging Profile - EvseId 0."""
    await states.energy_transfer_started(station)
    _held(station, 0)
    await _read(station, csms, profiles_request(cfg, 0, _purpose(cfg)), [
        ("evseId", 0),
        ("chargingProfile.chargingProfilePurpose", cfg.charging_profile_purpose),
    ])


@octt("TC_K_30", reqs=K09)
async def test_tc_k_30(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get Charging Profile - EvseId > 0."""
    _held(station, cfg.evse_id)
    await _read(station, csms, profiles_request(cfg, cfg.evse_id, _purpose(cfg)), [("evseId", cfg.evse_id)])


@octt("TC_K_31", reqs=K09)
async def test_tc_k_31(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get Charging Profile - No EvseId."""
    for evse_id in range(1, cfg.number_of_evses + 1):
        _held(station, evse_id)
    await _read(station, csms, profiles_request(cfg, None, _purpose(cfg)), [("evseId", ABSENT)])


@octt("TC_K_32", reqs=K09)
async def test_tc_k_32(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get Charging Profile - chargingProfileId."""
    profile_id = _held(station, cfg.evse_id)["id"]
    await _read(station, csms, profiles_request(cfg, None, {"chargingProfileId": [profile_id]}), [
        ("chargingProfile.chargingProfileId", contains(profile_id)),
        ("requestId", ANY_INT),
    ])


@octt("TC_K_33", reqs=K09)
async def test_tc_k_33(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get Charging Profile - EvseId > 0 + stackLevel."""
    _held(station, cfg.evse_id)
    await _read(station, csms, profiles_request(cfg, cfg.evse_id, {"stackLevel": cfg.stack_level}), [
        ("evseId", cfg.evse_id),
        ("chargingProfile.stackLevel", cfg.stack_level),
    ])


@octt("TC_K_34", reqs=K09)
async def test_tc_k_34(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get Charging Profile - EvseId > 0 + chargingLimitSource."""
    _held(station, cfg.evse_id)
    asked = profiles_request(cfg, cfg.evse_id, {"chargingLimitSource": [cfg.charging_limit_source]})
    await _read(station, csms, asked, [
        ("evseId", cfg.evse_id),
        ("chargingProfile.chargingLimitSource", contains(cfg.charging_limit_source)),
    ])


@octt("TC_K_35", reqs=K09)
async def test_tc_k_35(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get Charging Profile - EvseId > 0 + chargingProfilePurpose."""
    _held(station, cfg.evse_id)
    await _read(station, csms, profiles_request(cfg, cfg.evse_id, _purpose(cfg)), [
        ("evseId", cfg.evse_id),
        ("chargingProfile.chargingProfilePurpose", cfg.charging_profile_purpose),
    ])


@octt("TC_K_36", reqs=K09)
async def test_tc_k_36(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get Charging Profile - EvseId > 0 + chargingProfilePurpose + stackLevel."""
    _held(station, cfg.evse_id)
    asked = profiles_request(cfg, cfg.evse_id, _purpose(cfg) | {"stackLevel": cfg.stack_level})
    await _read(station, csms, asked, [
        ("evseId", cfg.evse_id),
        ("chargingProfile.chargingProfilePurpose", cfg.charging_profile_purpose),
        ("chargingProfile.stackLevel", cfg.stack_level),
    ])


@octt("TC_K_37", reqs=["K05.FR.02", "F01.FR.08", "F01.FR.09", "F01.FR.11"])
async def test_tc_k_37(station: Station, csms: Csms, cfg: Settings) -> None:
    """Remote start transaction with charging profile - Success."""
    profile = requested_profile(cfg, "TxProfile", "Relative", amps=10)
    asked = {"idToken": states.valid_token(station), "remoteStartId": fresh_id(), "evseId": cfg.evse_id,
             "chargingProfile": profile}
    label = "Step 1: RequestStartTransactionRequest"
    with step("Step 1"):
        async with station.expect("RequestStartTransaction", reply=ACCEPTED) as got:
            reported = await csms.request(station, "RequestStartTransaction", asked)
    answer_reported(station, reported, got.answer, "Step 2: RequestStartTransactionResponse")
    request = got.payload
    validate(request, [
        ("idToken.idToken", cfg.valid_id_token),
        ("idToken.type", cfg.valid_id_token_type),
        ("evseId", cfg.evse_id),
        ("chargingProfile", NOT_OMITTED),
        ("chargingProfile.chargingProfilePurpose", "TxProfile"),
        ("chargingProfile.transactionId", ABSENT),
        ("chargingProfile.chargingProfileKind", Matcher("<Relative or Absolute>",
                                                        lambda kind: kind in ("Relative", "Absolute"))),
        *start_schedule_by_kind(request),
    ], label)
    check_well_formed(station, request["chargingProfile"], label, evse_id=request["evseId"], in_remote_start=True)
    with step("Step 3"):
        response = await states.send_event(station, "Started", "RemoteStart", token=request["idToken"],
                                           remote_start_id=request["remoteStartId"])
    check_matches(station, v201_checks.VALID_TOKEN_IN_TRANSACTION, response, states.ACCEPTED_TOKEN,
                  "Step 4: TransactionEventResponse")
    station.model.authorized = True
    tx = station.model.transaction
    if tx is not None:  # the station holds the profile for the transaction it started
        station.charging_profiles.install(request["evseId"], request["chargingProfile"] | {"transactionId": tx.id})
