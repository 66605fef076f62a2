"""Proof that block E fails against a deliberately broken CSMS.

Each test breaks the reference CSMS's TransactionEvent handling in one realistic way
(patched here, never a product flag) and checks that the matching case fails with a
message naming the step and what went wrong.
"""

from __future__ import annotations

from typing import Any

import pytest
from faults import assert_failed, misreport_answer, patch_handler, run_case
from faults201 import finding_not_failure

from csmscheck.bundled import BundledCsms
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import ROUTES, OcppError, Payload
from csmscheck.wire.errors import ErrorCode


def _wrap_transaction_event(monkeypatch: pytest.MonkeyPatch, broken: Any) -> None:
    """Put ``broken(real, connection, request)`` in front of the real TransactionEvent handler."""
    real = ROUTES["2.0.1"].handlers["TransactionEvent"]

    async def handler(connection: StationConnection, request: Payload) -> Payload:
        return await broken(real, connection, request)  # type: ignore[no-any-return]

    monkeypatch.setitem(ROUTES["2.0.1"].handlers, "TransactionEvent", handler)


def test_healthy_csms_passes_block_e_samples(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    for case in ("TC_E_10", "TC_E_16", "TC_E_29", "TC_E_31", "TC_E_53"):
        entry = run_case(pytester, bundled, case)
        assert entry["outcome"] == "passed", entry


def test_invalid_token_accepted_is_a_finding_of_tc_e_16(pytester: pytest.Pytester, bundled: BundledCsms,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSMS that never checks the token of a TransactionEvent (E01.FR.11): block E's definitions validate no
    field of the CSMS's answers, so this is a csmscheck check."""
    def trust_every_token(_request: Payload, response: Payload) -> None:
        if "idTokenInfo" in response:
            response["idTokenInfo"] = {"status": "Accepted"}

    patch_handler(monkeypatch, "2.0.1", "TransactionEvent", trust_every_token)
    finding_not_failure(pytester, bundled, "TC_E_16", "CSC-201-E-02",
                        "Step 2: TransactionEventResponse: idTokenInfo.status: expected <one of 'Invalid', "
                        "'Unknown'>, got \"Accepted\"")


def test_missing_id_token_info_is_a_finding_of_tc_e_10(pytester: pytest.Pytester, bundled: BundledCsms,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSMS that answers a TransactionEvent carrying an idToken without idTokenInfo (E01.FR.12)."""
    patch_handler(monkeypatch, "2.0.1", "TransactionEvent", lambda _req, resp: resp.pop("idTokenInfo", None))
    finding_not_failure(pytester, bundled, "TC_E_10", "CSC-201-E-01",
                        "Step 4: TransactionEventResponse: idTokenInfo: missing")


def test_valid_token_refused_is_a_finding_of_tc_e_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_E_01 validates nothing of the AuthorizeResponse: the valid token's status is a csmscheck check."""
    patch_handler(monkeypatch, "2.0.1", "Authorize", lambda _req, resp: resp["idTokenInfo"].update(status="Blocked"))
    finding_not_failure(pytester, bundled, "TC_E_01", "CSC-201-C-01",
                        'Step 2: AuthorizeResponse: idTokenInfo.status: expected "Accepted", got "Blocked"')


def test_authorized_state_still_fails_tc_e_04(pytester: pytest.Pytester, bundled: BundledCsms,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Where a case runs the reusable state Authorized, that state's tool validation is the OCTT's verdict."""
    patch_handler(monkeypatch, "2.0.1", "Authorize", lambda _req, resp: resp["idTokenInfo"].update(status="Blocked"))
    assert_failed(run_case(pytester, bundled, "TC_E_04"), "Authorized state: Step 2: AuthorizeResponse",
                  'idTokenInfo.status: expected "Accepted", got "Blocked"')


def test_transaction_status_misreported_passes_tc_e_30(pytester: pytest.Pytester, bundled: BundledCsms,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_E_30 has no post scenario validation: what the CSMS reports to its operator is not checked."""
    misreport_answer(monkeypatch, "GetTransactionStatus", lambda answer: answer.update(messagesInQueue=True))
    entry = run_case(pytester, bundled, "TC_E_30")
    assert entry["outcome"] == "passed" and not entry.get("findings"), entry


def test_remote_stop_answer_misreported_passes_tc_e_21(pytester: pytest.Pytester, bundled: BundledCsms,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    misreport_answer(monkeypatch, "RequestStopTransaction", lambda answer: answer.update(status="Rejected"))
    entry = run_case(pytester, bundled, "TC_E_21")
    assert entry["outcome"] == "passed" and not entry.get("findings"), entry


def test_offline_event_rejected_fails_tc_e_29(pytester: pytest.Pytester, bundled: BundledCsms,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSMS that refuses TransactionEvents the station queued while offline."""
    async def refuse_offline(real: Any, connection: StationConnection, request: Payload) -> Payload:
        if request.get("offline"):
            raise OcppError(ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, "events queued offline are not accepted")
        return await real(connection, request)  # type: ignore[no-any-return]

    _wrap_transaction_event(monkeypatch, refuse_offline)
    assert_failed(run_case(pytester, bundled, "TC_E_29"),
                  "Step 5: TransactionEvent: the CSMS answered CALLERROR PropertyConstraintViolation")


def test_events_after_end_rejected_fails_tc_e_31(pytester: pytest.Pytester, bundled: BundledCsms,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSMS that closes a transaction on its Ended event and refuses the queued events that follow."""
    ended: set[tuple[str, str]] = set()

    async def close_on_end(real: Any, connection: StationConnection, request: Payload) -> Payload:
        key = (connection.station_id, request["transactionInfo"]["transactionId"])
        if key in ended:
            raise OcppError(ErrorCode.GENERIC_ERROR, "transaction already ended")
        if request["eventType"] == "Ended":
            ended.add(key)
        return await real(connection, request)  # type: ignore[no-any-return]

    _wrap_transaction_event(monkeypatch, close_on_end)
    assert_failed(run_case(pytester, bundled, "TC_E_31"),
                  "Step 7: TransactionEvent: the CSMS answered CALLERROR GenericError (transaction already ended)")


def test_replays_keyed_by_station_fail_tc_e_53(pytester: pytest.Pytester, bundled: BundledCsms,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSMS that takes (station, seqNo) for an event's identity: the second transaction's
    seqNo 0 looks like a replay, and a replay gets an empty answer."""
    seen: set[tuple[str, int]] = set()

    async def station_wide_seq_no(real: Any, connection: StationConnection, request: Payload) -> Payload:
        key = (connection.station_id, request["seqNo"])
        if key in seen:
            return {}
        seen.add(key)
        return await real(connection, request)  # type: ignore[no-any-return]

    _wrap_transaction_event(monkeypatch, station_wide_seq_no)
    assert_failed(run_case(pytester, bundled, "TC_E_53"),
                  "Step 3: Authorized state: Step 4: TransactionEventResponse", "idTokenInfo: missing")
