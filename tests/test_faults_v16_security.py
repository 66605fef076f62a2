"""Proof that chapter 3.21 (1.6 security) fails against a broken CSMS, with a message naming the step.

Each test breaks one piece of the in-process reference CSMS (patched here, never a
product flag), runs one case through pytest and checks its results.json entry.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.x509.oid import NameOID
from faults import alter_sent, assert_failed, assert_finding, misreport_answer, patch_handler, run_case

import csmscheck.csms.app
import csmscheck.csms.server
from csmscheck.bundled import BundledCsms
from csmscheck.csms import security_certificates
from csmscheck.csms.config import CsmsConfig
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.handlers.v16 import security
from csmscheck.csms.router import ROUTES, OcppError, Payload
from csmscheck.errors import NotApplicable
from csmscheck.pki import Pki, sign_csr
from csmscheck.pki.certificates import new_root_certificate, pem_text
from csmscheck.pki.csr import build_csr, new_station_key, private_key_pem
from csmscheck.pki.probe import server_certificate_problems
from csmscheck.settings import load_settings
from csmscheck.station import Station
from csmscheck.station.states import v16_security
from csmscheck.station.station import Endpoint
from csmscheck.wire import Call, FrameError, parse
from csmscheck.wire.errors import ErrorCode
from csmscheck.wire.versions import version_of_subprotocol


def never_answer(monkeypatch: pytest.MonkeyPatch, action: str, when: Callable[[Call], bool] = lambda _call: True
                 ) -> None:
    """The CSMS reads ``action`` CALLs (those ``when`` picks) and never answers them."""
    real = StationConnection._receive

    async def deaf(self: StationConnection, text: str) -> None:
        try:
            frame = parse(text)
        except FrameError:
            frame = None
        if isinstance(frame, Call) and frame.action == action and when(frame):
            return
        await real(self, text)

    monkeypatch.setattr(StationConnection, "_receive", deaf)


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
    message = "After step 3: the Central System still accepts the old password after it changed AuthorizationKey"
    assert_finding(run_case(pytester, bundled, "TC_073"), "CSC-16-SEC-01", message)
    assert_failed(run_case(pytester, bundled, "TC_073", strict=True), "--strict", "CSC-16-SEC-01", message)


def test_password_change_misreported_is_a_finding_of_tc_073(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    misreport_answer(monkeypatch, "ChangeConfiguration", lambda answer: answer.update(status="Rejected"))
    message = ('Step 2: ChangeConfiguration.conf: the Central System reported the charge point\'s answer as '
               '{"status":"Rejected"}, but the charge point answered {"status":"Accepted"}')
    assert_finding(run_case(pytester, bundled, "TC_073"), "CSC-16-RELAY-01", message)
    assert_failed(run_case(pytester, bundled, "TC_073", strict=True), "--strict", "CSC-16-RELAY-01", message)


def test_boot_pending_after_password_change_passes_tc_073(pytester: pytest.Pytester, bundled: BundledCsms,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Step 3 is a reconnection with the new password; the OCTT sends no BootNotification after it, so a
    CSMS that would answer one Pending passes (the case used to boot and require Accepted)."""
    changed: set[str] = set()
    alter_sent(monkeypatch, "ChangeConfiguration", lambda _p: changed.add("yes"))
    patch_handler(monkeypatch, "1.6", "BootNotification",
                  lambda _req, resp: resp.update(status="Pending") if changed else None)
    entry = run_case(pytester, bundled, "TC_073")
    assert entry["outcome"] == "passed" and not entry.get("findings"), entry


def test_boot_pending_is_a_finding_of_tc_085(pytester: pytest.Pytester, bundled: BundledCsms,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_085 validates nothing but the connection: a Pending boot (from a CSMS that still answers) is a finding."""
    monkeypatch.setattr(StationConnection, "_check_registration", lambda _self, _action: None)
    patch_handler(monkeypatch, "1.6", "BootNotification", lambda _req, resp: resp.update(status="Pending"))
    message = ('Step 4: BootNotification.conf: expected status Accepted for a charge point the Central System '
               'accepted before, got "Pending"')
    assert_finding(run_case(pytester, bundled, "TC_085"), "CSC-16-CORE-03", message)
    assert_failed(run_case(pytester, bundled, "TC_085", strict=True), "--strict", "CSC-16-CORE-03", message)


def test_no_subprotocol_is_a_finding_of_tc_085(pytester: pytest.Pytester, bundled: BundledCsms,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSMS that upgrades without naming ocpp1.6 and speaks 1.6 all the same: the OCTT validates nothing."""
    monkeypatch.setattr(csmscheck.csms.server, "Subprotocol", lambda _name: None)  # what the listener selects
    monkeypatch.setattr(csmscheck.csms.server, "version_of_subprotocol",
                        lambda subprotocol: version_of_subprotocol(subprotocol or "ocpp1.6"))
    message = ("Step 2: HTTP upgrade with basic authentication: expected the Central System to select the "
               "subprotocol ocpp1.6, got none")
    assert_finding(run_case(pytester, bundled, "TC_085"), "CSC-16-SEC-02", message)
    assert_failed(run_case(pytester, bundled, "TC_085", strict=True), "--strict", "CSC-16-SEC-02", message)


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


def test_no_profile_3_endpoint_makes_tc_086_not_applicable(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    """Without a profile-3 endpoint the TLS cases cannot run: not applicable, with the reason, not failed."""
    report_dir = pytester.path / "report"
    pytester.runpytest_inprocess(
        "--pyargs", "csmscheck.suite", "-p", "no:cacheprovider", "--csms-select", "TC_086", "--csms-select", "TC_074",
        "--csms-target", bundled.endpoints.ws, "--csms-trigger", bundled.endpoints.api,
        "--csms-report-dir", str(report_dir), "-o", "asyncio_default_fixture_loop_scope=function")
    entries = orjson.loads((report_dir / "results.json").read_bytes())["tests"]
    assert {e["id"]: e["outcome"] for e in entries} == {"TC_074": "skipped", "TC_086": "skipped"}, entries
    for entry in entries:
        assert entry["message"] == "not applicable: needs security profile 3: CSMS_SP3_ADDRESS and " \
                                   "CSMSCHECK_PKI_DIR", entry


def test_no_pki_makes_certificate_checks_not_applicable() -> None:
    settings = load_settings(environ={})
    station = Station("CP16_SP3", "1.6", settings, Endpoint("wss://csms.invalid"))
    with pytest.raises(NotApplicable, match="needs the Central System's PKI"):
        v16_security.trusted_ca(station)


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
                  "Step 6: CertificateSigned.conf: the charge point rejected the signed certificate: "
                  "the certificate chain does not lead to the CA")


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
    """The CSMS rejects the CSR (and, having rejected it, sends no certificate)."""
    patch_handler(monkeypatch, "1.6", "SignCertificate", lambda _req, resp: resp.update(status="Rejected"))
    # Without this, the reference CSMS would still send CertificateSigned, racing the station's close
    # (a CALL answered while the connection closes can hang the station's teardown, see session.py).
    monkeypatch.setattr(security_certificates, "deliver_later", lambda _connection, _chain: None)
    assert_failed(run_case(pytester, bundled, "TC_074"),
                  "Step 4: SignCertificate.conf", 'status: expected "Accepted", got "Rejected"')


def test_certificate_never_sent_fails_tc_074(pytester: pytest.Pytester, bundled: BundledCsms,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security_certificates, "deliver_later", lambda _connection, _chain: None)
    monkeypatch.setenv("CSMS_ACTION_TIMEOUT", "1")
    assert_failed(run_case(pytester, bundled, "TC_074"), "Step 5: CertificateSigned.req: ",
                  "did not send a CertificateSignedRequest")


def test_sign_certificate_not_implemented_names_step_4_of_tc_074(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES["1.6"].handlers, "SignCertificate")
    assert_failed(run_case(pytester, bundled, "TC_074"),
                  "Step 4: SignCertificate.conf: the CSMS answered CALLERROR NotSupported")


def test_sign_certificate_unanswered_names_step_4_of_tc_077(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    never_answer(monkeypatch, "SignCertificate")
    monkeypatch.setenv("CSMSCHECK_MESSAGE_TIMEOUT", "1")
    assert_failed(run_case(pytester, bundled, "TC_077"),
                  "Step 4: SignCertificate.conf: no answer to SignCertificate within 1s (timeout)")


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
    assert_failed(run_case(pytester, bundled, "TC_078"), "Step 4: SecurityEventNotification.conf: "
                  "the CSMS answered CALLERROR NotSupported")


def test_security_event_unanswered_names_step_8_of_tc_077(pytester: pytest.Pytester, bundled: BundledCsms,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    never_answer(monkeypatch, "SecurityEventNotification")
    monkeypatch.setenv("CSMSCHECK_MESSAGE_TIMEOUT", "1")
    assert_failed(run_case(pytester, bundled, "TC_077"),
                  "Step 8: SecurityEventNotification.conf: no answer to SecurityEventNotification within 1s")


# -- security log and signed firmware -------------------------------------------------------------


def test_log_status_refused_fails_tc_079(pytester: pytest.Pytester, bundled: BundledCsms,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES["1.6"].handlers, "LogStatusNotification")
    assert_failed(run_case(pytester, bundled, "TC_079"), "Step 4: LogStatusNotification.conf: "
                  "the CSMS answered CALLERROR NotSupported")


def test_log_status_unanswered_names_step_4_of_tc_079(pytester: pytest.Pytester, bundled: BundledCsms,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    never_answer(monkeypatch, "LogStatusNotification")
    monkeypatch.setenv("CSMSCHECK_MESSAGE_TIMEOUT", "1")
    assert_failed(run_case(pytester, bundled, "TC_079"),
                  "Step 4: LogStatusNotification.conf: no answer to LogStatusNotification within 1s")


def test_signed_firmware_status_refused_fails_tc_080(pytester: pytest.Pytester, bundled: BundledCsms,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES["1.6"].handlers, "SignedFirmwareStatusNotification")
    assert_failed(run_case(pytester, bundled, "TC_080"), "Step 4: SignedFirmwareStatusNotification.conf: "
                  "the CSMS answered CALLERROR NotSupported")


def test_signed_firmware_status_unanswered_names_step_6_of_tc_081(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS answers the first SignedFirmwareStatusNotification (Downloading), then no more."""
    seen: list[str] = []

    def deaf_after_first(call: Call) -> bool:
        seen.append(call.action)
        return seen.count("SignedFirmwareStatusNotification") > 1

    never_answer(monkeypatch, "SignedFirmwareStatusNotification", deaf_after_first)
    monkeypatch.setenv("CSMSCHECK_MESSAGE_TIMEOUT", "1")
    assert_failed(run_case(pytester, bundled, "TC_081"),
                  "Step 6: SignedFirmwareStatusNotification.conf: no answer to SignedFirmwareStatusNotification")


def test_boot_after_signed_update_refused_names_step_14_of_tc_080(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    real = ROUTES["1.6"].handlers["BootNotification"]

    async def refuse_new_firmware(connection: StationConnection, request: Payload) -> Payload:
        if request.get("firmwareVersion") == "1.0.1":
            raise OcppError(ErrorCode.INTERNAL_ERROR, "unknown firmware")
        return await real(connection, request)

    monkeypatch.setitem(ROUTES["1.6"].handlers, "BootNotification", refuse_new_firmware)
    assert_failed(run_case(pytester, bundled, "TC_080"),
                  "Step 14: BootNotification.conf: the CSMS answered CALLERROR InternalError")


def test_boot_after_signed_update_pending_is_a_finding_of_tc_080(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_080 does not validate the boot's status: Pending (from a CSMS that still answers) is a finding."""
    monkeypatch.setattr(StationConnection, "_check_registration", lambda _self, _action: None)
    patch_handler(monkeypatch, "1.6", "BootNotification", lambda request, response: response.update(
        status="Pending") if request.get("firmwareVersion") == "1.0.1" else None)
    message = ('Step 14: BootNotification.conf: expected status Accepted for a charge point the Central System '
               'accepted before, got "Pending"')
    assert_finding(run_case(pytester, bundled, "TC_080"), "CSC-16-CORE-03", message)
    assert_failed(run_case(pytester, bundled, "TC_080", strict=True), "--strict", "CSC-16-CORE-03", message)


def test_replaced_firmware_signature_fails_tc_081(pytester: pytest.Pytester, bundled: BundledCsms,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "SignedUpdateFirmware", lambda p: p["firmware"].update(signature="c2lnbmF0dXJl"))
    assert_failed(run_case(pytester, bundled, "TC_081"),
                  "Step 1: SignedUpdateFirmware.req", 'firmware.signature: expected "')


def test_other_signing_certificate_is_a_finding_of_tc_081(pytester: pytest.Pytester, bundled: BundledCsms,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_081 validates the location and the (invalid) signature, not the signing certificate."""
    other = pem_text(new_root_certificate("csmscheck other firmware signer")[0])
    alter_sent(monkeypatch, "SignedUpdateFirmware", lambda p: p["firmware"].update(signingCertificate=other))
    message = ("SignedUpdateFirmware.req, as asked through the trigger API: firmware.signingCertificate: "
               "expected \"<PEM, SHA-256 ")
    assert_finding(run_case(pytester, bundled, "TC_081"), "CSC-REQ-01", message)
    assert_failed(run_case(pytester, bundled, "TC_081", strict=True), "--strict", "CSC-REQ-01", message)


# -- the server certificate checks of TC_086 ------------------------------------------------------


def _server_certificate(key: Any, common_name: str) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now)
               .not_valid_after(now + timedelta(days=1)))
    return builder.sign(key, None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256())


def test_server_certificate_with_an_ed25519_key_passes_tc_086_checks() -> None:
    """The OCTT sets minimum sizes for RSA, DSA and elliptic-curve keys; it does not forbid other key types."""
    certificate = _server_certificate(ed25519.Ed25519PrivateKey.generate(), "localhost")
    assert server_certificate_problems(certificate, "localhost") == []


def test_short_rsa_key_and_wrong_name_fail_tc_086_checks() -> None:
    certificate = _server_certificate(rsa.generate_private_key(public_exponent=65537, key_size=1024), "csms.test")
    assert server_certificate_problems(certificate, "localhost") == [
        "server RSA key of 1024 bits (at least 2048 required)",
        "the server certificate's common name (csms.test) is not the endpoint's FQDN localhost"]
