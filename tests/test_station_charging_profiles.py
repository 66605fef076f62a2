"""The virtual 2.0.1 station's charging profiles: what it accepts, replaces, clears, reports and combines."""

from __future__ import annotations

from typing import Any

from scripted_csms import csms_asking

from csmscheck.settings import load_settings
from csmscheck.station.charging_profiles import ChargingProfiles
from csmscheck.station.model import StationModel
from csmscheck.station.station import Endpoint, Station

Payload = dict[str, Any]
START = "2026-01-01T00:00:00Z"


def profile(profile_id: int, purpose: str = "TxDefaultProfile", *, stack_level: int = 0, kind: str = "Absolute",
            limit: float = 6.0, transaction_id: str | None = None) -> Payload:
    schedule: Payload = {"id": 1, "chargingRateUnit": "A",
                         "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}
    if kind != "Relative":
        schedule["startSchedule"] = START
    made: Payload = {"id": profile_id, "stackLevel": stack_level, "chargingProfilePurpose": purpose,
                     "chargingProfileKind": kind, "chargingSchedule": [schedule]}
    if transaction_id is not None:
        made["transactionId"] = transaction_id
    return made


def station_profiles(evses: int = 2) -> tuple[ChargingProfiles, StationModel]:
    model = StationModel()
    return ChargingProfiles(model, lambda: evses), model


def ids(profiles: ChargingProfiles) -> list[int]:
    return [held.profile["id"] for held in profiles.profiles()]


def running(model: StationModel, evse_id: int = 1) -> str:
    tx = model.new_transaction(evse_id, 1)
    tx.started = True
    return tx.id


# -- SetChargingProfile ---------------------------------------------------------------------


def test_a_default_profile_is_accepted_and_held() -> None:
    profiles, _ = station_profiles()
    assert profiles.set_charging_profile({"evseId": 1, "chargingProfile": profile(5)}) == {"status": "Accepted"}
    assert ids(profiles) == [5]


def test_the_same_id_replaces_the_profile_wherever_it_was() -> None:
    profiles, _ = station_profiles()
    profiles.set_charging_profile({"evseId": 1, "chargingProfile": profile(5, limit=8.0)})
    profiles.set_charging_profile({"evseId": 2, "chargingProfile": profile(5, limit=6.0, stack_level=3)})
    (held,) = profiles.profiles()
    assert (held.evse_id, held.profile["chargingSchedule"][0]["chargingSchedulePeriod"][0]["limit"]) == (2, 6.0)


def test_same_stack_level_purpose_and_evse_replace_another_id() -> None:
    profiles, _ = station_profiles()
    profiles.set_charging_profile({"evseId": 1, "chargingProfile": profile(5)})
    profiles.set_charging_profile({"evseId": 1, "chargingProfile": profile(6)})
    profiles.set_charging_profile({"evseId": 1, "chargingProfile": profile(7, stack_level=1)})
    profiles.set_charging_profile({"evseId": 2, "chargingProfile": profile(8)})
    assert ids(profiles) == [6, 7, 8]


def test_a_tx_profile_needs_the_transaction_running_on_that_evse() -> None:
    profiles, model = station_profiles()
    rejected = profiles.set_charging_profile({"evseId": 1, "chargingProfile": profile(5, "TxProfile",
                                                                                       transaction_id="T-1")})
    assert rejected["status"] == "Rejected" and rejected["statusInfo"]["reasonCode"] == "TxNotFound"
    transaction_id = running(model, evse_id=1)
    for evse_id, named in ((2, transaction_id), (1, "another"), (0, transaction_id)):
        answer = profiles.set_charging_profile({"evseId": evse_id, "chargingProfile": profile(
            5, "TxProfile", transaction_id=named)})
        assert answer["status"] == "Rejected", (evse_id, named)
    accepted = profiles.set_charging_profile({"evseId": 1, "chargingProfile": profile(
        5, "TxProfile", transaction_id=transaction_id)})
    assert accepted == {"status": "Accepted"}


def test_a_tx_profile_ends_with_its_transaction() -> None:
    profiles, model = station_profiles()
    transaction_id = running(model)
    profiles.set_charging_profile({"evseId": 1, "chargingProfile": profile(5, "TxProfile",
                                                                           transaction_id=transaction_id)})
    profiles.set_charging_profile({"evseId": 1, "chargingProfile": profile(6)})
    model.end_transaction()
    assert ids(profiles) == [6]


def test_what_a_csms_cannot_set_is_rejected() -> None:
    profiles, _ = station_profiles(evses=2)
    for evse_id, purpose in ((1, "ChargingStationMaxProfile"), (0, "ChargingStationExternalConstraints"),
                             (3, "TxDefaultProfile")):
        answer = profiles.set_charging_profile({"evseId": evse_id, "chargingProfile": profile(5, purpose)})
        assert answer["status"] == "Rejected", (evse_id, purpose)
    assert ids(profiles) == []


# -- ClearChargingProfile -------------------------------------------------------------------


def test_clearing_by_id_or_criteria_says_whether_anything_was_cleared() -> None:
    profiles, _ = station_profiles()
    profiles.install(1, profile(5))
    profiles.install(1, profile(6, stack_level=2))
    profiles.install(0, profile(7, "ChargingStationMaxProfile"))
    profiles.install(0, profile(8, "ChargingStationExternalConstraints"), source="EMS")
    assert profiles.clear_charging_profile({"chargingProfileId": 99}) == {"status": "Unknown"}
    assert profiles.clear_charging_profile({"chargingProfileId": 5}) == {"status": "Accepted"}
    criteria = {"evseId": 1, "chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 0}
    assert profiles.clear_charging_profile({"chargingProfileCriteria": criteria}) == {"status": "Unknown"}
    criteria["stackLevel"] = 2
    assert profiles.clear_charging_profile({"chargingProfileCriteria": criteria}) == {"status": "Accepted"}
    assert ids(profiles) == [7, 8]
    assert profiles.clear_charging_profile({}) == {"status": "Accepted"}
    assert ids(profiles) == [8]  # an external system's limit is not the CSMS's to clear


# -- GetChargingProfiles --------------------------------------------------------------------


def test_nothing_matching_is_no_profiles() -> None:
    profiles, _ = station_profiles()
    profiles.install(1, profile(5))
    request = {"requestId": 3, "evseId": 2, "chargingProfile": {"chargingProfilePurpose": "TxDefaultProfile"}}
    assert profiles.get_charging_profiles(request) == {"status": "NoProfiles"}
    assert profiles.reports(request) == []


def test_reports_come_one_per_evse_and_source_with_tbc_on_all_but_the_last() -> None:
    profiles, _ = station_profiles()
    profiles.install(2, profile(6))
    profiles.install(1, profile(5))
    profiles.install(1, profile(7, stack_level=1))
    profiles.install(0, profile(8, "ChargingStationMaxProfile"))
    request = {"requestId": 3, "chargingProfile": {"chargingProfilePurpose": "TxDefaultProfile"}}
    assert profiles.get_charging_profiles(request) == {"status": "Accepted"}
    parts = profiles.reports(request)
    assert [(p["requestId"], p["evseId"], p["chargingLimitSource"], [c["id"] for c in p["chargingProfile"]],
             p["tbc"]) for p in parts] == [(3, 1, "CSO", [5, 7], True), (3, 2, "CSO", [6], False)]


def test_every_criterion_named_must_hold() -> None:
    profiles, _ = station_profiles()
    profiles.install(1, profile(5))
    profiles.install(1, profile(6, stack_level=2))
    profiles.install(1, profile(7, "ChargingStationExternalConstraints"), source="EMS")

    def reported(evse_id: int | None, criteria: Payload) -> list[int]:
        request: Payload = {"requestId": 1, "chargingProfile": criteria}
        if evse_id is not None:
            request["evseId"] = evse_id
        return [c["id"] for part in profiles.reports(request) for c in part["chargingProfile"]]

    assert reported(1, {"stackLevel": 2}) == [6]
    assert reported(None, {"chargingProfileId": [5, 7]}) == [5, 7]
    assert reported(1, {"chargingLimitSource": ["EMS", "SO"]}) == [7]
    assert reported(1, {"chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 0}) == [5]
    assert reported(0, {"chargingProfilePurpose": "TxDefaultProfile"}) == []


# -- GetCompositeSchedule -------------------------------------------------------------------


def test_the_composite_schedule_takes_the_lowest_of_default_and_station_maximum() -> None:
    profiles, _ = station_profiles()
    profiles.install(1, profile(5, limit=16.0))
    profiles.install(0, profile(6, "ChargingStationMaxProfile", limit=10.0))
    answer = profiles.get_composite_schedule({"evseId": 1, "duration": 300, "chargingRateUnit": "A"})
    assert answer["status"] == "Accepted"
    schedule = answer["schedule"]
    assert (schedule["evseId"], schedule["duration"], schedule["chargingRateUnit"]) == (1, 300, "A")
    assert schedule["chargingSchedulePeriod"][0] == {"startPeriod": 0, "limit": 10.0}


def test_an_unknown_evse_has_no_composite_schedule() -> None:
    profiles, _ = station_profiles(evses=2)
    assert profiles.get_composite_schedule({"evseId": 3, "duration": 300})["status"] == "Rejected"


# -- over the wire --------------------------------------------------------------------------


async def test_the_station_answers_by_policy_and_sends_the_report_it_accepted() -> None:
    frames: list[list[Any]] = []
    calls = [[2, "s1", "SetChargingProfile", {"evseId": 1, "chargingProfile": profile(5)}],
             [2, "g1", "GetChargingProfiles", {"requestId": 9, "chargingProfile": {"stackLevel": 0}}]]
    async with csms_asking(calls, frames, 3) as url:
        station = Station("CS1", "2.0.1", load_settings(environ={}), Endpoint(url))
        await station.connect()
        await station.session.wait_closed(10)
    set_answer, get_answer, report = frames
    assert set_answer == [3, "s1", {"status": "Accepted"}]
    assert get_answer == [3, "g1", {"status": "Accepted"}]
    assert report[2] == "ReportChargingProfiles"
    assert (report[3]["requestId"], report[3]["evseId"], report[3]["tbc"]) == (9, 1, False)
    assert [p["id"] for p in report[3]["chargingProfile"]] == [5]
