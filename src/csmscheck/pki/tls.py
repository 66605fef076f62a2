"""``ssl.SSLContext`` builders for the generated PKI."""

from __future__ import annotations

import ssl
import tempfile
from collections.abc import Sequence
from pathlib import Path

from csmscheck.pki.ca import Pki

__all__ = ["OCPP_TLS12_CIPHERS", "client_ssl_context", "client_ssl_context_from_pem", "peer_common_name",
           "server_ssl_context", "server_ssl_context_from_files"]

MINIMUM_TLS_VERSION = ssl.TLSVersion.TLSv1_2
# TLS 1.2 suites OCPP's security profiles require a CSMS to offer (OpenSSL names of
# TLS_ECDHE_ECDSA_WITH_AES_128/256_GCM_*, TLS_RSA_WITH_AES_128/256_GCM_*), after the
# forward-secret ones a client prefers. Python's default list leaves out the static-RSA two.
OCPP_TLS12_CIPHERS = (
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "AES256-GCM-SHA384:AES128-GCM-SHA256"
)


def server_ssl_context(pki: Pki, *, require_client_cert: bool) -> ssl.SSLContext:
    """Server context holding both the RSA and the ECDSA certificate.

    OpenSSL chooses the certificate matching the client's offered signature
    algorithms / cipher suites. With ``require_client_cert`` the peer must
    present a certificate issued by the PKI's CA (the only trust anchor).
    """
    return server_ssl_context_from_files([(pki.server_rsa_cert, pki.server_rsa_key),
                                          (pki.server_ecdsa_cert, pki.server_ecdsa_key)],
                                         client_ca=pki.ca_cert if require_client_cert else None)


def server_ssl_context_from_files(chains: Sequence[tuple[Path, Path]], *, client_ca: Path | None) -> ssl.SSLContext:
    """Server context presenting each (certificate, key) of ``chains``; with ``client_ca`` the peer must present
    a certificate issued by it. Raises ``OSError``/``ssl.SSLError`` for an unreadable file or a key that does not
    match its certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = MINIMUM_TLS_VERSION
    context.set_ciphers(OCPP_TLS12_CIPHERS)
    for cert, key in chains:
        context.load_cert_chain(cert, key)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=client_ca)
    else:
        context.verify_mode = ssl.CERT_NONE
    return context


def client_ssl_context(
    ca_cert: Path | None, cert: Path | None = None, key: Path | None = None
) -> ssl.SSLContext:
    """Client context trusting only ``ca_cert`` (None: the system's trust store), with hostname checking.

    ``cert``/``key`` optionally add a client certificate (``key`` may be
    omitted when the certificate file also contains the key).
    """
    if key is not None and cert is None:
        raise ValueError("a client key was given without a client certificate")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = MINIMUM_TLS_VERSION
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    if ca_cert is None:
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)
    else:
        context.load_verify_locations(cafile=ca_cert)
    if cert is not None:
        context.load_cert_chain(cert, key)
    return context


def client_ssl_context_from_pem(ca_cert: Path, cert_pem: bytes, key_pem: bytes) -> ssl.SSLContext:
    """Like :func:`client_ssl_context`, for a certificate and key held in memory (e.g. just issued)."""
    with tempfile.TemporaryDirectory(prefix="csmscheck-cert-") as directory:
        cert, key = Path(directory) / "cert.pem", Path(directory) / "key.pem"
        cert.write_bytes(cert_pem)
        key.touch(mode=0o600)
        key.write_bytes(key_pem)
        return client_ssl_context(ca_cert, cert, key)


def peer_common_name(ssl_object: ssl.SSLObject | ssl.SSLSocket) -> str | None:
    """Common name of the verified peer certificate, or None.

    ``getpeercert()`` only reports certificates that were verified, so this
    is None when the peer sent none or verification was disabled. If the
    subject holds several CNs the last (most specific) one is returned.
    """
    peer = ssl_object.getpeercert()
    if not peer:
        return None
    common_name: str | None = None
    for rdn in peer.get("subject", ()):
        for attribute in rdn:
            if isinstance(attribute, tuple) and len(attribute) == 2:
                name, value = attribute
                if name == "commonName" and isinstance(value, str):
                    common_name = value
    return common_name
