"""A TLS ClientHello of a client that speaks only TLS 1.0 and 1.1, and how a server meets it.

Built by hand rather than with :mod:`ssl`, so the probe works whatever the local OpenSSL still
allows (many builds refuse to offer TLS 1.1 at all): a server that requires TLS 1.2 answers
with a protocol_version alert or closes the connection; one that answers with a ServerHello of
a version below 1.2 accepted the old protocol (RFC 8996 forbids that; OCPP A00.FR.416).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import struct
from dataclasses import dataclass

__all__ = ["LegacyHello", "legacy_client_hello", "offer_legacy_tls"]

TLS_1_0, TLS_1_1, TLS_1_2 = 0x0301, 0x0302, 0x0303
_VERSION_NAMES = {0x0300: "SSL 3.0", TLS_1_0: "TLS 1.0", TLS_1_1: "TLS 1.1", TLS_1_2: "TLS 1.2", 0x0304: "TLS 1.3"}
# TLS 1.0/1.1 suites (CBC with SHA-1, with and without ECDHE): what an old client offers.
_SUITES = (0xC00A, 0xC009, 0xC014, 0xC013, 0x0035, 0x002F)
_GROUPS = (0x001D, 0x0017, 0x0018)  # x25519, secp256r1, secp384r1
_ALERTS = {40: "handshake_failure", 70: "protocol_version", 71: "insufficient_security", 80: "internal_error"}


def _vector(data: bytes, length_bytes: int) -> bytes:
    return len(data).to_bytes(length_bytes, "big") + data


def _extension(kind: int, data: bytes) -> bytes:
    return struct.pack(">H", kind) + _vector(data, 2)


def _is_address(host: str) -> bool:
    """An IP literal, which TLS server_name must not carry (RFC 6066 §3)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def legacy_client_hello(host: str, version: int = TLS_1_1) -> bytes:
    """The TLS record of a ClientHello offering at most ``version`` (no supported_versions extension)."""
    extensions = (
        (b"" if _is_address(host) else _extension(0x0000, _vector(b"\x00" + _vector(host.encode("idna"), 2), 2)))
        + _extension(0x000A, _vector(b"".join(struct.pack(">H", g) for g in _GROUPS), 2))  # supported_groups
        + _extension(0x000B, _vector(b"\x00", 1))  # ec_point_formats: uncompressed
    )
    body = (struct.pack(">H", version) + os.urandom(32) + _vector(b"", 1)
            + _vector(b"".join(struct.pack(">H", s) for s in _SUITES), 2) + _vector(b"\x00", 1)
            + _vector(extensions, 2))
    handshake = b"\x01" + _vector(body, 3)
    return b"\x16" + struct.pack(">H", TLS_1_0) + _vector(handshake, 2)


@dataclass(frozen=True)
class LegacyHello:
    """How the server met the old ClientHello: ``refused`` (alert or closed connection), and how, in words."""

    refused: bool
    how: str
    version: str | None = None  # the version of a ServerHello it answered with


async def offer_legacy_tls(host: str, port: int, timeout: float, version: int = TLS_1_1) -> LegacyHello:
    """Send the ClientHello of a client capped at ``version`` and read the server's first answer."""
    offered = _VERSION_NAMES.get(version, hex(version))
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError) as exc:
        raise ConnectionError(f"cannot reach {host}:{port}: {exc or type(exc).__name__}") from None
    try:
        writer.write(legacy_client_hello(host, version))
        await writer.drain()
        header = await asyncio.wait_for(reader.readexactly(5), timeout)
        kind, _record_version, length = struct.unpack(">BHH", header)
        payload = await asyncio.wait_for(reader.readexactly(min(length, 6)), timeout)
    except (asyncio.IncompleteReadError, ConnectionError) as exc:
        detail = "closed the connection" if isinstance(exc, asyncio.IncompleteReadError) else f"reset it ({exc})"
        return LegacyHello(True, f"the server {detail} after a ClientHello offering at most {offered}")
    except TimeoutError:
        return LegacyHello(False, f"the server neither answered nor closed the connection within {timeout:g}s after "
                                  f"a ClientHello offering at most {offered}")
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    if kind == 0x15 and len(payload) >= 2:
        alert = _ALERTS.get(payload[1], str(payload[1]))
        return LegacyHello(True, f"the server answered a ClientHello offering at most {offered} with the TLS alert "
                                 f"{alert}")
    if kind == 0x16 and len(payload) >= 6 and payload[0] == 0x02:
        chosen = struct.unpack(">H", payload[4:6])[0]
        name = _VERSION_NAMES.get(chosen, hex(chosen))
        return LegacyHello(False, f"the server answered a ClientHello offering at most {offered} with a ServerHello "
                                  f"choosing {name}", name)
    return LegacyHello(False, f"the server answered a ClientHello offering at most {offered} with a TLS record of "
                              f"type {kind}, neither an alert nor a ServerHello")
