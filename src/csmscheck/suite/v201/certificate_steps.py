"""What the 2.0.1 certificate cases check of a signed certificate beyond the OCTT's verdict (A02, A03):
csmscheck checks CSC-201-A-10 … A-13, recorded as findings of the case."""

from __future__ import annotations

import datetime
import itertools

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import NameOID

from csmscheck.checks import certificates as checks
from csmscheck.errors import NotApplicable
from csmscheck.pki.certificates import load_pem_chain
from csmscheck.pki.csr import MIN_EC_BITS as MIN_KEY_BITS
from csmscheck.pki.v2g import V2gChain, load_v2g_chain
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states.v201_security import SignedCertificate


def v2g_chain(cfg: Settings) -> V2gChain:
    """The configured V2G certificate chain (``v2g-root``/``v2g-subca`` of the PKI directory)."""
    if cfg.pki_dir is None:
        raise NotApplicable("needs the V2G certificate chain the CSMS signs with: set CSMSCHECK_PKI_DIR")
    try:
        return load_v2g_chain(cfg.pki_dir)
    except (OSError, ValueError) as exc:
        raise NotApplicable(f"needs the V2G certificate chain the CSMS signs with (v2g-root.pem/.key, "
                            f"v2g-subca.pem/.key in {cfg.pki_dir}, as 'csmscheck certs' writes them): {exc}") from None


def _spki(key: CertificatePublicKeyTypes) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _signed_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _names(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(a.value) for a in name.get_attributes_for_oid(oid)]


def check_signed(station: Station, signed: SignedCertificate, label: str, *, common_name: str | None,
                 v2g: V2gChain | None = None) -> None:
    """Findings about the chain of ``signed`` (``label`` names the step): leaf first, issued from the CSR
    (``common_name``: the CN it must name; None: the CSR's), the certificateType echoed and, with ``v2g``,
    the properties of a V2G certificate signed by that chain."""
    findings = station.findings
    asked, got_type = signed.certificate_type, signed.signed_request.get("certificateType")
    if asked is not None:
        findings.check(checks.CERTIFICATE_TYPE_ECHOED, got_type == asked,
                       f"{label}: certificateType is {got_type!r}, but the SignCertificateRequest asked for {asked!r}")
    try:
        chain = load_pem_chain(signed.chain)
    except ValueError as exc:
        findings.check(checks.V2G_CERTIFICATE_PROPERTIES if v2g else checks.ISSUED_FROM_CSR, False,
                       f"{label}: certificateChain is not PEM encoded X.509: {exc}")
        return
    csr = x509.load_pem_x509_csr(signed.csr.encode())
    own = [i for i, c in enumerate(chain) if _spki(c.public_key()) == _spki(csr.public_key())]
    findings.check(checks.CHAIN_LEAF_FIRST, own == [0] or not own,
                   f"{label}: the certificate with the CSR's public key is number {own[0] + 1 if own else 0} "
                   f"of {len(chain)} in certificateChain, not the first")
    for child, parent in itertools.pairwise(chain):
        findings.check(checks.CHAIN_LEAF_FIRST, _signed_by(child, parent),
                       f"{label}: {child.subject.rfc4514_string()} is followed by {parent.subject.rfc4514_string()}, "
                       f"which did not sign it (not in chain order from the leaf)")
    if not own:
        findings.check(checks.ISSUED_FROM_CSR, False, f"{label}: no certificate in certificateChain carries the "
                                                      f"public key of the CSR the station sent")
        return
    leaf = chain[own[0]]
    expected_cn = [common_name] if common_name is not None else _names(csr.subject, NameOID.COMMON_NAME)
    for oid, what, expected in ((NameOID.COMMON_NAME, "commonName", expected_cn),
                                (NameOID.ORGANIZATION_NAME, "organizationName",
                                 _names(csr.subject, NameOID.ORGANIZATION_NAME))):
        findings.check(checks.ISSUED_FROM_CSR, _names(leaf.subject, oid) == expected,
                       f"{label}: the certificate's {what} is {_names(leaf.subject, oid)}, expected {expected}")
    if v2g is not None:
        _check_v2g(station, leaf, chain, v2g, label)


def _check_v2g(station: Station, leaf: x509.Certificate, chain: list[x509.Certificate], v2g: V2gChain,
               label: str) -> None:
    findings = station.findings
    bits = getattr(leaf.public_key(), "key_size", 0)
    findings.check(checks.V2G_CERTIFICATE_PROPERTIES, bits >= MIN_KEY_BITS,
                   f"{label}: the certificate's key is {bits} bits long, shorter than {MIN_KEY_BITS}")
    findings.check(checks.V2G_CERTIFICATE_PROPERTIES, leaf.serial_number > 0,
                   f"{label}: the certificate has no serial number")
    now = datetime.datetime.now(datetime.UTC)
    findings.check(checks.V2G_CERTIFICATE_PROPERTIES, leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc,
                   f"{label}: the certificate is not valid now")
    anchors = (v2g.sub_ca.cert, v2g.root.cert)
    top = chain[-1]
    signed = any(top == a or _signed_by(top, a) for a in anchors) or any(_signed_by(leaf, a) for a in anchors)
    findings.check(checks.V2G_CERTIFICATE_PROPERTIES, signed,
                   f"{label}: the certificate is not signed by the V2G root or sub-CA of the configured V2G chain "
                   f"(issuer {leaf.issuer.rfc4514_string()})")
