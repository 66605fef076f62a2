"""TLS of the wss:// endpoints: protocol versions, the cipher suites OCPP requires, the server certificate.

TLS 1.0 and 1.1 are offered with a hand-built ClientHello (:mod:`csmscheck.pki.legacy_tls`), so
the probe works whatever the local OpenSSL still speaks. The server certificates are collected
from every handshake (a CSMS serving the ECDSA and the RSA suites has two) and each is judged
on its own: chain to the configured CA, host name, validity period, key size.
"""

from __future__ import annotations

import ipaddress
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from csmscheck.pki.legacy_tls import TLS_1_0, TLS_1_1, offer_legacy_tls
from csmscheck.pki.probe import REQUIRED_TLS12_SUITES, TlsHandshake, host_and_port, server_key_problems, tls_handshake
from csmscheck.pki.tls import client_ssl_context
from csmscheck.scan import rules
from csmscheck.scan.context import ScanContext

_VERIFY_FAILED = "SSLCertVerificationError"


@dataclass(frozen=True)
class TlsEndpoint:
    """A wss:// endpoint, the CA its server certificate chains to, the client certificate it needs (profile 3)."""

    where: str  # e.g. "profile 2 wss://127.0.0.1:8443/ocpp"
    url: str
    ca: Path
    client: tuple[Path, Path] | None = None

    def context(self, *, verify: bool = True, version: ssl.TLSVersion | None = None,
                ciphers: str | None = None) -> ssl.SSLContext:
        """A client context trusting ``ca`` (host names are judged apart, by :data:`rules.SERVER_NAME`)."""
        context = client_ssl_context(self.ca, *self.client) if self.client else client_ssl_context(self.ca)
        context.check_hostname = False
        if not verify:
            context.verify_mode = ssl.CERT_NONE
        if version is not None:
            context.minimum_version = context.maximum_version = version
        if ciphers is not None:
            context.maximum_version = ssl.TLSVersion.TLSv1_2
            context.set_ciphers(ciphers)
        return context


async def scan_tls(scan: ScanContext, endpoint: TlsEndpoint) -> None:
    """Every TLS rule against ``endpoint``."""
    record, timeout, where = scan.record, scan.cfg.message_wait, endpoint.where
    host, port = host_and_port(endpoint.url)
    for rule, version, name in ((rules.TLS_10_REFUSED, TLS_1_0, "TLS 1.0"), (rules.TLS_11_REFUSED, TLS_1_1, "TLS 1.1")):
        try:
            answer = await offer_legacy_tls(host, port, timeout, version)
        except ConnectionError as exc:
            record.skip(rule, where, str(exc))
            continue
        if answer.refused:
            record.passed(rule, where, answer.how)
        else:
            record.finding(rule, where, f"a ClientHello offering at most {name}", answer.how,
                           f"accepted an old TLS version: {answer.how}")
    certificates: dict[bytes, x509.Certificate] = {}
    modern = await tls_handshake(endpoint.url, endpoint.context(version=ssl.TLSVersion.TLSv1_2), timeout)
    if modern.error is None:
        record.passed(rules.TLS_12_ACCEPTED, where, f"negotiated {modern.version} with {modern.cipher}")
    else:
        record.finding(rules.TLS_12_ACCEPTED, where, "a TLS 1.2 ClientHello", modern.error,
                       f"a TLS 1.2 handshake failed: {modern.error}")
    newest = await tls_handshake(endpoint.url, endpoint.context(version=ssl.TLSVersion.TLSv1_3), timeout)
    record.note(rules.TLS_13_ACCEPTED, where, f"TLS 1.3 accepted ({newest.cipher})" if newest.error is None
                else f"TLS 1.3 not accepted ({newest.error})")
    await _cipher_suites(scan, endpoint, certificates)
    for shake in (modern, newest):
        _keep(certificates, shake)
    if not certificates:
        for rule in (rules.SERVER_NAME, rules.SERVER_VALIDITY, rules.SERVER_KEY):
            record.skip(rule, where, "no TLS handshake completed, so no server certificate to judge")
        return
    for certificate in certificates.values():
        judge_server_certificate(scan, where, host, certificate)


def _keep(certificates: dict[bytes, x509.Certificate], shake: TlsHandshake) -> None:
    if shake.server_certificate is not None:
        certificates.setdefault(shake.server_certificate.fingerprint(hashes.SHA256()), shake.server_certificate)


async def _cipher_suites(scan: ScanContext, endpoint: TlsEndpoint, certificates: dict[bytes, x509.Certificate]) -> None:
    """Each required suite alone over TLS 1.2: accepted, and the certificate it comes with chains to the CA."""
    record, timeout, where = scan.record, scan.cfg.message_wait, endpoint.where
    refused: list[str] = []
    unchained: list[str] = []
    for iana, openssl_name in REQUIRED_TLS12_SUITES.items():
        shake = await tls_handshake(endpoint.url, endpoint.context(ciphers=openssl_name), timeout)
        if shake.error is not None and shake.error.startswith(_VERIFY_FAILED):
            unchained.append(f"{iana}: {shake.error}")
            shake = await tls_handshake(endpoint.url, endpoint.context(verify=False, ciphers=openssl_name), timeout)
        if shake.error is not None:
            refused.append(f"{iana}: {shake.error}")
        elif shake.cipher != openssl_name:
            refused.append(f"{iana}: offered alone, the server chose {shake.cipher}")
        _keep(certificates, shake)
    offered = ", ".join(REQUIRED_TLS12_SUITES)
    if refused:
        record.finding(rules.CIPHER_SUITES, where, f"TLS 1.2 ClientHellos each offering one of {offered}",
                       "; ".join(refused), f"{len(refused)} required suite(s) not accepted: {'; '.join(refused)}")
    else:
        record.passed(rules.CIPHER_SUITES, where, f"all four accepted ({offered})")
    if unchained:
        record.finding(rules.SERVER_CHAIN, where, f"TLS handshakes trusting only {endpoint.ca}",
                       "; ".join(unchained), f"the server certificate does not verify: {'; '.join(unchained)}")
    else:
        record.passed(rules.SERVER_CHAIN, where, f"every handshake verified against {endpoint.ca.name}")


def names_host(certificate: x509.Certificate, host: str) -> bool:
    """The certificate names ``host``: in its subjectAltName (DNS or IP), or in its CN when it has no SAN."""
    try:
        sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return host in [str(a.value) for a in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        wanted = host.lower().rstrip(".")
        for name in sans.get_values_for_type(x509.DNSName):
            name = name.lower().rstrip(".")
            if name == wanted or (name.startswith("*.") and wanted.partition(".")[2] == name[2:] and "." in name[2:]):
                return True
        return False
    return address in sans.get_values_for_type(x509.IPAddress)


def judge_server_certificate(scan: ScanContext, where: str, host: str, certificate: x509.Certificate) -> None:
    record = scan.record
    subject = certificate.subject.rfc4514_string()
    sent = f"TLS handshake with {host}"
    got = f"server certificate {subject}, serial {certificate.serial_number:x}"
    if names_host(certificate, host):
        record.passed(rules.SERVER_NAME, where, f"{subject} names {host}")
    else:
        record.finding(rules.SERVER_NAME, where, sent, got, f"the server certificate {subject} does not name {host}")
    now = datetime.now(UTC)
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    if start <= now <= end:
        record.passed(rules.SERVER_VALIDITY, where, f"{subject} valid until {end:%Y-%m-%d}")
    else:
        state = "expired" if now > end else "not yet valid"
        record.finding(rules.SERVER_VALIDITY, where, sent, f"{got}, valid {start:%Y-%m-%d} to {end:%Y-%m-%d}",
                       f"the server certificate {subject} is {state} (valid {start:%Y-%m-%d} to {end:%Y-%m-%d})")
    weak = server_key_problems(certificate)
    if weak:
        record.finding(rules.SERVER_KEY, where, sent, got, "; ".join(weak))
    else:
        record.passed(rules.SERVER_KEY, where, f"{subject}: {key_description(certificate)}")


def key_description(certificate: x509.Certificate) -> str:
    key = certificate.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    size = getattr(key, "key_size", None)
    return f"{type(key).__name__.lstrip('_').removesuffix('PublicKey')} {size} bits" if size else type(key).__name__
