"""Run-time generated PKI and TLS contexts for OCPP security profiles 2 and 3."""

from __future__ import annotations

from csmscheck.pki.ca import DEFAULT_HOSTNAMES, Pki, Usage, generate_pki, sign_csr
from csmscheck.pki.tls import client_ssl_context, peer_common_name, server_ssl_context

__all__ = [
    "DEFAULT_HOSTNAMES",
    "Pki",
    "Usage",
    "client_ssl_context",
    "generate_pki",
    "peer_common_name",
    "server_ssl_context",
    "sign_csr",
]
