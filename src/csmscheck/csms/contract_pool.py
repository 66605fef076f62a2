"""ISO 15118 contract certificates for an EV (OCPP 2.0.1 M01 install, M02 update): what the reference
CSMS does with the EXI request a station relays in a Get15118EVCertificateRequest.

A CSMS does not issue contract certificates itself: the EV's CertificateInstallationReq (or
CertificateUpdateReq) is answered by the mobility operator's contract data, signed and encrypted
for that EV, which a contract certificate pool (CCP) or the MO's provisioning service holds. The
reference CSMS decodes nothing of the EXI stream. It checks the request is one it may forward
(a known action, base64 of an EXI stream of a sensible size, starting with an EXI header), then
forwards it to its configured pool as JSON over HTTP and relays the pool's EXI response:

    POST <contract_pool_url>  {"action": "Install", "iso15118SchemaVersion": "...", "exiRequest": "<base64>"}
    200                       {"exiResponse": "<base64>"}   (anything else: the request failed)

With no pool configured, an unreachable pool, or a pool answer it cannot relay, the station gets
status Failed with the reason (and an empty exiResponse, which the schema requires).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

import httpx

POOL_TIMEOUT = 3.0  # seconds; below the time a station waits for its Get15118EVCertificateResponse
MAX_EXI_BYTES = 4200  # what 5600 base64 characters (the schema's limit) carry
_EXI_COOKIE = b"$EXI"


@dataclass(frozen=True)
class PoolAnswer:
    status: str  # Accepted or Failed
    exi_response: str  # base64; empty when Failed
    reason_code: str | None = None  # StatusInfo reasonCode (at most 20 characters)
    reason: str | None = None


def _failed(code: str, reason: str) -> PoolAnswer:
    return PoolAnswer("Failed", "", code, reason[:512])


def exi_problem(text: str) -> str | None:
    """Why ``text`` is not base64 of an EXI stream (W3C EXI 1.0 §5: an optional "$EXI" cookie, then the
    distinguishing bits 10), or None."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return "not base64"
    if not data:
        return "empty"
    if len(data) > MAX_EXI_BYTES:
        return f"{len(data)} bytes, more than an EV message carries"
    body = data[len(_EXI_COOKIE):] if data.startswith(_EXI_COOKIE) else data
    if not body or body[0] >> 6 != 0b10:
        return "no EXI header (distinguishing bits 10)"
    return None


def request_digest(exi_request: str) -> tuple[str, int]:
    """SHA-256 (hex) and size of the decoded request, for the record; the raw text when it does not decode."""
    try:
        data = base64.b64decode(exi_request, validate=True)
    except (binascii.Error, ValueError):
        data = exi_request.encode()
    return hashlib.sha256(data).hexdigest(), len(data)


async def forward(pool_url: str | None, action: str, schema_version: str, exi_request: str,
                  timeout: float = POOL_TIMEOUT) -> PoolAnswer:
    """The answer for the station: the pool's EXI response, or Failed with the reason. Never raises."""
    problem = exi_problem(exi_request)
    if problem is not None:
        return _failed("InvalidEXI", f"exiRequest is not a raw EXI message, base64 encoded: {problem}")
    if not schema_version.strip():
        return _failed("UnknownSchema", "iso15118SchemaVersion is empty")
    if pool_url is None:
        return _failed("NoContractPool", "the CSMS has no contract certificate pool to forward the request to")
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            reply = await client.post(pool_url, json={"action": action, "iso15118SchemaVersion": schema_version,
                                                      "exiRequest": exi_request})
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        return _failed("PoolUnavailable", f"contract certificate pool {pool_url} unreachable: {exc!r}")
    if reply.status_code != 200:
        return _failed("PoolFailed", f"contract certificate pool answered HTTP {reply.status_code}")
    try:
        exi_response = reply.json()["exiResponse"]
    except (ValueError, KeyError, TypeError):
        return _failed("PoolFailed", "contract certificate pool sent no exiResponse")
    if not isinstance(exi_response, str) or exi_problem(exi_response) is not None or len(exi_response) > 7500:
        return _failed("PoolFailed", "contract certificate pool sent an exiResponse that is no base64 EXI message")
    return PoolAnswer("Accepted", exi_response)
