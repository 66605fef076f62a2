"""Proof that the charging profile cases of block K catch faults: a broken reference CSMS fails the matching case.

Each test breaks one piece of the in-process reference CSMS inside the test (monkeypatch,
never a product flag), runs one conformance case through pytest and checks that the
results.json message names the step and the difference (or, for a csmscheck check, that the
case passes its OCTT verdict with the finding and fails with ``--strict``).
"""

from __future__ import annotations

import itertools

import pytest
from faults import alter_sent, assert_all_pass_strictly, caught, misreport_answer
from faults201 import finding_not_failure

from csmscheck.bundled import BundledCsms
from csmscheck.csms.router import Payload

CASES = ["TC_K_01", "TC_K_02", "TC_K_03", "TC_K_04", "TC_K_05", "TC_K_06", "TC_K_08", "TC_K_10", "TC_K_15",
         "TC_K_19", "TC_K_29", "TC_K_30", "TC_K_31", "TC_K_32", "TC_K_33", "TC_K_34", "TC_K_35", "TC_K_36",
         "TC_K_37", "TC_K_60", "TC_K_70"]


def test_healthy_csms_passes_the_profile_cases_strictly(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    assert_all_pass_strictly(pytester, bundled, CASES)


# -- OCTT verdicts --------------------------------------------------------------------------


def test_stack_level_altered_fails_tc_k_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "SetChargingProfile", lambda p: p["chargingProfile"].update(stackLevel=5))
    caught(pytester, bundled, "TC_K_01", "Step 1: SetChargingProfileRequest",
           "chargingProfile.stackLevel: expected 0, got 5")


def test_first_period_not_from_zero_fails_tc_k_10(pytester: pytest.Pytester, bundled: BundledCsms,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def shift(payload: Payload) -> None:
        payload["chargingProfile"]["chargingSchedule"][0]["chargingSchedulePeriod"][0]["startPeriod"] = 60

    alter_sent(monkeypatch, "SetChargingProfile", shift)
    caught(pytester, bundled, "TC_K_10", "Step 1: SetChargingProfileRequest",
           "chargingProfile.chargingSchedule.chargingSchedulePeriod.startPeriod: expected 0, got 60")


def test_replacement_with_a_new_id_fails_tc_k_04(pytester: pytest.Pytester, bundled: BundledCsms,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    new_ids = itertools.count(900_001)
    alter_sent(monkeypatch, "SetChargingProfile", lambda p: p["chargingProfile"].update(id=next(new_ids)))
    caught(pytester, bundled, "TC_K_04", "Step 1/3: SetChargingProfileRequest of step 3",
           "chargingProfile.id: expected 900001, got 900002")


def test_recurring_profile_without_recurrency_fails_tc_k_19(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "SetChargingProfile", lambda p: p["chargingProfile"].pop("recurrencyKind", None))
    caught(pytester, bundled, "TC_K_19", "Step 1: SetChargingProfileRequest",
           'chargingProfile.recurrencyKind: missing (expected "Daily")')


def test_clearing_another_evse_fails_tc_k_06(pytester: pytest.Pytester, bundled: BundledCsms,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "ClearChargingProfile", lambda p: p["chargingProfileCriteria"].update(evseId=0))
    caught(pytester, bundled, "TC_K_06", "Step 1: ClearChargingProfileRequest",
           "chargingProfileCriteria.evseId: expected 1, got 0")


def test_profile_request_for_every_evse_fails_tc_k_30(pytester: pytest.Pytester, bundled: BundledCsms,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "GetChargingProfiles", lambda p: p.pop("evseId", None))
    caught(pytester, bundled, "TC_K_30", "Step 1: GetChargingProfilesRequest", "evseId: missing (expected 1)")


def test_remote_start_profile_with_a_transaction_id_fails_tc_k_37(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "RequestStartTransaction", lambda p: p["chargingProfile"].update(transactionId="T-1"))
    caught(pytester, bundled, "TC_K_37", "Step 1: RequestStartTransactionRequest",
           'chargingProfile.transactionId: expected to be omitted, got "T-1"')


def test_tx_profile_without_transaction_id_fails_tc_k_60(pytester: pytest.Pytester, bundled: BundledCsms,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "SetChargingProfile", lambda p: p["chargingProfile"].pop("transactionId", None))
    caught(pytester, bundled, "TC_K_60", "Step 1: SetChargingProfileRequest", "chargingProfile.transactionId: missing")


# -- csmscheck checks (findings) ------------------------------------------------------------


def test_rejection_reported_as_accepted_is_a_finding_of_tc_k_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    misreport_answer(monkeypatch, "SetChargingProfile", lambda answer: answer.update(status="Accepted"))
    finding_not_failure(pytester, bundled, "TC_K_02", "CSC-201-F-03", "Step 1: SetChargingProfileResponse",
                        '{"status":"Rejected"}')


def test_clear_by_id_with_criteria_is_a_finding_of_tc_k_05(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "ClearChargingProfile",
               lambda p: p.setdefault("chargingProfileCriteria", {"evseId": 0}))
    finding_not_failure(pytester, bundled, "TC_K_05", "CSC-201-K-03", "Step 1: ClearChargingProfileRequest",
                        "chargingProfileCriteria: expected to be absent")


def test_tx_profile_without_transaction_id_is_a_finding_of_tc_k_02(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "SetChargingProfile", lambda p: p["chargingProfile"].pop("transactionId", None))
    finding_not_failure(pytester, bundled, "TC_K_02", "CSC-201-K-01", "Step 1: SetChargingProfileRequest",
                        "chargingProfile.transactionId is missing")


def test_profiles_asked_for_by_evse_alone_is_a_finding_of_tc_k_30(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "GetChargingProfiles", lambda p: p.update(chargingProfile={}))
    finding_not_failure(pytester, bundled, "TC_K_30", "CSC-201-K-02", "Step 1: GetChargingProfilesRequest",
                        "chargingProfile names no chargingProfileId")


def test_validity_ending_before_it_begins_is_a_finding_of_tc_k_70(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    def backwards(payload: Payload) -> None:
        profile = payload["chargingProfile"]
        if profile["chargingProfilePurpose"] == "TxDefaultProfile":
            profile["validFrom"], profile["validTo"] = "2030-01-02T00:00:00Z", "2030-01-01T00:00:00Z"

    alter_sent(monkeypatch, "SetChargingProfile", backwards)
    finding_not_failure(pytester, bundled, "TC_K_70", "CSC-201-K-01", "Step 1: SetChargingProfileRequest",
                        "is not before validTo")
