"""Probing a CSMS's TLS endpoint the way the OCTT does: versions, cipher suites, server certificate."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlparse

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import NameOID

__all__ = [
    "REQUIRED_TLS12_SUITES",
    "TlsHandshake",
    "server_certificate_problems",
    "server_key_problems",
    "tls_endpoint_problems",
    "tls_handshake",
]

# The suites a CSMS must support for OCPP security profiles 2 and 3: IANA name → OpenSSL name.
REQUIRED_TLS12_SUITES: dict[str, str] = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
}


@dataclass(frozen=True)
class TlsHandshake:
    """What one completed handshake showed, or why it failed (``error``)."""

    version: str | None = None
    cipher: str | None = None
    server_certificate: x509.Certificate | None = None
    error: str | None = None


def host_and_port(url: str) -> tuple[str, int]:
    parsed = urlparse(url)
    if not parsed.hostname:
        raise ValueError(f"no host in {url!r}")
    return parsed.hostname, parsed.port or (443 if parsed.scheme == "wss" else 80)


async def tls_handshake(url: str, context: ssl.SSLContext, timeout: float = 5.0) -> TlsHandshake:
    """Complete a TLS handshake with the host of ``url`` (no HTTP), then close."""
    host, port = host_and_port(url)
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context, server_hostname=host), timeout)
    except (OSError, ssl.SSLError, TimeoutError) as exc:
        return TlsHandshake(error=f"{type(exc).__name__}: {exc}")
    try:
        tls: ssl.SSLObject = writer.get_extra_info("ssl_object")
        der = tls.getpeercert(binary_form=True)
        cipher = tls.cipher()
        return TlsHandshake(tls.version(), cipher[0] if cipher else None,
                            x509.load_der_x509_certificate(der) if der else None)
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()


async def tls_endpoint_problems(url: str, client_context: Callable[[], ssl.SSLContext],
                                timeout: float = 5.0) -> tuple[list[str], list[TlsHandshake]]:
    """Problems with the TLS of ``url`` and the handshakes that worked.

    One handshake as a modern client (the CSMS must choose TLS 1.2 or above), then one per
    required TLS 1.2 suite with only that suite offered. ``client_context`` makes a fresh
    client context (trust anchor, and the client certificate on a profile-3 endpoint).
    """
    problems: list[str] = []
    done: list[TlsHandshake] = []
    first = await tls_handshake(url, client_context(), timeout)
    if first.error is not None:
        problems.append(f"TLS handshake failed: {first.error}")
    else:
        done.append(first)
        if first.version not in ("TLSv1.2", "TLSv1.3"):
            problems.append(f"the Central System negotiated {first.version} (TLS 1.2 or above required)")
    for iana, openssl_name in REQUIRED_TLS12_SUITES.items():
        context = client_context()
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers(openssl_name)
        result = await tls_handshake(url, context, timeout)
        if result.error is not None:
            problems.append(f"cipher suite {iana} not supported: {result.error}")
        elif result.cipher != openssl_name:
            problems.append(f"offered only {iana}, the Central System chose {result.cipher}")
        else:
            done.append(result)
    return problems, done


def server_key_problems(certificate: x509.Certificate) -> list[str]:
    """A server key weaker than OCPP allows (A00.FR.502: RSA or DSA at least 2048 bits; A00.FR.503: EC at least 224)."""
    key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey | dsa.DSAPublicKey) and key.key_size < 2048:
        kind = "RSA" if isinstance(key, rsa.RSAPublicKey) else "DSA"
        return [f"server {kind} key of {key.key_size} bits (at least 2048 required)"]
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < 224:
        return [f"server EC key of {key.curve.key_size} bits (at least 224 required)"]
    return []


def server_certificate_problems(certificate: x509.Certificate, hostname: str) -> list[str]:
    """The OCTT's checks of a CSMS server certificate (TC_086): key strength (RSA or DSA at least
    2048 bits, elliptic curves at least 224) and CN = FQDN of the endpoint.

    It also requires a serial number and PEM encoding: a certificate that parsed has a serial,
    and the encoding on the wire is the TLS handshake's, so neither can fail here.
    """
    problems = server_key_problems(certificate)
    names = [str(a.value) for a in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if hostname not in names:
        problems.append(f"the server certificate's common name ({', '.join(names) or 'none'}) is not the "
                        f"endpoint's FQDN {hostname}")
    return problems
