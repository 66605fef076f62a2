"""Proof that chapter 3.21 (1.6 security) fails against a broken CSMS, with a message naming the step.

Each test breaks one piece of the in-process reference CSMS (patched here, never a
product flag), runs one case through pytest and checks its results.json entry.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faults import alter_sent, assert_failed, assert_finding, patch_handler, run_case

import csmscheck.csms.app
import csmscheck.csms.server
from csmscheck.bundled import BundledCsms
from csmscheck.csms import security_certificates
from csmscheck.csms.config import CsmsConfig
from csmscheck.csms.handlers.v16 import security
from csmscheck.csms.router import ROUTES, Payload
from csmscheck.pki import Pki, sign_csr
from csmscheck.pki.certificates import new_root_certificate, pem_text
from csmscheck.pki.csr import build_csr, new_station_key, private_key_pem
from csmscheck.settings import load_settings


@pytest.mark.parametrize("case", ["TC_073", "TC_074", "TC_076", "TC_080", "TC_086"])
def test_healthy_csms_passes(pytester: pytest.Pytester, bundled: BundledCsms, case: str) -> None:
    assert run_case(pytester, bundled, case)["outcome"] == "passed"


# -- passwords and connections -----------------------------------------------------------------


def test_new_password_refused_fails_tc_073_at_step_3(pytester: pytest.Pytester, bundled: BundledCsms,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS sends a new AuthorizationKey but keeps the old password: the OCTT's Step 3 fails."""
    async def forget(*_args: Any) -> None:
        return None

    monkeypatch.setattr(security, "remember_password", forget)
    assert_failed(run_case(pytester, bundled, "TC_073"),
                  "Step 3: reconnecting with the new password", "HTTP 401")


def test_old_password_still_accepted_is_a_finding_of_tc_073(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond the OCTT: the old password still admitted is a finding, and a failure with --strict."""
    real = csmscheck.csms.server.check_password
    old = load_settings(environ={}).basic_auth_password
    monkeypatch.setattr(csmscheck.csms.server, "check_password",
                        lambda password, stored: password == old or real(password, stored))
    message = "the Central System still accepts the old password after it changed AuthorizationKey"
    assert_finding(run_case(pytester, bundled, "TC_073"), "CSC-16-SEC-01", message)
    assert_failed(run_case(pytester, bundled, "TC_073", strict=True), "--strict", "CSC-16-SEC-01", message)


def test_valid_password_refused_fails_tc_085(pytester: pytest.Pytester, bundled: BundledCsms,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csmscheck.csms.server, "check_password", lambda _password, _stored: False)
    assert_failed(run_case(pytester, bundled, "TC_085"),
                  "Step 2: HTTP upgrade with basic authentication: the Central System refused the connection: HTTP 401")


@pytest.fixture
def csms_without_rsa_suites(monkeypatch: pytest.MonkeyPatch) -> Iterator[BundledCsms]:
    """A reference CSMS whose TLS listeners offer Python's default suites (no TLS_RSA_WITH_*)."""
    real = csmscheck.csms.app.server_ssl_context

    def default_suites(pki: Pki, *, require_client_cert: bool) -> ssl.SSLContext:
        context = real(pki, require_client_cert=require_client_cert)
        context.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL")
        return context

    monkeypatch.setattr(csmscheck.csms.app, "server_ssl_context", default_suites)
    csms = BundledCsms(load_settings(environ={}))
    yield csms
    csms.stop()


def test_missing_rsa_cipher_suites_fail_tc_086(pytester: pytest.Pytester,
                                               csms_without_rsa_suites: BundledCsms) -> None:
    assert_failed(run_case(pytester, csms_without_rsa_suites, "TC_086"),
                  "Step 2: TLS handshake", "cipher suite TLS_RSA_WITH_AES_128_GCM_SHA256 not supported",
                  "cipher suite TLS_RSA_WITH_AES_256_GCM_SHA384 not supported")


# -- charge point certificates -------------------------------------------------------------------


def _issue_with_rogue_ca(directory: Path) -> Any:
    rogue, key = new_root_certificate("csmscheck test root CA")  # same name as the real CA, other key
    (directory / "rogue.pem").write_text(pem_text(rogue))
    (directory / "rogue.key").write_bytes(private_key_pem(key))

    def issue(_config: CsmsConfig, _station_id: str, csr_pem: str) -> str:
        return sign_csr(csr_pem.encode(), directory / "rogue.pem", directory / "rogue.key").decode()

    return issue


def test_certificate_from_the_wrong_ca_fails_tc_074(pytester: pytest.Pytester, bundled: BundledCsms,
                                                    monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(security_certificates, "issue_certificate", _issue_with_rogue_ca(tmp_path))
    assert_failed(run_case(pytester, bundled, "TC_074"),
                  "Step 5: CertificateSigned.req: the certificate chain does not lead to the CA")


def test_certificate_for_another_key_fails_tc_077(pytester: pytest.Pytester, bundled: BundledCsms,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    real = security_certificates.issue_certificate

    def for_another_key(config: CsmsConfig, station_id: str, _csr_pem: str) -> str:
        return real(config, station_id, build_csr(station_id, new_station_key()))

    monkeypatch.setattr(security_certificates, "issue_certificate", for_another_key)
    assert_failed(run_case(pytester, bundled, "TC_077"),
                  "Step 5: CertificateSigned.req is not a ChargePointCertificate signed for the CSR",
                  "the certificate does not carry the public key of the CSR")


def test_valid_csr_rejected_fails_tc_074(pytester: pytest.Pytester, bundled: BundledCsms,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "1.6", "SignCertificate", lambda _req, resp: resp.update(status="Rejected"))
    assert_failed(run_case(pytester, bundled, "TC_074"),
                  "Step 4: SignCertificate.conf", 'status: expected "Accepted", got "Rejected"')


def test_certificate_never_sent_fails_tc_074(pytester: pytest.Pytester, bundled: BundledCsms,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security_certificates, "deliver_later", lambda _connection, _chain: None)
    monkeypatch.setenv("CSMS_ACTION_TIMEOUT", "1")
    assert_failed(run_case(pytester, bundled, "TC_074"), "did not send a CertificateSignedRequest")




def test_wrong_hash_data_fails_tc_076(pytester: pytest.Pytester, bundled: BundledCsms,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def other_serial(payload: Payload) -> None:
        serial = payload["certificateHashData"]["serialNumber"]
        payload["certificateHashData"]["serialNumber"] = serial[:-1] + ("1" if serial[-1] == "0" else "0")

    alter_sent(monkeypatch, "DeleteCertificate", other_serial)
    assert_failed(run_case(pytester, bundled, "TC_076"),
                  "Step 3: DeleteCertificate.req", "certificateHashData.serialNumber: expected")


def test_security_event_refused_fails_tc_078(pytester: pytest.Pytester, bundled: BundledCsms,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES["1.6"].handlers, "SecurityEventNotification")
    assert_failed(run_case(pytester, bundled, "TC_078"),
                  "SecurityEventNotification: the CSMS answered CALLERROR NotImplemented")


# -- security log and signed firmware -------------------------------------------------------------


def test_log_status_refused_fails_tc_079(pytester: pytest.Pytester, bundled: BundledCsms,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES["1.6"].handlers, "LogStatusNotification")
    assert_failed(run_case(pytester, bundled, "TC_079"),
                  "LogStatusNotification: the CSMS answered CALLERROR NotImplemented")


def test_signed_firmware_status_refused_fails_tc_080(pytester: pytest.Pytester, bundled: BundledCsms,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES["1.6"].handlers, "SignedFirmwareStatusNotification")
    assert_failed(run_case(pytester, bundled, "TC_080"),
                  "SignedFirmwareStatusNotification: the CSMS answered CALLERROR NotImplemented")


def test_replaced_firmware_signature_fails_tc_081(pytester: pytest.Pytester, bundled: BundledCsms,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "SignedUpdateFirmware", lambda p: p["firmware"].update(signature="c2lnbmF0dXJl"))
    assert_failed(run_case(pytester, bundled, "TC_081"),
                  "Step 1: SignedUpdateFirmware.req", 'firmware.signature: expected "')
