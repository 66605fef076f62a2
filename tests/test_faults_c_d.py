"""Proof that blocks C and D catch a broken CSMS: each fault makes the matching case fail.

Every fault is patched into the in-process reference CSMS for one test (never a product
flag); the case runs through pytest and its results.json message must name the step
and the difference.
"""

from __future__ import annotations

import dataclasses
from typing import Any

# httpx imports httpcore on first use; if that happens inside a pytester run, pytester's
# sys.modules restore drops it and later httpx errors stop mapping to httpx exceptions.
import httpcore  # noqa: F401
import orjson
import pytest
from faults import alter_sent, assert_failed, misreport_answer, patch_handler, run_case
from faults201 import finding_not_failure

from csmscheck.bundled import BundledCsms
from csmscheck.csms import ocsp_client
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import ROUTES, Payload
from csmscheck.settings import load_settings
from csmscheck.wire import CallResult


@pytest.mark.parametrize("case", ["TC_C_51", "TC_D_02"])
def test_healthy_csms_passes(pytester: pytest.Pytester, bundled: BundledCsms, case: str) -> None:
    assert run_case(pytester, bundled, case)["outcome"] == "passed"


# -- block C --------------------------------------------------------------------------


def test_blocked_token_accepted_fails_tc_c_06(pytester: pytest.Pytester, bundled: BundledCsms,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "2.0.1", "Authorize", lambda _req, resp: resp["idTokenInfo"].update(status="Accepted"))
    assert_failed(run_case(pytester, bundled, "TC_C_06"), "Step 2: AuthorizeResponse",
                  "idTokenInfo.status: expected <one of 'Blocked', 'Invalid'>, got \"Accepted\"")


def test_unknown_token_accepted_in_transaction_fails_tc_c_20(pytester: pytest.Pytester, bundled: BundledCsms,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def accept_all(_req: Payload, resp: Payload) -> None:
        if "idTokenInfo" in resp:
            resp["idTokenInfo"]["status"] = "Accepted"

    patch_handler(monkeypatch, "2.0.1", "TransactionEvent", accept_all)
    assert_failed(run_case(pytester, bundled, "TC_C_20"), "Step 2: TransactionEventResponse",
                  "idTokenInfo.status: expected <one of 'Invalid', 'Unknown'>, got \"Accepted\"")


def test_group_not_reported_fails_tc_c_39(pytester: pytest.Pytester, bundled: BundledCsms,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "2.0.1", "Authorize", lambda _req, resp: resp["idTokenInfo"].pop("groupIdToken", None))
    assert_failed(run_case(pytester, bundled, "TC_C_39"),
                  "Step 2: AuthorizeResponse", "idTokenInfo.groupIdToken: missing")


def test_revoked_certificate_accepted_fails_tc_c_51(pytester: pytest.Pytester, bundled: BundledCsms,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    real = ocsp_client._verdict
    monkeypatch.setattr(ocsp_client, "_verdict", lambda outcome, reason: real(
        "good" if outcome == "revoked" else outcome, reason))
    assert_failed(run_case(pytester, bundled, "TC_C_51"), "Step 4: AuthorizeResponse",
                  'idTokenInfo.status: expected "Invalid", got "Accepted"',
                  'certificateStatus: expected "CertificateRevoked", got "Accepted"')


def test_no_ocsp_look_up_fails_tc_c_50(pytester: pytest.Pytester, bundled: BundledCsms,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    async def trust_blindly(*_args: Any, **_kwargs: Any) -> tuple[str, str]:
        return "good", "not asked"

    monkeypatch.setattr(ocsp_client, "query", trust_blindly)
    assert_failed(run_case(pytester, bundled, "TC_C_50"),
                  "Step 2: expected an OCSP request from the CSMS at http://127.0.0.1:19080/, got none")


def test_certificate_without_ocsp_fails_tc_c_52(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSMS that cannot read the AIA extension has nowhere to ask and cannot accept the contract."""
    monkeypatch.setattr(ocsp_client, "_ocsp_url", lambda _cert: None)
    assert_failed(run_case(pytester, bundled, "TC_C_52"),
                  "Step 2: expected an OCSP request from the CSMS at http://127.0.0.1:19082/, got none")


def test_ocsp_request_about_another_certificate_fails_tc_c_51(pytester: pytest.Pytester, bundled: BundledCsms,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSMS that asks the responder about another serial number than the contract certificate's."""
    real = ocsp_client.query

    async def wrong_serial(cert_id: ocsp_client.CertId, *args: Any, **kwargs: Any) -> Any:
        return await real(dataclasses.replace(cert_id, serial_number=0xBADC0DE), *args, **kwargs)

    monkeypatch.setattr(ocsp_client, "query", wrong_serial)
    assert_failed(run_case(pytester, bundled, "TC_C_51"),
                  "Step 2: expected an OCSP request about the contract certificate (serial number ",
                  "got requests about serial numbers badc0de")


@pytest.mark.parametrize("pki_dir", [None, "empty"])
def test_contract_cases_not_applicable_without_a_pki(pytester: pytest.Pytester, bundled: BundledCsms,
                                                     pki_dir: str | None) -> None:
    """Without a CA in pki_dir the suite cannot issue contract certificates: not applicable, with the reason."""
    report = pytester.path / "report"
    where = [] if pki_dir is None else ["--csms-pki-dir", str(pytester.mkdir(pki_dir))]
    pytester.runpytest_inprocess(
        "--pyargs", "csmscheck.suite", "-p", "no:cacheprovider", "--csms-select", "TC_C_50",
        "--csms-target", bundled.endpoints.ws, "--csms-trigger", bundled.endpoints.api, *where,
        "--csms-report-dir", str(report), "-o", "asyncio_default_fixture_loop_scope=function")
    (entry,) = orjson.loads((report / "results.json").read_bytes())["tests"]
    assert entry["outcome"] == "skipped", entry
    assert "not applicable" in entry["message"] and "pki_dir (CSMSCHECK_PKI_DIR)" in entry["message"], entry


def test_master_pass_group_not_reported_is_a_finding_of_tc_c_47(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_C_47 validates nothing of the master pass's AuthorizeResponse: its group is a csmscheck check."""
    master = load_settings(environ={}).masterpass_id_token

    def no_group(request: Payload, response: Payload) -> None:
        if request["idToken"]["idToken"] == master:
            response["idTokenInfo"].pop("groupIdToken", None)

    patch_handler(monkeypatch, "2.0.1", "Authorize", no_group)
    finding_not_failure(pytester, bundled, "TC_C_47", "CSC-201-C-02",
                        "Step 2: AuthorizeResponse: idTokenInfo.groupIdToken: missing")


def test_master_pass_stop_refused_is_a_finding_of_tc_c_49(pytester: pytest.Pytester, bundled: BundledCsms,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_C_49 validates nothing of the answers to the Ended events: their token status is a csmscheck check."""
    def refuse_master_pass_stop(request: Payload, response: Payload) -> None:
        if request["transactionInfo"].get("stoppedReason") == "MasterPass" and "idTokenInfo" in response:
            response["idTokenInfo"] = {"status": "Invalid"}

    patch_handler(monkeypatch, "2.0.1", "TransactionEvent", refuse_master_pass_stop)
    finding_not_failure(pytester, bundled, "TC_C_49", "CSC-201-E-01",
                        'Step 4: TransactionEventResponse (EVSE 1): idTokenInfo.status: expected "Accepted", '
                        'got "Invalid"', "Step 6: TransactionEventResponse (EVSE 2)")


def test_clear_cache_answer_misreported_passes_tc_c_37(pytester: pytest.Pytester, bundled: BundledCsms,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_C_37 has no post scenario validation: what the CSMS reports to its operator is not checked."""
    misreport_answer(monkeypatch, "ClearCache", lambda answer: answer.update(status="Rejected"))
    entry = run_case(pytester, bundled, "TC_C_37")
    assert entry["outcome"] == "passed" and not entry.get("findings"), entry


# -- block D --------------------------------------------------------------------------


def test_list_version_not_above_the_stations_fails_tc_d_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSMS that numbers the update with the version the station reported, not above it."""
    alter_sent(monkeypatch, "SendLocalList", lambda request: request.update(versionNumber=1))
    assert_failed(run_case(pytester, bundled, "TC_D_02"), "Step 3: SendLocalListRequest",
                  "versionNumber: expected <an integer > 1>, got 1")


def test_csms_sending_the_update_as_asked_passes_tc_d_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSMS that sends the update its operator asked for (no numbering of its own) passes: the suite asks
    for a version above the station's."""
    monkeypatch.delitem(ROUTES["2.0.1"].shapers, "SendLocalList")
    entry = run_case(pytester, bundled, "TC_D_02")
    assert entry["outcome"] == "passed" and not entry.get("findings"), entry


def test_csms_that_does_not_ask_the_version_passes_tc_d_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_D_01's GetLocalListVersion is optional: a CSMS that cannot send one still passes."""
    real = StationConnection.request

    async def no_version_requests(self: StationConnection, action: str, payload: Payload, timeout: float) -> Any:
        if action == "GetLocalListVersion":
            raise RuntimeError("GetLocalListVersion is not supported")
        return await real(self, action, payload, timeout)

    monkeypatch.setattr(StationConnection, "request", no_version_requests)
    assert run_case(pytester, bundled, "TC_D_01")["outcome"] == "passed"


def test_removal_of_another_token_passes_tc_d_03(pytester: pytest.Pytester, bundled: BundledCsms,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_D_03 validates that the entries carry no idTokenInfo, not which tokens they remove."""
    def other_token(request: Payload) -> None:
        for item in request["localAuthorizationList"]:
            item["idToken"] = {"idToken": "OTHER-TOKEN-9", "type": "ISO14443"}

    alter_sent(monkeypatch, "SendLocalList", other_token)
    assert run_case(pytester, bundled, "TC_D_03")["outcome"] == "passed"


def _wrap_list_shaper(monkeypatch: pytest.MonkeyPatch, change: Any) -> None:
    real = ROUTES["2.0.1"].shapers["SendLocalList"]

    async def broken(connection: StationConnection, request: Payload) -> list[Payload]:
        parts = await real(connection, request)
        for part in parts:
            change(part)
        return parts

    monkeypatch.setitem(ROUTES["2.0.1"].shapers, "SendLocalList", broken)


def test_removal_with_id_token_info_fails_tc_d_03(pytester: pytest.Pytester, bundled: BundledCsms,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def fill_in(part: Payload) -> None:
        for item in part.get("localAuthorizationList", []):
            item.setdefault("idTokenInfo", {"status": "Accepted"})

    _wrap_list_shaper(monkeypatch, fill_in)
    assert_failed(run_case(pytester, bundled, "TC_D_03"), "Step 2: SendLocalListRequest entry 0 (a removal)",
                  "idTokenInfo: expected to be absent")


def test_duplicate_tokens_are_a_finding_of_tc_d_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """D01.FR.06 is not among TC_D_01's tool validations: duplicates are a csmscheck check."""
    _wrap_list_shaper(monkeypatch, lambda part: part["localAuthorizationList"].append(
        part["localAuthorizationList"][0]))
    token = load_settings(environ={}).valid_id_token
    finding_not_failure(pytester, bundled, "TC_D_01", "CSC-201-D-01",
                        f"Step 3: expected each idToken once in the SendLocalListRequest, got {token} (ISO14443) more "
                        "than once")


def test_empty_list_numbered_0_is_a_finding_of_tc_d_04(pytester: pytest.Pytester, bundled: BundledCsms,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_D_04 validates the update type and the empty list; versionNumber > 0 (D01.FR.18) is a csmscheck check."""
    _wrap_list_shaper(monkeypatch, lambda part: part.update(versionNumber=0))
    finding_not_failure(pytester, bundled, "TC_D_04", "CSC-201-D-02",
                        "Step 2: SendLocalListRequest: versionNumber: expected <an integer > 0>, got 0")


def test_misread_list_version_fails_tc_d_08(pytester: pytest.Pytester, bundled: BundledCsms,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    real = StationConnection.request

    async def misread(self: StationConnection, action: str, payload: Payload, timeout: float) -> Any:
        answer = await real(self, action, payload, timeout)
        if action == "GetLocalListVersion" and isinstance(answer, CallResult):
            answer.payload["versionNumber"] = 7
        return answer

    monkeypatch.setattr(StationConnection, "request", misread)
    assert_failed(run_case(pytester, bundled, "TC_D_08"), "Post scenario: the list version the CSMS received",
                  "versionNumber: expected 1, got 7")
