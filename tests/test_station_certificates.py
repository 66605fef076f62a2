"""The virtual 2.0.1 station's CA certificates: what it installs, lists and deletes, answered as a station does."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from csmscheck.pki.ca_certificates import ca_problem, hash_data_problems, installable_problem
from csmscheck.pki.certificates import certificate_hash_data, new_root_certificate, pem_text
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.certificates import StationCertificates, hold_v2g_chain, new_v2g_chain
from csmscheck.station.station import Endpoint


def _certificate(*, ca: bool, days: int = 30, start_days_ago: int = 1) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=start_days_ago)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))


@pytest.fixture
def csms_root(tmp_path: Path) -> tuple[Path, x509.Certificate]:
    root, _ = new_root_certificate("the CSMS root")
    path = tmp_path / "ca.pem"
    path.write_text(pem_text(root))
    return path, root


def test_the_store_starts_with_the_csms_root_read_on_first_use(csms_root: tuple[Path, x509.Certificate]) -> None:
    path, root = csms_root
    store = StationCertificates(path)
    path.unlink()  # nothing was read when the store was made: now there is nothing to read
    assert store.held == []
    path.write_text(pem_text(root))
    store = StationCertificates(path)
    assert [(h.certificate_type, h.certificate) for h in store.held] == [("CSMSRootCertificate", root)]


def test_a_ca_certificate_is_installed_and_listed_by_type() -> None:
    store = StationCertificates()
    root, _ = new_root_certificate("maker")
    request = {"certificateType": "ManufacturerRootCertificate", "certificate": pem_text(root)}
    assert store.install_certificate(request) == {"status": "Accepted"}
    assert store.install_certificate(request) == {"status": "Accepted"}  # once is enough
    assert store.get_installed_certificate_ids({"certificateType": ["ManufacturerRootCertificate"]}) == {
        "status": "Accepted", "certificateHashDataChain": [
            {"certificateType": "ManufacturerRootCertificate", "certificateHashData": certificate_hash_data(root)}]}
    assert store.get_installed_certificate_ids({"certificateType": ["MORootCertificate"]}) == {"status": "NotFound"}


@pytest.mark.parametrize(("pem", "reason"), [
    ("not a certificate", "not a PEM encoded X.509 certificate"),
    (pem_text(_certificate(ca=False)), "basicConstraints cA is false"),
    (pem_text(_certificate(ca=True, days=1, start_days_ago=3)), "expired on"),
    (pem_text(_certificate(ca=True)) * 2, "more than one certificate"),
])
def test_what_is_no_ca_certificate_is_rejected(pem: str, reason: str) -> None:
    store = StationCertificates()
    answer = store.install_certificate({"certificateType": "V2GRootCertificate", "certificate": pem})
    assert answer["status"] == "Rejected"
    assert reason in answer["statusInfo"]["additionalInfo"]
    assert store.held == []


def test_hash_data_follow_the_algorithm_the_station_is_set_to() -> None:
    store = StationCertificates()
    root, _ = new_root_certificate("csms 2")
    store.add("CSMSRootCertificate", root)
    for algorithm, digits in (("SHA256", 64), ("SHA384", 96), ("SHA512", 128)):
        store.hash_algorithm = algorithm  # type: ignore[assignment]
        (entry,) = store.get_installed_certificate_ids({})["certificateHashDataChain"]
        assert entry["certificateHashData"]["hashAlgorithm"] == algorithm
        assert len(entry["certificateHashData"]["issuerKeyHash"]) == digits


def test_a_v2g_chain_lists_its_sub_cas_as_children() -> None:
    store = StationCertificates()
    chain = new_v2g_chain("CS1")
    hold_v2g_chain(store, chain)
    answer = store.get_installed_certificate_ids({"certificateType": ["V2GCertificateChain"]})
    (entry,) = answer["certificateHashDataChain"]
    assert entry["certificateHashData"] == certificate_hash_data(chain.leaf, chain.sub_ca_2)
    assert entry["childCertificateHashData"] == [certificate_hash_data(chain.sub_ca_2, chain.sub_ca_1),
                                                 certificate_hash_data(chain.sub_ca_1, chain.root)]
    every = store.get_installed_certificate_ids({})["certificateHashDataChain"]
    assert [e["certificateType"] for e in every] == ["V2GRootCertificate", "V2GCertificateChain"]
    assert ca_problem(chain.sub_ca_2) is None and ca_problem(chain.leaf) is not None


def test_delete_by_hash_data_in_any_letter_case() -> None:
    store = StationCertificates()
    root, _ = new_root_certificate("mo")
    store.add("MORootCertificate", root)
    hash_data = {k: v.upper() if k != "hashAlgorithm" else v
                 for k, v in certificate_hash_data(root, algorithm="SHA384").items()}
    assert store.delete_certificate({"certificateHashData": hash_data}) == {"status": "Accepted"}
    assert store.held == []
    assert store.delete_certificate({"certificateHashData": hash_data}) == {"status": "NotFound"}


def test_the_last_csms_root_stays_while_the_station_talks_tls(csms_root: tuple[Path, x509.Certificate]) -> None:
    path, root = csms_root
    tls = StationCertificates(path, uses_tls=lambda: True)
    answer = tls.delete_certificate({"certificateHashData": certificate_hash_data(root)})
    assert answer["status"] == "Failed" and answer["statusInfo"]["reasonCode"] == "InUse"
    second, _ = new_root_certificate("csms 2")
    tls.add("CSMSRootCertificate", second)
    assert tls.delete_certificate({"certificateHashData": certificate_hash_data(root)}) == {"status": "Accepted"}
    plain = StationCertificates(path)  # over ws:// it does not depend on it
    assert plain.delete_certificate({"certificateHashData": certificate_hash_data(root)}) == {"status": "Accepted"}


def test_a_v2g_sub_ca_is_deleted_from_its_chain() -> None:
    store = StationCertificates()
    chain = new_v2g_chain("CS1")
    hold_v2g_chain(store, chain)
    sub = certificate_hash_data(chain.sub_ca_1, chain.root)
    assert store.delete_certificate({"certificateHashData": sub}) == {"status": "Accepted"}
    (entry,) = store.get_installed_certificate_ids({"certificateType": ["V2GCertificateChain"]})[
        "certificateHashDataChain"]
    assert entry["childCertificateHashData"] == [certificate_hash_data(chain.sub_ca_2, chain.sub_ca_1)]


def test_a_2_0_1_station_answers_from_its_store_and_a_1_6_one_does_not(tmp_path: Path) -> None:
    cfg = Settings(pki_dir=tmp_path)
    station = Station("CS1", "2.0.1", cfg, Endpoint("ws://127.0.0.1:1/ocpp"))
    assert station.session.replies["GetInstalledCertificateIds"] == station.certificates.get_installed_certificate_ids
    assert station.certificates.held == []  # no ca.pem in the PKI directory
    old = Station("CP1", "1.6", cfg, Endpoint("ws://127.0.0.1:1/ocpp"))
    assert old.session.replies["GetInstalledCertificateIds"] == {"status": "NotFound"}


def test_installable_and_hash_data_problems() -> None:
    assert installable_problem(pem_text(_certificate(ca=True))) is None
    root, _ = new_root_certificate("r")
    good = certificate_hash_data(root)
    assert hash_data_problems(good) == []
    assert hash_data_problems(good | {"issuerKeyHash": good["issuerKeyHash"][:-2]}) == [
        "certificateHashData.issuerKeyHash: 62 hex digits, a SHA256 digest has 64"]
    assert hash_data_problems(good | {"serialNumber": "0x1f"}) == [
        "certificateHashData.serialNumber: '0x1f' is not hexadecimal (no 0x prefix, no separators)"]
    assert hash_data_problems(good | {"issuerNameHash": "zz"}) == ["certificateHashData.issuerNameHash: 'zz' is not "
                                                                   "hexadecimal"]
