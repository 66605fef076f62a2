"""ISO 15118 contract certificates for the authorization tests (TC_C_50-52).

A contract certificate names an eMAID as its common name and is signed by the test CA.
It may carry an Authority Information Access extension naming an OCSP responder, the
way a CSMS finds where to check it when the station sends the full certificate.
``hash_data`` computes what a station sends instead: the ``iso15118CertificateHashData``
entry of an AuthorizeRequest (RFC 6960 CertID fields, hexadecimal, plus the responder).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from csmscheck.pki.certificates import new_root_certificate

PrivateKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384,
                                                  "SHA512": hashes.SHA512}


@dataclass(frozen=True)
class CertificateAuthority:
    """A CA certificate with its private key (the test CA of ``csmscheck certs``)."""

    cert: x509.Certificate
    key: PrivateKey


@dataclass(frozen=True)
class ContractCertificate:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    issuer: x509.Certificate

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()


def load_ca(directory: Path) -> CertificateAuthority:
    """The CA in ``directory`` (``ca.pem`` and ``ca.key``, as ``csmscheck certs`` writes them)."""
    cert = x509.load_pem_x509_certificate((directory / "ca.pem").read_bytes())
    key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError(f"unsupported CA key type in {directory / 'ca.key'}: {type(key).__name__}")
    return CertificateAuthority(cert, key)


def issue_contract_certificate(ca: CertificateAuthority, emaid: str, ocsp_url: str | None = None,
                               days: int = 30, *, expired: bool = False) -> ContractCertificate:
    """A contract certificate for ``emaid`` signed by ``ca``; with ``ocsp_url`` in its AIA extension.

    ``expired``: its validity ended yesterday (it began ``days`` before that).
    """
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    if expired:
        now -= datetime.timedelta(days=days + 1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, emaid),
                                 x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "MO")]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(min(now + datetime.timedelta(days=days), ca.cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=True, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
    )
    builder = _with_ocsp_url(builder, ocsp_url)
    return ContractCertificate(builder.sign(ca.key, hashes.SHA256()), key, ca.cert)


def hash_data(cert: x509.Certificate, issuer: x509.Certificate, responder_url: str,
              algorithm: str = "SHA256") -> dict[str, str]:
    """The OCPP ``OCSPRequestDataType`` for ``cert``: hashes and serial number in hexadecimal."""
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, _HASHES[algorithm]()).build()
    return {
        "hashAlgorithm": algorithm,
        "issuerNameHash": request.issuer_name_hash.hex(),
        "issuerKeyHash": request.issuer_key_hash.hex(),
        "serialNumber": format(request.serial_number, "x"),
        "responderURL": responder_url,
    }


def impostor_ca(ca: CertificateAuthority) -> CertificateAuthority:
    """A new root CA with the same name as ``ca`` but a key of its own: what it signs ``ca`` never did."""
    names = ca.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    cert, key = new_root_certificate(str(names[0].value) if names else "csmscheck impostor CA")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise TypeError(f"unexpected root key type {type(key).__name__}")
    return CertificateAuthority(cert, key)


def issue_sub_ca(ca: CertificateAuthority, name: str, ocsp_url: str | None = None) -> CertificateAuthority:
    """An intermediate CA (a mobility operator's sub-CA) that ``ca`` signs; with ``ocsp_url`` (the responder
    of ``ca``) in its AIA extension."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                                 x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "MO")]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(min(now + datetime.timedelta(days=30), ca.cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
    )
    builder = _with_ocsp_url(builder, ocsp_url)
    return CertificateAuthority(builder.sign(ca.key, hashes.SHA256()), key)


def _with_ocsp_url(builder: x509.CertificateBuilder, ocsp_url: str | None) -> x509.CertificateBuilder:
    """Name the OCSP responder in the certificate's Authority Information Access, when there is one."""
    if ocsp_url is None:
        return builder
    return builder.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
        AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url))]), critical=False)
