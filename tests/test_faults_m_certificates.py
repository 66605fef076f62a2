"""Proof that the CA-certificate cases of block M catch faults: a broken reference CSMS fails the matching case.

Each test breaks one piece of the in-process reference CSMS inside the test (monkeypatch, never
a product flag), runs one conformance case through pytest and checks that the results.json
message names the step and the difference (or, for a csmscheck check, that the case passes its
OCTT verdict with the finding and fails with ``--strict``).
"""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from faults import alter_sent, assert_all_pass_strictly, caught, misreport_answer
from faults201 import finding_not_failure

from csmscheck.bundled import BundledCsms
from csmscheck.csms.router import Payload
from csmscheck.pki.certificates import pem_text

CASES = ["TC_M_01", "TC_M_02", "TC_M_03", "TC_M_04", "TC_M_05", "TC_M_12", "TC_M_13", "TC_M_14", "TC_M_15",
         "TC_M_16", "TC_M_17", "TC_M_18", "TC_M_19", "TC_M_20", "TC_M_21"]


def _end_entity_certificate() -> str:
    """A self-signed certificate that is no CA (basicConstraints cA false)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "a leaf")])
    now = datetime.datetime.now(datetime.UTC)
    return pem_text(x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                    .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                    .not_valid_after(now + datetime.timedelta(days=1))
                    .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                    .sign(key, hashes.SHA256()))


def test_healthy_csms_passes_the_certificate_cases_strictly(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    assert_all_pass_strictly(pytester, bundled, CASES)


# -- OCTT verdicts --------------------------------------------------------------------------


def test_install_of_another_type_fails_tc_m_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "InstallCertificate", lambda p: p.update(certificateType="MORootCertificate"))
    caught(pytester, bundled, "TC_M_01", "Step 1: CertificateInstalled step 1: InstallCertificateRequest",
           'certificateType: expected "CSMSRootCertificate", got "MORootCertificate"')


def test_install_of_a_certificate_the_station_rejects_fails_tc_m_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    leaf = _end_entity_certificate()
    alter_sent(monkeypatch, "InstallCertificate", lambda p: p.update(certificate=leaf))
    caught(pytester, bundled, "TC_M_02", "Step 1: CertificateInstalled step 2: InstallCertificateResponse",
           "the station could not install the certificate", "Rejected")


def test_listing_without_the_asked_type_fails_tc_m_12_and_tc_m_19(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "GetInstalledCertificateIds", lambda p: p.pop("certificateType", None))
    caught(pytester, bundled, "TC_M_12",
           "Step 1 (SHA256): GetInstalledCertificates step 1: GetInstalledCertificateIdsRequest",
           "certificateType: missing (expected <a list containing CSMSRootCertificate>)")
    caught(pytester, bundled, "TC_M_19", "Step 1: GetInstalledCertificateIdsRequest",
           'certificateType: missing (expected ["ManufacturerRootCertificate"])')


def test_listing_of_another_type_fails_tc_m_20(pytester: pytest.Pytester, bundled: BundledCsms,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "GetInstalledCertificateIds", lambda p: p.update(certificateType=["MORootCertificate"]))
    caught(pytester, bundled, "TC_M_20", "SHA256: Step 2: GetInstalledCertificateIdsRequest",
           "certificateType: expected <omitted, or a list containing CSMSRootCertificate>")


def test_delete_with_altered_hash_data_fails_tc_m_20(pytester: pytest.Pytester, bundled: BundledCsms,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def other_serial(payload: Payload) -> None:
        payload["certificateHashData"]["serialNumber"] = "1f"

    alter_sent(monkeypatch, "DeleteCertificate", other_serial)
    caught(pytester, bundled, "TC_M_20", "SHA256: Step 4: DeleteCertificateRequest",
           "certificateHashData.serialNumber: expected <", 'in any letter case>, got "1f"')


def test_delete_in_another_hash_algorithm_fails_tc_m_21(pytester: pytest.Pytester, bundled: BundledCsms,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "DeleteCertificate", lambda p: p["certificateHashData"].update(hashAlgorithm="SHA512"))
    caught(pytester, bundled, "TC_M_21", "Step 3: DeleteCertificateRequest",
           'certificateHashData.hashAlgorithm: expected "SHA256", got "SHA512"')


# -- csmscheck checks -------------------------------------------------------------------------


def test_no_ca_certificate_sent_is_a_finding_of_tc_m_05(pytester: pytest.Pytester, bundled: BundledCsms,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    leaf = _end_entity_certificate()
    alter_sent(monkeypatch, "InstallCertificate", lambda p: p.update(certificate=leaf))
    finding_not_failure(pytester, bundled, "TC_M_05", "CSC-201-M-01", "Step 1: InstallCertificateRequest",
                        "not a CA certificate (basicConstraints cA is false)")


def test_hash_data_rewritten_in_upper_case_is_a_finding_of_tc_m_21(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def upper(payload: Payload) -> None:
        hash_data = payload["certificateHashData"]
        for key in ("issuerNameHash", "issuerKeyHash", "serialNumber"):
            hash_data[key] = hash_data[key].upper()

    alter_sent(monkeypatch, "DeleteCertificate", upper)
    finding_not_failure(pytester, bundled, "TC_M_21", "CSC-201-M-02", "Step 3: DeleteCertificateRequest",
                        "but the station reported")


def test_not_found_reported_as_accepted_is_a_finding_of_tc_m_19(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    misreport_answer(monkeypatch, "GetInstalledCertificateIds", lambda p: p.update(status="Accepted"))
    finding_not_failure(pytester, bundled, "TC_M_19", "CSC-201-F-03",
                        "Step 1: GetInstalledCertificateIdsRequest: GetInstalledCertificateIdsResponse",
                        '"status":"Accepted"')
