"""Proof that the suite fails: a deliberately broken reference CSMS makes the matching case fail.

Each test patches one handler of an in-process reference CSMS (never a product flag),
runs one conformance case through pytest, and checks that it failed with a message
naming the step and the difference.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from faults import alter_sent, assert_failed, assert_finding, misreport_answer, patch_handler, run_case
from faults201 import finding_not_failure, transcript

from csmscheck.bundled import BUNDLED_PENDING_INTERVAL, BundledCsms
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import ROUTES, OcppError, Payload
from csmscheck.wire import CallResult
from csmscheck.wire.errors import ErrorCode


def test_healthy_csms_passes(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    assert run_case(pytester, bundled, "TC_B_01")["outcome"] == "passed"


def test_boot_rejected_fails_tc_b_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "2.0.1", "BootNotification", lambda _req, resp: resp.update(status="Rejected"))
    assert_failed(run_case(pytester, bundled, "TC_B_01"),
                  "Step 2: BootNotificationResponse",
                  'status: expected "Accepted", got "Rejected"')


def test_pending_ignored_fails_tc_b_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "2.0.1", "BootNotification", lambda _req, resp: resp.update(status="Accepted"))
    assert_failed(run_case(pytester, bundled, "TC_B_02"), "Step 2: BootNotificationResponse",
                  'status: expected "Pending", got "Accepted"')


def _boot_gap(pytester: pytest.Pytester) -> tuple[float, int]:
    """TC_B_02's transcript: the seconds between the Pending answer and the next BootNotification, and the
    interval the Pending answer gave."""
    frames = transcript(pytester, "TC_B_02")
    pending = next(i for i, (_, way, text) in enumerate(frames) if way == "←" and '"Pending"' in text)
    answered_at, interval = frames[pending][0], json.loads(frames[pending][2])[2]["interval"]
    booted_at = next(t for t, way, text in frames[pending:] if way == "→" and '"BootNotification"' in text)
    return (booted_at - answered_at).total_seconds(), interval


def test_tc_b_02_waits_the_pending_interval(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    """The OCTT boots again only after the interval of the Pending answer (the bundled CSMS gives 1 s)."""
    assert run_case(pytester, bundled, "TC_B_02")["outcome"] == "passed"
    gap, interval = _boot_gap(pytester)
    assert interval == BUNDLED_PENDING_INTERVAL
    assert gap >= interval, f"the station booted again {gap:.3f}s after a Pending answer with interval {interval}"


def test_tc_b_02_waits_the_heartbeat_interval_after_interval_0(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A Pending answer with interval 0: the OCTT waits its configured heartbeatInterval instead."""
    patch_handler(monkeypatch, "2.0.1", "BootNotification",
                  lambda _req, resp: resp["status"] == "Pending" and resp.update(interval=0))
    monkeypatch.setenv("CONFIGURED_HEARTBEAT_INTERVAL", "2")
    assert run_case(pytester, bundled, "TC_B_02")["outcome"] == "passed"
    gap, interval = _boot_gap(pytester)
    assert interval == 0 and gap >= 2, gap


def test_connection_closed_after_pending_fails_tc_b_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """B02.FR.06: a CSMS that closes the connection after answering Pending leaves no connection for step 3."""
    real = StationConnection._send

    async def answer_then_close(self: StationConnection, frame: Any) -> None:
        await real(self, frame)
        if isinstance(frame, CallResult) and frame.payload.get("status") == "Pending":
            await self.close(1000, "come back later")

    monkeypatch.setattr(StationConnection, "_send", answer_then_close)
    assert_failed(run_case(pytester, bundled, "TC_B_02"),
                  "Step 3: the connection was closed after the Pending BootNotificationResponse",
                  "the CSMS closed the connection (code 1000", "expected it to stay open (B02.FR.06)")


def test_no_security_error_fails_tc_b_30(pytester: pytest.Pytester, bundled: BundledCsms,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(StationConnection, "_check_registration", lambda self, action: None)
    assert_failed(run_case(pytester, bundled, "TC_B_30"),
                  "Step 4: expected CALLERROR SecurityError to a StatusNotificationRequest sent before the CSMS "
                  "accepted the station, got a CALLRESULT {}")


def test_wrong_error_code_fails_tc_b_30(pytester: pytest.Pytester, bundled: BundledCsms,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: StationConnection, action: str) -> None:
        if self.boot_status != "Accepted" and action != "BootNotification":
            raise OcppError(ErrorCode.GENERIC_ERROR, "not now")

    monkeypatch.setattr(StationConnection, "_check_registration", refuse)
    assert_failed(run_case(pytester, bundled, "TC_B_30"),
                  "Step 4: expected CALLERROR SecurityError", "got CALLERROR GenericError ('not now')")


def test_unsplit_get_variables_fails_tc_b_08(pytester: pytest.Pytester, bundled: BundledCsms,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES["2.0.1"].shapers, "GetVariables")
    assert_failed(run_case(pytester, bundled, "TC_B_08"), "Step 1: expected a GetVariablesRequest for 4 variables "
                  "and one for 1 variable, got one for 5 variables")


def test_extra_report_criteria_pass_tc_b_18(pytester: pytest.Pytester, bundled: BundledCsms,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The OCTT reads componentVariable[0]: a CSMS that asks about more component/variables passes."""
    alter_sent(monkeypatch, "GetReport", lambda request: request["componentVariable"].append(
        {"component": {"name": "EVSE", "evse": {"id": 2}}, "variable": {"name": "AvailabilityState"}}))
    entry = run_case(pytester, bundled, "TC_B_18")
    assert entry["outcome"] == "passed" and not entry.get("findings"), entry


def test_heartbeat_refused_after_failed_profile_is_a_finding_of_tc_b_44(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_B_44 validates nothing; that the CSMS still serves the station afterwards is a csmscheck check."""
    async def broken(_connection: StationConnection, _request: Payload) -> Payload:
        raise OcppError(ErrorCode.GENERIC_ERROR, "station out of service")

    monkeypatch.setitem(ROUTES["2.0.1"].handlers, "Heartbeat", broken)
    finding_not_failure(pytester, bundled, "TC_B_44", "CSC-201-B-01",
                        "After step 2: Heartbeat: the CSMS answered CALLERROR GenericError")


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
    assert_failed(run_case(pytester, bundled, "TC_001"), "Step 6: Heartbeat.conf", "CALLERROR NotSupported")


def test_refused_status_notification_names_step_4_of_tc_001(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES["1.6"].handlers, "StatusNotification")
    assert_failed(run_case(pytester, bundled, "TC_001"), "Step 4: StatusNotification.conf", "CALLERROR NotSupported")


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
