"""Proof that the certificate signing and EV certificate cases (TC_A_11-14, TC_M_24/26/28) catch faults.

Each test breaks one piece of the in-process reference CSMS inside the test (monkeypatch,
never a product flag), runs one case and checks the results.json message names the step
(or, for a csmscheck check, that the case passes its OCTT verdict with the finding and fails
with ``--strict``).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp
from faults import alter_sent, assert_all_pass_strictly, caught, patch_handler
from faults201 import finding_not_failure

from csmscheck.bundled import BundledCsms
from csmscheck.csms import certificate_issuing, contract_pool, ocsp_client
from csmscheck.csms.router import Payload
from csmscheck.pki import csr as pki_csr
from csmscheck.pki.certificates import load_pem_chain, pem_text

CASES = ["TC_A_11", "TC_A_12", "TC_A_13", "TC_A_14", "TC_M_24", "TC_M_26", "TC_M_28"]


def test_healthy_csms_passes_the_certificate_cases_strictly(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    assert_all_pass_strictly(pytester, bundled, CASES)


# -- OCTT verdicts --------------------------------------------------------------------------


def test_sign_certificate_rejected_fails_tc_a_11(pytester: pytest.Pytester, bundled: BundledCsms,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "2.0.1", "SignCertificate", lambda _, response: response.update(status="Rejected"))
    caught(pytester, bundled, "TC_A_11", "RenewChargingStationCertificate: Step 4: SignCertificateResponse",
           'status: expected "Accepted", got "Rejected"')


def test_certificate_from_another_ca_fails_tc_a_11(pytester: pytest.Pytester, bundled: BundledCsms,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS signs with its V2G sub-CA instead of the CA its TLS listener trusts: the station rejects it."""
    real = certificate_issuing.issue

    def wrong_ca(config: Any, station_id: str, csr_pem: str, certificate_type: str) -> str:
        kind = certificate_issuing.COMBINED if certificate_type == certificate_issuing.CHARGING_STATION else None
        return real(config, station_id, csr_pem, kind or certificate_type)

    monkeypatch.setattr(certificate_issuing, "issue", wrong_ca)
    caught(pytester, bundled, "TC_A_11", "RenewChargingStationCertificate: Step 6: CertificateSignedResponse",
           "the station rejected the signed certificate", "does not lead to the CA")


def test_status_answered_without_asking_the_responder_fails_tc_m_24(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS answers from a response it kept instead of asking the responder named in the request."""
    kept = ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.TRY_LATER).public_bytes(
        serialization.Encoding.DER)

    async def from_cache(*_: Any, **__: Any) -> ocsp_client.Lookup:
        return ocsp_client.Lookup("good", "cached", kept)

    monkeypatch.setattr(ocsp_client, "fetch", from_cache)
    caught(pytester, bundled, "TC_M_24", "Step 2: the CSMS answered without asking the OCSP responder",
           "it got 0 request(s)")


def test_ocsp_result_encoded_twice_fails_tc_m_24(pytester: pytest.Pytester, bundled: BundledCsms,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def twice(_: Payload, response: Payload) -> None:
        response["ocspResult"] = base64.b64encode(response["ocspResult"].encode()).decode()

    patch_handler(monkeypatch, "2.0.1", "GetCertificateStatus", twice)
    caught(pytester, bundled, "TC_M_24", "Step 2: GetCertificateStatusResponse",
           "ocspResult: expected <a DER encoded OCSPResponse (RFC 6960), base64 encoded>")


def test_ev_certificate_failed_fails_tc_m_26(pytester: pytest.Pytester, bundled: BundledCsms,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS lost its contract certificate pool: it answers Failed."""
    real = contract_pool.forward

    async def no_pool(_: str | None, *args: Any, **kwargs: Any) -> contract_pool.PoolAnswer:
        return await real(None, *args, **kwargs)

    monkeypatch.setattr(contract_pool, "forward", no_pool)
    caught(pytester, bundled, "TC_M_26", "Step 2: Get15118EVCertificateResponse",
           'status: expected "Accepted", got "Failed"')


# -- csmscheck checks -----------------------------------------------------------------------


def test_csr_for_another_station_signed_is_a_finding_of_tc_a_14(pytester: pytest.Pytester, bundled: BundledCsms,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    real = pki_csr.check_csr

    def any_common_name(csr_pem: str, common_name: str | None, *, organization: str | None = None) -> Any:
        return real(csr_pem, None, organization=organization)

    monkeypatch.setattr(certificate_issuing, "check_csr", any_common_name)
    finding_not_failure(pytester, bundled, "TC_A_14", "CSC-201-A-14",
                        "Beyond the OCTT: SignCertificateRequest with a CSR for another station",
                        "answered 'Accepted' for a CSR whose CN is")


def test_chain_root_first_is_a_finding_of_tc_a_12(pytester: pytest.Pytester, bundled: BundledCsms,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    real = certificate_issuing.sign_v2g_csr

    def root_first(*args: Any, **kwargs: Any) -> str:
        return "".join(pem_text(c) for c in reversed(load_pem_chain(real(*args, **kwargs))))

    monkeypatch.setattr(certificate_issuing, "sign_v2g_csr", root_first)
    finding_not_failure(pytester, bundled, "TC_A_12", "CSC-201-A-10", "Step 5: CertificateSignedRequest",
                        "is number 2 of 2 in certificateChain, not the first")


def test_certificate_type_not_echoed_is_a_finding_of_tc_a_11(pytester: pytest.Pytester, bundled: BundledCsms,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "CertificateSigned", lambda p: p.pop("certificateType", None))
    finding_not_failure(pytester, bundled, "TC_A_11", "CSC-201-A-12",
                        "certificateType is None, but the SignCertificateRequest asked for "
                        "'ChargingStationCertificate'")


def test_exi_response_encoded_twice_is_a_finding_of_tc_m_28(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def twice(_: Payload, response: Payload) -> None:
        response["exiResponse"] = base64.b64encode(response["exiResponse"].encode()).decode()

    patch_handler(monkeypatch, "2.0.1", "Get15118EVCertificate", twice)
    finding_not_failure(pytester, bundled, "TC_M_28", "CSC-201-M-11", "do not start with an EXI header")
