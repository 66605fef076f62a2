"""Client certificates a CSMS must not trust, made on the spot for negative handshake tests."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from csmscheck.pki.ca import (
    CA_COMMON_NAME,
    LEAF_DAYS,
    Usage,
    _issue,
    _leaf_extensions,
    _load_issuer,
    _name,
    _new_ca,
    _new_key,
)
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


def invalid_issued_client_context(ca_cert: Path, ca_key: Path, common_name: str, *,
                                  expired: bool = False, usage: Usage = "client") -> ssl.SSLContext:
    """A client TLS context presenting a certificate the run's own CA issued that is still invalid for a station:
    ``expired`` (its validity ended yesterday), for ``common_name`` when that is not the station's id, or with
    ``usage`` "server" (its extended key usage is serverAuth only, so it may not authenticate a TLS client)."""
    issuer = _load_issuer(ca_cert, ca_key)
    key = _new_key("ecdsa")
    certificate = _issue(issuer, _name(common_name), key.public_key(),
                         _leaf_extensions(key.public_key(), usage, None), LEAF_DAYS)
    if expired:
        yesterday = datetime.now(UTC) - timedelta(days=1)
        builder = (x509.CertificateBuilder().subject_name(certificate.subject).issuer_name(certificate.issuer)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(yesterday - timedelta(days=LEAF_DAYS)).not_valid_after(yesterday))
        for extension in certificate.extensions:
            builder = builder.add_extension(extension.value, critical=extension.critical)
        certificate = builder.sign(issuer.key, hashes.SHA256())
    return client_ssl_context_from_pem(ca_cert, certificate.public_bytes(serialization.Encoding.PEM),
                                       private_key_pem(key))
