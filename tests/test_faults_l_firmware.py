"""Proof that the firmware cases of block L catch faults: a broken reference CSMS fails the matching case.

Each test breaks one piece of the in-process reference CSMS inside the test (monkeypatch, never a product
flag), runs one conformance case through pytest and checks that the results.json message names the step
and the difference (or, for a csmscheck check, that the case passes its OCTT verdict with the finding and
fails with ``--strict``).
"""

from __future__ import annotations

import base64

import pytest
from faults import alter_sent, assert_all_pass_strictly, caught, patch_handler
from faults201 import finding_not_failure

from csmscheck.bundled import BundledCsms
from csmscheck.csms.router import OcppError, Payload
from csmscheck.wire.errors import ErrorCode

CASES = ["TC_L_01", "TC_L_02", "TC_L_03", "TC_L_04", "TC_L_05", "TC_L_06", "TC_L_07", "TC_L_08", "TC_L_09",
         "TC_L_10", "TC_L_11", "TC_L_13", "TC_L_17", "TC_L_19", "TC_L_20", "TC_L_21", "TC_L_22", "TC_L_23",
         "TC_L_24"]


def test_healthy_csms_passes_the_firmware_cases_strictly(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    assert_all_pass_strictly(pytester, bundled, CASES)


def _unsigned(payload: Payload) -> None:
    payload["firmware"].pop("signingCertificate", None)
    payload["firmware"].pop("signature", None)


def test_an_update_without_signature_fails_tc_l_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "UpdateFirmware", _unsigned)
    caught(pytester, bundled, "TC_L_01", "Step 1: UpdateFirmwareRequest", "signingCertificate: missing")
    caught(pytester, bundled, "TC_L_13", "Step 1: UpdateFirmwareRequest", "signingCertificate: missing")


def test_a_signature_of_another_image_is_a_finding_of_tc_l_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    forged = base64.b64encode(b"\x30\x06\x02\x01\x01\x02\x01\x01").decode()  # a well-formed, wrong ECDSA signature
    alter_sent(monkeypatch, "UpdateFirmware", lambda p: p["firmware"].update(signature=forged))
    finding_not_failure(pytester, bundled, "TC_L_01", "CSC-201-L-01", "Step 1: UpdateFirmwareRequest",
                        "the signature does not verify")


def test_a_callerror_to_a_firmware_status_fails_tc_l_07(pytester: pytest.Pytester, bundled: BundledCsms,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(request: Payload, _response: Payload) -> None:
        if request["status"] == "DownloadFailed":
            raise OcppError(ErrorCode.INTERNAL_ERROR, "firmware status not stored")

    patch_handler(monkeypatch, "2.0.1", "FirmwareStatusNotification", refuse)
    caught(pytester, bundled, "TC_L_07", "Step 5: FirmwareStatusNotificationRequest (DownloadFailed)",
           "CALLERROR InternalError")


def test_a_reused_request_id_is_a_finding_of_tc_l_10(pytester: pytest.Pytester, bundled: BundledCsms,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    first: list[int] = []

    def reuse(payload: Payload) -> None:
        if first:
            payload["requestId"] = first[0]
        else:
            first.append(payload["requestId"])

    alter_sent(monkeypatch, "UpdateFirmware", reuse)
    finding_not_failure(pytester, bundled, "TC_L_10", "CSC-201-L-04", "Step 5: UpdateFirmwareRequest",
                        "the update it replaces")


def test_publish_with_another_checksum_is_a_finding_of_tc_l_17(pytester: pytest.Pytester, bundled: BundledCsms,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "PublishFirmware", lambda p: p.update(checksum="0" * 32))
    caught(pytester, bundled, "TC_L_17", "CSC-201-L-05", "Step 1: PublishFirmwareRequest",
           "is not the MD5 of the firmware")
