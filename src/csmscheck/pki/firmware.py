"""Signed firmware (OCPP 1.6 security extension): a signing certificate, signatures, their check."""

from __future__ import annotations

import base64
import binascii
import datetime
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from csmscheck.pki.ca import PrivateKey
from csmscheck.pki.certificates import load_pem_chain, pem_text

__all__ = ["FirmwareSigner", "firmware_signature_valid", "new_firmware_signer"]


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


def new_firmware_signer(common_name: str = "csmscheck firmware signing") -> FirmwareSigner:
    """A fresh self-signed code-signing certificate with an ECDSA P-256 key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return FirmwareSigner(pem_text(certificate), key)


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
