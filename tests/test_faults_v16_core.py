"""Proof that the 1.6 Core cases of chapters 3.5-3.13 fail against a broken Central System.

Each test breaks one behaviour of the in-process reference CSMS with ``monkeypatch``
(never a product flag), runs the matching conformance case and checks the results.json
message names the step and the difference.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from faults import alter_sent, assert_failed, assert_finding, misreport_answer, patch_handler, run_case, run_cases

import csmscheck.csms.server
from csmscheck.bundled import BundledCsms
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import ROUTES, OcppError, Payload
from csmscheck.settings import load_settings
from csmscheck.timestamps import parse_time
from csmscheck.wire import CallError, CallResult
from csmscheck.wire.errors import ErrorCode

FAULTED_CASES = ["TC_013", "TC_014", "TC_017_1", "TC_018_1", "TC_019_1", "TC_021", "TC_023_2", "TC_024",
                 "TC_026", "TC_028", "TC_030", "TC_031", "TC_032_1", "TC_037_1", "TC_037_3", "TC_039",
                 "TC_040_1", "TC_040_2"]


def refuse(monkeypatch: pytest.MonkeyPatch, action: str, when: Callable[[Payload], bool]) -> None:
    """The CSMS answers ``action`` with a CALLERROR when ``when(request)``."""
    real = ROUTES["1.6"].handlers[action]

    async def refusing(connection: StationConnection, request: Payload) -> Payload:
        if when(request):
            raise OcppError(ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, f"{action} refused")
        return await real(connection, request)

    monkeypatch.setitem(ROUTES["1.6"].handlers, action, refusing)


def test_healthy_csms_passes(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    """Without the faults, every case used below passes: the fault is what fails it."""
    entries = {entry["id"]: entry for entry in run_cases(pytester, bundled, *FAULTED_CASES)}
    assert sorted(entries) == sorted(FAULTED_CASES)
    failed = {case: entry["message"] for case, entry in entries.items() if entry["outcome"] != "passed"}
    assert not failed, failed


# -- 3.5 reset ------------------------------------------------------------------------------


def test_soft_instead_of_hard_reset_fails_tc_013(pytester: pytest.Pytester, bundled: BundledCsms,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "Reset", lambda payload: payload.update(type="Soft"))
    assert_failed(run_case(pytester, bundled, "TC_013"), "Step 1: Reset.req", 'type: expected "Hard", got "Soft"')


def test_boot_after_reset_pending_fails_tc_014(pytester: pytest.Pytester, bundled: BundledCsms,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS forgets an Accepted station once it was reset: the boot after it is Pending."""
    reset_sent: set[str] = set()
    alter_sent(monkeypatch, "Reset", lambda payload: reset_sent.add("yes"))
    patch_handler(monkeypatch, "1.6", "BootNotification",
                  lambda _req, resp: resp.update(status="Pending") if reset_sent else None)
    assert_failed(run_case(pytester, bundled, "TC_014"), "Step 4: BootNotification.conf",
                  'status: expected "Accepted", got "Pending"')


# -- 3.6 unlocking ----------------------------------------------------------------------------


def test_unlock_of_wrong_connector_is_a_finding_of_tc_017_1(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The OCTT validates nothing of UnlockConnector.req: another connector than asked is a finding."""
    alter_sent(monkeypatch, "UnlockConnector", lambda payload: payload.update(connectorId=payload["connectorId"] + 1))
    message = "UnlockConnector.req, as asked through the trigger API: connectorId: expected 1, got 2"
    assert_finding(run_case(pytester, bundled, "TC_017_1"), "CSC-REQ-01", message)
    assert_failed(run_case(pytester, bundled, "TC_017_1", strict=True), "--strict", "CSC-REQ-01", message)


def test_unlock_command_stop_refused_fails_tc_018_1(pytester: pytest.Pytester, bundled: BundledCsms,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    refuse(monkeypatch, "StopTransaction", lambda request: request.get("reason") == "UnlockCommand")
    assert_failed(run_case(pytester, bundled, "TC_018_1"), "Step 6: StopTransaction.conf",
                  "CALLERROR PropertyConstraintViolation")


# -- 3.7 configuration ----------------------------------------------------------------------


def test_lost_configuration_keys_are_a_finding_of_tc_019_1(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """What the CSMS reports it retrieved is not an OCTT validation: a finding."""
    misreport_answer(monkeypatch, "GetConfiguration", lambda answer: answer["configurationKey"].pop())
    fragments = ("Step 2: GetConfiguration.conf: the Central System reported the charge point's answer as",
                 "but the charge point answered")
    assert_finding(run_case(pytester, bundled, "TC_019_1"), "CSC-16-RELAY-01", *fragments)
    assert_failed(run_case(pytester, bundled, "TC_019_1", strict=True), "--strict", "CSC-16-RELAY-01", *fragments)


def test_reformatted_value_fails_tc_021(pytester: pytest.Pytester, bundled: BundledCsms,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "ChangeConfiguration", lambda payload: payload.update(value=f"{payload['value']}.0"))
    assert_failed(run_case(pytester, bundled, "TC_021"), "Step 1: ChangeConfiguration.req",
                  'value: expected "60", got "60.0"')


# -- 3.8 basic actions, non-happy -------------------------------------------------------------


def test_expired_tag_accepted_fails_tc_023_2(pytester: pytest.Pytester, bundled: BundledCsms,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def ignore_expiry(_request: Payload, response: Payload) -> None:
        if response["idTagInfo"]["status"] == "Expired":
            response["idTagInfo"]["status"] = "Accepted"

    patch_handler(monkeypatch, "1.6", "Authorize", ignore_expiry)
    assert_failed(run_case(pytester, bundled, "TC_023_2"), "Step 2: Authorize.conf",
                  'idTagInfo.status: expected "Expired", got "Accepted"')


def test_lock_failure_refused_fails_tc_024(pytester: pytest.Pytester, bundled: BundledCsms,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    refuse(monkeypatch, "StatusNotification", lambda request: request["errorCode"] != "NoError")
    assert_failed(run_case(pytester, bundled, "TC_024"), "Step 4: StatusNotification.conf", "CALLERROR")


# -- 3.9 remote actions, non-happy ------------------------------------------------------------


def test_rejection_reported_as_accepted_is_a_finding_of_tc_026(pytester: pytest.Pytester, bundled: BundledCsms,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    misreport_answer(monkeypatch, "RemoteStartTransaction", lambda answer: answer.update(status="Accepted"))
    message = ('Step 2: RemoteStartTransaction.conf: the Central System reported the charge point\'s answer as '
               '{"status":"Accepted"}, but the charge point answered {"status":"Rejected"}')
    assert_finding(run_case(pytester, bundled, "TC_026"), "CSC-16-RELAY-01", message)
    assert_failed(run_case(pytester, bundled, "TC_026", strict=True), "--strict", "CSC-16-RELAY-01", message)


def test_other_id_tag_is_a_finding_of_tc_026(pytester: pytest.Pytester, bundled: BundledCsms,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_026 validates only the charge point's Rejected: the idTag the CSMS sends is a csmscheck check."""
    alter_sent(monkeypatch, "RemoteStartTransaction", lambda payload: payload.update(idTag="SOMEONE-ELSE"))
    message = (f'RemoteStartTransaction.req, as asked through the trigger API: idTag: expected '
               f'"{load_settings(environ={}).valid_id_token}", got "SOMEONE-ELSE"')
    assert_finding(run_case(pytester, bundled, "TC_026"), "CSC-REQ-01", message)
    assert_failed(run_case(pytester, bundled, "TC_026", strict=True), "--strict", "CSC-REQ-01", message)


def test_other_transaction_named_is_a_finding_of_tc_028(pytester: pytest.Pytester, bundled: BundledCsms,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The OCTT validates nothing of RemoteStopTransaction.req: another transaction than asked is a finding."""
    alter_sent(monkeypatch, "RemoteStopTransaction",
               lambda payload: payload.update(transactionId=payload["transactionId"] - 1))
    fragments = ("RemoteStopTransaction.req, as asked through the trigger API", "transactionId: expected")
    assert_finding(run_case(pytester, bundled, "TC_028"), "CSC-REQ-01", *fragments)
    assert_failed(run_case(pytester, bundled, "TC_028", strict=True), "--strict", "CSC-REQ-01", *fragments)


# -- 3.10 unlocking, non-happy ------------------------------------------------------------------


def test_unlock_failure_reported_as_unlocked_is_a_finding_of_tc_030(pytester: pytest.Pytester,
                                                                    bundled: BundledCsms,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    misreport_answer(monkeypatch, "UnlockConnector", lambda answer: answer.update(status="Unlocked"))
    message = ('Step 2: UnlockConnector.conf: the Central System reported the charge point\'s answer as '
               '{"status":"Unlocked"}, but the charge point answered {"status":"UnlockFailed"}')
    assert_finding(run_case(pytester, bundled, "TC_030"), "CSC-16-RELAY-01", message)
    assert_failed(run_case(pytester, bundled, "TC_030", strict=True), "--strict", "CSC-16-RELAY-01", message)


def test_callerror_relayed_for_an_answer_is_a_finding_of_tc_030(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS loses the charge point's answer and reports a CALLERROR the charge point never sent."""
    real = StationConnection.request

    async def lost(self: StationConnection, name: str, payload: Payload, timeout: float) -> Any:
        answer = await real(self, name, payload, timeout)
        if name == "UnlockConnector" and isinstance(answer, CallResult):
            return CallError(answer.unique_id, "InternalError", "answer lost")
        return answer

    monkeypatch.setattr(StationConnection, "request", lost)
    message = "Step 2: UnlockConnector.conf: the Central System reported a CALLERROR"
    assert_finding(run_case(pytester, bundled, "TC_030"), "CSC-16-RELAY-01", message,
                   'but the charge point answered {"status":"UnlockFailed"}')
    assert_failed(run_case(pytester, bundled, "TC_030", strict=True), "--strict", "CSC-16-RELAY-01", message)


def test_connector_clamped_is_a_finding_of_tc_031(pytester: pytest.Pytester, bundled: BundledCsms,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "UnlockConnector", lambda payload: payload.update(connectorId=1))
    message = "UnlockConnector.req, as asked through the trigger API: connectorId: expected 3, got 1"
    assert_finding(run_case(pytester, bundled, "TC_031"), "CSC-REQ-01", message)
    assert_failed(run_case(pytester, bundled, "TC_031", strict=True), "--strict", "CSC-REQ-01", message)


# -- 3.11 power failure -----------------------------------------------------------------------


def test_power_loss_stop_refused_fails_tc_032_1(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS refuses to stop a transaction that began before the station's last boot."""
    refuse(monkeypatch, "StopTransaction", lambda request: request.get("reason") == "PowerLoss")
    assert_failed(run_case(pytester, bundled, "TC_032_1"), "Step 6: StopTransaction.conf",
                  "CALLERROR PropertyConstraintViolation")


# -- 3.12 offline behaviour -------------------------------------------------------------------


def _older_than_a_minute(request: Payload) -> bool:
    return parse_time(request["timestamp"]) < datetime.now(UTC) - timedelta(minutes=1)


def test_offline_start_rejected_fails_tc_037_1(pytester: pytest.Pytester, bundled: BundledCsms,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS treats a StartTransaction with a past timestamp as stale and refuses its idTag."""
    patch_handler(monkeypatch, "1.6", "StartTransaction", lambda request, response: response["idTagInfo"].update(
        status="Invalid") if _older_than_a_minute(request) else None)
    assert_failed(run_case(pytester, bundled, "TC_037_1"), "Step 2: StartTransaction.conf",
                  'idTagInfo.status: expected "Accepted", got "Invalid"')


def test_offline_invalid_tag_accepted_fails_tc_037_3(pytester: pytest.Pytester, bundled: BundledCsms,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS trusts the charge point's offline decision and accepts any idTag."""
    patch_handler(monkeypatch, "1.6", "StartTransaction",
                  lambda _request, response: response["idTagInfo"].update(status="Accepted"))
    assert_failed(run_case(pytester, bundled, "TC_037_3"), "Step 2: StartTransaction.conf",
                  'idTagInfo.status: expected "Invalid", got "Accepted"')


def test_late_stop_refused_fails_tc_039(pytester: pytest.Pytester, bundled: BundledCsms,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    refuse(monkeypatch, "StopTransaction", _older_than_a_minute)
    assert_failed(run_case(pytester, bundled, "TC_039"), "Step 4: StopTransaction.conf", "CALLERROR")


def test_stop_with_valid_tag_answered_blocked_is_a_finding_of_tc_039(pytester: pytest.Pytester,
                                                                     bundled: BundledCsms,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The OCTT validates nothing of StopTransaction.conf: a valid idTag reported Blocked is a finding."""
    patch_handler(monkeypatch, "1.6", "StopTransaction",
                  lambda _request, response: response.update(idTagInfo={"status": "Blocked"}))
    message = ('Step 4: StopTransaction.conf: idTagInfo.status: expected "Accepted" for the idTag that stopped the '
               'transaction, got "Blocked"')
    assert_finding(run_case(pytester, bundled, "TC_039"), "CSC-16-CORE-04", message)
    assert_failed(run_case(pytester, bundled, "TC_039", strict=True), "--strict", "CSC-16-CORE-04", message)


# -- 3.13 configuration keys, non-happy -------------------------------------------------------


def test_not_supported_reported_as_rejected_is_a_finding_of_tc_040_1(pytester: pytest.Pytester,
                                                                      bundled: BundledCsms,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    misreport_answer(monkeypatch, "ChangeConfiguration", lambda answer: answer.update(status="Rejected"))
    message = ('Step 2: ChangeConfiguration.conf: the Central System reported the charge point\'s answer as '
               '{"status":"Rejected"}, but the charge point answered {"status":"NotSupported"}')
    assert_finding(run_case(pytester, bundled, "TC_040_1"), "CSC-16-RELAY-01", message)
    assert_failed(run_case(pytester, bundled, "TC_040_1", strict=True), "--strict", "CSC-16-RELAY-01", message)


def test_only_known_keys_offered_passes_tc_040_1_with_a_finding(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSMS whose operator can only pick keys it knows sends one of those: the OCTT's charge point answers
    NotSupported all the same and validates nothing of the request, so the case passes; the key is a finding."""
    alter_sent(monkeypatch, "ChangeConfiguration", lambda payload: payload.update(key="HeartbeatInterval"))
    message = 'ChangeConfiguration.req, as asked through the trigger API: key: expected "CsmscheckUnknownKey"'
    assert_finding(run_case(pytester, bundled, "TC_040_1"), "CSC-REQ-01", message)


def test_value_clamped_fails_tc_040_2(pytester: pytest.Pytester, bundled: BundledCsms,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS 'corrects' a negative interval to 0 instead of sending what the operator asked."""
    alter_sent(monkeypatch, "ChangeConfiguration",
               lambda payload: payload.update(value="0") if payload["value"].startswith("-") else None)
    assert_failed(run_case(pytester, bundled, "TC_040_2"), "Step 1: ChangeConfiguration.req",
                  'value: expected "-1", got "0"')


# -- every message names its step ---------------------------------------------------------------


def test_refused_boot_names_the_booted_state(pytester: pytest.Pytester, bundled: BundledCsms,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    refuse(monkeypatch, "BootNotification", lambda _request: True)
    assert_failed(run_case(pytester, bundled, "TC_003"), "Booted state: BootNotification.conf",
                  "CALLERROR PropertyConstraintViolation")


def test_refused_status_notification_names_its_step_in_tc_003(pytester: pytest.Pytester, bundled: BundledCsms,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    refuse(monkeypatch, "StatusNotification", lambda request: request["status"] == "Preparing")
    assert_failed(run_case(pytester, bundled, "TC_003"), "Step 2: StatusNotification.conf",
                  "CALLERROR PropertyConstraintViolation")


def test_refused_reboot_status_names_its_step_in_tc_013(pytester: pytest.Pytester, bundled: BundledCsms,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """After the reset, the CSMS refuses the connectors' StatusNotifications."""
    reset_sent: set[str] = set()
    alter_sent(monkeypatch, "Reset", lambda payload: reset_sent.add("yes"))
    refuse(monkeypatch, "StatusNotification", lambda _request: bool(reset_sent))
    assert_failed(run_case(pytester, bundled, "TC_013"), "Step 6: StatusNotification.conf",
                  "CALLERROR PropertyConstraintViolation")


def test_request_the_csms_cannot_send_names_step_1_of_tc_061(pytester: pytest.Pytester, bundled: BundledCsms,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def cannot(_payload: Payload) -> None:
        raise RuntimeError("this CSMS cannot clear a cache")

    alter_sent(monkeypatch, "ClearCache", cannot)
    assert_failed(run_case(pytester, bundled, "TC_061"),
                  "Step 1: ClearCache.req: the trigger API could not make the CSMS send ClearCache to CP16_SP1: "
                  "HTTP 500 Internal Server Error")


def test_reconnection_refused_after_reset_names_step_3_of_tc_014(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS forgets the station's password once it sent the reset."""
    reset_sent: set[str] = set()
    alter_sent(monkeypatch, "Reset", lambda payload: reset_sent.add("yes"))
    real = csmscheck.csms.server.check_password
    monkeypatch.setattr(csmscheck.csms.server, "check_password",
                        lambda password, stored: not reset_sent and real(password, stored))
    assert_failed(run_case(pytester, bundled, "TC_014"),
                  "Step 3: BootNotification.req (the charge point reconnects after the reset): "
                  "the Central System refused the connection: HTTP 401")
