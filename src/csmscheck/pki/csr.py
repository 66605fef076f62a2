"""Charge point certificates from a CSR: the station builds the request, the CSMS checks it,
the station checks what the CSMS's CA issued for it."""

from __future__ import annotations

import datetime
import itertools
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from csmscheck.pki.ca import PrivateKey
from csmscheck.pki.certificates import load_pem_chain

__all__ = [
    "build_csr",
    "check_csr",
    "issued_certificate_problems",
    "new_station_key",
    "private_key_pem",
    "weak_key_reason",
]

MIN_RSA_BITS = 2048
MIN_EC_BITS = 224
MAX_COMMON_NAME = 64  # X.520 ub-common-name


def new_station_key() -> PrivateKey:
    """The key pair a charge point generates before asking for a certificate (ECDSA P-256)."""
    return ec.generate_private_key(ec.SECP256R1())


def private_key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def build_csr(common_name: str, key: PrivateKey, organization: str | None = None, *, country: str | None = None,
              organizational_unit: str | None = None) -> str:
    """A PEM CSR for ``common_name`` (the charge point identity), signed with ``key``."""
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organizational_unit:
        attributes.insert(0, x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, organizational_unit))
    if organization:
        attributes.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    if country:
        attributes.insert(0, x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attributes)).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def weak_key_reason(public_key: CertificatePublicKeyTypes) -> str | None:
    """Why a key is too weak for OCPP (RSA under 2048 bits, EC under 224 bits, other types), or None."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return None if public_key.key_size >= MIN_RSA_BITS else f"RSA key of {public_key.key_size} bits"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        size = public_key.curve.key_size
        return None if size >= MIN_EC_BITS else f"EC key of {size} bits"
    return f"unsupported key type {type(public_key).__name__}"


def _common_names(name: x509.Name) -> list[str]:
    return [str(a.value) for a in name.get_attributes_for_oid(NameOID.COMMON_NAME)]


def check_csr(csr_pem: str, common_name: str | None, *,
              organization: str | None = None) -> x509.CertificateSigningRequest:
    """The parsed CSR if a CSMS may sign it for station ``common_name``; ValueError says why not.

    It must be PEM, carry a valid self-signature (proof of possession), name exactly the
    station as its CN (``None``: exactly one CN, of any value up to 64 characters), name
    ``organization`` as its O when one is given, and hold a key of OCPP strength.
    """
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
    except ValueError as exc:
        raise ValueError(f"not a PEM certificate signing request: {exc}") from None
    try:
        signed = csr.is_signature_valid
    except UnsupportedAlgorithm as exc:
        raise ValueError(f"CSR signature algorithm not supported: {exc}") from None
    if not signed:
        raise ValueError("CSR signature is invalid")
    names = _common_names(csr.subject)
    if common_name is None and (len(names) != 1 or not 0 < len(names[0]) <= MAX_COMMON_NAME):
        raise ValueError(f"CSR must name one common name of 1 to {MAX_COMMON_NAME} characters, got {names}")
    if common_name is not None and names != [common_name]:
        raise ValueError(f"CSR common name {names} is not the charge point identity {common_name!r}")
    organizations = [str(a.value) for a in csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    if organization is not None and organizations != [organization]:
        raise ValueError(f"CSR organization {organizations} is not the operator's {organization!r}")
    weak = weak_key_reason(csr.public_key())
    if weak:
        raise ValueError(f"CSR key too weak: {weak}")
    return csr


def _spki(public_key: CertificatePublicKeyTypes) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def issued_certificate_problems(chain_pem: str, public_key: CertificatePublicKeyTypes, common_name: str,
                                ca_cert: Path) -> list[str]:
    """What is wrong with a certificate chain issued for a CSR; empty when nothing is.

    The leaf must carry the CSR's public key and the station's CN, be valid now, allow
    client authentication, and chain (leaf first) to the CA certificate ``ca_cert``.
    """
    try:
        chain = load_pem_chain(chain_pem)
    except ValueError as exc:
        return [str(exc)]
    ca = x509.load_pem_x509_certificate(ca_cert.read_bytes())
    leaf = chain[0]
    problems: list[str] = []
    if _spki(leaf.public_key()) != _spki(public_key):
        problems.append("the certificate does not carry the public key of the CSR")
    if _common_names(leaf.subject) != [common_name]:
        problems.append(f"the certificate's common name is {_common_names(leaf.subject)}, not {common_name!r}")
    now = datetime.datetime.now(datetime.UTC)
    if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
        problems.append(f"the certificate is not valid now ({leaf.not_valid_before_utc:%Y-%m-%d %H:%M} to "
                        f"{leaf.not_valid_after_utc:%Y-%m-%d %H:%M} UTC)")
    try:
        usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if ExtendedKeyUsageOID.CLIENT_AUTH not in usages:
            problems.append("the certificate's extended key usage does not allow TLS client authentication")
    except x509.ExtensionNotFound:
        pass
    for child, parent in itertools.pairwise(chain):
        if not _issued_by(child, parent):
            problems.append(f"chain broken: {child.subject.rfc4514_string()} is not signed by "
                            f"{parent.subject.rfc4514_string()}")
    top = chain[-1]
    if top != ca and not _issued_by(top, ca):
        problems.append(f"the certificate chain does not lead to the CA {ca.subject.rfc4514_string()} "
                        f"(top issuer {top.issuer.rfc4514_string()}, signature does not verify with the CA key)")
    return problems
