"""Chapter 3.21 (security), certificates: renewing the charge point certificate, installing,
listing and deleting root certificates, and the security events of invalid certificates."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
from cryptography import x509

from csmscheck.errors import StepFailed
from csmscheck.expect import ABSENT, Matcher, assert_matches, mismatches
from csmscheck.pki.certificates import new_root_certificate, pem_text, same_certificate
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v16 as core
from csmscheck.station.states import v16_security as security
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms, relayed_answer
from csmscheck.suite.plugin import StationFactory


@pytest_asyncio.fixture
async def sp3_station(make_station: StationFactory, cfg: Settings) -> Station:
    """CP16_SP3 over security profile 3 (mutual TLS), Booted."""
    if cfg.target_sp3 is None or cfg.pki_dir is None:
        pytest.skip("needs security profile 3: CSMS_SP3_ADDRESS and CSMSCHECK_PKI_DIR")
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
    async with station.expect("ExtendedTriggerMessage", reply={"status": "Accepted"}) as got:
        reply = await csms.request(station, "ExtendedTriggerMessage",
                                   {"requestedMessage": "SignChargePointCertificate"})
    assert_matches(got.payload, {"requestedMessage": "SignChargePointCertificate", "connectorId": ABSENT},
                   "Step 1: ExtendedTriggerMessage.req")
    answer = relayed_answer(reply, "Step 2")
    if answer is not None:
        assert_matches(answer, {"status": "Accepted"}, "Step 2: the CSMS's record of ExtendedTriggerMessage.conf")


@octt("TC_074", chapter="3.21")
async def test_tc_074(sp3_station: Station, csms: Csms) -> None:
    """Update Charge Point Certificate by request of Central System."""
    station = sp3_station
    await _request_certificate_renewal(station, csms)
    renewed = await security.renew_certificate(station, sign_step="Step 4: SignCertificate.conf")
    if renewed.problems:
        raise StepFailed("Step 5: CertificateSigned.req: " + "; ".join(renewed.problems))
    await security.reconnect_with(station, security.certificate_endpoint(station, renewed),
                                  "Step 7: reconnecting with the new certificate")
    await core.booted(station)


@octt("TC_077", chapter="3.21")
async def test_tc_077(sp3_station: Station, csms: Csms) -> None:
    """Invalid ChargePointCertificate Security Event."""
    station = sp3_station
    await _request_certificate_renewal(station, csms)
    renewed = await security.renew_certificate(station, sign_step="Step 4: SignCertificate.conf", accept=False)
    if renewed.problems:
        raise StepFailed("Step 5: CertificateSigned.req is not a ChargePointCertificate signed for the CSR: "
                         + "; ".join(renewed.problems))
    await security.security_event(station, "InvalidChargePointCertificate", "Step 8: SecurityEventNotification.conf")


async def _install(station: Station, csms: Csms, certificate_type: str, certificate: x509.Certificate,
                   status: str = "Accepted") -> None:
    """Steps 1-2: the CSMS sends InstallCertificate with the configured certificate; the station
    answers ``status`` (installing it into its store when Accepted)."""
    reply = None if status == "Accepted" else {"status": status}
    async with station.expect("InstallCertificate", reply=reply) as got:
        relayed = await csms.request(station, "InstallCertificate",
                                     {"certificateType": certificate_type, "certificate": pem_text(certificate)})
    assert_matches(got.payload, {"certificateType": certificate_type, "certificate": _configured(certificate)},
                   "Step 1: InstallCertificate.req")
    if got.answer != {"status": status}:
        raise StepFailed(f"Step 2: the charge point could not install the certificate it was sent: {got.answer}")
    answer = relayed_answer(relayed, "Step 2")
    if answer is not None:
        assert_matches(answer, {"status": status}, "Step 2: the CSMS's record of InstallCertificate.conf")


async def _installed_ids(station: Station, csms: Csms, certificate_type: str, step: str) -> dict[str, Any] | None:
    """The CSMS asks for the installed certificates of a type; returns the relayed answer."""
    async with station.expect("GetInstalledCertificateIds") as got:
        reply = await csms.request(station, "GetInstalledCertificateIds", {"certificateType": certificate_type})
    assert_matches(got.payload, {"certificateType": certificate_type}, f"{step}: GetInstalledCertificateIds.req")
    return relayed_answer(reply, step)


async def _install_and_list(station: Station, csms: Csms, certificate_type: str,
                            certificate: x509.Certificate) -> None:
    store = security.keep_certificates(station)
    await _install(station, csms, certificate_type, certificate)
    answer = await _installed_ids(station, csms, certificate_type, "Step 3")
    if answer is not None:
        assert_matches(answer, {"status": "Accepted",
                                "certificateHashData": _including(_hash_data(store.hash_data(certificate)))},
                       "Step 4: the CSMS's record of GetInstalledCertificateIds.conf")


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
    await _install(station, csms, "CentralSystemRootCertificate", root2)  # memory state: Root 2 installed
    expected = store.hash_data(root2)
    answer = await _installed_ids(station, csms, "CentralSystemRootCertificate", "Step 1")
    chosen = expected
    if answer is not None:
        assert_matches(answer, {"status": "Accepted", "certificateHashData": _including(_hash_data(expected))},
                       "Step 2: the CSMS's record of GetInstalledCertificateIds.conf")
        # The operator picks Root 2 from the list the CSMS shows.
        chosen = next(h for h in answer["certificateHashData"] if not mismatches(h, _hash_data(expected)))
    async with station.expect("DeleteCertificate") as got:
        reply = await csms.request(station, "DeleteCertificate", {"certificateHashData": chosen})
    assert_matches(got.payload, {"certificateHashData": _hash_data(expected)}, "Step 3: DeleteCertificate.req")
    if got.answer != {"status": "Accepted"}:
        raise StepFailed(f"Step 4: the charge point found no certificate matching the hash data, answered {got.answer}")
    deleted = relayed_answer(reply, "Step 4")
    if deleted is not None:
        assert_matches(deleted, {"status": "Accepted"}, "Step 4: the CSMS's record of DeleteCertificate.conf")


@octt("TC_078", chapter="3.21")
async def test_tc_078(station: Station, csms: Csms) -> None:
    """Invalid CentralSystemCertificate Security Event."""
    root, _ = new_root_certificate("csmscheck untrusted root CA")
    await _install(station, csms, "CentralSystemRootCertificate", root, status="Rejected")
    await security.security_event(station, "InvalidCentralSystemCertificate",
                                  "Step 4: SecurityEventNotification.conf")
