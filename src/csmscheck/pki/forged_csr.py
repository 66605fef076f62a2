"""Certificate signing requests a CSMS must refuse: signed with a key they do not carry, or with a weak key.

A charge point that asks for a certificate proves it holds the key of its CSR by signing
the request with it (PKCS #10). These CSRs are what a broken or hostile charge point sends,
for the suite to check that the CSMS's CA never signs them.
"""

from __future__ import annotations

import base64
import textwrap

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from csmscheck.pki.csr import build_csr, new_station_key

__all__ = ["csr_signed_with_another_key", "weak_key_csr"]


def _der_item(der: bytes, at: int) -> tuple[int, int]:
    """The start of the contents and the end of the DER item at ``at`` (definite lengths only)."""
    length = der[at + 1]
    start = at + 2
    if length & 0x80:
        size = length & 0x7F
        length = int.from_bytes(der[start:start + size], "big")
        start += size
    return start, start + length


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def _der(pem: str) -> bytes:
    return x509.load_pem_x509_csr(pem.encode()).public_bytes(serialization.Encoding.DER)


def _pem(der: bytes) -> str:
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    return f"-----BEGIN CERTIFICATE REQUEST-----\n{body}\n-----END CERTIFICATE REQUEST-----\n"


def csr_signed_with_another_key(common_name: str) -> str:
    """A well-formed PEM CSR for ``common_name`` whose signature was made with another key than the one it carries.

    The request info (subject and public key) of one CSR is joined with the signature of a second
    CSR for the same subject and algorithm but another key pair.
    """
    carried, signing = _der(build_csr(common_name, new_station_key())), _der(build_csr(common_name, new_station_key()))
    body_start, _ = _der_item(carried, 0)
    _, info_end = _der_item(carried, body_start)
    info = carried[body_start:info_end]
    other_start, _ = _der_item(signing, 0)
    _, other_info_end = _der_item(signing, other_start)
    rest = signing[other_info_end:]  # signature algorithm and signature of the other key
    contents = info + rest
    return _pem(b"\x30" + _der_length(len(contents)) + contents)


def weak_key_csr(common_name: str, bits: int = 1024) -> str:
    """A valid PEM CSR for ``common_name`` holding an RSA key of ``bits`` bits (too weak for OCPP below 2048)."""
    return build_csr(common_name, rsa.generate_private_key(public_exponent=65537, key_size=bits))
