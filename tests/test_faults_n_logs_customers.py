"""Proof that the log and customer information cases of block N catch faults: a broken reference CSMS fails the
matching case.

Each test breaks one piece of the in-process reference CSMS inside the test (monkeypatch, never a product flag),
runs one conformance case through pytest and checks that the results.json message names the step and the
difference (or, for a csmscheck check, that the case passes its OCTT verdict with the finding and fails with
``--strict``).
"""

from __future__ import annotations

import pytest
from faults import alter_sent, assert_all_pass_strictly, caught, patch_handler
from faults201 import finding_not_failure

from csmscheck.bundled import BundledCsms
from csmscheck.csms.router import Payload

CASES = ["TC_N_25", "TC_N_27", "TC_N_28", "TC_N_29", "TC_N_30", "TC_N_31", "TC_N_32", "TC_N_34", "TC_N_35",
         "TC_N_36", "TC_N_46", "TC_N_62", "TC_N_63"]


def test_healthy_csms_passes_the_log_and_customer_cases_strictly(pytester: pytest.Pytester,
                                                                  bundled: BundledCsms) -> None:
    assert_all_pass_strictly(pytester, bundled, CASES)


# -- OCTT verdicts --------------------------------------------------------------------------


def test_get_log_of_another_log_type_fails_tc_n_25(pytester: pytest.Pytester, bundled: BundledCsms,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "GetLog", lambda p: p.update(logType="SecurityLog"))
    caught(pytester, bundled, "TC_N_25", "Step 1: GetLogRequest",
           'logType: expected "DiagnosticsLog", got "SecurityLog"')


def test_a_callerror_to_the_cancelled_upload_fails_tc_n_36(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse_cancelled(request: Payload, _response: Payload) -> None:
        if request["status"] == "AcceptedCanceled":
            raise ValueError("an upload cannot be cancelled")  # the CSMS answers InternalError

    patch_handler(monkeypatch, "2.0.1", "LogStatusNotification", refuse_cancelled)
    caught(pytester, bundled, "TC_N_36", "Step 8: LogStatusNotificationResponse", "status AcceptedCanceled",
           "CALLERROR InternalError")


def test_a_report_request_without_report_fails_tc_n_27(pytester: pytest.Pytester, bundled: BundledCsms,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "CustomerInformation", lambda p: p.update(report=False))
    caught(pytester, bundled, "TC_N_27", "Step 1: CustomerInformationRequest", "report: expected true, got false")


def test_report_parts_after_the_first_refused_fail_tc_n_30(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def drop_later_parts(request: Payload, _response: Payload) -> None:
        if request["seqNo"] > 0:
            raise ValueError("only one part per report")

    patch_handler(monkeypatch, "2.0.1", "NotifyCustomerInformation", drop_later_parts)
    caught(pytester, bundled, "TC_N_30", "Step 4: NotifyCustomerInformationResponse", "part seqNo 1",
           "CALLERROR InternalError")


def test_the_cleared_token_kept_in_the_local_list_fails_tc_n_46(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def keep_listed(request: Payload) -> None:
        for entry in request.get("localAuthorizationList", []):
            entry.setdefault("idTokenInfo", {"status": "Accepted"})  # the update re-adds what it should remove

    alter_sent(monkeypatch, "SendLocalList", keep_listed)
    caught(pytester, bundled, "TC_N_46", "Step 5: SendLocalListRequest localAuthorizationList[0]",
           "idTokenInfo: expected to be absent")


def test_a_local_list_update_of_the_same_version_fails_tc_n_46(pytester: pytest.Pytester, bundled: BundledCsms,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def same_version(request: Payload) -> None:
        if request["updateType"] == "Differential":
            request["versionNumber"] -= 1

    alter_sent(monkeypatch, "SendLocalList", same_version)
    caught(pytester, bundled, "TC_N_46", "Step 5: SendLocalListRequest", "versionNumber: expected 2, got 1")


# -- csmscheck checks -----------------------------------------------------------------------


def test_two_customer_references_are_a_finding_in_tc_n_29(pytester: pytest.Pytester, bundled: BundledCsms,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "CustomerInformation", lambda p: p.update(customerIdentifier="someone"))
    finding_not_failure(pytester, bundled, "TC_N_29", "CSC-201-N-25", "Step 1",
                        "names the customer by idToken, customerIdentifier")
