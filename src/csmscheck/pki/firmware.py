"""Signed firmware (OCPP 1.6 security extension, 2.0.1 L01): a signing certificate, signatures, their check."""

from __future__ import annotations

import base64
import binascii
import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from csmscheck.pki.ca import PrivateKey
from csmscheck.pki.certificates import load_pem_chain, pem_text

__all__ = ["FirmwareSigner", "firmware_signature_valid", "firmware_signer_in", "new_firmware_signer"]


@dataclass(frozen=True)
class FirmwareSigner:
    """A manufacturer's firmware signing key and its certificate (PEM)."""

    certificate_pem: str
    key: PrivateKey

    def sign(self, image: bytes) -> str:
        """The base64 signature of ``image`` (ECDSA or RSA PKCS#1 v1.5, SHA-256)."""
        if isinstance(self.key, rsa.RSAPrivateKey):
            raw = self.key.sign(image, padding.PKCS1v15(), hashes.SHA256())
        else:
            raw = self.key.sign(image, ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(raw).decode()


def new_firmware_signer(common_name: str = "csmscheck firmware signing",
                        issuer: tuple[x509.Certificate, PrivateKey] | None = None) -> FirmwareSigner:
    """A fresh code-signing certificate with an ECDSA P-256 key: self-signed, or issued by ``issuer``
    (a CA certificate and its key, e.g. the run's root, which a station may hold as its manufacturer root)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    issuer_name, signing_key = (issuer[0].subject, issuer[1]) if issuer else (name, key)
    now = datetime.datetime.now(datetime.UTC)
    not_after = now + datetime.timedelta(days=365)
    if issuer is not None:
        not_after = min(not_after, issuer[0].not_valid_after_utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(issuer_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(not_after)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .sign(signing_key, hashes.SHA256())
    )
    return FirmwareSigner(pem_text(certificate), key)


def firmware_signer_in(directory: Path) -> FirmwareSigner:
    """The firmware signer kept in a PKI directory (``firmware-signing.pem``/``.key``), issued by its root CA
    (``ca.pem``/``ca.key``) on first use, so a long-running CSMS keeps signing with the same certificate."""
    cert_path, key_path = directory / "firmware-signing.pem", directory / "firmware-signing.key"
    if cert_path.is_file() and key_path.is_file():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise ValueError(f"{key_path}: not an EC or RSA private key")
        return FirmwareSigner(cert_path.read_text(), key)
    root = load_pem_chain((directory / "ca.pem").read_text())[0]
    root_key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), password=None)
    if not isinstance(root_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError(f"{directory / 'ca.key'}: not an EC or RSA private key")
    signer = new_firmware_signer("csmscheck firmware signing", (root, root_key))
    key_bytes = signer.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key_bytes)
    cert_path.write_text(signer.certificate_pem)
    return signer


def firmware_signature_valid(certificate_pem: str, image: bytes, signature: str) -> bool:
    """Whether ``signature`` (base64) over ``image`` verifies with the signing certificate's key."""
    try:
        public_key = load_pem_chain(certificate_pem)[0].public_key()
        raw = base64.b64decode(signature, validate=True)
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(raw, image, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(raw, image, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except (ValueError, binascii.Error, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True
