"""The CA certificates a virtual OCPP 2.0.1 station holds, and how it answers the CSMS about them (M03-M05).

A real station keeps root certificates per type (the CSMS root it checks the CSMS's server
certificate with, a manufacturer's root for firmware, the V2G and mobility operators' roots
for ISO 15118) and its V2G certificate chain (the leaf with its sub-CAs). It installs a CA
certificate the CSMS sends when it is one (M05.FR.02: Rejected otherwise), lists what it holds
as certificateHashData, computed from the certificates in the algorithm it is set to (M03),
and deletes by hash data (M04), except the last CSMS root while it talks TLS to the CSMS:
without it, it could not check the CSMS's server certificate on its next connection.

The store starts with the run's CSMS root (``CSMSCHECK_PKI_DIR/ca.pem``, read on first use);
a case gives it more with :meth:`StationCertificates.add` or :func:`new_v2g_chain`.
:func:`serve_certificates` makes a session answer from it; a case's own ``reply`` takes over.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from csmscheck.pki.ca_certificates import ca_problem
from csmscheck.pki.certificates import HashAlgorithm, certificate_hash_data, load_pem_chain
from csmscheck.station.session import StationSession

Payload = dict[str, Any]

ROOT_TYPES = ("CSMSRootCertificate", "ManufacturerRootCertificate", "V2GRootCertificate", "MORootCertificate")
"""What InstallCertificate installs (InstallCertificateUseEnumType)."""
V2G_CHAIN = "V2GCertificateChain"
ALL_TYPES = (*ROOT_TYPES, V2G_CHAIN)
"""What GetInstalledCertificateIds lists (GetCertificateIdUseEnumType); none asked: all of them."""
CSMS_ROOT = "CSMSRootCertificate"


@dataclass(slots=True)
class HeldCertificate:
    """One entry of the store: a certificate of a type, the issuer its hash data is computed with (None: it
    is a root) and, for a V2G chain, its sub-CAs as (certificate, issuer), nearest the leaf first."""

    certificate_type: str
    certificate: x509.Certificate
    issuer: x509.Certificate | None = None
    children: list[tuple[x509.Certificate, x509.Certificate]] = field(default_factory=list)


class StationCertificates:
    """What one station holds; ``hash_algorithm`` is the one it reports hash data in (M03.FR.01)."""

    __slots__ = ("_csms_root", "_held", "_uses_tls", "hash_algorithm")

    def __init__(self, csms_root: Path | None = None, uses_tls: Callable[[], bool] = lambda: False) -> None:
        self._csms_root = csms_root  # PEM file of the root the station trusts the CSMS with, read on first use
        self._uses_tls = uses_tls
        self._held: list[HeldCertificate] | None = None
        self.hash_algorithm: HashAlgorithm = "SHA256"

    @property
    def held(self) -> list[HeldCertificate]:
        if self._held is None:
            self._held = []
            if self._csms_root is not None and self._csms_root.is_file():
                for root in load_pem_chain(self._csms_root.read_text()):
                    self._held.append(HeldCertificate(CSMS_ROOT, root))
        return self._held

    def add(self, certificate_type: str, certificate: x509.Certificate, issuer: x509.Certificate | None = None,
            children: list[tuple[x509.Certificate, x509.Certificate]] | None = None) -> HeldCertificate:
        """Hold ``certificate`` as ``certificate_type`` (what the station came with, or installed)."""
        held = HeldCertificate(certificate_type, certificate, issuer, list(children or []))
        self.held.append(held)
        return held

    def of_type(self, *types: str) -> list[HeldCertificate]:
        return [h for h in self.held if h.certificate_type in types]

    def hash_data(self, certificate: x509.Certificate, issuer: x509.Certificate | None = None,
                  algorithm: HashAlgorithm | None = None) -> dict[str, str]:
        return certificate_hash_data(certificate, issuer, algorithm or self.hash_algorithm)

    def entry(self, held: HeldCertificate) -> Payload:
        """The certificateHashDataChain entry of ``held`` (M03.FR.05: sub-CAs as its children)."""
        entry: Payload = {"certificateType": held.certificate_type,
                          "certificateHashData": self.hash_data(held.certificate, held.issuer)}
        if held.children:
            entry["childCertificateHashData"] = [self.hash_data(c, i) for c, i in held.children]
        return entry

    # -- answers ---------------------------------------------------------------------------

    def install_certificate(self, request: Payload) -> Payload:
        """Accepted and held when the certificate is a CA certificate valid now (M05.FR.02: Rejected otherwise)."""
        try:
            chain = load_pem_chain(request["certificate"])
        except ValueError as exc:
            return _status("Rejected", "InvalidCertificate", str(exc))
        certificate = chain[0]
        problem = ca_problem(certificate)
        if len(chain) > 1:
            problem = "more than one certificate: InstallCertificate carries one"
        if problem is not None:
            return _status("Rejected", "InvalidCertificate", problem)
        kind = request["certificateType"]
        if not any(h.certificate_type == kind and h.certificate == certificate for h in self.held):
            self.add(kind, certificate)  # the four types are roots: hashed with themselves as issuer
        return {"status": "Accepted"}

    def get_installed_certificate_ids(self, request: Payload) -> Payload:
        """The hash data of every certificate of the asked types (all types when none is asked); NotFound
        when it holds none of them (M03.FR.02)."""
        wanted = request.get("certificateType") or ALL_TYPES
        held = self.of_type(*wanted)
        if not held:
            return {"status": "NotFound"}
        return {"status": "Accepted", "certificateHashDataChain": [self.entry(h) for h in held]}

    def delete_certificate(self, request: Payload) -> Payload:
        """Accepted and removed; NotFound when it holds no certificate with that hash data; Failed for its last
        CSMS root while it talks TLS to the CSMS."""
        wanted = _normalised(request["certificateHashData"])
        algorithm = request["certificateHashData"]["hashAlgorithm"]
        for held, child in self._entries():
            certificate, issuer = child or (held.certificate, held.issuer)
            if _normalised(self.hash_data(certificate, issuer, algorithm)) != wanted:
                continue
            if child is not None:
                held.children.remove(child)
            elif held.certificate_type == CSMS_ROOT and len(self.of_type(CSMS_ROOT)) == 1 and self._uses_tls():
                return _status("Failed", "InUse", "the only CSMSRootCertificate: without it the station cannot "
                                                  "check the CSMS's server certificate")
            else:
                self.held.remove(held)
            return {"status": "Accepted"}
        return {"status": "NotFound"}

    def _entries(self) -> Iterator[tuple[HeldCertificate, tuple[x509.Certificate, x509.Certificate] | None]]:
        for held in list(self.held):
            yield held, None
            for child in list(held.children):
                yield held, child


def _status(status: str, reason: str, info: str) -> Payload:
    return {"status": status, "statusInfo": {"reasonCode": reason, "additionalInfo": info[:512]}}


def _normalised(hash_data: Payload) -> tuple[str, str, str, int]:
    """Hash data as what it identifies: hex digits in either case, the serial number as a number."""
    try:
        serial = int(str(hash_data["serialNumber"]), 16)
    except ValueError:
        serial = -1
    return (str(hash_data["hashAlgorithm"]).upper(), str(hash_data["issuerNameHash"]).lower(),
            str(hash_data["issuerKeyHash"]).lower(), serial)


# -- a V2G certificate chain -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class V2GChain:
    """An ISO 15118-2 charge point operator chain: V2G root → sub-CA 1 → sub-CA 2 → the station's SECC leaf."""

    root: x509.Certificate
    sub_ca_1: x509.Certificate
    sub_ca_2: x509.Certificate
    leaf: x509.Certificate


def new_v2g_chain(station_id: str) -> V2GChain:
    """A fresh chain made at run time (ECDSA P-256, as ISO 15118-2 asks; keys are thrown away)."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _issue("csmscheck V2G Root CA", root_key, None, root_key, path_length=2)
    sub1_key = ec.generate_private_key(ec.SECP256R1())
    sub1 = _issue("csmscheck CPO Sub-CA 1", sub1_key, root, root_key, path_length=1)
    sub2_key = ec.generate_private_key(ec.SECP256R1())
    sub2 = _issue("csmscheck CPO Sub-CA 2", sub2_key, sub1, sub1_key, path_length=0)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _issue(station_id, leaf_key, sub2, sub2_key, path_length=None)
    return V2GChain(root, sub1, sub2, leaf)


def hold_v2g_chain(certificates: StationCertificates, chain: V2GChain) -> None:
    """The station holds the chain's root (V2GRootCertificate) and its chain (V2GCertificateChain)."""
    certificates.add("V2GRootCertificate", chain.root)
    certificates.add(V2G_CHAIN, chain.leaf, chain.sub_ca_2,
                     [(chain.sub_ca_2, chain.sub_ca_1), (chain.sub_ca_1, chain.root)])


def _issue(common_name: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None,
           issuer_key: ec.EllipticCurvePrivateKey, *, path_length: int | None) -> x509.Certificate:
    """A CA certificate (``path_length`` set, or a root) or the SECC leaf (``path_length`` None, with an issuer)."""
    is_ca = issuer is None or path_length is not None
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "csmscheck"),
                      x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "CPO")])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer is not None else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=path_length if is_ca else None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=not is_ca, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=not is_ca, key_cert_sign=is_ca,
                                     crl_sign=is_ca, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


def serve_certificates(session: StationSession, certificates: StationCertificates) -> None:
    """Make ``session`` answer InstallCertificate, GetInstalledCertificateIds and DeleteCertificate from
    ``certificates``."""
    session.replies["InstallCertificate"] = certificates.install_certificate
    session.replies["GetInstalledCertificateIds"] = certificates.get_installed_certificate_ids
    session.replies["DeleteCertificate"] = certificates.delete_certificate
