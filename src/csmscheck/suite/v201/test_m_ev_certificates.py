"""Block M (ISO 15118 certificate management), what the station asks of the CSMS: the OCSP status of a
(V2G) certificate (M06) and an EV's contract certificate, installed or updated (M01, M02)."""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp

from csmscheck.checks import certificates as checks
from csmscheck.errors import StepFailed
from csmscheck.expect import Matcher, assert_matches, step
from csmscheck.pki.contract import hash_data
from csmscheck.pki.ocsp import OcspResponder
from csmscheck.pki.v2g import V2gChain
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.v201 import Payload
from csmscheck.suite.marks import octt
from csmscheck.suite.v201.certificate_steps import v2g_chain

ISO15118_2 = "urn:iso:15118:2:2013:MsgDef"
EXI_HEADER = b"\x80"  # distinguishing bits 10, no options, EXI version 1


def _base64_of(what: str, accept: Callable[[bytes], bool]) -> Matcher:
    def decodes(value: object) -> bool:
        try:
            return isinstance(value, str) and bool(value) and accept(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            return False

    return Matcher(f"<{what}, base64 encoded>", decodes)


def _is_ocsp_response(data: bytes) -> bool:
    try:
        ocsp.load_der_ocsp_response(data)
    except ValueError:
        return False
    return True


def _is_exi(data: bytes) -> bool:
    body = data[4:] if data.startswith(b"$EXI") else data
    return bool(body) and body[0] >> 6 == 0b10


# -- M06: certificate status ------------------------------------------------------------------


def _asked(responder: OcspResponder, serial: int) -> None:
    """The CSMS asked the responder named in the request about the certificate (DESIGN §2.6: the request counter)."""
    serials = [format(r.serial_number, "x") for r in responder.received]
    if format(serial, "x") not in serials:
        raise StepFailed(f"Step 2: the CSMS answered without asking the OCSP responder at {responder.url} about the "
                         f"certificate (serial number {serial:x}); it got {responder.requests} request(s), about "
                         f"serial numbers {', '.join(serials) or '(none)'}")


def _relayed(station: Station, der: bytes, chain: V2gChain) -> None:
    """csmscheck check CSC-201-M-10: the ocspResult is the responder's answer about the sub-CA, signed by the root."""
    label = "Step 2: GetCertificateStatusResponse ocspResult"
    response = ocsp.load_der_ocsp_response(der)
    if not station.findings.check(checks.OCSP_RESULT_RELAYED,
                                  response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL,
                                  f"{label}: response status {response.response_status.name}, not SUCCESSFUL"):
        return
    station.findings.check(checks.OCSP_RESULT_RELAYED, response.serial_number == chain.sub_ca.cert.serial_number,
                           f"{label}: about serial number {response.serial_number:x}, not the sub-CA's "
                           f"{chain.sub_ca.cert.serial_number:x}")
    key = chain.root.cert.public_key()
    algorithm = response.signature_hash_algorithm
    try:
        if not isinstance(key, ec.EllipticCurvePublicKey) or algorithm is None:
            raise InvalidSignature
        key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(algorithm))
        signed = True
    except InvalidSignature:
        signed = False
    station.findings.check(checks.OCSP_RESULT_RELAYED, signed,
                           f"{label}: not signed by the V2G root that issued the sub-CA")


@octt("TC_M_24", reqs=["M06.FR.01", "M06.FR.02", "M06.FR.03", "M06.FR.08", "M06.FR.09"])
async def test_tc_m_24(station: Station, cfg: Settings) -> None:
    """Get Charging Station Certificate status - Success."""
    chain = v2g_chain(cfg)
    async with OcspResponder(chain.root, port=19080, status="good", host=cfg.ocsp_host) as responder:
        request = {"ocspRequestData": hash_data(chain.sub_ca.cert, chain.root.cert, responder.url)}
        with step("Step 1"):
            response = await station.call("GetCertificateStatus", request)
    _asked(responder, chain.sub_ca.cert.serial_number)
    assert_matches(response, {"status": "Accepted",
                              "ocspResult": _base64_of("a DER encoded OCSPResponse (RFC 6960)", _is_ocsp_response)},
                   "Step 2: GetCertificateStatusResponse")
    _relayed(station, base64.b64decode(response["ocspResult"]), chain)


# -- M01/M02: contract certificates for an EV ---------------------------------------------------


def exi_request(action: str) -> str:
    """A stand-in for the EV's raw EXI CertificateInstallationReq/CertificateUpdateReq, base64 encoded.

    The virtual station has no EXI encoder: this is an EXI header followed by an opaque body,
    which is all the CSMS may rely on (it forwards the request without decoding it).
    """
    body = f"csmscheck virtual EV Certificate{'Installation' if action == 'Install' else 'Update'}Req ".encode()
    return base64.b64encode(EXI_HEADER + body + os.urandom(32)).decode()


async def _ev_certificate(station: Station, action: str) -> None:
    """Steps 1-2: the station relays the EV's request; the CSMS answers Accepted with the raw EXI response."""
    request: Payload = {"iso15118SchemaVersion": ISO15118_2, "action": action, "exiRequest": exi_request(action)}
    with step("Step 1"):
        response = await station.call("Get15118EVCertificate", request)
    assert_matches(response, {"status": "Accepted",
                              "exiResponse": _base64_of("the raw CertificateInstallationRes", lambda data: True)},
                   "Step 2: Get15118EVCertificateResponse")
    station.findings.check(checks.EXI_RESPONSE_IS_EXI, _is_exi(base64.b64decode(response["exiResponse"])),
                           "Step 2: Get15118EVCertificateResponse exiResponse: the decoded bytes do not start with "
                           "an EXI header")


@octt("TC_M_26", reqs=["M01.FR.01"])
async def test_tc_m_26(station: Station) -> None:
    """Certificate Installation EV - Success."""
    await _ev_certificate(station, "Install")


@octt("TC_M_28", reqs=["M02.FR.01"])
async def test_tc_m_28(station: Station) -> None:
    """Certificate Update EV - Success."""
    await _ev_certificate(station, "Update")
