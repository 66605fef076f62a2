"""The ISO 15118 (V2G) certificate chain of a run: a V2G root CA and a CPO sub-CA it signs.

An ISO 15118 station holds an SECC certificate that chains to a V2G root (ISO 15118-2
annex F: V2G root → CPO sub-CA(s) → SECC leaf). The CSMS signs the station's V2G and
combined certificates with the CPO sub-CA (OCPP 2.0.1 A02/A03, certificateType
V2GCertificate); the suite checks what it signed against the same chain. Everything is
generated at run time beside the OCPP CA (``v2g-root.*``, ``v2g-subca.*``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from csmscheck.pki.ca import ORGANIZATION, _save
from csmscheck.pki.certificates import load_pem_chain, pem_text
from csmscheck.pki.contract import CertificateAuthority
from csmscheck.pki.csr import new_station_key

__all__ = ["V2G_FILES", "V2gChain", "generate_v2g_chain", "load_v2g_chain", "sign_v2g_csr"]

ROOT_NAME = "csmscheck V2G root CA"
SUB_CA_NAME = "csmscheck CPO sub-CA"
ROOT_DAYS = 3650
SUB_CA_DAYS = 1825
LEAF_DAYS = 365
V2G_FILES = ("v2g-root.pem", "v2g-root.key", "v2g-subca.pem", "v2g-subca.key")
_BACKDATE = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class V2gChain:
    """The V2G root and the CPO sub-CA that signs SECC certificates."""

    root: CertificateAuthority
    sub_ca: CertificateAuthority

    def issued_chain(self, leaf: x509.Certificate) -> str:
        """A leaf with the sub-CA after it: the PEM chain a CertificateSignedRequest carries (leaf first)."""
        return pem_text(leaf) + pem_text(self.sub_ca.cert)


def _name(common_name: str, domain: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
                      x509.NameAttribute(NameOID.DOMAIN_COMPONENT, domain)])


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                         encipher_only=False, decipher_only=False)


def _ca(name: x509.Name, issuer: CertificateAuthority | None, days: int,
        path_length: int | None) -> CertificateAuthority:
    key = new_station_key()
    now = datetime.datetime.now(datetime.UTC)
    signer_key = issuer.key if issuer else key
    not_after = now + datetime.timedelta(days=days)
    if issuer is not None:
        not_after = min(not_after, issuer.cert.not_valid_after_utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.cert.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_ca_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), critical=False)
        .sign(signer_key, hashes.SHA256())
    )
    return CertificateAuthority(cert, key)


def generate_v2g_chain(directory: Path) -> V2gChain:
    """A fresh V2G root and CPO sub-CA, written to ``directory`` (keys mode 0600)."""
    root = _ca(_name(ROOT_NAME, "V2G"), None, ROOT_DAYS, None)
    sub_ca = _ca(_name(SUB_CA_NAME, "CPO"), root, SUB_CA_DAYS, 0)
    _save(directory / "v2g-root.pem", directory / "v2g-root.key", root.cert, root.key)
    _save(directory / "v2g-subca.pem", directory / "v2g-subca.key", sub_ca.cert, sub_ca.key)
    return V2gChain(root, sub_ca)


def load_v2g_chain(directory: Path) -> V2gChain:
    """The chain in ``directory``; FileNotFoundError when it has none (a PKI from before V2G chains)."""
    return V2gChain(_load(directory, "v2g-root"), _load(directory, "v2g-subca"))


def _load(directory: Path, stem: str) -> CertificateAuthority:
    cert = load_pem_chain((directory / f"{stem}.pem").read_text())[0]
    key = serialization.load_pem_private_key((directory / f"{stem}.key").read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError(f"unsupported key type in {directory / stem}.key: {type(key).__name__}")
    return CertificateAuthority(cert, key)


def sign_v2g_csr(csr: x509.CertificateSigningRequest, chain: V2gChain, *, client_auth: bool,
                 days: int = LEAF_DAYS) -> str:
    """The PEM chain (leaf, sub-CA) the CPO sub-CA issues for a checked CSR.

    The SECC is the TLS server of the EV's connection (ISO 15118-2), so the leaf allows
    server authentication; a combined certificate (``client_auth``) is also the station's
    OCPP client certificate.
    """
    now = datetime.datetime.now(datetime.UTC)
    issuer = chain.sub_ca
    usages = [ExtendedKeyUsageOID.SERVER_AUTH] + ([ExtendedKeyUsageOID.CLIENT_AUTH] if client_auth else [])
    leaf = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(issuer.cert.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(min(now + datetime.timedelta(days=days), issuer.cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=True, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
        .sign(issuer.key, hashes.SHA256())
    )
    return chain.issued_chain(leaf)
