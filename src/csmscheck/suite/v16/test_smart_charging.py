"""Chapter 3.19: charging profiles the Central System sets, reads and clears."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from csmscheck.expect import ABSENT, ANY_STR, absent_or, assert_matches, one_of
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v16 as states
from csmscheck.station.states import v16_extra as extra
from csmscheck.station.v16 import Payload
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms, relayed_answer
from csmscheck.timestamps import rfc3339

ACCEPTED = {"status": "Accepted"}


def configured_period(cfg: Settings) -> dict[str, Any]:
    """6 A or 6000 W from <startPeriod>; three phases may go unsaid, as three is the default."""
    return {"startPeriod": cfg.start_period, "limit": one_of(6.0, 6000.0),
            "numberPhases": absent_or(3) if cfg.number_phases == 3 else cfg.number_phases}


async def _set_profile(station: Station, csms: Csms, connector_id: int, profile: Payload, steps: tuple[str, str],
                       expected: dict[str, Any]) -> Payload:
    """The CSMS sends SetChargingProfile; the station accepts; the request must match ``expected``."""
    async with station.expect("SetChargingProfile", reply=ACCEPTED) as got:
        reply = await csms.request(station, "SetChargingProfile",
                                   {"connectorId": connector_id, "csChargingProfiles": profile})
    assert_matches(got.payload, expected, f"{steps[0]}: SetChargingProfile.req")
    answer = relayed_answer(reply, steps[1])
    if answer is not None:
        assert_matches(answer, ACCEPTED, f"{steps[1]}: the CSMS's record of SetChargingProfile.conf")
    return got.payload


async def _clear_profile(station: Station, csms: Csms, criteria: Payload, steps: tuple[str, str],
                         expected: dict[str, Any]) -> None:
    async with station.expect("ClearChargingProfile", reply=ACCEPTED) as got:
        reply = await csms.request(station, "ClearChargingProfile", criteria)
    assert_matches(got.payload, expected, f"{steps[0]}: ClearChargingProfile.req")
    answer = relayed_answer(reply, steps[1])
    if answer is not None:
        assert_matches(answer, ACCEPTED, f"{steps[1]}: the CSMS's record of ClearChargingProfile.conf")


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
        await _clear_profile(station, csms, {"id": profile["chargingProfileId"]}, ("Clean-up", "Clean-up"), {})

    async with extra.restoring(station, clear):
        await _set_profile(station, csms, cfg.connector_id, profile, ("Step 1", "Step 2"), {
            "connectorId": cfg.connector_id,
            "csChargingProfiles": {
                "stackLevel": cfg.stack_level, "chargingProfilePurpose": "TxDefaultProfile",
                "chargingProfileKind": "Absolute", "validFrom": ANY_STR, "validTo": ANY_STR,
                "chargingSchedule": {"startSchedule": ANY_STR, "chargingRateUnit": cfg.charging_rate_unit,
                                     "duration": cfg.schedule_duration,
                                     "chargingSchedulePeriod": [configured_period(cfg)]}}})


@octt("TC_057", chapter="3.19")
async def test_tc_057(station: Station, csms: Csms, cfg: Settings) -> None:
    """Central Smart Charging - TxProfile."""
    await states.charging(station)
    tx = station.model.transaction
    assert tx is not None, "Charging state: the station has no transaction"
    profile = extra.charging_profile(cfg, "TxProfile", "Relative", transactionId=int(tx.id))
    await _set_profile(station, csms, cfg.connector_id, profile, ("Step 1", "Step 2"), {
        "connectorId": cfg.connector_id,
        "csChargingProfiles": {"chargingProfilePurpose": "TxProfile", "transactionId": int(tx.id)}})


@octt("TC_066", chapter="3.19")
async def test_tc_066(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get Composite Schedule."""
    composite = {"status": "Accepted", "connectorId": cfg.connector_id, "scheduleStart": rfc3339(),
                 "chargingSchedule": extra.charging_schedule(cfg)}
    request = {"connectorId": cfg.connector_id, "duration": cfg.schedule_duration,
               "chargingRateUnit": cfg.charging_rate_unit}
    async with station.expect("GetCompositeSchedule", reply=composite) as got:
        reply = await csms.request(station, "GetCompositeSchedule", request)
    assert_matches(got.payload, request, "Step 1: GetCompositeSchedule.req")
    answer = relayed_answer(reply, "Step 2")
    if answer is not None:
        assert_matches(answer, composite, "Step 2: the composite schedule the CSMS retrieved")


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
    profile = extra.charging_profile(cfg, "TxProfile", "Relative")
    async with station.expect("RemoteStartTransaction", reply=ACCEPTED) as got:
        reply = await csms.request(station, "RemoteStartTransaction", {
            "connectorId": cfg.connector_id, "idTag": cfg.valid_id_token, "chargingProfile": profile})
    assert_matches(got.payload, {
        "idTag": cfg.valid_id_token, "connectorId": cfg.connector_id,
        "chargingProfile": {"chargingProfilePurpose": "TxProfile", "transactionId": ABSENT,
                            "chargingProfileKind": "Relative",
                            "chargingSchedule": {"chargingSchedulePeriod": [{"startPeriod": 0}]}}},
        "Step 1: RemoteStartTransaction.req")
    answer = relayed_answer(reply, "Step 2")
    if answer is not None:
        assert_matches(answer, ACCEPTED, "Step 2: the CSMS's record of RemoteStartTransaction.conf")
    id_tag = str(got.payload["idTag"])
    await states.present_id_tag(station, "Step 4: Authorize.conf", id_tag)
    # The charging cable is plugged in.
    await extra.report_connector(station, cfg.connector_id, "Preparing", "Step 6: StatusNotification.conf")
    station.model.ev_connected = True
    await states.start_charging(station, "Step 8: StartTransaction.conf", id_tag)
