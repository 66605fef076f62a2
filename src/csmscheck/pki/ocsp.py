"""An RFC 6960 OCSP responder on loopback, signing real responses with the test CA.

The suite starts one per test (TC_C_50: good, TC_C_51: revoked, TC_C_52: good) and
checks afterwards that the CSMS asked it. Every certificate the CA issued gets the
status the responder was started with; a request about another issuer is answered
``unauthorized``. Requests come as HTTP POST (``application/ocsp-request``) or as
HTTP GET with the base64 request in the path (RFC 6960 appendix A.1).

``forgery`` makes it answer what an OCSP client must not trust (RFC 6960 section 3.2),
for csmscheck's negative cases: a response signed by a key the CA never certified
(``untrusted-signer``), one that names the CA as its signer but whose signature does not
verify (``bad-signature``), one whose nextUpdate has passed (``stale``), one about another
certificate than the one asked about (``other-certificate``), or no status at all but
"try later" (``try-later``, RFC 6960 section 2.3).

    async with OcspResponder(ca, port=19080, status="revoked") as responder:
        ...
    assert responder.requests >= 1
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime
import logging
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal, TypeAlias
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from csmscheck.pki.contract import CertificateAuthority

log = logging.getLogger("csmscheck.ocsp")

CertStatus: TypeAlias = Literal["good", "revoked", "unknown"]
Forgery: TypeAlias = Literal["untrusted-signer", "bad-signature", "stale", "other-certificate", "try-later"]
_STATUS = {"good": ocsp.OCSPCertStatus.GOOD, "revoked": ocsp.OCSPCertStatus.REVOKED,
           "unknown": ocsp.OCSPCertStatus.UNKNOWN}
_MAX_BODY = 64 * 1024
_VALIDITY = datetime.timedelta(hours=1)


@dataclass
class ReceivedRequest:
    """One OCSP request the responder answered: what it asked about."""

    serial_number: int
    issuer_name_hash: bytes
    issuer_key_hash: bytes
    hash_algorithm: str
    method: str


@dataclass
class OcspResponder:
    """Answers OCSP requests for certificates of ``ca`` with ``status``.

    ``delegate=True`` signs with a responder certificate the CA issued for OCSP signing
    (RFC 6960 4.2.2.2) instead of the CA key itself; ``forgery`` spoils the answer on purpose.
    """

    ca: CertificateAuthority
    port: int = 0
    status: CertStatus = "good"
    host: str = "127.0.0.1"
    delegate: bool = False
    forgery: Forgery | None = None
    received: list[ReceivedRequest] = field(default_factory=list)
    _server: asyncio.Server | None = field(default=None, repr=False)
    _signer: CertificateAuthority | None = field(default=None, repr=False)
    _count: int = field(default=0, repr=False)

    @property
    def requests(self) -> int:
        """How many OCSP requests arrived (well-formed or not)."""
        return self._count

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def start(self) -> OcspResponder:
        if self.forgery == "untrusted-signer":
            self._signer = _stranger(self.ca)
        else:
            self._signer = _delegated_signer(self.ca) if self.delegate else self.ca
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> OcspResponder:
        return await self.start()

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    # -- HTTP ---------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            status, body = await self._read_and_answer(reader)
            reason = {200: "OK", 400: "Bad Request", 405: "Method Not Allowed", 413: "Payload Too Large"}[status]
            head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/ocsp-response\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
            writer.write(head.encode() + body)
            await writer.drain()
        except (ConnectionError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # a broken HTTP request gets no answer
        finally:
            writer.close()

    async def _read_and_answer(self, reader: asyncio.StreamReader) -> tuple[int, bytes]:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *header_lines = head.split("\r\n")
        method, _, rest = request_line.partition(" ")
        path = rest.rsplit(" ", 1)[0]
        headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if h)}
        if method == "POST":
            length = int(headers.get("content-length", "0") or 0)
            if length > _MAX_BODY:
                return 413, b""
            der = await reader.readexactly(length)
        elif method == "GET":
            try:
                der = base64.b64decode(unquote(path.lstrip("/")), validate=True)
            except (binascii.Error, ValueError):
                der = b""
        else:
            return 405, b""
        self._count += 1
        return 200, self.answer(der, method)

    # -- OCSP ---------------------------------------------------------------------------

    def answer(self, der: bytes, method: str = "POST") -> bytes:
        """The DER OCSP response to the DER request ``der``."""
        try:
            request = ocsp.load_der_ocsp_request(der)
        except ValueError:
            return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        algorithm = request.hash_algorithm
        self.received.append(ReceivedRequest(request.serial_number, request.issuer_name_hash,
                                             request.issuer_key_hash, algorithm.name, method))
        name_hash, key_hash = _issuer_hashes(self.ca.cert, algorithm)
        if (request.issuer_name_hash, request.issuer_key_hash) != (name_hash, key_hash):
            return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
        if self.forgery == "try-later":
            return _unsuccessful(ocsp.OCSPResponseStatus.TRY_LATER)
        signer = self._signer or self.ca
        now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        this_update = now - datetime.timedelta(days=2) if self.forgery == "stale" else now
        serial = request.serial_number + (1 if self.forgery == "other-certificate" else 0)
        revoked = self.status == "revoked"
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=name_hash, issuer_key_hash=key_hash, serial_number=serial,
            algorithm=algorithm, cert_status=_STATUS[self.status], this_update=this_update,
            next_update=this_update + _VALIDITY,
            revocation_time=this_update - datetime.timedelta(days=1) if revoked else None,
            revocation_reason=x509.ReasonFlags.key_compromise if revoked else None,
        ).responder_id(ocsp.OCSPResponderEncoding.HASH, signer.cert)
        if signer is not self.ca:
            builder = builder.certificates([signer.cert])
        try:
            nonce = request.extensions.get_extension_for_class(x509.OCSPNonce)
            builder = builder.add_extension(nonce.value, critical=False)
        except x509.ExtensionNotFound:
            pass
        response = builder.sign(signer.key, hashes.SHA256())
        der = response.public_bytes(serialization.Encoding.DER)
        if self.forgery == "bad-signature":  # one bit of the signature flipped: it no longer verifies
            at = der.rfind(response.signature) + len(response.signature) - 1
            der = der[:at] + bytes([der[at] ^ 1]) + der[at + 1:]
        return der


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)


def _issuer_hashes(issuer: x509.Certificate, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    """The CertID issuer hashes of ``issuer`` under ``algorithm``."""
    probe = ocsp.OCSPRequestBuilder().add_certificate(issuer, issuer, algorithm).build()
    return probe.issuer_name_hash, probe.issuer_key_hash


def _delegated_signer(ca: CertificateAuthority) -> CertificateAuthority:
    """A short-lived OCSP signing certificate issued by ``ca``."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "csmscheck OCSP responder")]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(min(now + datetime.timedelta(days=1), ca.cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return CertificateAuthority(cert, key)


def _stranger(ca: CertificateAuthority) -> CertificateAuthority:
    """A self-signed OCSP signing certificate that bears the CA's name but was never issued by it."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(ca.cert.subject)
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertificateAuthority(cert, key)
