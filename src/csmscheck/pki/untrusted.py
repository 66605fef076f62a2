"""Client certificates a CSMS must not trust, made on the spot for negative handshake tests."""

from __future__ import annotations

import ssl
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from csmscheck.pki.ca import CA_COMMON_NAME, LEAF_DAYS, _issue, _leaf_extensions, _name, _new_ca, _new_key
from csmscheck.pki.csr import private_key_pem
from csmscheck.pki.tls import client_ssl_context_from_pem


def untrusted_client_context(ca_cert: Path, station_id: str) -> ssl.SSLContext:
    """A client TLS context that trusts ``ca_cert`` (to verify the CSMS) and presents a certificate for
    ``station_id`` issued by a throw-away CA of the same name as the test CA but another key: only a CSMS
    that checks the signature chain refuses it, not one that merely reads the names."""
    rogue = _new_ca(CA_COMMON_NAME)
    key = _new_key("ecdsa")
    certificate = _issue(rogue, _name(station_id), key.public_key(),
                         _leaf_extensions(key.public_key(), "client", None), LEAF_DAYS)
    return client_ssl_context_from_pem(ca_cert, certificate.public_bytes(serialization.Encoding.PEM),
                                       private_key_pem(key))
