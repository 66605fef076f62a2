"""Throw-away certificate authority for OCPP security profiles 2 and 3.

Everything is generated at run time: a root CA, two server certificates
(RSA 2048 and ECDSA P-256), one client certificate per station, a
deliberately untrusted client certificate for negative tests and the
ISO 15118 (V2G) root and CPO sub-CA (``pki.v2g``).
"""

from __future__ import annotations

import datetime
import errno
import ipaddress
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeAlias
from urllib.parse import quote

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "DEFAULT_HOSTNAMES",
    "ORGANIZATION",
    "Pki",
    "Usage",
    "generate_pki",
    "sign_csr",
]

PrivateKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
Usage: TypeAlias = Literal["client", "server"]
_KeyKind: TypeAlias = Literal["rsa", "ecdsa"]

DEFAULT_HOSTNAMES: tuple[str, ...] = ("localhost", "127.0.0.1")
ORGANIZATION = "csmscheck"
CA_COMMON_NAME = "csmscheck test root CA"
CA_DAYS = 3650
LEAF_DAYS = 730
_BACKDATE = datetime.timedelta(hours=1)
_EKU: dict[Usage, x509.ObjectIdentifier] = {
    "client": ExtendedKeyUsageOID.CLIENT_AUTH,
    "server": ExtendedKeyUsageOID.SERVER_AUTH,
}


@dataclass(frozen=True)
class Pki:
    """Paths of a generated PKI; ``clients`` maps station id to (cert, key)."""

    directory: Path
    ca_cert: Path
    ca_key: Path
    server_rsa_cert: Path
    server_rsa_key: Path
    server_ecdsa_cert: Path
    server_ecdsa_key: Path
    clients: dict[str, tuple[Path, Path]] = field(hash=False)
    invalid_client_cert: Path
    invalid_client_key: Path

    @classmethod
    def load(cls, directory: Path, client_ids: Sequence[str]) -> Pki:
        """Describe a PKI previously written by :func:`generate_pki`.

        Raises ``FileNotFoundError`` naming the first file that is missing.
        """
        pki = _layout(Path(directory), _unique(client_ids, "client id"))
        for path in pki.files():
            if not path.is_file():
                raise FileNotFoundError(
                    errno.ENOENT,
                    f"PKI file missing (run generate_pki first): {path}",
                    str(path),
                )
        return pki

    def files(self) -> Iterator[Path]:
        """Yield every certificate and key path of this PKI."""
        yield from (self.ca_cert, self.ca_key)
        yield from (self.server_rsa_cert, self.server_rsa_key)
        yield from (self.server_ecdsa_cert, self.server_ecdsa_key)
        for cert, key in self.clients.values():
            yield from (cert, key)
        yield from (self.invalid_client_cert, self.invalid_client_key)

    def key_files(self) -> Iterator[Path]:
        """Yield the private key paths only."""
        return (path for path in self.files() if path.suffix == ".key")


@dataclass(frozen=True)
class _Issuer:
    cert: x509.Certificate
    key: PrivateKey


def generate_pki(
    directory: Path,
    client_ids: Sequence[str],
    hostnames: Sequence[str] = DEFAULT_HOSTNAMES,
) -> Pki:
    """Create a fresh CA, server and client certificates in ``directory``.

    The invalid client certificate carries the first station id and an
    issuer name identical to the real CA, but it is signed by another key
    whose certificate is never written, so only a signature check catches it.
    """
    ids = _unique(client_ids, "client id")
    names = _unique(hostnames, "hostname")
    pki = _layout(Path(directory), ids)
    pki.directory.mkdir(parents=True, exist_ok=True)

    ca = _new_ca(CA_COMMON_NAME)
    _save(pki.ca_cert, pki.ca_key, ca.cert, ca.key)
    _issue_server(ca, "rsa", names, pki.server_rsa_cert, pki.server_rsa_key)
    _issue_server(ca, "ecdsa", names, pki.server_ecdsa_cert, pki.server_ecdsa_key)
    for station_id, (cert_path, key_path) in pki.clients.items():
        _issue_client(ca, station_id, cert_path, key_path)

    rogue = _new_ca(CA_COMMON_NAME)
    _issue_client(rogue, ids[0], pki.invalid_client_cert, pki.invalid_client_key)
    from csmscheck.pki.v2g import generate_v2g_chain  # imports this module

    generate_v2g_chain(pki.directory)  # the ISO 15118 chain the CSMS signs V2G certificates with
    return pki


def sign_csr(
    csr_pem: bytes,
    ca_cert_path: Path,
    ca_key_path: Path,
    *,
    days: int = 365,
    usage: Usage = "client",
) -> bytes:
    """Issue a PEM certificate for a PEM CSR, signed by the given CA.

    Subject, public key and any subjectAltName come from the CSR. Raises
    ``ValueError`` if the CSR cannot be parsed or its signature is invalid.
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    if usage not in _EKU:
        raise ValueError(f"usage must be 'client' or 'server', got {usage!r}")
    csr = _parse_csr(csr_pem)
    issuer = _load_issuer(Path(ca_cert_path), Path(ca_key_path))
    sans = _csr_sans(csr)
    cert = _issue(
        issuer,
        subject=csr.subject,
        public_key=csr.public_key(),
        extensions=_leaf_extensions(csr.public_key(), usage, sans),
        days=days,
    )
    return cert.public_bytes(serialization.Encoding.PEM)


# --------------------------------------------------------------------------
# layout and validation


def _layout(directory: Path, client_ids: Sequence[str]) -> Pki:
    return Pki(
        directory=directory,
        ca_cert=directory / "ca.pem",
        ca_key=directory / "ca.key",
        server_rsa_cert=directory / "server-rsa.pem",
        server_rsa_key=directory / "server-rsa.key",
        server_ecdsa_cert=directory / "server-ecdsa.pem",
        server_ecdsa_key=directory / "server-ecdsa.key",
        clients={
            cid: (
                directory / f"client-{_stem(cid)}.pem",
                directory / f"client-{_stem(cid)}.key",
            )
            for cid in client_ids
        },
        invalid_client_cert=directory / "invalid-client.pem",
        invalid_client_key=directory / "invalid-client.key",
    )


def _stem(station_id: str) -> str:
    """File-name-safe, reversible encoding of a station id."""
    return quote(station_id, safe="-_.~")


def _unique(values: Iterable[str], what: str) -> list[str]:
    """Deduplicate keeping order; reject an empty list or empty entries."""
    if isinstance(values, str):
        raise TypeError(f"expected a sequence of {what}s, got a single string")
    result = list(dict.fromkeys(values))
    if not result:
        raise ValueError(f"at least one {what} is required")
    if any(not value for value in result):
        raise ValueError(f"empty {what} is not allowed")
    return result


# --------------------------------------------------------------------------
# issuing


def _new_key(kind: _KeyKind) -> PrivateKey:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _new_ca(common_name: str) -> _Issuer:
    """Self-signed ECDSA P-256 root CA."""
    key = _new_key("ecdsa")
    name = _name(common_name)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return _Issuer(cert=cert, key=key)


def _issue_server(
    ca: _Issuer,
    kind: _KeyKind,
    hostnames: Sequence[str],
    cert_path: Path,
    key_path: Path,
) -> None:
    key = _new_key(kind)
    extensions = _leaf_extensions(key.public_key(), "server", _san(hostnames))
    cert = _issue(ca, _name(hostnames[0]), key.public_key(), extensions, LEAF_DAYS)
    _save(cert_path, key_path, cert, key)


def _issue_client(
    ca: _Issuer, station_id: str, cert_path: Path, key_path: Path
) -> None:
    key = _new_key("ecdsa")
    extensions = _leaf_extensions(key.public_key(), "client", None)
    cert = _issue(ca, _name(station_id), key.public_key(), extensions, LEAF_DAYS)
    _save(cert_path, key_path, cert, key)


def _issue(
    issuer: _Issuer,
    subject: x509.Name,
    public_key: CertificatePublicKeyTypes,
    extensions: Sequence[tuple[x509.ExtensionType, bool]],
    days: int,
) -> x509.Certificate:
    """Sign an end-entity certificate; validity never outlives the issuer."""
    now = _now()
    not_after = min(
        now + datetime.timedelta(days=days), issuer.cert.not_valid_after_utc
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(not_after)
        .add_extension(_authority_key_id(issuer), critical=False)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer.key, hashes.SHA256())


def _leaf_extensions(
    public_key: CertificatePublicKeyTypes,
    usage: Usage,
    sans: x509.SubjectAlternativeName | None,
) -> list[tuple[x509.ExtensionType, bool]]:
    is_rsa = isinstance(public_key, rsa.RSAPublicKey)
    extensions: list[tuple[x509.ExtensionType, bool]] = [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (_key_usage(key_encipherment=is_rsa), True),
        (x509.ExtendedKeyUsage([_EKU[usage]]), False),
        (x509.SubjectKeyIdentifier.from_public_key(public_key), False),
    ]
    if sans is not None:
        extensions.append((sans, False))
    return extensions


def _key_usage(
    *, cert_sign: bool = False, key_encipherment: bool = False
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _authority_key_id(issuer: _Issuer) -> x509.AuthorityKeyIdentifier:
    try:
        ski = issuer.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer.key.public_key()
        )
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski.value)


def _san(hostnames: Sequence[str]) -> x509.SubjectAlternativeName:
    """DNS names and IP addresses (IP literals become IPAddress entries)."""
    entries: list[x509.GeneralName] = []
    for host in hostnames:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            entries.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(entries)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


# --------------------------------------------------------------------------
# CSR and CA loading


def _parse_csr(csr_pem: bytes) -> x509.CertificateSigningRequest:
    try:
        csr = x509.load_pem_x509_csr(csr_pem)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"not a valid PEM certificate signing request (CSR): {exc}"
        ) from exc
    try:
        valid = csr.is_signature_valid
    except UnsupportedAlgorithm as exc:
        raise ValueError(f"CSR uses an unsupported signature algorithm: {exc}") from exc
    if not valid:
        raise ValueError("CSR signature is invalid (proof of possession failed)")
    return csr


def _csr_sans(
    csr: x509.CertificateSigningRequest,
) -> x509.SubjectAlternativeName | None:
    try:
        return csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None


def _load_issuer(cert_path: Path, key_path: Path) -> _Issuer:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise TypeError(f"unsupported CA key type in {key_path}: {type(key).__name__}")
    if _spki(key.public_key()) != _spki(cert.public_key()):
        raise ValueError(f"CA key {key_path} does not match CA certificate {cert_path}")
    return _Issuer(cert=cert, key=key)


def _spki(public_key: CertificatePublicKeyTypes) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# --------------------------------------------------------------------------
# files


def _save(
    cert_path: Path, key_path: Path, cert: x509.Certificate, key: PrivateKey
) -> None:
    _write_private(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a file readable by the owner only (mode 0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # the file may have existed with a wider mode
        handle.write(data)
