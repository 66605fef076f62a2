"""Certificates a 2.0.1 station asks the CSMS for: its own (A02/A03 SignCertificate, then CertificateSigned
on the CSMS's own initiative), their status (M06 GetCertificateStatus over OCSP) and an EV's contract
certificate (M01/M02 Get15118EVCertificate, relayed to the contract certificate pool)."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from functools import lru_cache
from pathlib import Path

from cryptography import x509

from csmscheck.csms import certificate_issuing as issuing
from csmscheck.csms import contract_pool, ocsp_client
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import Payload, handles, on_response
from csmscheck.csms.signing_models import CertificateStatusLookup, EvCertificateRequest
from csmscheck.csms.store import now

log = logging.getLogger("csmscheck.csms")

_ISSUERS = ("ca.pem", "v2g-root.pem", "v2g-subca.pem")  # whose OCSP responses the CSMS can verify


# -- A02/A03: signing the station's certificates ---------------------------------------


@handles("2.0.1", "SignCertificate")
async def sign_certificate(connection: StationConnection, request: Payload) -> Payload:
    """A02.FR.11: Accepted when the CSMS can sign the CSR (then CertificateSigned follows); Rejected otherwise."""
    asked = request.get("certificateType")
    kind = asked or issuing.COMBINED
    try:
        chain = await asyncio.to_thread(issuing.issue, connection.csms.config, connection.station_id,
                                        request["csr"], kind)
    except ValueError as exc:
        log.info("%s: SignCertificate (%s) rejected: %s", connection.station_id, kind, exc)
        await issuing.record_decision(connection.csms.store, connection.station_id, kind, None, str(exc))
        return {"status": "Rejected", "statusInfo": {"reasonCode": "InvalidCSR", "additionalInfo": str(exc)[:512]}}
    await issuing.record_decision(connection.csms.store, connection.station_id, kind, chain, None)
    issuing.deliver_later(connection, chain, asked)
    return {"status": "Accepted"}


@on_response("2.0.1", "CertificateSigned")
async def certificate_signed(connection: StationConnection, request: Payload, response: Payload) -> None:
    """Accepted: the station installed the certificate; Rejected: it did not (A02.FR.16-17), and is kept so."""
    await issuing.record_delivery(connection.csms.store, connection.station_id, request["certificateChain"],
                                  str(response["status"]))


# -- M06: a certificate's status over OCSP ---------------------------------------------


def _known_issuers(pki_dir: Path | None) -> tuple[x509.Certificate, ...]:
    if pki_dir is None:
        return ()
    found: list[x509.Certificate] = []
    for name in _ISSUERS:
        try:
            found.extend(_read(pki_dir / name, os.stat(pki_dir / name).st_mtime_ns))
        except OSError:
            continue
    return tuple(found)


@lru_cache(maxsize=16)
def _read(path: Path, _stamp: int) -> tuple[x509.Certificate, ...]:
    try:
        return tuple(x509.load_pem_x509_certificates(path.read_bytes()))
    except ValueError:
        return ()


def _failed(code: str, reason: str) -> Payload:
    return {"status": "Failed", "statusInfo": {"reasonCode": code, "additionalInfo": reason[:512]}}


@handles("2.0.1", "GetCertificateStatus")
async def certificate_status(connection: StationConnection, request: Payload) -> Payload:
    """M06.FR.01/02/08/09: ask the responder named in the request; relay its DER OCSPResponse (base64) when it
    came and verifies with the certificate's issuer (good, revoked or unknown alike: the station reads the
    status from it); Failed when no trustworthy response came in time."""
    data = request["ocspRequestData"]
    known = await asyncio.to_thread(_known_issuers, connection.csms.config.pki_dir)
    resolved = ocsp_client.cert_id_for(data, known)
    if isinstance(resolved, ocsp_client.ContractVerdict):
        lookup = ocsp_client.Lookup("unavailable", f"cannot ask about this certificate: {resolved.reason}")
    else:
        lookup = await ocsp_client.fetch(*resolved)
    if lookup.outcome == "unavailable" or lookup.der is None:
        response = _failed("OCSPUnavailable", lookup.reason)
    else:
        response = {"status": "Accepted", "ocspResult": base64.b64encode(lookup.der).decode()}
    async with connection.csms.store.session() as db:
        db.add(CertificateStatusLookup(station_id=connection.station_id, serial_number=str(data["serialNumber"])[:40],
                                       responder_url=str(data["responderURL"])[:512], outcome=lookup.outcome,
                                       status=response["status"], reason=lookup.reason[:255], asked_at=now()))
    log.info("%s: certificate status %s: %s", connection.station_id, data["serialNumber"], lookup.reason)
    return response


# -- M01/M02: an EV's contract certificate ---------------------------------------------


@handles("2.0.1", "Get15118EVCertificate")
async def ev_certificate(connection: StationConnection, request: Payload) -> Payload:
    """M01.FR.01/M02.FR.01: the EXI request goes to the contract certificate pool; its EXI response comes back."""
    answer = await contract_pool.forward(connection.csms.config.contract_pool_url, request["action"],
                                         request["iso15118SchemaVersion"], request["exiRequest"])
    sha256, size = contract_pool.request_digest(request["exiRequest"])
    async with connection.csms.store.session() as db:
        db.add(EvCertificateRequest(station_id=connection.station_id, action=request["action"],
                                    schema_version=request["iso15118SchemaVersion"], request_sha256=sha256,
                                    request_size=size, status=answer.status, reason=answer.reason,
                                    received_at=now()))
    response: Payload = {"status": answer.status, "exiResponse": answer.exi_response}
    if answer.reason_code:
        response["statusInfo"] = {"reasonCode": answer.reason_code, "additionalInfo": answer.reason or ""}
    return response
