"""The reference CSMS's OCPP 1.6 security extension, driven directly: CSR checks and signing,
password and profile changes, and what it records of certificates, events, logs and firmware."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from conftest import PASSWORD, CsmsStarter, RunningCsms, StationOpener
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from csmscheck.csms import security_profile
from csmscheck.csms.config import CsmsConfig
from csmscheck.csms.credentials import hash_password
from csmscheck.csms.models import Station
from csmscheck.csms.security_certificates import issue_certificate
from csmscheck.csms.security_models import SecurityProfileChange
from csmscheck.csms.store import Store
from csmscheck.pki import Pki, sign_csr
from csmscheck.pki.certificates import certificate_hash_data, new_root_certificate, pem_text
from csmscheck.pki.csr import build_csr, check_csr, issued_certificate_problems, new_station_key, private_key_pem
from csmscheck.pki.firmware import firmware_signature_valid, new_firmware_signer
from csmscheck.station.session import StationSession
from csmscheck.timestamps import rfc3339

SP3 = "CP16_SP3"
SP1 = "CP16_SP1"


def _rows(csms: RunningCsms, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(csms.db_path) as db:
        return db.execute(sql, args).fetchall()


@pytest.fixture
async def api(reference_csms: RunningCsms) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=reference_csms.api, timeout=10.0) as client:
        yield client


def _tampered(csr_pem: str) -> str:
    """The CSR with one bit of its signature flipped."""
    der = bytearray(x509.load_pem_x509_csr(csr_pem.encode()).public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0x01
    body = x509.load_der_x509_csr(bytes(der))
    return body.public_bytes(serialization.Encoding.PEM).decode()


# -- CSR checks (pki) -------------------------------------------------------------------------


def test_check_csr_accepts_the_station_own_request() -> None:
    csr = check_csr(build_csr(SP3, new_station_key()), SP3)
    assert csr.subject.rfc4514_string() == f"CN={SP3}"


@pytest.mark.parametrize(("make", "reason"), [
    (lambda: "not a csr", "not a PEM certificate signing request"),
    (lambda: _tampered(build_csr(SP3, new_station_key())), "signature is invalid"),
    (lambda: build_csr("CP16_SP1", new_station_key()), "is not the charge point identity"),
    (lambda: build_csr(SP3, rsa.generate_private_key(public_exponent=65537, key_size=1024)), "RSA key of 1024 bits"),
])
def test_check_csr_refuses(make: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_csr(make(), SP3)


def test_issued_certificate_chains_to_the_ca_and_carries_the_csr_key(csms_pki: Pki) -> None:
    key = new_station_key()
    config = CsmsConfig(pki_dir=csms_pki.directory)
    chain = issue_certificate(config, SP3, build_csr(SP3, key))
    leaf = x509.load_pem_x509_certificates(chain.encode())[0]
    ca = x509.load_pem_x509_certificate(csms_pki.ca_cert.read_bytes())
    leaf.verify_directly_issued_by(ca)  # raises if the CA did not sign it
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    assert leaf.public_key().public_bytes(serialization.Encoding.DER, spki) == \
        key.public_key().public_bytes(serialization.Encoding.DER, spki)
    assert issued_certificate_problems(chain, key.public_key(), SP3, csms_pki.ca_cert) == []


def test_issue_certificate_refuses_without_a_ca_or_for_another_station(csms_pki: Pki) -> None:
    with pytest.raises(ValueError, match="no certificate authority"):
        issue_certificate(CsmsConfig(), SP3, build_csr(SP3, new_station_key()))
    with pytest.raises(ValueError, match="charge point identity"):
        issue_certificate(CsmsConfig(pki_dir=csms_pki.directory), SP3, build_csr(SP1, new_station_key()))


def test_issued_certificate_problems_name_the_fault(csms_pki: Pki, tmp_path: Path) -> None:
    key, other = new_station_key(), new_station_key()
    rogue, rogue_key = new_root_certificate("csmscheck test root CA")
    (tmp_path / "rogue.pem").write_text(pem_text(rogue))
    (tmp_path / "rogue.key").write_bytes(private_key_pem(rogue_key))
    by_rogue = sign_csr(build_csr(SP3, key).encode(), tmp_path / "rogue.pem", tmp_path / "rogue.key").decode()
    assert any("does not lead to the CA" in p
               for p in issued_certificate_problems(by_rogue, key.public_key(), SP3, csms_pki.ca_cert))
    for_other_key = issue_certificate(CsmsConfig(pki_dir=csms_pki.directory), SP3, build_csr(SP3, other))
    assert issued_certificate_problems(for_other_key, key.public_key(), SP3, csms_pki.ca_cert) == [
        "the certificate does not carry the public key of the CSR"]
    assert issued_certificate_problems("garbage", key.public_key(), SP3, csms_pki.ca_cert) == [
        "not a PEM encoded X.509 certificate (chain)"]


# -- SignCertificate over a real connection ---------------------------------------------------


async def _issued_status(csms: RunningCsms, serial: str, timeout: float = 5.0) -> str:
    """The recorded fate of an issued certificate once the station's answer is stored."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with httpx.AsyncClient(base_url=csms.api, timeout=timeout) as client:
        while True:
            rows = await asyncio.to_thread(_rows, csms, "SELECT status FROM issued_certificates "
                                           "WHERE serial_number = ?", serial)
            if rows and rows[0][0] != "Issued":
                return str(rows[0][0])
            assert loop.time() < deadline, f"issued certificate {serial} still {rows}"
            await client.get(f"/api/stations/{SP3}")  # one round trip through the CSMS's loop


async def test_valid_csr_is_accepted_then_signed_and_delivered(reference_csms: RunningCsms,
                                                               open_station: StationOpener) -> None:
    station = await open_station(reference_csms, SP3)
    key = new_station_key()
    async with station.expect("CertificateSigned", reply={"status": "Accepted"}, timeout=5.0) as got:
        answer = await station.call("SignCertificate", {"csr": build_csr(SP3, key)})
        assert answer == {"status": "Accepted"}
    chain = got.payload["certificateChain"]
    assert issued_certificate_problems(chain, key.public_key(), SP3, reference_csms.pki.ca_cert) == []
    serial = format(x509.load_pem_x509_certificate(chain.encode()).serial_number, "x")
    assert await _issued_status(reference_csms, serial) == "Accepted"


@pytest.mark.parametrize("csr", [
    pytest.param(lambda: _tampered(build_csr(SP3, new_station_key())), id="bad-signature"),
    pytest.param(lambda: build_csr(SP1, new_station_key()), id="wrong-common-name"),
    pytest.param(lambda: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
                 id="garbage"),
])
async def test_bad_csr_is_rejected_and_nothing_is_signed(reference_csms: RunningCsms, open_station: StationOpener,
                                                         csr: Any) -> None:
    station = await open_station(reference_csms, SP3)
    before = _rows(reference_csms, "SELECT count(*) FROM issued_certificates")
    assert await station.call("SignCertificate", {"csr": csr()}) == {"status": "Rejected"}
    await station.call("Heartbeat", {})
    assert _rows(reference_csms, "SELECT count(*) FROM issued_certificates") == before
    assert [c.action for c in station.unexpected_calls()] == []


# -- basic-auth password and security profile -------------------------------------------------


async def _change_configuration(csms: RunningCsms, station: StationSession, key: str, value: str,
                                status: str = "Accepted") -> None:
    async with httpx.AsyncClient(base_url=csms.api, timeout=10.0) as client, \
            station.expect("ChangeConfiguration", reply={"status": status}):
        response = await client.post(f"/api/octt/1.6/{station.station_id}/change-configuration",
                                     json={"key": key, "value": value})
    assert response.json() == {"response": {"status": status}}


async def _connects(csms: RunningCsms, password: str) -> bool:
    session = StationSession(SP1, "1.6", timeout=5.0)
    try:
        await session.connect(csms.url_for(1), password=password)
    except websockets.InvalidStatus as exc:
        assert exc.response.status_code == 401
        return False
    await session.close()
    return True


async def test_authorization_key_change_takes_effect_on_the_next_connection(start_csms: CsmsStarter,
                                                                            open_station: StationOpener) -> None:
    csms = start_csms()
    station = await open_station(csms, SP1)
    new = "0123456789abcdef0123456789abcdef01234567"
    await _change_configuration(csms, station, "AuthorizationKey", new)
    await station.close()
    assert not await _connects(csms, PASSWORD)
    assert await _connects(csms, new)
    # The password is kept only as a hash, not as a readable configuration value.
    assert _rows(csms, "SELECT value FROM variables WHERE station_id = ? AND variable = 'AuthorizationKey'",
                 SP1) in ([], [(None,)])


async def test_a_rejected_authorization_key_keeps_the_old_password(start_csms: CsmsStarter,
                                                                   open_station: StationOpener) -> None:
    csms = start_csms()
    station = await open_station(csms, SP1)
    await _change_configuration(csms, station, "AuthorizationKey", "fedcba9876543210fedcba", status="Rejected")
    await station.close()
    assert await _connects(csms, PASSWORD)


async def test_set_basic_auth_password_endpoint(start_csms: CsmsStarter) -> None:
    csms = start_csms()
    async with httpx.AsyncClient(base_url=csms.api, timeout=10.0) as client:
        response = await client.post("/api/octt/set-basic-auth-password",
                                     json={"stationId": SP1, "password": "operator-chosen-1"})
        assert response.status_code == 200, response.text
        unknown = await client.post("/api/octt/set-basic-auth-password",
                                    json={"stationId": "NOPE", "password": "x" * 16})
        assert unknown.status_code == 404
    assert not await _connects(csms, PASSWORD)
    assert await _connects(csms, "operator-chosen-1")


async def test_security_profile_upgrade_is_recorded_on_accepted(start_csms: CsmsStarter,
                                                                open_station: StationOpener) -> None:
    csms = start_csms()
    station = await open_station(csms, SP1)
    await _change_configuration(csms, station, "SecurityProfile", "0")  # never down
    assert _rows(csms, "SELECT profile FROM security_profile_changes") == []
    await _change_configuration(csms, station, "SecurityProfile", "2", status="Rejected")
    assert _rows(csms, "SELECT profile FROM security_profile_changes") == []
    await _change_configuration(csms, station, "SecurityProfile", "3")
    assert _rows(csms, "SELECT station_id, profile FROM security_profile_changes") == [(SP1, 3)]


async def test_security_profile_move_becomes_final_on_connecting_with_it(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'csms.db'}")
    await store.create_schema()
    try:
        async with store.session() as db:
            db.add(Station(id=SP1, ocpp_version="1.6", security_profile=1, password_hash=hash_password("x")))
        assert await security_profile.request_change(store, SP1, "3")
        assert not await security_profile.request_change(store, SP1, "1")
        assert not await security_profile.request_change(store, SP1, "seven")
        async with store.session() as db:
            station = await security_profile.admission(db, SP1)
            assert station is not None
            assert security_profile.admitted_profiles(station) == {1, 3}
            await security_profile.connected_with(db, SP1, 1)  # the fallback: still moving
            assert await db.get(SecurityProfileChange, SP1) is not None
            await security_profile.connected_with(db, SP1, 3)
        async with store.session() as db:
            station = await security_profile.admission(db, SP1)
            assert station is not None and station.security_profile == 3
            assert security_profile.admitted_profiles(station) == {3}
    finally:
        await store.close()


# -- what the CSMS records ---------------------------------------------------------------------


async def test_installed_certificates_are_tracked(reference_csms: RunningCsms, open_station: StationOpener,
                                                  api: httpx.AsyncClient) -> None:
    station = await open_station(reference_csms, SP1)
    root, _ = new_root_certificate("tracked root")
    hash_data = certificate_hash_data(root)
    row = ("CentralSystemRootCertificate", hash_data["issuerNameHash"], hash_data["serialNumber"])
    query = ("SELECT certificate_type, issuer_name_hash, serial_number FROM installed_certificates "
             "WHERE station_id = ? AND serial_number = ?")
    async with station.expect("InstallCertificate", reply={"status": "Accepted"}):
        await api.post(f"/api/octt/1.6/{SP1}/install-certificate",
                       json={"certificateType": "CentralSystemRootCertificate", "certificate": pem_text(root)})
    assert _rows(reference_csms, query, SP1, hash_data["serialNumber"]) == [row]
    async with station.expect("GetInstalledCertificateIds", reply={"status": "NotFound"}):
        await api.post(f"/api/octt/1.6/{SP1}/get-installed-certificate-ids",
                       json={"certificateType": "CentralSystemRootCertificate"})
    assert _rows(reference_csms, query, SP1, hash_data["serialNumber"]) == []
    async with station.expect("GetInstalledCertificateIds",
                              reply={"status": "Accepted", "certificateHashData": [hash_data]}):
        await api.post(f"/api/octt/1.6/{SP1}/get-installed-certificate-ids",
                       json={"certificateType": "CentralSystemRootCertificate"})
    assert _rows(reference_csms, query, SP1, hash_data["serialNumber"]) == [row]
    async with station.expect("DeleteCertificate", reply={"status": "Accepted"}):
        await api.post(f"/api/octt/1.6/{SP1}/delete-certificate", json={"certificateHashData": hash_data})
    assert _rows(reference_csms, query, SP1, hash_data["serialNumber"]) == []


async def test_security_events_logs_and_firmware_are_recorded(reference_csms: RunningCsms,
                                                              open_station: StationOpener,
                                                              api: httpx.AsyncClient) -> None:
    station = await open_station(reference_csms, SP1)
    assert await station.call("SecurityEventNotification", {"type": "TamperDetectionActivated",
                                                            "timestamp": rfc3339(), "techInfo": "lid"}) == {}
    assert _rows(reference_csms, "SELECT type, tech_info FROM security_events WHERE station_id = ? "
                 "ORDER BY pk DESC LIMIT 1", SP1) == [("TamperDetectionActivated", "lid")]

    async with station.expect("GetLog", reply={"status": "Accepted", "filename": "sec.log"}):
        await api.post(f"/api/octt/1.6/{SP1}/get-log", json={"logType": "SecurityLog", "requestId": 4711,
                                                              "log": {"remoteLocation": "ftp://x/"}})
    assert await station.call("LogStatusNotification", {"status": "Uploaded", "requestId": 4711}) == {}
    assert _rows(reference_csms, "SELECT log_type, filename, status FROM log_requests WHERE request_id = 4711") == [
        ("SecurityLog", "sec.log", "Uploaded")]

    firmware = {"location": "https://fw/", "retrieveDateTime": rfc3339(), "signingCertificate": "c",
                "signature": "s"}
    async with station.expect("SignedUpdateFirmware", reply={"status": "Accepted"}):
        await api.post(f"/api/octt/1.6/{SP1}/signed-update-firmware", json={"requestId": 815, "firmware": firmware})
    assert await station.call("SignedFirmwareStatusNotification", {"status": "Downloading", "requestId": 815}) == {}
    assert await station.call("SignedFirmwareStatusNotification", {"status": "Installed"}) == {}
    assert _rows(reference_csms, "SELECT location, status FROM signed_firmware_updates WHERE request_id = 815") == [
        ("https://fw/", "Installed")]


def _rsa_2048_csr() -> str:
    """A CSR from a 2048-bit key (strong enough) for checking the key rule alone."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, SP3)]))
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def test_rsa_2048_csr_is_acceptable() -> None:
    assert check_csr(_rsa_2048_csr(), SP3).subject.rfc4514_string() == f"CN={SP3}"


def test_certificate_hash_data_is_the_rfc6960_cert_id() -> None:
    root, _ = new_root_certificate("hash data root")
    data = certificate_hash_data(root, algorithm="SHA384")
    name_hash = hashes.Hash(hashes.SHA384())
    name_hash.update(root.issuer.public_bytes())
    assert data["hashAlgorithm"] == "SHA384"
    assert data["issuerNameHash"] == name_hash.finalize().hex()
    assert data["serialNumber"] == format(root.serial_number, "x") and not data["serialNumber"].startswith("0")
    assert len(data["issuerKeyHash"]) == 96


def test_firmware_signature_check() -> None:
    signer = new_firmware_signer()
    image = b"firmware image"
    assert firmware_signature_valid(signer.certificate_pem, image, signer.sign(image))
    assert not firmware_signature_valid(signer.certificate_pem, image + b"!", signer.sign(image))
    assert not firmware_signature_valid(signer.certificate_pem, image, "not base64!")
    assert not firmware_signature_valid("not a certificate", image, signer.sign(image))
