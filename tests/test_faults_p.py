"""Proof that the cases of block P catch faults: a broken reference CSMS fails the matching case.

Each test breaks one piece of the in-process reference CSMS inside the test (monkeypatch, never a product flag)
and runs one conformance case through pytest; the results.json message names the step and the difference, or
(a csmscheck check) the case passes its OCTT verdict with the finding and fails with ``--strict``.
"""

from __future__ import annotations

import pytest
from faults import assert_all_pass_strictly, caught, patch_handler
from faults201 import finding_not_failure

from csmscheck.bundled import BundledCsms
from csmscheck.csms.handlers.v201.data_transfer import VENDOR_ID
from csmscheck.csms.router import Payload


def test_healthy_csms_passes_the_block_p_cases_strictly(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    assert_all_pass_strictly(pytester, bundled, ["TC_P_02", "TC_P_03"])


def test_an_unknown_vendor_accepted_fails_tc_p_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "2.0.1", "DataTransfer", lambda _request, response: response.update(status="Accepted"))
    caught(pytester, bundled, "TC_P_02", "Step 2: DataTransferResponse",
           "status: expected <one of 'UnknownVendorId', 'UnknownMessageId', 'Rejected'>, got \"Accepted\"")


def test_an_unknown_message_answered_unknown_vendor_is_a_finding_in_tc_p_02(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    def unknown_vendor(request: Payload, response: Payload) -> None:
        if request["vendorId"] == VENDOR_ID and response["status"] == "UnknownMessageId":
            response["status"] = "UnknownVendorId"

    patch_handler(monkeypatch, "2.0.1", "DataTransfer", unknown_vendor)
    finding_not_failure(pytester, bundled, "TC_P_02", "CSC-201-P-02", "expected status UnknownMessageId",
                        '"UnknownVendorId"')


def test_custom_data_refused_fails_tc_p_03(pytester: pytest.Pytester, bundled: BundledCsms,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse_custom_data(request: Payload, _response: Payload) -> None:
        if "customData" in request:
            raise ValueError("customData is not understood")

    patch_handler(monkeypatch, "2.0.1", "StatusNotification", refuse_custom_data)
    caught(pytester, bundled, "TC_P_03", "Step 2: StatusNotificationResponse", "CALLERROR InternalError")


def test_a_transaction_with_custom_data_refused_fails_tc_p_03(pytester: pytest.Pytester, bundled: BundledCsms,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse_custom_data(request: Payload, _response: Payload) -> None:
        if "customData" in request.get("transactionInfo", {}):
            raise ValueError("customData is not understood")

    patch_handler(monkeypatch, "2.0.1", "TransactionEvent", refuse_custom_data)
    caught(pytester, bundled, "TC_P_03", "Step 4: TransactionEventResponse", "CALLERROR InternalError")
