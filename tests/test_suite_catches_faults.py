"""Proof that the suite fails: a deliberately broken reference CSMS makes the matching case fail.

Each test patches one handler of an in-process reference CSMS (never a product flag),
runs one conformance case through pytest, and checks that it failed with a message
naming the step and the difference.
"""

from __future__ import annotations

from typing import Any

import pytest
from faults import assert_failed, assert_finding, misreport_answer, patch_handler, run_case

from csmscheck.bundled import BundledCsms
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import ROUTES, Payload


def test_healthy_csms_passes(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    assert run_case(pytester, bundled, "TC_B_01")["outcome"] == "passed"


def test_boot_rejected_fails_tc_b_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "2.0.1", "BootNotification", lambda _req, resp: resp.update(status="Rejected"))
    assert_failed(run_case(pytester, bundled, "TC_B_01"),
                  "BootNotificationResponse",
                  'status: expected "Accepted", got "Rejected"')


def test_pending_ignored_fails_tc_b_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "2.0.1", "BootNotification", lambda _req, resp: resp.update(status="Accepted"))
    assert_failed(run_case(pytester, bundled, "TC_B_02"), 'status: expected "Pending", got "Accepted"')


def test_no_security_error_fails_tc_b_30(pytester: pytest.Pytester, bundled: BundledCsms,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(StationConnection, "_check_registration", lambda self, action: None)
    assert_failed(run_case(pytester, bundled, "TC_B_30"), "Step 4: expected CALLERROR SecurityError")


def test_unsplit_get_variables_fails_tc_b_08(pytester: pytest.Pytester, bundled: BundledCsms,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES["2.0.1"].shapers, "GetVariables")
    monkeypatch.setenv("CSMS_ACTION_TIMEOUT", "1")
    assert_failed(run_case(pytester, bundled, "TC_B_08"), "did not send a GetVariablesRequest")


def test_misread_variables_fail_tc_b_06(pytester: pytest.Pytester, bundled: BundledCsms,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    real = StationConnection.request

    async def forgetful(self: StationConnection, action: str, payload: Payload, timeout: float) -> Any:
        answer = await real(self, action, payload, timeout)
        for result in answer.payload.get("getVariableResult", []):
            result["attributeValue"] = "999"
        return answer

    monkeypatch.setattr(StationConnection, "request", forgetful)
    assert_failed(run_case(pytester, bundled, "TC_B_06"),
                  "Post scenario: what the CSMS read",
                  'attributeValue: expected "60", got "999"')


def test_authorize_invalid_fails_tc_003(pytester: pytest.Pytester, bundled: BundledCsms,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "1.6", "Authorize", lambda _req, resp: resp["idTagInfo"].update(status="Invalid"))
    assert_failed(run_case(pytester, bundled, "TC_003"), 'idTagInfo.status: expected "Accepted", got "Invalid"')


def test_schema_invalid_answer_fails_tc_012(pytester: pytest.Pytester, bundled: BundledCsms,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "1.6", "StopTransaction", lambda _req, resp: resp.update(idTagInfo={"status": "Ok"}))
    assert_failed(run_case(pytester, bundled, "TC_012"),
                  "StopTransactionResponse from the CSMS violates the OCPP 1.6 schema")


# -- OCPP 1.6J chapters 3.1 and 3.3 (3.2 and 3.4 are above) ----------------------------------


def test_heartbeat_interval_zero_is_a_finding_of_tc_001(pytester: pytest.Pytester, bundled: BundledCsms,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The OCTT validates only the boot's status: an interval of 0 is a finding."""
    patch_handler(monkeypatch, "1.6", "BootNotification", lambda _req, resp: resp.update(interval=0))
    message = "Step 2: BootNotification.conf: expected a heartbeat interval of at least 1 second, got 0"
    assert_finding(run_case(pytester, bundled, "TC_001"), "CSC-16-CORE-01", message)
    assert_failed(run_case(pytester, bundled, "TC_001", strict=True), "--strict", "CSC-16-CORE-01", message)


def test_stale_heartbeat_time_is_a_finding_of_tc_001(pytester: pytest.Pytester, bundled: BundledCsms,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The OCTT validates nothing of Heartbeat.conf: a clock far off is a finding."""
    patch_handler(monkeypatch, "1.6", "Heartbeat", lambda _req, resp: resp.update(currentTime="2001-01-01T00:00:00Z"))
    message = 'Step 6: Heartbeat.conf: expected currentTime within 2 minutes of now, got "2001-01-01T00:00:00Z"'
    assert_finding(run_case(pytester, bundled, "TC_001"), "CSC-16-CORE-02", message)
    assert_failed(run_case(pytester, bundled, "TC_001", strict=True), "--strict", "CSC-16-CORE-02", message)


def test_refused_heartbeat_names_step_6_of_tc_001(pytester: pytest.Pytester, bundled: BundledCsms,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES["1.6"].handlers, "Heartbeat")
    assert_failed(run_case(pytester, bundled, "TC_001"), "Step 6: Heartbeat.conf", "CALLERROR NotImplemented")


def test_refused_status_notification_names_step_4_of_tc_001(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES["1.6"].handlers, "StatusNotification")
    assert_failed(run_case(pytester, bundled, "TC_001"), "Step 4: StatusNotification.conf", "CALLERROR NotImplemented")


def test_cached_id_refused_fails_tc_007(pytester: pytest.Pytester, bundled: BundledCsms,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "1.6", "StartTransaction", lambda _req, resp: resp["idTagInfo"].update(status="Blocked"))
    assert_failed(run_case(pytester, bundled, "TC_007"), "Step 4: StartTransaction.conf",
                  'idTagInfo.status: expected "Accepted", got "Blocked"')


def test_clear_cache_answer_misreported_is_a_finding_of_tc_061(pytester: pytest.Pytester, bundled: BundledCsms,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_061 validates only the charge point's own answer: what the CSMS reports of it is a finding."""
    misreport_answer(monkeypatch, "ClearCache", lambda answer: answer.update(status="Rejected"))
    message = ('Step 2: ClearCache.conf: the Central System reported the charge point\'s answer as '
               '{"status":"Rejected"}, but the charge point answered {"status":"Accepted"}')
    assert_finding(run_case(pytester, bundled, "TC_061"), "CSC-16-RELAY-01", message)
    assert_failed(run_case(pytester, bundled, "TC_061", strict=True), "--strict", "CSC-16-RELAY-01", message)
