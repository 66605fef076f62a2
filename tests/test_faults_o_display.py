"""Proof that the display message cases of block O catch faults: a broken reference CSMS fails the matching case.

Each test breaks one piece of the in-process reference CSMS inside the test (monkeypatch,
never a product flag), runs one conformance case through pytest and checks that the
results.json message names the step and the difference (or, for a csmscheck check, that the
case passes its OCTT verdict with the finding and fails with ``--strict``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from faults import alter_sent, assert_all_pass_strictly, caught
from faults201 import finding_not_failure

from csmscheck.bundled import BundledCsms
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import ROUTES, OcppError, Payload
from csmscheck.timestamps import rfc3339
from csmscheck.wire.errors import ErrorCode

CASES = ["TC_O_01", "TC_O_02", "TC_O_03", "TC_O_04", "TC_O_05", "TC_O_06", "TC_O_07", "TC_O_08", "TC_O_09",
         "TC_O_10", "TC_O_11", "TC_O_12", "TC_O_13", "TC_O_14", "TC_O_17", "TC_O_18", "TC_O_19", "TC_O_25",
         "TC_O_26", "TC_O_27", "TC_O_28"]


def test_healthy_csms_passes_the_display_message_cases_strictly(pytester: pytest.Pytester,
                                                                bundled: BundledCsms) -> None:
    assert_all_pass_strictly(pytester, bundled, CASES)


# -- OCTT verdicts --------------------------------------------------------------------------


def test_priority_altered_fails_tc_o_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "SetDisplayMessage", lambda p: p["message"].update(priority="AlwaysFront"))
    caught(pytester, bundled, "TC_O_01", "Step 1: SetDisplayMessageRequest",
           'message.priority: expected "NormalCycle", got "AlwaysFront"')


def test_transaction_dropped_fails_tc_o_06(pytester: pytest.Pytester, bundled: BundledCsms,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "SetDisplayMessage", lambda p: p["message"].pop("transactionId", None))
    caught(pytester, bundled, "TC_O_06", "Step 1: SetDisplayMessageRequest", "message.transactionId: missing")


def test_get_without_the_asked_id_fails_tc_o_07(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "GetDisplayMessages", lambda p: p.pop("id", None))
    caught(pytester, bundled, "TC_O_07", "Step 1: GetDisplayMessagesRequest", "id: missing (expected <the ids [1]>)")


def test_clear_of_another_id_fails_tc_o_04(pytester: pytest.Pytester, bundled: BundledCsms,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "ClearDisplayMessage", lambda p: p.update(id=p["id"] % 1000 + 1_000_000_000))
    caught(pytester, bundled, "TC_O_04", "Step 1: ClearDisplayMessageRequest", "id: expected", "got 1000000")


def test_start_time_lost_fails_tc_o_27(pytester: pytest.Pytester, bundled: BundledCsms,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "SetDisplayMessage", lambda p: p["message"].pop("startDateTime", None))
    caught(pytester, bundled, "TC_O_27", "Step 1: SetDisplayMessageRequest", "message.startDateTime: missing")


def test_report_answered_with_an_error_fails_tc_o_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(connection: StationConnection, request: Payload) -> Payload:
        raise OcppError(ErrorCode.INTERNAL_ERROR, "display messages are not stored")

    monkeypatch.setitem(ROUTES["2.0.1"].handlers, "NotifyDisplayMessages", broken)
    caught(pytester, bundled, "TC_O_02", "Step 3/4: NotifyDisplayMessagesRequest, part 1 of 1",
           "CALLERROR InternalError")


# -- csmscheck checks (findings) ------------------------------------------------------------


def test_transaction_id_on_a_plain_message_is_a_finding_of_tc_o_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "SetDisplayMessage", lambda p: p["message"].update(transactionId="tx-stale"))
    finding_not_failure(pytester, bundled, "TC_O_01", "CSC-201-O-01", "Step 1: SetDisplayMessageRequest",
                        '"tx-stale"')


def test_message_ending_before_it_starts_is_a_finding_of_tc_o_13(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    ended = rfc3339(datetime.now(UTC) - timedelta(hours=1))
    alter_sent(monkeypatch, "SetDisplayMessage", lambda p: p["message"].update(endDateTime=ended))
    finding_not_failure(pytester, bundled, "TC_O_13", "CSC-201-O-02", f"message.endDateTime {ended} is not after")


def test_idle_state_on_a_transaction_message_is_a_finding_of_tc_o_06(pytester: pytest.Pytester,
                                                                     bundled: BundledCsms,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "SetDisplayMessage", lambda p: p["message"].update(state="Idle"))
    finding_not_failure(pytester, bundled, "TC_O_06", "CSC-201-O-03", "message.state Idle for a message of "
                        "transaction")
