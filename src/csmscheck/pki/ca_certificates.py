"""CA certificates as OCPP 2.0.1 installs and deletes them (M04, M05): whether one is fit to install, and
whether certificateHashData is well-formed enough to identify one."""

from __future__ import annotations

import datetime
import re
from typing import Any

from cryptography import x509

from csmscheck.pki.certificates import load_pem_chain

__all__ = ["DIGEST_HEX_DIGITS", "ca_problem", "hash_data_problems", "installable_problem"]

DIGEST_HEX_DIGITS = {"SHA256": 64, "SHA384": 96, "SHA512": 128}
"""How many hex digits issuerNameHash and issuerKeyHash hold per hashAlgorithm."""
_HEX = re.compile(r"^[0-9a-fA-F]+$")


def ca_problem(certificate: x509.Certificate, at: datetime.datetime | None = None) -> str | None:
    """Why ``certificate`` is no CA certificate to install now, or None (RFC 5280 4.2.1.9 and 4.2.1.3)."""
    when = at or datetime.datetime.now(datetime.UTC)
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return "not a CA certificate (no basicConstraints extension)"
    if not constraints.ca:
        return "not a CA certificate (basicConstraints cA is false)"
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not usage.key_cert_sign:
        return "a CA certificate whose keyUsage does not allow signing certificates (keyCertSign)"
    if certificate.not_valid_after_utc < when:
        return f"expired on {certificate.not_valid_after_utc.isoformat()}"
    if certificate.not_valid_before_utc > when:
        return f"not valid before {certificate.not_valid_before_utc.isoformat()}"
    return None


def installable_problem(pem: str) -> str | None:
    """Why the PEM text of an InstallCertificateRequest is not one CA certificate to install now, or None."""
    try:
        chain = load_pem_chain(pem)
    except ValueError as exc:
        return str(exc)
    if len(chain) > 1:
        return f"{len(chain)} certificates: InstallCertificate carries one"
    return ca_problem(chain[0])


def hash_data_problems(hash_data: dict[str, Any], where: str = "certificateHashData") -> list[str]:
    """What makes certificateHashData identify no certificate: digests of another length than its hashAlgorithm
    makes, or characters other than hex digits (the serial number without a 0x prefix, as OCPP asks)."""
    problems = []
    digits = DIGEST_HEX_DIGITS.get(str(hash_data.get("hashAlgorithm")))
    for key in ("issuerNameHash", "issuerKeyHash"):
        value = str(hash_data.get(key, ""))
        if not _HEX.match(value):
            problems.append(f"{where}.{key}: {value!r} is not hexadecimal")
        elif digits is not None and len(value) != digits:
            problems.append(f"{where}.{key}: {len(value)} hex digits, a {hash_data['hashAlgorithm']} digest has "
                            f"{digits}")
    serial = str(hash_data.get("serialNumber", ""))
    if not _HEX.match(serial):
        problems.append(f"{where}.serialNumber: {serial!r} is not hexadecimal (no 0x prefix, no separators)")
    return problems
