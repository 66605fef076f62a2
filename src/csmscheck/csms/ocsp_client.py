"""How the reference CSMS checks an ISO 15118 contract certificate (OCPP 2.0.1 C07).

The station sends either the certificate's OCSP data (``iso15118CertificateHashData``:
issuer hashes, serial number, responder URL) or the certificate itself. With the
certificate the CSMS first checks it chains to a root it trusts, is valid now and names
the eMAID presented; it then finds the responder in the Authority Information Access
extension, of the certificate and of each sub-CA between it and the trusted root (C07.FR.05
verifies the chain too). Either way it asks the responder (RFC 6960, HTTP POST), trusts the answer
only when the certificate's issuer or a responder that issuer delegated to signed it,
and maps the outcome to the AuthorizeResponse:

    good                                  certificateStatus Accepted (the token's own status stands)
    revoked                               CertificateRevoked, idTokenInfo Invalid
    unknown, untrusted or unknown issuer  CertChainError, idTokenInfo Invalid
    responder down, garbage, unverifiable NoCertificateAvailable, idTokenInfo Unknown
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

log = logging.getLogger("csmscheck.csms.ocsp")

OCSP_TIMEOUT = 3.0  # seconds; below the time a station waits for its AuthorizeResponse
_SKEW = datetime.timedelta(minutes=5)
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384,
                                                  "SHA512": hashes.SHA512}
Outcome = Literal["good", "revoked", "unknown", "unavailable"]


@dataclass(frozen=True)
class CertId:
    """What an OCSP request asks about, and where."""

    algorithm: hashes.HashAlgorithm
    issuer_name_hash: bytes
    issuer_key_hash: bytes
    serial_number: int
    responder_url: str


@dataclass(frozen=True)
class ContractVerdict:
    certificate_status: str  # AuthorizeCertificateStatusEnumType
    token_status: str | None  # what an Accepted token becomes; None: the token's status stands
    reason: str


def _verdict(outcome: Outcome, reason: str) -> ContractVerdict:
    """The AuthorizeResponse consequence of one OCSP outcome."""
    if outcome == "good":
        return ContractVerdict("Accepted", None, reason)
    if outcome == "revoked":
        return ContractVerdict("CertificateRevoked", "Invalid", reason)
    if outcome == "unknown":
        return ContractVerdict("CertChainError", "Invalid", reason)
    return ContractVerdict("NoCertificateAvailable", "Unknown", reason)


_SEVERITY = {"CertificateRevoked": 5, "CertificateExpired": 4, "CertChainError": 3, "SignatureError": 3,
             "NoCertificateAvailable": 2, "Accepted": 0}


# -- trust anchors --------------------------------------------------------------------


def load_trust_anchors(pki_dir: Path | None) -> tuple[x509.Certificate, ...]:
    """The roots the CSMS trusts for contract certificates: ``ca.pem`` of its PKI (blocking I/O)."""
    if pki_dir is None:
        return ()
    path = pki_dir / "ca.pem"
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        return ()
    return _read_anchors(path, stamp)


@lru_cache(maxsize=8)
def _read_anchors(path: Path, _stamp: int) -> tuple[x509.Certificate, ...]:
    try:
        return tuple(x509.load_pem_x509_certificates(path.read_bytes()))
    except (OSError, ValueError):
        log.warning("cannot read trust anchors from %s", path)
        return ()


# -- the check ------------------------------------------------------------------------


async def check_contract(id_token: str, certificate_pem: str | None, hash_data: Sequence[dict[str, Any]] | None,
                         anchors: Sequence[x509.Certificate], timeout: float = OCSP_TIMEOUT) -> ContractVerdict:
    """Check the contract of an AuthorizeRequest; never raises for bad input or a failing responder."""
    known: list[x509.Certificate] = list(anchors)
    cert_ids: list[tuple[CertId, x509.Certificate] | ContractVerdict] = []
    if certificate_pem:
        try:
            chain = x509.load_pem_x509_certificates(certificate_pem.encode())
        except ValueError:
            return ContractVerdict("CertChainError", "Invalid", "certificate is not valid PEM")
        problem = _chain_problem(chain, anchors, id_token)
        if problem is not None:
            return problem
        leaf, issuer = chain[0], _issuer_of(chain[0], chain[1:] + list(anchors))
        assert issuer is not None  # _chain_problem found it
        known.extend(chain[1:])
        if not hash_data:
            url = _ocsp_url(leaf)
            if url is None:
                return ContractVerdict("NoCertificateAvailable", "Unknown", "certificate names no OCSP responder")
            cert_ids.append((_cert_id_of(leaf, issuer, url), issuer))
            cert_ids.extend(_chain_look_ups(issuer, chain[1:], anchors))
    for entry in hash_data or ():
        cert_ids.append(_resolve(entry, known))
    if not cert_ids:
        return ContractVerdict("NoCertificateAvailable", "Unknown", "nothing to check")
    verdicts = [item for item in cert_ids if isinstance(item, ContractVerdict)]
    look_ups = [query(*item, timeout=timeout) for item in cert_ids if not isinstance(item, ContractVerdict)]
    verdicts += [_verdict(outcome, reason) for outcome, reason in await asyncio.gather(*look_ups)]
    return max(verdicts, key=lambda v: _SEVERITY.get(v.certificate_status, 1))


def _chain_look_ups(cert: x509.Certificate, pool: Sequence[x509.Certificate],
                    anchors: Sequence[x509.Certificate]) -> list[tuple[CertId, x509.Certificate]]:
    """The OCSP look-ups of the sub-CAs from ``cert`` up to a trusted root: each that names a responder is
    asked there (one that names none is trusted on its verified chain alone)."""
    look_ups: list[tuple[CertId, x509.Certificate]] = []
    current = cert
    for _ in range(6):
        if any(current == anchor for anchor in anchors):
            break
        parent = _issuer_of(current, [*pool, *anchors])
        if parent is None:
            break
        url = _ocsp_url(current)
        if url is not None:
            look_ups.append((_cert_id_of(current, parent, url), parent))
        current = parent
    return look_ups


def cert_id_for(entry: dict[str, Any],
                known: Sequence[x509.Certificate]) -> tuple[CertId, x509.Certificate] | ContractVerdict:
    """The CertID of one OCSP request data entry (hash data with a responderURL) and its issuer among ``known``."""
    return _resolve(entry, known)


def _resolve(entry: dict[str, Any],
             known: Sequence[x509.Certificate]) -> tuple[CertId, x509.Certificate] | ContractVerdict:
    """The CertID of one hash data entry and the issuer it names, among the certificates the CSMS knows."""
    try:
        algorithm = _HASHES[entry["hashAlgorithm"]]()
        cert_id = CertId(algorithm, _decode(entry["issuerNameHash"]), _decode(entry["issuerKeyHash"]),
                         int(entry["serialNumber"], 16), entry["responderURL"])
    except (KeyError, ValueError):
        return ContractVerdict("CertChainError", "Invalid", "malformed iso15118CertificateHashData")
    for candidate in known:
        if _issuer_hashes(candidate, algorithm) == (cert_id.issuer_name_hash, cert_id.issuer_key_hash):
            return cert_id, candidate
    return ContractVerdict("CertChainError", "Invalid", "the certificate's issuer is not trusted")


def _decode(text: str) -> bytes:
    """Hash data is hexadecimal in OCPP; accept base64 too."""
    try:
        return bytes.fromhex(text)
    except ValueError:
        try:
            return base64.b64decode(text, validate=True)
        except binascii.Error:
            raise ValueError(f"neither hex nor base64: {text!r}") from None


def _chain_problem(chain: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate],
                   id_token: str) -> ContractVerdict | None:
    """None when ``chain[0]`` chains to an anchor, is valid now and names ``id_token``."""
    now = datetime.datetime.now(datetime.UTC)
    current, pool = chain[0], list(chain[1:]) + list(anchors)
    for _ in range(6):
        if not current.not_valid_before_utc <= now <= current.not_valid_after_utc:
            return ContractVerdict("CertificateExpired", "Invalid", f"{current.subject.rfc4514_string()} expired")
        if any(current == anchor for anchor in anchors):
            break
        parent = _issuer_of(current, pool)
        if parent is None:
            return ContractVerdict("CertChainError", "Invalid", "certificate does not chain to a trusted root")
        current = parent
    else:
        return ContractVerdict("CertChainError", "Invalid", "certificate chain too long")
    names = chain[0].subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    emaid = str(names[0].value) if names else ""
    if _normal(emaid) != _normal(id_token):
        return ContractVerdict("CertChainError", "Invalid", f"certificate is for {emaid!r}, not {id_token!r}")
    return None


def _normal(emaid: str) -> str:
    return emaid.replace("-", "").upper()


def _issuer_of(cert: x509.Certificate, pool: Sequence[x509.Certificate]) -> x509.Certificate | None:
    for candidate in pool:
        if candidate.subject != cert.issuer:
            continue
        try:
            cert.verify_directly_issued_by(candidate)
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
            continue
        return candidate
    return None


def _ocsp_url(cert: x509.Certificate) -> str | None:
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return None
    for access in aia:
        if access.access_method == AuthorityInformationAccessOID.OCSP and isinstance(
                access.access_location, x509.UniformResourceIdentifier):
            return str(access.access_location.value)
    return None


def _cert_id_of(cert: x509.Certificate, issuer: x509.Certificate, url: str) -> CertId:
    algorithm = hashes.SHA256()
    name_hash, key_hash = _issuer_hashes(issuer, algorithm)
    return CertId(algorithm, name_hash, key_hash, cert.serial_number, url)


def _issuer_hashes(issuer: x509.Certificate, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    probe = ocsp.OCSPRequestBuilder().add_certificate(issuer, issuer, algorithm).build()
    return probe.issuer_name_hash, probe.issuer_key_hash


# -- one OCSP look-up -----------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    """One OCSP look-up: the outcome, why, and the responder's DER OCSPResponse when it sent one."""

    outcome: Outcome
    reason: str
    der: bytes | None = None


async def query(cert_id: CertId, issuer: x509.Certificate, timeout: float = OCSP_TIMEOUT) -> tuple[Outcome, str]:
    """Ask the responder about ``cert_id``; ``unavailable`` when no trustworthy answer comes."""
    lookup = await fetch(cert_id, issuer, timeout)
    return lookup.outcome, lookup.reason


async def fetch(cert_id: CertId, issuer: x509.Certificate, timeout: float = OCSP_TIMEOUT) -> Lookup:
    """:func:`query`, keeping the response itself (what GetCertificateStatus relays to the station, M06)."""
    nonce = os.urandom(16)
    request = (ocsp.OCSPRequestBuilder()
               .add_certificate_by_hash(cert_id.issuer_name_hash, cert_id.issuer_key_hash, cert_id.serial_number,
                                        cert_id.algorithm)
               .add_extension(x509.OCSPNonce(nonce), critical=False)
               .build())
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            reply = await client.post(cert_id.responder_url, content=request.public_bytes(serialization.Encoding.DER),
                                      headers={"Content-Type": "application/ocsp-request",
                                               "Accept": "application/ocsp-response"})
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        return Lookup("unavailable", f"OCSP responder {cert_id.responder_url} unreachable: {exc!r}")
    if reply.status_code != 200:
        return Lookup("unavailable", f"OCSP responder answered HTTP {reply.status_code}")
    try:
        response = ocsp.load_der_ocsp_response(reply.content)
    except ValueError:
        return Lookup("unavailable", "OCSP responder sent no OCSP response")
    return Lookup(*read_response(response, cert_id, issuer, nonce), der=reply.content)


def read_response(response: ocsp.OCSPResponse, cert_id: CertId, issuer: x509.Certificate,
                  nonce: bytes | None = None) -> tuple[Outcome, str]:
    """The certificate status ``response`` gives for ``cert_id``, if ``issuer`` (or its delegate) signed it."""
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return "unavailable", f"OCSP responder answered {response.response_status.name}"
    signer = _signer(response, issuer)
    if signer is None:
        return "unavailable", "OCSP response not signed by the issuer or a responder it delegated to"
    if not _signature_valid(signer.public_key(), response.signature, response.tbs_response_bytes,
                            response.signature_hash_algorithm):
        return "unavailable", "OCSP response signature invalid"
    if nonce is not None:
        try:
            echoed = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        except x509.ExtensionNotFound:
            echoed = nonce  # responders need not echo the nonce
        if echoed != nonce:
            return "unavailable", "OCSP response nonce does not match the request"
    now = datetime.datetime.now(datetime.UTC)
    for single in response.responses:
        if (single.serial_number, single.issuer_name_hash, single.issuer_key_hash) != (
                cert_id.serial_number, cert_id.issuer_name_hash, cert_id.issuer_key_hash):
            continue
        if single.this_update_utc > now + _SKEW or (single.next_update_utc and single.next_update_utc < now - _SKEW):
            return "unavailable", "OCSP response outdated"
        status = single.certificate_status
        if status == ocsp.OCSPCertStatus.GOOD:
            return "good", "OCSP: good"
        if status == ocsp.OCSPCertStatus.REVOKED:
            return "revoked", f"OCSP: revoked ({single.revocation_reason})"
        return "unknown", "OCSP: unknown certificate"
    return "unavailable", "OCSP response does not mention the certificate"


def _signer(response: ocsp.OCSPResponse, issuer: x509.Certificate) -> x509.Certificate | None:
    """The issuer itself, or a certificate in the response that the issuer made an OCSP signer."""
    if _names_responder(response, issuer):
        return issuer
    now = datetime.datetime.now(datetime.UTC)
    for cert in response.certificates:
        if not _names_responder(response, cert) or _issuer_of(cert, [issuer]) is None:
            continue
        try:
            usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            continue
        if ExtendedKeyUsageOID.OCSP_SIGNING in usage and cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            return cert
    return None


def _names_responder(response: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    if response.responder_key_hash is not None:
        return response.responder_key_hash == x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest
    return response.responder_name == cert.subject


def _signature_valid(key: CertificatePublicKeyTypes, signature: bytes, data: bytes,
                     algorithm: hashes.HashAlgorithm | None) -> bool:
    try:
        if isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, data)
        else:
            return False
    except InvalidSignature:
        return False
    return True
