"""Chapter 3.21 (security), certificates: renewing the charge point certificate, installing,
listing and deleting root certificates, and the security events of invalid certificates."""

from __future__ import annotations

from typing import Any

import pytest_asyncio
from cryptography import x509

from csmscheck.errors import NotApplicable, StepFailed
from csmscheck.expect import ABSENT, Matcher, assert_matches, mismatches
from csmscheck.pki.certificates import load_pem_chain, new_root_certificate, pem_text, same_certificate
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v16 as core
from csmscheck.station.states import v16_security as security
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.plugin import StationFactory
from csmscheck.suite.v16.csms_calls import Sent, check_relayed, csms_sends


@pytest_asyncio.fixture
async def sp3_station(make_station: StationFactory, cfg: Settings) -> Station:
    """CP16_SP3 over security profile 3 (mutual TLS), Booted."""
    if cfg.target_sp3 is None or cfg.pki_dir is None:
        raise NotApplicable("needs security profile 3: CSMS_SP3_ADDRESS and CSMSCHECK_PKI_DIR")
    station = await make_station("1.6", cfg.cp16_sp3, 3)
    await core.booted(station)
    return station


def _hex(value: str) -> Any:
    return Matcher(f"<{value!r} in any letter case>", lambda v: isinstance(v, str) and v.lower() == value.lower())


def _hash_data(expected: dict[str, str]) -> dict[str, Any]:
    """Hash data as the tool computes it; hex digits may come in either case."""
    return {"hashAlgorithm": expected["hashAlgorithm"]} | {
        key: _hex(value) for key, value in expected.items() if key != "hashAlgorithm"}


def _including(pattern: Any) -> Any:
    return Matcher(f"<a list including {pattern}>",
                   lambda v: isinstance(v, list) and any(not mismatches(item, pattern) for item in v))


def _configured(certificate: x509.Certificate) -> Any:
    return Matcher(f"<the configured certificate {certificate.subject.rfc4514_string()}>",
                   lambda v: isinstance(v, str) and same_certificate(v, certificate))


async def _request_certificate_renewal(station: Station, csms: Csms) -> None:
    """Steps 1-2: the CSMS triggers SignChargePointCertificate; the station accepts."""
    sent = await csms_sends(station, csms, "ExtendedTriggerMessage", {"requestedMessage": "SignChargePointCertificate"},
                            "Step 1: ExtendedTriggerMessage.req", reply={"status": "Accepted"})
    assert_matches(sent.payload, {"requestedMessage": "SignChargePointCertificate", "connectorId": ABSENT},
                   "Step 1: ExtendedTriggerMessage.req")
    check_relayed(station, sent, "Step 2: ExtendedTriggerMessage.conf")


@octt("TC_074", chapter="3.21")
async def test_tc_074(sp3_station: Station, csms: Csms) -> None:
    """Update Charge Point Certificate by request of Central System."""
    station = sp3_station
    await _request_certificate_renewal(station, csms)
    renewed = await security.renew_certificate(station, sign_step="Step 4: SignCertificate.conf",
                                               signed_step="Step 5: CertificateSigned.req")
    if renewed.problems:
        # The charge point verifies the certificate and answers Rejected: the OCTT's Step 6 wants Accepted.
        raise StepFailed("Step 6: CertificateSigned.conf: the charge point rejected the signed certificate: "
                         + "; ".join(renewed.problems))
    # Step 7: a new connection with the new certificate (a reconnection: the OCTT sends no BootNotification).
    await security.reconnect_with(station, security.certificate_endpoint(station, renewed),
                                  "Step 7: reconnecting with the new certificate")


@octt("TC_077", chapter="3.21")
async def test_tc_077(sp3_station: Station, csms: Csms) -> None:
    """Invalid ChargePointCertificate Security Event."""
    station = sp3_station
    await _request_certificate_renewal(station, csms)
    renewed = await security.renew_certificate(station, sign_step="Step 4: SignCertificate.conf",
                                               signed_step="Step 5: CertificateSigned.req", accept=False)
    if renewed.problems:
        raise StepFailed("Step 5: CertificateSigned.req is not a ChargePointCertificate signed for the CSR: "
                         + "; ".join(renewed.problems))
    await security.security_event(station, "InvalidChargePointCertificate", "Step 8: SecurityEventNotification.conf")


async def _install(station: Station, csms: Csms, certificate_type: str, certificate: x509.Certificate,
                   status: str = "Accepted") -> None:
    """Steps 1-2: the CSMS sends InstallCertificate with the configured certificate; the station
    answers ``status`` (installing it into its store when Accepted)."""
    reply = None if status == "Accepted" else {"status": status}
    sent = await csms_sends(station, csms, "InstallCertificate",
                            {"certificateType": certificate_type, "certificate": pem_text(certificate)},
                            "Step 1: InstallCertificate.req", reply=reply)
    assert_matches(sent.payload, {"certificateType": certificate_type, "certificate": _configured(certificate)},
                   "Step 1: InstallCertificate.req")
    check_relayed(station, sent, "Step 2: InstallCertificate.conf")


async def _installed_ids(station: Station, csms: Csms, certificate_type: str, steps: tuple[str, str], *,
                         validated: bool) -> Sent:
    """The CSMS asks for the installed certificates of a type (``validated``: the OCTT checks the type);
    the station answers from its store."""
    request_step = f"{steps[0]}: GetInstalledCertificateIds.req"
    sent = await csms_sends(station, csms, "GetInstalledCertificateIds", {"certificateType": certificate_type},
                            request_step)
    if validated:
        assert_matches(sent.payload, {"certificateType": certificate_type}, request_step)
    check_relayed(station, sent, f"{steps[1]}: GetInstalledCertificateIds.conf")
    return sent


async def _install_and_list(station: Station, csms: Csms, certificate_type: str,
                            certificate: x509.Certificate) -> None:
    security.keep_certificates(station)
    await _install(station, csms, certificate_type, certificate)
    await _installed_ids(station, csms, certificate_type, ("Step 3", "Step 4"), validated=True)


@octt("TC_075_1", chapter="3.21")
async def test_tc_075_1(station: Station, csms: Csms) -> None:
    """Install a certificate on the Charge Point - ManufacturerRootCertificate."""
    root, _ = new_root_certificate("csmscheck manufacturer root CA")
    await _install_and_list(station, csms, "ManufacturerRootCertificate", root)


@octt("TC_075_2", chapter="3.21")
async def test_tc_075_2(station: Station, csms: Csms, cfg: Settings) -> None:
    """Install a certificate on the Charge Point - CentralSystemRootCertificate."""
    ca = cfg.pki_dir / "ca.pem" if cfg.pki_dir is not None else None
    if ca is not None and ca.is_file():
        root = x509.load_pem_x509_certificate(ca.read_bytes())
    else:
        root, _ = new_root_certificate("csmscheck central system root CA")
    await _install_and_list(station, csms, "CentralSystemRootCertificate", root)


@octt("TC_076", chapter="3.21")
async def test_tc_076(station: Station, csms: Csms) -> None:
    """Delete a specific certificate from the Charge Point."""
    store = security.keep_certificates(station)
    root2, _ = new_root_certificate("csmscheck central system root CA 2")
    # Memory state: the CSMS has installed a CentralSystemRootCertificate (Root 2); the OCTT validates
    # nothing of it, and later compares with what the charge point actually installed.
    installed = await csms_sends(station, csms, "InstallCertificate",
                                 {"certificateType": "CentralSystemRootCertificate", "certificate": pem_text(root2)},
                                 "Memory state: InstallCertificate.req")
    if installed.answer != {"status": "Accepted"}:
        raise StepFailed("Memory state: InstallCertificate.req: the charge point could not read the certificate "
                         f"the Central System sent, and answered {installed.answer}")
    expected = store.hash_data(load_pem_chain(str(installed.payload["certificate"]))[0])
    listed = await _installed_ids(station, csms, "CentralSystemRootCertificate", ("Step 1", "Step 2"),
                                  validated=False)
    # The operator picks Root 2 from the list the CSMS shows (if it shows one).
    shown = (listed.relayed or {}).get("response", {}).get("certificateHashData", [])
    chosen = next((h for h in shown if not mismatches(h, _hash_data(expected))), expected)
    sent = await csms_sends(station, csms, "DeleteCertificate", {"certificateHashData": chosen},
                            "Step 3: DeleteCertificate.req")
    assert_matches(sent.payload, {"certificateHashData": _hash_data(expected)}, "Step 3: DeleteCertificate.req")
    check_relayed(station, sent, "Step 4: DeleteCertificate.conf")


@octt("TC_078", chapter="3.21")
async def test_tc_078(station: Station, csms: Csms) -> None:
    """Invalid CentralSystemCertificate Security Event."""
    root, _ = new_root_certificate("csmscheck untrusted root CA")
    await _install(station, csms, "CentralSystemRootCertificate", root, status="Rejected")
    await security.security_event(station, "InvalidCentralSystemCertificate",
                                  "Step 4: SecurityEventNotification.conf")
