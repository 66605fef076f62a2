"""Proof that the composite-schedule, external-limit and load-levelling cases of block K catch faults.

Each test breaks one piece of the in-process reference CSMS inside the test (monkeypatch,
never a product flag), runs one conformance case through pytest and checks that the
results.json message names the step and the difference (or, for a csmscheck check, that the
case passes its OCTT verdict with the finding and fails with ``--strict``).
"""

from __future__ import annotations

from typing import Any

import pytest
from faults import alter_sent, assert_all_pass_strictly, caught, patch_handler
from faults201 import finding_not_failure

from csmscheck.bundled import BundledCsms
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.handlers.v201 import load_levelling
from csmscheck.csms.router import Payload

CASES = ["TC_K_43", "TC_K_44", "TC_K_48", "TC_K_50", "TC_K_51", "TC_K_52",
         "TC_K_53", "TC_K_55", "TC_K_57", "TC_K_58", "TC_K_59"]


def test_healthy_csms_passes_composite_limits_and_load_levelling(pytester: pytest.Pytester,
                                                                  bundled: BundledCsms) -> None:
    assert_all_pass_strictly(pytester, bundled, CASES)


def _answer(status: str) -> Any:
    def change(_request: Payload, response: Payload) -> None:
        response["status"] = status

    return change


# -- OCTT verdicts --------------------------------------------------------------------------


def test_composite_schedule_of_another_duration_fails_tc_k_43(pytester: pytest.Pytester, bundled: BundledCsms,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "GetCompositeSchedule", lambda payload: payload.update(duration=60))
    caught(pytester, bundled, "TC_K_43", "Step 1: GetCompositeScheduleRequest", "duration: expected 3600, got 60")


def test_composite_schedule_of_an_evse_fails_tc_k_44(pytester: pytest.Pytester, bundled: BundledCsms,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "GetCompositeSchedule", lambda payload: payload.update(evseId=1))
    caught(pytester, bundled, "TC_K_44", "Step 1: GetCompositeScheduleRequest", "evseId: expected 0, got 1")


def test_charging_needs_refused_fails_tc_k_53(pytester: pytest.Pytester, bundled: BundledCsms,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "2.0.1", "NotifyEVChargingNeeds", _answer("Rejected"))
    caught(pytester, bundled, "TC_K_53", "Step 2: NotifyEVChargingNeedsResponse",
           "status: expected <one of 'Accepted', 'Processing'>, got \"Rejected\"")


def test_tx_profile_without_transaction_fails_tc_k_55(pytester: pytest.Pytester, bundled: BundledCsms,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "SetChargingProfile", lambda payload: payload["chargingProfile"].pop("transactionId"))
    caught(pytester, bundled, "TC_K_55", "Step 3: SetChargingProfileRequest",
           "chargingProfile.transactionId: missing")


def test_schedule_beyond_the_profile_accepted_fails_tc_k_55(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "2.0.1", "NotifyEVChargingSchedule", _answer("Accepted"))
    caught(pytester, bundled, "TC_K_55", "Step 6: NotifyEVChargingScheduleResponse",
           'status: expected "Rejected", got "Accepted"')


def test_no_renegotiation_after_a_rejected_schedule_fails_tc_k_55(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    sent: set[int] = set()
    real = load_levelling.send_later

    def first_only(connection: StationConnection, evse_id: int, profile: Payload) -> None:
        if profile["id"] in sent:
            return  # the renegotiation sends the transaction's TxProfile again: the broken CSMS never does
        sent.add(profile["id"])
        real(connection, evse_id, profile)

    monkeypatch.setattr(load_levelling, "send_later", first_only)
    caught(pytester, bundled, "TC_K_55", "Step 9: the CSMS did not send a SetChargingProfileRequest within",
           "(timeout")


def test_schedule_within_a_renegotiated_profile_rejected_fails_tc_k_58(pytester: pytest.Pytester,
                                                                      bundled: BundledCsms,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    schedules: list[Payload] = []

    def second_rejected(request: Payload, response: Payload) -> None:
        schedules.append(request)
        if len(schedules) > 1:  # the first is the ISO15118SmartCharging state's
            response["status"] = "Rejected"

    patch_handler(monkeypatch, "2.0.1", "NotifyEVChargingSchedule", second_rejected)
    caught(pytester, bundled, "TC_K_58", "Step 4: NotifyEVChargingScheduleResponse",
           'status: expected "Accepted", got "Rejected"')


# -- csmscheck checks -----------------------------------------------------------------------


def _split(payload: Payload) -> None:
    """Five periods of the profile's own limit: the same schedule, more entries than the EV supports."""
    schedule = payload["chargingProfile"]["chargingSchedule"][0]
    limit = schedule["chargingSchedulePeriod"][0]["limit"]
    schedule["chargingSchedulePeriod"] = [{"startPeriod": 60 * n, "limit": limit} for n in range(5)]


def test_more_periods_than_the_ev_supports_is_a_finding_of_tc_k_53(pytester: pytest.Pytester,
                                                                   bundled: BundledCsms,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "SetChargingProfile", _split)
    finding_not_failure(pytester, bundled, "TC_K_53", "CSC-201-K-20",
                        "Step 3: chargingProfile.chargingSchedule[0] has 5 periods, but the EV supports 3")


def test_more_than_the_ev_can_draw_is_a_finding_of_tc_k_57(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def doubled(payload: Payload) -> None:
        for period in payload["chargingProfile"]["chargingSchedule"][0]["chargingSchedulePeriod"]:
            period["limit"] = period["limit"] * 2

    alter_sent(monkeypatch, "SetChargingProfile", doubled)
    finding_not_failure(pytester, bundled, "TC_K_57", "CSC-201-K-21",
                        "Step 3: chargingProfile.chargingSchedule[0].chargingSchedulePeriod[",
                        "A is above the EV's maximum of 32 A")


def test_external_limit_ignored_is_a_finding_of_tc_k_48(pytester: pytest.Pytester, bundled: BundledCsms,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def beyond(payload: Payload) -> None:
        payload["chargingProfile"]["chargingSchedule"][0]["chargingSchedulePeriod"][0]["limit"] = 30.0

    alter_sent(monkeypatch, "SetChargingProfile", beyond)
    finding_not_failure(pytester, bundled, "TC_K_48", "CSC-201-K-22",
                        "chargingSchedulePeriod[0].limit 30.0 A is above the external limit of 10 A")
