"""Tests for the run-time PKI and the TLS context builders."""

from __future__ import annotations

import ipaddress
import shutil
import socket
import ssl
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from csmscheck.pki import (
    Pki,
    Usage,
    client_ssl_context,
    generate_pki,
    peer_common_name,
    server_ssl_context,
    sign_csr,
)
from csmscheck.pki.v2g import V2G_FILES

STATIONS = ("CS-001", "CS/002")
TIMEOUT = 5.0


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return generate_pki(tmp_path_factory.mktemp("pki"), STATIONS)


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _cn(cert: x509.Certificate) -> str:
    value = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert isinstance(value, str)
    return value


def _spki(cert: x509.Certificate | x509.CertificateSigningRequest) -> bytes:
    return cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _eku(cert: x509.Certificate) -> list[x509.ObjectIdentifier]:
    return list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


def _verify_client(ca: x509.Certificate, leaf: x509.Certificate) -> None:
    """Path validation of a client certificate (OCPP client certs carry no SAN)."""
    ee_policy = verification.ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.SubjectAlternativeName, verification.Criticality.AGNOSTIC, None
    )
    verifier = (
        verification.PolicyBuilder()
        .store(verification.Store([ca]))
        .extension_policies(
            ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(),
            ee_policy=ee_policy,
        )
        .build_client_verifier()
    )
    verifier.verify(leaf, [])


# --------------------------------------------------------------------------
# files and certificates


def test_files_exist_and_keys_are_private(pki: Pki) -> None:
    expected = {
        "ca.pem", "ca.key", "server-rsa.pem", "server-rsa.key",
        "server-ecdsa.pem", "server-ecdsa.key",
        "client-CS-001.pem", "client-CS-001.key",
        "client-CS%2F002.pem", "client-CS%2F002.key",
        "invalid-client.pem", "invalid-client.key",
    }  # fmt: skip
    assert {p.name for p in pki.directory.iterdir()} == expected | set(V2G_FILES)  # the ISO 15118 chain beside it
    assert {p.name for p in pki.files()} == expected
    keys = list(pki.key_files())
    assert len(keys) == 6
    for key in [*keys, pki.directory / "v2g-root.key", pki.directory / "v2g-subca.key"]:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
        assert b"PRIVATE KEY" in key.read_bytes()


def test_private_key_mode_is_reset_when_overwriting(tmp_path: Path) -> None:
    stale = tmp_path / "ca.key"
    stale.write_text("old")
    stale.chmod(0o644)
    pki = generate_pki(tmp_path, ["CS-1"])
    assert stat.S_IMODE(pki.ca_key.stat().st_mode) == 0o600
    assert b"old" not in pki.ca_key.read_bytes()


def test_load_round_trip(pki: Pki) -> None:
    assert Pki.load(pki.directory, STATIONS) == pki
    assert Pki.load(pki.directory, [STATIONS[0]]).clients.keys() == {STATIONS[0]}


def test_load_names_missing_file(pki: Pki, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(pki.directory, copy)
    (copy / "server-ecdsa.key").unlink()
    with pytest.raises(FileNotFoundError, match=r"server-ecdsa\.key"):
        Pki.load(copy, STATIONS)
    with pytest.raises(FileNotFoundError, match=r"client-unknown\.pem"):
        Pki.load(pki.directory, ["unknown"])


def test_requires_client_ids_and_hostnames(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="client id"):
        generate_pki(tmp_path, [])
    with pytest.raises(ValueError, match="hostname"):
        generate_pki(tmp_path, ["CS-1"], hostnames=[])
    with pytest.raises(TypeError):
        generate_pki(tmp_path, "CS-1")


def test_ca_certificate(pki: Pki) -> None:
    ca = _cert(pki.ca_cert)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign
    ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    ca.verify_directly_issued_by(ca)
    lifetime = ca.not_valid_after_utc - ca.not_valid_before_utc
    assert lifetime.days >= 3650


@pytest.mark.parametrize(
    ("attr", "key_type"),
    [("server_rsa", rsa.RSAPublicKey), ("server_ecdsa", ec.EllipticCurvePublicKey)],
)
def test_server_certificates(pki: Pki, attr: str, key_type: type) -> None:
    ca = _cert(pki.ca_cert)
    cert = _cert(getattr(pki, f"{attr}_cert"))
    cert.verify_directly_issued_by(ca)
    public_key = cert.public_key()
    assert isinstance(public_key, key_type)
    if isinstance(public_key, rsa.RSAPublicKey):
        assert public_key.key_size == 2048
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        assert isinstance(public_key.curve, ec.SECP256R1)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert san.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1")
    ]
    assert _eku(cert) == [ExtendedKeyUsageOID.SERVER_AUTH]
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    verifier = (
        verification.PolicyBuilder()
        .store(verification.Store([ca]))
        .build_server_verifier(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    )
    verifier.verify(cert, [])


def test_custom_hostnames(tmp_path: Path) -> None:
    pki = generate_pki(tmp_path, ["CS-1"], hostnames=["csms.example", "::1"])
    san = _cert(pki.server_ecdsa_cert).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert san.value.get_values_for_type(x509.DNSName) == ["csms.example"]
    assert san.value.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("::1")
    ]


def test_client_certificates(pki: Pki) -> None:
    ca = _cert(pki.ca_cert)
    for station_id, (cert_path, key_path) in pki.clients.items():
        cert = _cert(cert_path)
        assert _cn(cert) == station_id
        org = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        assert [a.value for a in org] == ["csmscheck"]
        assert _eku(cert) == [ExtendedKeyUsageOID.CLIENT_AUTH]
        _verify_client(ca, cert)
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert _spki(cert) == key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def test_invalid_client_does_not_verify(pki: Pki) -> None:
    ca = _cert(pki.ca_cert)
    cert = _cert(pki.invalid_client_cert)
    assert _cn(cert) == STATIONS[0]
    with pytest.raises((InvalidSignature, ValueError)):
        cert.verify_directly_issued_by(ca)
    with pytest.raises(verification.VerificationError):
        _verify_client(ca, cert)


# --------------------------------------------------------------------------
# sign_csr


def _csr(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, cn: str) -> bytes:
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("station.example")]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM)


@pytest.mark.parametrize("usage", ["client", "server"])
def test_sign_csr(pki: Pki, usage: Usage) -> None:
    csr_pem = _csr(ec.generate_private_key(ec.SECP256R1()), "CS-NEW")
    pem = sign_csr(csr_pem, pki.ca_cert, pki.ca_key, days=30, usage=usage)
    cert = x509.load_pem_x509_certificate(pem)
    ca = _cert(pki.ca_cert)
    assert _spki(cert) == _spki(x509.load_pem_x509_csr(csr_pem))
    assert cert.issuer == ca.subject
    assert _cn(cert) == "CS-NEW"
    cert.verify_directly_issued_by(ca)
    expected = (
        ExtendedKeyUsageOID.CLIENT_AUTH
        if usage == "client"
        else ExtendedKeyUsageOID.SERVER_AUTH
    )
    assert _eku(cert) == [expected]
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["station.example"]
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days in (30, 31)


def test_sign_csr_rejects_garbage(pki: Pki) -> None:
    with pytest.raises(ValueError, match="CSR"):
        sign_csr(b"not a csr", pki.ca_cert, pki.ca_key)
    with pytest.raises(ValueError, match="CSR"):
        sign_csr(pki.ca_cert.read_bytes(), pki.ca_cert, pki.ca_key)
    with pytest.raises(ValueError, match="days"):
        sign_csr(
            _csr(ec.generate_private_key(ec.SECP256R1()), "x"),
            pki.ca_cert,
            pki.ca_key,
            days=0,
        )


def test_sign_csr_rejects_bad_signature(pki: Pki) -> None:
    csr_pem = _csr(ec.generate_private_key(ec.SECP256R1()), "CS-EVIL")
    der = bytearray(
        x509.load_pem_x509_csr(csr_pem).public_bytes(serialization.Encoding.DER)
    )
    der[-1] ^= 0x01  # last byte of the ECDSA signature's s value
    tampered = x509.load_der_x509_csr(bytes(der)).public_bytes(
        serialization.Encoding.PEM
    )
    with pytest.raises(ValueError, match="signature"):
        sign_csr(tampered, pki.ca_cert, pki.ca_key)


def test_sign_csr_rejects_mismatched_ca_key(pki: Pki) -> None:
    csr_pem = _csr(ec.generate_private_key(ec.SECP256R1()), "CS-1")
    with pytest.raises(ValueError, match="does not match"):
        sign_csr(csr_pem, pki.ca_cert, pki.server_ecdsa_key)


# --------------------------------------------------------------------------
# TLS handshakes on 127.0.0.1


@dataclass
class _Outcome:
    server_cn: str | None = None
    server_error: BaseException | None = None
    client_data: bytes = b""
    client_error: BaseException | None = None
    server_cert: x509.Certificate | None = None

    @property
    def ok(self) -> bool:
        return (
            self.server_error is None
            and self.client_error is None
            and bool(self.client_data)
        )


def _serve_once(
    listener: socket.socket, context: ssl.SSLContext, outcome: _Outcome
) -> None:
    conn, _ = listener.accept()
    conn.settimeout(TIMEOUT)
    try:
        with context.wrap_socket(conn, server_side=True) as tls:
            outcome.server_cn = peer_common_name(tls)
            tls.sendall(f"hello {outcome.server_cn}".encode())
    except (ssl.SSLError, OSError) as exc:
        outcome.server_error = exc
    finally:
        conn.close()


def _connect(
    port: int, context: ssl.SSLContext, hostname: str, outcome: _Outcome
) -> None:
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock,
            context.wrap_socket(sock, server_hostname=hostname) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
            assert der is not None
            outcome.server_cert = x509.load_der_x509_certificate(der)
            # With TLS 1.3 a rejected client certificate only shows up here.
            outcome.client_data = tls.recv(256)
    except (ssl.SSLError, OSError) as exc:
        outcome.client_error = exc


def _handshake(
    server_context: ssl.SSLContext,
    client_context: ssl.SSLContext,
    hostname: str = "localhost",
) -> _Outcome:
    outcome = _Outcome()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(TIMEOUT)
        port = listener.getsockname()[1]
        with ThreadPoolExecutor(max_workers=1) as pool:
            served = pool.submit(_serve_once, listener, server_context, outcome)
            _connect(port, client_context, hostname, outcome)
            served.result(timeout=TIMEOUT)
    return outcome


def test_mtls_with_valid_client_cert(pki: Pki) -> None:
    cert, key = pki.clients["CS-001"]
    outcome = _handshake(
        server_ssl_context(pki, require_client_cert=True),
        client_ssl_context(pki.ca_cert, cert, key),
    )
    assert outcome.ok, outcome
    assert outcome.server_cn == "CS-001"
    assert outcome.client_data == b"hello CS-001"


def test_mtls_over_ip_address_san(pki: Pki) -> None:
    cert, key = pki.clients["CS/002"]
    outcome = _handshake(
        server_ssl_context(pki, require_client_cert=True),
        client_ssl_context(pki.ca_cert, cert, key),
        hostname="127.0.0.1",
    )
    assert outcome.ok, outcome
    assert outcome.server_cn == "CS/002"


def test_mtls_rejects_client_cert_from_other_ca(pki: Pki) -> None:
    outcome = _handshake(
        server_ssl_context(pki, require_client_cert=True),
        client_ssl_context(
            pki.ca_cert, pki.invalid_client_cert, pki.invalid_client_key
        ),
    )
    assert not outcome.ok
    assert isinstance(outcome.server_error, ssl.SSLCertVerificationError), outcome
    assert outcome.server_cn is None
    assert outcome.client_data == b""


def test_mtls_rejects_missing_client_cert(pki: Pki) -> None:
    outcome = _handshake(
        server_ssl_context(pki, require_client_cert=True),
        client_ssl_context(pki.ca_cert),
    )
    assert not outcome.ok
    assert isinstance(outcome.server_error, ssl.SSLError), outcome
    assert outcome.client_data == b""


def test_server_only_tls_has_no_peer_common_name(pki: Pki) -> None:
    outcome = _handshake(
        server_ssl_context(pki, require_client_cert=False),
        client_ssl_context(pki.ca_cert),
    )
    assert outcome.ok, outcome
    assert outcome.server_cn is None


def test_client_rejects_wrong_hostname(pki: Pki) -> None:
    outcome = _handshake(
        server_ssl_context(pki, require_client_cert=False),
        client_ssl_context(pki.ca_cert),
        hostname="csms.invalid",
    )
    assert isinstance(outcome.client_error, ssl.SSLCertVerificationError), outcome


@pytest.mark.parametrize(
    ("cipher", "key_type"),
    [
        ("ECDHE-ECDSA-AES128-GCM-SHA256", ec.EllipticCurvePublicKey),
        ("ECDHE-RSA-AES128-GCM-SHA256", rsa.RSAPublicKey),
    ],
)
def test_server_picks_certificate_by_key_type(
    pki: Pki, cipher: str, key_type: type
) -> None:
    client = client_ssl_context(pki.ca_cert, *pki.clients["CS-001"])
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    client.set_ciphers(cipher)
    outcome = _handshake(server_ssl_context(pki, require_client_cert=True), client)
    assert outcome.ok, outcome
    assert outcome.server_cert is not None
    assert isinstance(outcome.server_cert.public_key(), key_type)


def test_client_context_rejects_key_without_cert(pki: Pki) -> None:
    with pytest.raises(ValueError, match="without a client certificate"):
        client_ssl_context(pki.ca_cert, key=pki.clients["CS-001"][1])
