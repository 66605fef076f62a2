"""``ssl.SSLContext`` builders for the generated PKI."""

from __future__ import annotations

import ssl
from pathlib import Path

from csmscheck.pki.ca import Pki

__all__ = ["client_ssl_context", "peer_common_name", "server_ssl_context"]

MINIMUM_TLS_VERSION = ssl.TLSVersion.TLSv1_2


def server_ssl_context(pki: Pki, *, require_client_cert: bool) -> ssl.SSLContext:
    """Server context holding both the RSA and the ECDSA certificate.

    OpenSSL chooses the certificate matching the client's offered signature
    algorithms / cipher suites. With ``require_client_cert`` the peer must
    present a certificate issued by the PKI's CA (the only trust anchor).
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = MINIMUM_TLS_VERSION
    context.load_cert_chain(pki.server_rsa_cert, pki.server_rsa_key)
    context.load_cert_chain(pki.server_ecdsa_cert, pki.server_ecdsa_key)
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=pki.ca_cert)
    else:
        context.verify_mode = ssl.CERT_NONE
    return context


def client_ssl_context(
    ca_cert: Path, cert: Path | None = None, key: Path | None = None
) -> ssl.SSLContext:
    """Client context trusting only ``ca_cert``, with hostname checking.

    ``cert``/``key`` optionally add a client certificate (``key`` may be
    omitted when the certificate file also contains the key).
    """
    if key is not None and cert is None:
        raise ValueError("a client key was given without a client certificate")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = MINIMUM_TLS_VERSION
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cafile=ca_cert)
    if cert is not None:
        context.load_cert_chain(cert, key)
    return context


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
