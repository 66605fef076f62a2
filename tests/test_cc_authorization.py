"""Proof that csmscheck's authorization cases and checks catch realistic CSMS bugs (both versions).

Each test patches one bug into the in-process reference CSMS with ``monkeypatch`` (never a
product flag): the OCSP client, the token verdicts, the handlers, the trigger API's token
set-up or the local-list numbering. The csmscheck case (``CC_*``) or check then reports it,
with a message naming the step, what was expected and what came; the healthy CSMS passes
every case with ``--strict``.
"""

from __future__ import annotations

import dataclasses
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

# httpx imports httpcore on first use; if that happens inside a pytester run, pytester's
# sys.modules restore drops it and later httpx errors stop mapping to httpx exceptions.
import httpcore  # noqa: F401
import httpx
import pytest
from conftest import RunningCsms
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from faults import alter_sent, assert_failed, assert_finding, patch_handler, run_case, run_cases
from faults201 import finding_not_failure
from sqlalchemy import select

from csmscheck.bundled import BundledCsms
from csmscheck.csms import authorization, ocsp_client, operations
from csmscheck.csms.authorization import TokenVerdict
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.handlers.v16 import core as core16
from csmscheck.csms.handlers.v16 import local_list as local_list16
from csmscheck.csms.handlers.v201 import authorize as authorize201
from csmscheck.csms.handlers.v201 import local_list as local_list201
from csmscheck.csms.handlers.v201 import remote_control
from csmscheck.csms.handlers.v201 import transactions as transactions201
from csmscheck.csms.models import IdToken, Transaction
from csmscheck.csms.router import ROUTES, Payload
from csmscheck.csms.store import Store
from csmscheck.errors import NotApplicable
from csmscheck.pki import generate_pki
from csmscheck.pki.certificates import pem_text
from csmscheck.pki.contract import (
    CertificateAuthority,
    impostor_ca,
    issue_contract_certificate,
    issue_sub_ca,
    load_ca,
)
from csmscheck.pki.ocsp import Forgery, OcspResponder
from csmscheck.suite.v201.contracts import held_closed

CC_CASES = [*(f"CC_C_{n:02d}" for n in (*range(1, 8), *range(10, 25))), "CC_D_01", "CC_D_02",
            "CC16_20", "CC16_21", "CC16_22", "CC16_23", "CC16_25", "CC16_26"]
NOT_ACCEPTED = 'idTokenInfo.status: expected <anything but "Accepted">, got "Accepted"'


def cc_finding(pytester: pytest.Pytester, bundled: BundledCsms, case: str, *fragments: str) -> None:
    """The csmscheck case ``case`` reports the bug: a finding of its own id (its verdict passes)."""
    assert_finding(run_case(pytester, bundled, case), case, *fragments)


def test_healthy_csms_passes_every_authorization_case_strictly(pytester: pytest.Pytester,
                                                               bundled: BundledCsms) -> None:
    entries = run_cases(pytester, bundled, *CC_CASES, "TC_E_30", "TC_E_08", "TC_004_1", "TC_C_39", strict=True)
    assert sorted(e["id"] for e in entries) == sorted([*CC_CASES, "TC_E_30", "TC_E_08", "TC_004_1", "TC_C_39"])
    for entry in entries:
        assert entry["outcome"] == "passed" and not entry.get("findings"), entry


def test_a_failed_case_fails_with_strict(pytester: pytest.Pytester, bundled: BundledCsms,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the OCSP 'unknown' status read as 'good'. With --strict the csmscheck case fails, naming the step."""
    _unknown_is_good(monkeypatch)
    assert_failed(run_case(pytester, bundled, "CC_C_10", strict=True),
                  "Step 2: AuthorizeResponse for a contract certificate the OCSP responder reports unknown",
                  NOT_ACCEPTED)


# -- OCSP and contract certificates (C07) ----------------------------------------------------------------


def _unknown_is_good(monkeypatch: pytest.MonkeyPatch) -> None:
    real = ocsp_client._verdict
    monkeypatch.setattr(ocsp_client, "_verdict", lambda outcome, reason: real(
        "good" if outcome == "unknown" else outcome, reason))


def test_ocsp_unknown_read_as_good(pytester: pytest.Pytester, bundled: BundledCsms,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _unknown_is_good(monkeypatch)
    cc_finding(pytester, bundled, "CC_C_10", "Step 2: AuthorizeResponse for a contract certificate the OCSP "
               "responder reports unknown", NOT_ACCEPTED,
               'certificateStatus: expected <absent or anything but "Accepted">, got "Accepted"')


def test_certificate_failure_leaves_the_token_accepted(pytester: pytest.Pytester, bundled: BundledCsms,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: certificateStatus says CertChainError, but idTokenInfo keeps the eMAID's own status Accepted."""
    real = ocsp_client.check_contract

    async def token_untouched(*args: Any, **kwargs: Any) -> ocsp_client.ContractVerdict:
        return dataclasses.replace(await real(*args, **kwargs), token_status=None)

    monkeypatch.setattr(ocsp_client, "check_contract", token_untouched)
    cc_finding(pytester, bundled, "CC_C_10", NOT_ACCEPTED)


def test_unreachable_responder_fails_open(pytester: pytest.Pytester, bundled: BundledCsms,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: a responder that cannot be reached is taken as 'good' (fail-open)."""
    real = ocsp_client.query

    async def fail_open(*args: Any, **kwargs: Any) -> tuple[str, str]:
        outcome, reason = await real(*args, **kwargs)
        return ("good", reason) if "unreachable" in reason else (outcome, reason)

    monkeypatch.setattr(ocsp_client, "query", fail_open)
    cc_finding(pytester, bundled, "CC_C_11", "Step 2: AuthorizeResponse for a contract certificate whose OCSP "
               "responder http://127.0.0.1:19084/ refuses connections", NOT_ACCEPTED)


def test_response_signer_not_checked(pytester: pytest.Pytester, bundled: BundledCsms,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the CSMS trusts whatever signing certificate the OCSP response carries."""
    real = ocsp_client._signer

    def any_signer(response: x509.ocsp.OCSPResponse, issuer: x509.Certificate) -> x509.Certificate | None:
        return real(response, issuer) or next(iter(response.certificates), None)

    monkeypatch.setattr(ocsp_client, "_signer", any_signer)
    cc_finding(pytester, bundled, "CC_C_12", "signed by a key the CA never certified", NOT_ACCEPTED)


def test_outdated_response_accepted(pytester: pytest.Pytester, bundled: BundledCsms,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: thisUpdate/nextUpdate are not looked at."""
    monkeypatch.setattr(ocsp_client, "_SKEW", ocsp_client._SKEW * 10_000)
    cc_finding(pytester, bundled, "CC_C_13", "outdated (nextUpdate passed)", NOT_ACCEPTED)


def test_response_about_another_certificate_accepted(pytester: pytest.Pytester, bundled: BundledCsms,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the CSMS reads the first single response without matching it to the certificate it asked about."""
    real = ocsp_client.read_response

    def first_answer(response: x509.ocsp.OCSPResponse, cert_id: ocsp_client.CertId, *args: Any) -> Any:
        if response.response_status == x509.ocsp.OCSPResponseStatus.SUCCESSFUL:
            cert_id = dataclasses.replace(cert_id, serial_number=next(iter(response.responses)).serial_number)
        return real(response, cert_id, *args)

    monkeypatch.setattr(ocsp_client, "read_response", first_answer)
    cc_finding(pytester, bundled, "CC_C_14", "about another serial number", NOT_ACCEPTED)


def test_emaid_not_compared_with_the_certificate(pytester: pytest.Pytester, bundled: BundledCsms,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the certificate's common name is never compared with the eMAID presented."""
    monkeypatch.setattr(ocsp_client, "_normal", lambda _emaid: "")
    cc_finding(pytester, bundled, "CC_C_15", "issued to NLCSMC99999999", "not to the eMAID presented", NOT_ACCEPTED)


def test_presented_root_trusted(pytester: pytest.Pytester, bundled: BundledCsms,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: a self-signed root that comes with the certificate is taken as a trust anchor."""
    real = ocsp_client._chain_problem

    def own_roots(chain: list[x509.Certificate], anchors: list[x509.Certificate], id_token: str) -> Any:
        return real(chain, [*anchors, *(c for c in chain[1:] if c.subject == c.issuer)], id_token)

    monkeypatch.setattr(ocsp_client, "_chain_problem", own_roots)
    cc_finding(pytester, bundled, "CC_C_16", "signed by an impostor of the trusted CA", NOT_ACCEPTED)


def test_unknown_issuer_skipped(pytester: pytest.Pytester, bundled: BundledCsms,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: OCSP data naming an issuer the CSMS does not know is let through unchecked."""
    real = ocsp_client._resolve

    def lenient(entry: dict[str, Any], known: list[x509.Certificate]) -> Any:
        resolved = real(entry, known)
        if isinstance(resolved, ocsp_client.ContractVerdict) and "not trusted" in resolved.reason:
            return ocsp_client.ContractVerdict("Accepted", None, "issuer unknown: not checked")
        return resolved

    monkeypatch.setattr(ocsp_client, "_resolve", lenient)
    cc_finding(pytester, bundled, "CC_C_17", "naming an issuer the CSMS does not trust", NOT_ACCEPTED)


def test_expired_certificate_accepted(pytester: pytest.Pytester, bundled: BundledCsms,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the certificate's validity period is not checked."""
    real = ocsp_client._chain_problem

    def no_expiry(*args: Any) -> Any:
        problem = real(*args)
        return None if problem is not None and problem.certificate_status == "CertificateExpired" else problem

    monkeypatch.setattr(ocsp_client, "_chain_problem", no_expiry)
    cc_finding(pytester, bundled, "CC_C_18", "that expired yesterday", NOT_ACCEPTED)


def test_valid_contract_authorizes_a_blocked_emaid(pytester: pytest.Pytester, bundled: BundledCsms,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: a contract certificate that checks out authorizes the eMAID whatever the CSMS knows of it."""
    def contract_decides(_req: Payload, resp: Payload) -> None:
        if resp.get("certificateStatus") == "Accepted":
            resp["idTokenInfo"]["status"] = "Accepted"

    patch_handler(monkeypatch, "2.0.1", "Authorize", contract_decides)
    cc_finding(pytester, bundled, "CC_C_19", "Step 2: AuthorizeResponse for the blocked eMAID NLCSMC00000019",
               "idTokenInfo.status: expected <one of 'Blocked', 'Invalid'>, got \"Accepted\"")


def test_only_sha256_hash_data(pytester: pytest.Pytester, bundled: BundledCsms,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: OCSP data is only understood with SHA-256 hashes; SHA-384 and SHA-512 ones are refused."""
    monkeypatch.setattr(ocsp_client, "_HASHES", {"SHA256": hashes.SHA256})
    cc_finding(pytester, bundled, "CC_C_20", "Step 2: AuthorizeResponse for a valid contract certificate, OCSP data "
               "hashed with SHA384", 'idTokenInfo.status: expected "Accepted", got "Invalid"')


def test_try_later_read_as_good(pytester: pytest.Pytester, bundled: BundledCsms,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: any OCSP answer the responder gives counts as 'good', whatever its responseStatus."""
    real = ocsp_client.read_response

    def any_answer(response: x509.ocsp.OCSPResponse, *args: Any) -> Any:
        if response.response_status != x509.ocsp.OCSPResponseStatus.SUCCESSFUL:
            return "good", "answered"
        return real(response, *args)

    monkeypatch.setattr(ocsp_client, "read_response", any_answer)
    cc_finding(pytester, bundled, "CC_C_21", "whose OCSP responder answers tryLater", NOT_ACCEPTED)


def test_response_signature_not_verified(pytester: pytest.Pytester, bundled: BundledCsms,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the response's signer is identified but its signature never verified."""
    monkeypatch.setattr(ocsp_client, "_signature_valid", lambda *_args: True)
    cc_finding(pytester, bundled, "CC_C_22", "names the CA as signer but its signature does not verify", NOT_ACCEPTED)


def test_only_the_leaf_checked(pytester: pytest.Pytester, bundled: BundledCsms,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the CSMS asks OCSP about the contract certificate only, not about the sub-CA that issued it."""
    monkeypatch.setattr(ocsp_client, "_chain_look_ups", lambda *_args: [])
    cc_finding(pytester, bundled, "CC_C_23", "Step 2: AuthorizeResponse for a contract certificate (good) whose "
               "sub-CA is revoked", 'idTokenInfo.status: expected "Invalid", got "Accepted"',
               'certificateStatus: expected "CertificateRevoked", got "Accepted"')


def test_sub_ca_not_followed(pytester: pytest.Pytester, bundled: BundledCsms,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: only certificates a trusted root signed directly are valid; a mobility operator's sub-CA is not followed."""
    real = ocsp_client._chain_problem

    def direct_only(chain: list[x509.Certificate], anchors: list[x509.Certificate], id_token: str) -> Any:
        if ocsp_client._issuer_of(chain[0], anchors) is None:
            return ocsp_client.ContractVerdict("CertChainError", "Invalid", "not signed by a trusted root")
        return real(chain, anchors, id_token)

    monkeypatch.setattr(ocsp_client, "_chain_problem", direct_only)
    cc_finding(pytester, bundled, "CC_C_24", "Step 2: AuthorizeResponse for a valid contract certificate issued by a "
               "sub-CA of the trusted CA", 'idTokenInfo.status: expected "Accepted", got "Invalid"')


# -- tokens (2.0.1) ------------------------------------------------------------------------------------------


def _case_sensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: tokens are looked up as typed, letter case and all."""
    real = authorization.verdict_for

    async def exact(store: Store, id_token: str) -> TokenVerdict:
        async with store.session() as db:
            if await db.get(IdToken, id_token) is None:
                return TokenVerdict("Unknown")
        return await real(store, id_token)

    for module in (authorize201, transactions201, core16):
        monkeypatch.setattr(module, "verdict_for", exact)


def test_token_in_another_letter_case_unknown(pytester: pytest.Pytester, bundled: BundledCsms,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _case_sensitive(monkeypatch)
    cc_finding(pytester, bundled, "CC_C_01", "Step 2: AuthorizeResponse for 'a0000001' (ISO14443)",
               'idTokenInfo.status: expected "Accepted", got "Unknown"')


def test_group_dropped_from_transaction_answers(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: TransactionEventResponse reports the token's status but not its group."""
    patch_handler(monkeypatch, "2.0.1", "TransactionEvent",
                  lambda _req, resp: resp.get("idTokenInfo", {}).pop("groupIdToken", None))
    finding_not_failure(pytester, bundled, "TC_E_30", "CSC-201-E-01",
                        "Authorized state: Step 4: TransactionEventResponse: idTokenInfo.groupIdToken: missing")
    assert_finding(run_case(pytester, bundled, "TC_E_08"), "CSC-201-E-01",
                   "StopAuthorized state: Step 2: TransactionEventResponse: idTokenInfo.groupIdToken: missing")


def test_group_of_another_token_in_authorize(pytester: pytest.Pytester, bundled: BundledCsms,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: AuthorizeResponse names the master pass group for every grouped token."""
    def wrong_group(_req: Payload, resp: Payload) -> None:
        if "groupIdToken" in resp["idTokenInfo"]:
            resp["idTokenInfo"]["groupIdToken"] = {"idToken": "MASTERGROUP", "type": "Central"}

    patch_handler(monkeypatch, "2.0.1", "Authorize", wrong_group)
    assert_finding(run_case(pytester, bundled, "TC_E_30"), "CSC-201-C-01",
                   "Authorized state: Step 2: AuthorizeResponse: idTokenInfo.groupIdToken.idToken: expected "
                   "<'GROUP-001' in any letter case>, got \"MASTERGROUP\"")


def test_cache_expiry_dropped(pytester: pytest.Pytester, bundled: BundledCsms,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "2.0.1", "Authorize", lambda _req, resp: resp["idTokenInfo"].pop(
        "cacheExpiryDateTime", None))
    cc_finding(pytester, bundled, "CC_C_02", "Step 2: AuthorizeResponse for 'CC0C0200' (ISO14443)",
               "idTokenInfo.cacheExpiryDateTime: missing")


def test_cache_expiry_without_offset(pytester: pytest.Pytester, bundled: BundledCsms,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the expiry goes out as local time without an offset in TransactionEventResponse."""
    def naive(_req: Payload, resp: Payload) -> None:
        info = resp.get("idTokenInfo", {})
        if "cacheExpiryDateTime" in info:
            info["cacheExpiryDateTime"] = info["cacheExpiryDateTime"].removesuffix("Z")

    patch_handler(monkeypatch, "2.0.1", "TransactionEvent", naive)
    cc_finding(pytester, bundled, "CC_C_02", "Step 3: TransactionEventResponse from the CSMS violates the OCPP "
               "2.0.1 schema: idTokenInfo/cacheExpiryDateTime:", 'is not a "date-time"')


def test_expiry_compared_with_the_wrong_clock(pytester: pytest.Pytester, bundled: BundledCsms,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the expiry is compared with a clock two days ahead (a time-zone mix-up): valid tokens expire early."""
    real = authorization.now
    monkeypatch.setattr(authorization, "now", lambda: real() + timedelta(days=2))
    cc_finding(pytester, bundled, "CC_C_02", 'idTokenInfo.status: expected "Accepted", got "Expired"')


def _status_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: a TransactionEvent's token is only looked up: any token the CSMS knows is Accepted."""
    real = transactions201.token_verdict

    async def known_is_enough(store: Store, token: Payload) -> TokenVerdict:
        verdict = await real(store, token)
        return verdict if verdict.status == "Unknown" else TokenVerdict("Accepted", verdict.group_id, verdict.expiry)

    monkeypatch.setattr(transactions201, "token_verdict", known_is_enough)


def test_refused_token_accepted_in_transaction(pytester: pytest.Pytester, bundled: BundledCsms,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _status_ignored(monkeypatch)
    cc_finding(pytester, bundled, "CC_C_03", "Step 5: TransactionEventResponse for 'B0000C06' (ISO14443)",
               "idTokenInfo.status: expected <one of 'Blocked', 'Invalid'>, got \"Accepted\"")


def _set_up_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: create-token inserts a token it does not know yet and leaves a known one unchanged."""
    real = operations.create_token

    async def insert_only(csms: Any, id_token: str, *args: Any) -> None:
        async with csms.store.session() as db:
            if await db.get(IdToken, id_token) is not None:
                return
        await real(csms, id_token, *args)

    monkeypatch.setattr(operations, "create_token", insert_only)


def test_blocking_a_token_has_no_effect(pytester: pytest.Pytester, bundled: BundledCsms,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _set_up_once(monkeypatch)
    cc_finding(pytester, bundled, "CC_C_04", "Step 4: AuthorizeResponse for 'CC0C0400' (ISO14443)",
               "idTokenInfo.status: expected <one of 'Blocked', 'Invalid'>, got \"Accepted\"")


def test_no_authorization_token_refused_with_a_callerror(pytester: pytest.Pytester, bundled: BundledCsms,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the CSMS insists on a non-empty idToken (NoAuthorization's is empty) and fails the request."""
    real = ROUTES["2.0.1"].handlers["TransactionEvent"]

    async def non_empty(connection: StationConnection, request: Payload) -> Payload:
        if request.get("idToken", {}).get("idToken") == "":
            raise ValueError("empty idToken")
        return await real(connection, request)

    monkeypatch.setitem(ROUTES["2.0.1"].handlers, "TransactionEvent", non_empty)
    cc_finding(pytester, bundled, "CC_C_05", "Step 1: TransactionEvent: the CSMS answered CALLERROR")


def test_stop_answered_for_the_starting_token(pytester: pytest.Pytester, bundled: BundledCsms,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: a TransactionEvent's idTokenInfo is about the token the transaction started with."""
    real = ROUTES["2.0.1"].handlers["TransactionEvent"]

    async def starting_token(connection: StationConnection, request: Payload) -> Payload:
        async with connection.csms.store.session() as db:
            tx = await db.scalar(select(Transaction).filter_by(
                station_id=connection.station_id, transaction_id=request["transactionInfo"]["transactionId"]))
        if tx is not None and tx.id_token and "idToken" in request:
            request = {**request, "idToken": {"idToken": tx.id_token, "type": tx.id_token_type}}
        return await real(connection, request)

    monkeypatch.setitem(ROUTES["2.0.1"].handlers, "TransactionEvent", starting_token)
    cc_finding(pytester, bundled, "CC_C_07", "Step 2: TransactionEventResponse for 'CC0C0700' (ISO14443)",
               "idTokenInfo.status: expected <one of 'Blocked', 'Invalid'>, got \"Accepted\"")


def test_central_token_unknown(pytester: pytest.Pytester, bundled: BundledCsms,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the CSMS answers a remote start's Central token from its token table, where it is not."""
    monkeypatch.setattr(remote_control, "_CSMS_ISSUED_TYPES", {"NoAuthorization"})
    cc_finding(pytester, bundled, "CC_C_06", "Step 4: TransactionEventResponse for 'CSMSCHECK-", "(Central)",
               'idTokenInfo.status: expected "Accepted", got "Unknown"')


# -- local lists ---------------------------------------------------------------------------------------------


def test_list_version_never_advances(pytester: pytest.Pytester, bundled: BundledCsms,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the CSMS numbers every update from a counter it never advances after the station accepted one."""
    alter_sent(monkeypatch, "SendLocalList", lambda request: request.update(versionNumber=2))
    cc_finding(pytester, bundled, "CC_D_01", "Step 11: SendLocalListRequest (the station holds the list of step 3)",
               "versionNumber: expected <an integer > 2, the version the station holds>, got 2")


def test_listed_token_blocked_too_late(pytester: pytest.Pytester, bundled: BundledCsms,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _set_up_once(monkeypatch)
    cc_finding(pytester, bundled, "CC_D_01", "AuthorizeResponse for 'CC0D0100' (ISO14443)",
               "idTokenInfo.status: expected ")


def test_full_list_filled_without_groups(pytester: pytest.Pytester, bundled: BundledCsms,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the CSMS fills a Full list's entries with each token's status but not its group."""
    real = local_list201.known_entry

    async def status_only(connection: StationConnection, entry: dict[str, Any]) -> dict[str, Any]:
        filled = await real(connection, entry)
        return filled | {"idTokenInfo": {"status": filled["idTokenInfo"]["status"]}}

    monkeypatch.setattr(local_list201, "known_entry", status_only)
    cc_finding(pytester, bundled, "CC_D_02", "Step 1: SendLocalListRequest entry for 'A0000001' (ISO14443)",
               "idTokenInfo.groupIdToken: missing")


def test_1_6_full_list_of_accepted_tags_only(pytester: pytest.Pytester, bundled: BundledCsms,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the Central System lists every idTag as Accepted, whatever it knows of it."""
    monkeypatch.setattr(local_list16, "id_tag_info", lambda verdict: authorization.id_tag_info(
        dataclasses.replace(verdict, status="Accepted")))
    cc_finding(pytester, bundled, "CC16_26", "Step 1: SendLocalList.req entry for idTag 'B0000C06'",
               'idTagInfo.status: expected "Blocked", got "Accepted"')


def test_1_6_list_version_never_advances(pytester: pytest.Pytester, bundled: BundledCsms,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "SendLocalList", lambda request: request.update(listVersion=1))
    cc_finding(pytester, bundled, "CC16_25", "Step 18: SendLocalList.req (the charge point holds the list of step 3)",
               "listVersion: expected <an integer > 1, the version the charge point holds>, got 1")


def test_1_6_listed_tag_blocked_too_late(pytester: pytest.Pytester, bundled: BundledCsms,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _set_up_once(monkeypatch)
    cc_finding(pytester, bundled, "CC16_25", "Authorize.conf for idTag 'CC161400'", "idTagInfo.status: expected ")


# -- idTags (1.6) --------------------------------------------------------------------------------------------


def test_1_6_tag_in_another_letter_case_invalid(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _case_sensitive(monkeypatch)
    cc_finding(pytester, bundled, "CC16_20", "Step 2: Authorize.conf for idTag 'a0000001'",
               'idTagInfo.status: expected "Accepted", got "Invalid"')


def test_1_6_parent_dropped(pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: Authorize.conf and StartTransaction.conf leave the parentIdTag out."""
    for action in ("Authorize", "StartTransaction"):
        patch_handler(monkeypatch, "1.6", action, lambda _req, resp: resp["idTagInfo"].pop("parentIdTag", None))
    finding_not_failure(pytester, bundled, "TC_004_1", "CSC-16-AUTH-01",
                        "Authorized state: Authorize.conf: idTagInfo.parentIdTag: missing",
                        "Charging state: StartTransaction.conf: idTagInfo.parentIdTag: missing")


def test_1_6_expiry_dropped(pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "1.6", "Authorize", lambda _req, resp: resp["idTagInfo"].pop("expiryDate", None))
    cc_finding(pytester, bundled, "CC16_21", "Step 2: Authorize.conf for idTag 'CC160210'",
               "idTagInfo.expiryDate: missing")


def test_1_6_start_accepts_every_tag(pytester: pytest.Pytester, bundled: BundledCsms,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: StartTransaction.conf says Accepted whatever the idTag (the transaction is recorded anyway)."""
    patch_handler(monkeypatch, "1.6", "StartTransaction", lambda _req, resp: resp["idTagInfo"].update(
        status="Accepted"))
    cc_finding(pytester, bundled, "CC16_22", "Step 4: StartTransaction.conf for idTag '00000C02'",
               'idTagInfo.status: expected "Invalid", got "Accepted"')


def test_1_6_stop_answers_the_starting_tag(pytester: pytest.Pytester, bundled: BundledCsms,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: StopTransaction.conf gives the status of the idTag that started the transaction."""
    real = ROUTES["1.6"].handlers["StopTransaction"]

    async def starting_tag(connection: StationConnection, request: Payload) -> Payload:
        async with connection.csms.store.session() as db:
            tx = await db.scalar(select(Transaction).filter_by(station_id=connection.station_id,
                                                               transaction_id=str(request["transactionId"])))
        if tx is not None and tx.id_token and "idTag" in request:
            request = {**request, "idTag": tx.id_token}
        return await real(connection, request)

    monkeypatch.setitem(ROUTES["1.6"].handlers, "StopTransaction", starting_tag)
    cc_finding(pytester, bundled, "CC16_23", "Step 8: StopTransaction.conf for idTag 'CC160230'",
               'idTagInfo.status: expected "Blocked", got "Accepted"')


# -- the suite's responder: each forgery is refused by a careful OCSP client for its own reason ----------------


@pytest.fixture(scope="module")
def contract_authority(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    directory = tmp_path_factory.mktemp("pki")
    generate_pki(directory, ["CS1"])
    return load_ca(directory)


@pytest.mark.parametrize(("forgery", "reason"), [
    (None, "OCSP: good"),
    ("untrusted-signer", "OCSP response not signed by the issuer or a responder it delegated to"),
    ("bad-signature", "OCSP response signature invalid"),
    ("stale", "OCSP response outdated"),
    ("other-certificate", "OCSP response does not mention the certificate"),
    ("try-later", "OCSP responder answered TRY_LATER"),
])
async def test_responder_forgeries(contract_authority: CertificateAuthority, forgery: Forgery | None,
                                   reason: str) -> None:
    ca = contract_authority
    contract = issue_contract_certificate(ca, "NLCSMC00000001X")
    async with OcspResponder(ca, forgery=forgery) as responder:
        cert_id = ocsp_client.CertId(hashes.SHA256(), *ocsp_client._issuer_hashes(ca.cert, hashes.SHA256()),
                                     contract.cert.serial_number, responder.url)
        outcome, why = await ocsp_client.query(cert_id, ca.cert)
    assert (outcome, why) == ("good" if forgery is None else "unavailable", reason)


async def test_impostor_ca_has_the_name_not_the_key(contract_authority: CertificateAuthority) -> None:
    impostor = impostor_ca(contract_authority)
    assert impostor.cert.subject == contract_authority.cert.subject
    assert impostor.cert.public_key() != contract_authority.cert.public_key()
    contract = issue_contract_certificate(impostor, "NLCSMC00000001X")
    verdict = await ocsp_client.check_contract("NLCSMC00000001X", contract.pem + pem_text(impostor.cert), None,
                                               [contract_authority.cert])
    assert verdict.certificate_status == "CertChainError", verdict


def test_expired_contract_certificate(contract_authority: CertificateAuthority) -> None:
    contract = issue_contract_certificate(contract_authority, "NLCSMC00000001X", expired=True)
    assert contract.cert.not_valid_after_utc < datetime.now(UTC) - timedelta(hours=12)
    assert contract.cert.not_valid_before_utc < contract.cert.not_valid_after_utc


async def test_a_port_held_closed_refuses_connections() -> None:
    with held_closed("127.0.0.1", 0) as url:
        assert url.startswith("http://127.0.0.1:")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(NotApplicable, match=f"cannot hold port {port} on 127.0.0.1 closed"), \
                held_closed("127.0.0.1", port):
            pass


async def test_create_token_changes_the_token_in_any_letter_case_and_keeps_its_expiry_in_utc(
        reference_csms: RunningCsms) -> None:
    """The trigger API's create-token: tokens are case-insensitive; an expiry with an offset is the same instant."""
    async with httpx.AsyncClient(base_url=reference_csms.api) as api:
        for body in ({"idToken": "CAFE0001", "status": "Accepted", "groupId": "G1"},
                     {"idToken": "cafe0001", "status": "Blocked", "cacheExpiryDateTime": "2030-01-01T02:00:00+02:00"}):
            assert (await api.post("/api/octt/create-token", json=body)).status_code == 200
    store = Store(reference_csms.db_url)
    try:
        async with store.session() as db:
            rows = (await db.scalars(select(IdToken).where(IdToken.id_token.in_(["CAFE0001", "cafe0001"])))).all()
    finally:
        await store.close()
    assert [(r.id_token, r.status, r.group_id) for r in rows] == [("CAFE0001", "Blocked", None)]
    assert authorization.as_utc(rows[0].expiry) == datetime(2030, 1, 1, tzinfo=UTC)


async def test_the_chain_of_a_presented_certificate_is_checked_over_ocsp(
        contract_authority: CertificateAuthority) -> None:
    """C07.FR.05: the reference CSMS asks about the sub-CA too, at the responder its AIA names."""
    ca = contract_authority
    async with OcspResponder(ca, status="revoked") as root_responder:
        sub_ca = issue_sub_ca(ca, "MO Sub-CA", ocsp_url=root_responder.url)
        async with OcspResponder(sub_ca, status="good") as responder:
            contract = issue_contract_certificate(sub_ca, "NLCSMC00000001X", ocsp_url=responder.url)
            verdict = await ocsp_client.check_contract("NLCSMC00000001X", contract.pem + pem_text(sub_ca.cert),
                                                       None, [ca.cert])
    assert (verdict.certificate_status, verdict.token_status) == ("CertificateRevoked", "Invalid"), verdict
    assert [r.serial_number for r in responder.received] == [contract.cert.serial_number]
    assert [r.serial_number for r in root_responder.received] == [sub_ca.cert.serial_number]
