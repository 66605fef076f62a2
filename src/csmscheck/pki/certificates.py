"""Certificates as OCPP talks about them: PEM text, root certificates, certificateHashData."""

from __future__ import annotations

from typing import Literal, TypeAlias

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from csmscheck.pki.ca import PrivateKey, _new_ca

__all__ = [
    "HashAlgorithm",
    "certificate_hash_data",
    "load_pem_chain",
    "new_root_certificate",
    "pem_text",
    "same_certificate",
]

HashAlgorithm: TypeAlias = Literal["SHA256", "SHA384", "SHA512"]
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA512": hashes.SHA512,
}


def new_root_certificate(common_name: str) -> tuple[x509.Certificate, PrivateKey]:
    """A fresh self-signed root CA (ECDSA P-256), e.g. a manufacturer's or a second CSMS root."""
    issuer = _new_ca(common_name)
    return issuer.cert, issuer.key


def pem_text(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def load_pem_chain(text: str) -> list[x509.Certificate]:
    """Every certificate of a PEM bundle, in order; ValueError when there is none or one is broken."""
    try:
        chain = x509.load_pem_x509_certificates(text.encode())
    except ValueError:
        raise ValueError("not a PEM encoded X.509 certificate (chain)") from None
    if not chain:
        raise ValueError("no PEM encoded X.509 certificate found")
    return chain


def same_certificate(pem: str, certificate: x509.Certificate) -> bool:
    """Whether ``pem`` holds exactly ``certificate`` (compared as DER, so PEM line breaks do not matter)."""
    try:
        chain = load_pem_chain(pem)
    except ValueError:
        return False
    der = certificate.public_bytes(serialization.Encoding.DER)
    return len(chain) == 1 and chain[0].public_bytes(serialization.Encoding.DER) == der


def certificate_hash_data(certificate: x509.Certificate, issuer: x509.Certificate | None = None,
                          algorithm: HashAlgorithm = "SHA256") -> dict[str, str]:
    """OCPP certificateHashData: the RFC 6960 CertID fields in lower-case hex.

    ``issuer`` defaults to the certificate itself (a root). The serial number is hex
    without a prefix or leading zeroes, as OCPP asks.
    """
    if algorithm not in _HASHES:
        raise ValueError(f"hashAlgorithm must be one of {', '.join(_HASHES)}, got {algorithm!r}")
    request = ocsp.OCSPRequestBuilder().add_certificate(
        certificate, issuer or certificate, _HASHES[algorithm]()).build()
    return {
        "hashAlgorithm": algorithm,
        "issuerNameHash": request.issuer_name_hash.hex(),
        "issuerKeyHash": request.issuer_key_hash.hex(),
        "serialNumber": format(request.serial_number, "x"),
    }
