"""Proof that blocks C and D catch a broken CSMS: each fault makes the matching case fail.

Every fault is patched into the in-process reference CSMS for one test (never a product
flag); the case runs through pytest and its results.json message must name the step
and the difference.
"""

from __future__ import annotations

from typing import Any

# httpx imports httpcore on first use; if that happens inside a pytester run, pytester's
# sys.modules restore drops it and later httpx errors stop mapping to httpx exceptions.
import httpcore  # noqa: F401
import pytest
from faults import assert_failed, patch_handler, run_case

from csmscheck.bundled import BundledCsms
from csmscheck.csms import ocsp_client
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import ROUTES, Payload
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
                  "Step 2: the CSMS sent no OCSP request to http://127.0.0.1:19080/")


def test_certificate_without_ocsp_fails_tc_c_52(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSMS that cannot read the AIA extension has nowhere to ask and cannot accept the contract."""
    monkeypatch.setattr(ocsp_client, "_ocsp_url", lambda _cert: None)
    assert_failed(run_case(pytester, bundled, "TC_C_52"),
                  "Step 2: the CSMS sent no OCSP request to http://127.0.0.1:19082/")


# -- block D --------------------------------------------------------------------------


def test_list_version_not_tracked_fails_tc_d_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES["2.0.1"].shapers, "SendLocalList")
    assert_failed(run_case(pytester, bundled, "TC_D_02"), "Step 3: SendLocalListRequest",
                  "versionNumber: expected <an integer > 1>, got 1")


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


def test_duplicate_tokens_fail_tc_d_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _wrap_list_shaper(monkeypatch, lambda part: part["localAuthorizationList"].append(
        part["localAuthorizationList"][0]))
    assert_failed(run_case(pytester, bundled, "TC_D_01"), "Step 3: SendLocalListRequest lists idTokens more than once")


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
