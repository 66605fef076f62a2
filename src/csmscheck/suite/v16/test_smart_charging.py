"""Chapter 3.19: charging profiles the Central System sets, reads and clears."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from csmscheck.expect import ABSENT, ANY_STR, Matcher, absent_or, assert_matches, one_of
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v16 as states
from csmscheck.station.states import v16_extra as extra
from csmscheck.station.v16 import Payload
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v16.csms_calls import check_relayed, csms_sends
from csmscheck.timestamps import rfc3339

ACCEPTED = {"status": "Accepted"}


def configured_period(cfg: Settings) -> dict[str, Any]:
    """6 A or 6000 W from <startPeriod>; three phases may go unsaid, as three is the default."""
    return {"startPeriod": cfg.start_period, "limit": one_of(6.0, 6000.0),
            "numberPhases": absent_or(3) if cfg.number_phases == 3 else cfg.number_phases}


SOME_PERIODS = Matcher("<at least one period>", lambda v: isinstance(v, list) and len(v) > 0)


def assert_first_period(request: Payload, profile_key: str, pattern: dict[str, Any], step: str) -> None:
    """The first period of the profile's schedule matches ``pattern``: the OCTT checks "the" period's fields,
    and says nothing of further periods."""
    periods = request[profile_key]["chargingSchedule"]["chargingSchedulePeriod"]
    assert_matches(periods[0], pattern, f"{step}: {profile_key}.chargingSchedule.chargingSchedulePeriod[0]")


async def _set_profile(station: Station, csms: Csms, connector_id: int, profile: Payload, steps: tuple[str, str],
                       expected: dict[str, Any], *, first_period: dict[str, Any] | None = None) -> Payload:
    """The CSMS sends SetChargingProfile; the station accepts; the request must match ``expected``
    (and its first period ``first_period``: what the OCTT validates). That it carries the profile asked for
    is the generic csmscheck check CSC-REQ-01. Returns the request."""
    request_step = f"{steps[0]}: SetChargingProfile.req"
    sent = await csms_sends(station, csms, "SetChargingProfile",
                            {"connectorId": connector_id, "csChargingProfiles": profile}, request_step,
                            reply=ACCEPTED)
    assert_matches(sent.payload, expected, request_step)
    if first_period is not None:
        assert_first_period(sent.payload, "csChargingProfiles", first_period, request_step)
    check_relayed(station, sent, f"{steps[1]}: SetChargingProfile.conf")
    return sent.payload


async def _clear_profile(station: Station, csms: Csms, criteria: Payload, steps: tuple[str, str],
                         expected: dict[str, Any]) -> None:
    request_step = f"{steps[0]}: ClearChargingProfile.req"
    sent = await csms_sends(station, csms, "ClearChargingProfile", criteria, request_step, reply=ACCEPTED)
    assert_matches(sent.payload, expected, request_step)
    check_relayed(station, sent, f"{steps[1]}: ClearChargingProfile.conf")


def _tx_default_profile(cfg: Settings, stack_level: int) -> Payload:
    now = datetime.now(UTC)
    return extra.charging_profile(cfg, "TxDefaultProfile", "Absolute", stack_level=stack_level,
                                  validFrom=rfc3339(now), validTo=rfc3339(now + timedelta(days=1)),
                                  schedule=extra.charging_schedule(cfg, startSchedule=rfc3339(now)))


@octt("TC_056", chapter="3.19")
async def test_tc_056(station: Station, csms: Csms, cfg: Settings) -> None:
    """Central Smart Charging - TxDefaultProfile."""
    profile = _tx_default_profile(cfg, cfg.stack_level)

    async def clear() -> None:  # the default profile would outlive the case
        await csms_sends(station, csms, "ClearChargingProfile", {"id": profile["chargingProfileId"]},
                         "Clean-up: ClearChargingProfile.req", reply=ACCEPTED)

    async with extra.restoring(station, clear):
        await _set_profile(station, csms, cfg.connector_id, profile, ("Step 1", "Step 2"), {
            "connectorId": cfg.connector_id,
            "csChargingProfiles": {
                "stackLevel": cfg.stack_level, "chargingProfilePurpose": "TxDefaultProfile",
                "chargingProfileKind": "Absolute", "validFrom": ANY_STR, "validTo": ANY_STR,
                "chargingSchedule": {"startSchedule": ANY_STR, "chargingRateUnit": cfg.charging_rate_unit,
                                     "duration": cfg.schedule_duration,
                                     "chargingSchedulePeriod": SOME_PERIODS}}},
            first_period=configured_period(cfg))


@octt("TC_057", chapter="3.19")
async def test_tc_057(station: Station, csms: Csms, cfg: Settings) -> None:
    """Central Smart Charging - TxProfile."""
    await states.charging(station)
    transaction_id = states.running_transaction_id(station, "Charging state")
    profile = extra.charging_profile(cfg, "TxProfile", "Relative", transactionId=transaction_id)
    await _set_profile(station, csms, cfg.connector_id, profile, ("Step 1", "Step 2"), {
        "connectorId": cfg.connector_id,
        "csChargingProfiles": {"chargingProfilePurpose": "TxProfile", "transactionId": transaction_id}})


@octt("TC_066", chapter="3.19")
async def test_tc_066(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get Composite Schedule."""
    composite = {"status": "Accepted", "connectorId": cfg.connector_id, "scheduleStart": rfc3339(),
                 "chargingSchedule": extra.charging_schedule(cfg)}
    request = {"connectorId": cfg.connector_id, "duration": cfg.schedule_duration,
               "chargingRateUnit": cfg.charging_rate_unit}
    sent = await csms_sends(station, csms, "GetCompositeSchedule", request, "Step 1: GetCompositeSchedule.req",
                            reply=composite)
    assert_matches(sent.payload, request, "Step 1: GetCompositeSchedule.req")
    check_relayed(station, sent, "Step 2: GetCompositeSchedule.conf")


@octt("TC_067", chapter="3.19")
async def test_tc_067(station: Station, csms: Csms, cfg: Settings) -> None:
    """Clear Charging Profile."""
    ids = []
    for n in range(3):
        level = cfg.stack_level + n
        sent = await _set_profile(station, csms, cfg.connector_id, _tx_default_profile(cfg, level),
                                  (f"Step 1 (charging profile {n + 1})", f"Step 2 (charging profile {n + 1})"), {
            "connectorId": cfg.connector_id,
            "csChargingProfiles": {"chargingProfilePurpose": "TxDefaultProfile", "stackLevel": level}})
        ids.append(sent["csChargingProfiles"]["chargingProfileId"])
    await _clear_profile(station, csms, {"id": ids[0]}, ("Step 3", "Step 4"), {
        "id": ids[0], "connectorId": ABSENT, "chargingProfilePurpose": ABSENT, "stackLevel": ABSENT})
    criteria = {"connectorId": cfg.connector_id, "chargingProfilePurpose": "TxDefaultProfile",
                "stackLevel": cfg.stack_level + 1}
    await _clear_profile(station, csms, criteria, ("Step 5", "Step 6"), {"id": ABSENT} | criteria)
    await _clear_profile(station, csms, {}, ("Step 7", "Step 8"), {
        "id": ABSENT, "connectorId": ABSENT, "chargingProfilePurpose": ABSENT, "stackLevel": ABSENT})


@octt("TC_059", chapter="3.19")
async def test_tc_059(station: Station, csms: Csms, cfg: Settings) -> None:
    """Remote Start Transaction with Charging Profile."""
    # The OCTT validates a first period from 0: the operator asks for one starting there.
    schedule = extra.charging_schedule(cfg)
    schedule["chargingSchedulePeriod"][0]["startPeriod"] = 0
    profile = extra.charging_profile(cfg, "TxProfile", "Relative", schedule=schedule)
    sent = await csms_sends(station, csms, "RemoteStartTransaction", {
        "connectorId": cfg.connector_id, "idTag": cfg.valid_id_token, "chargingProfile": profile},
        "Step 1: RemoteStartTransaction.req", reply=ACCEPTED)
    assert_matches(sent.payload, {
        "idTag": cfg.valid_id_token, "connectorId": cfg.connector_id,
        "chargingProfile": {"chargingProfilePurpose": "TxProfile", "transactionId": ABSENT,
                            "chargingProfileKind": "Relative",
                            "chargingSchedule": {"chargingSchedulePeriod": SOME_PERIODS}}},
        "Step 1: RemoteStartTransaction.req")
    assert_first_period(sent.payload, "chargingProfile", {"startPeriod": 0}, "Step 1: RemoteStartTransaction.req")
    check_relayed(station, sent, "Step 2: RemoteStartTransaction.conf")
    id_tag = str(sent.payload["idTag"])
    await states.present_id_tag(station, "Step 4: Authorize.conf", id_tag)
    # The charging cable is plugged in.
    await states.plug_in(station, "Step 6: StatusNotification.conf")
    await states.start_charging(station, "Step 8: StartTransaction.conf", "Step 10: StatusNotification.conf", id_tag)
