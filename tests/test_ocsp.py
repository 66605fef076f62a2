"""The suite's OCSP responder and the reference CSMS's contract certificate checks."""

from __future__ import annotations

import asyncio
import base64
import datetime
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from csmscheck.csms import ocsp_client
from csmscheck.pki import generate_pki
from csmscheck.pki.contract import CertificateAuthority, hash_data, issue_contract_certificate, load_ca
from csmscheck.pki.ocsp import CertStatus, OcspResponder
from csmscheck.settings import Settings

EMAID = Settings().contract_emaid


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    directory = tmp_path_factory.mktemp("pki")
    generate_pki(directory, ["CS1"])
    return load_ca(directory)


def rogue_ca(subject: x509.Name | None = None) -> CertificateAuthority:
    """Another CA; with ``subject`` it impersonates that name."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = subject or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rogue CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return CertificateAuthority(cert, key)


async def ask(responder: OcspResponder, cert: x509.Certificate, issuer: x509.Certificate,
              get: bool = False) -> ocsp.OCSPResponse:
    der = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256()).build().public_bytes(
        serialization.Encoding.DER)
    async with httpx.AsyncClient() as client:
        if get:
            reply = await client.get(responder.url + base64.b64encode(der).decode())
        else:
            reply = await client.post(responder.url, content=der, headers={"Content-Type": "application/ocsp-request"})
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/ocsp-response"
    return ocsp.load_der_ocsp_response(reply.content)


def signed_by(response: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert response.signature_hash_algorithm is not None
    key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(response.signature_hash_algorithm))
    return True


# -- the responder --------------------------------------------------------------------


@pytest.mark.parametrize(("status", "expected"), [("good", ocsp.OCSPCertStatus.GOOD),
                                                  ("revoked", ocsp.OCSPCertStatus.REVOKED),
                                                  ("unknown", ocsp.OCSPCertStatus.UNKNOWN)])
async def test_responder_answers_signed_by_the_ca(ca: CertificateAuthority, status: CertStatus,
                                                  expected: ocsp.OCSPCertStatus) -> None:
    contract = issue_contract_certificate(ca, EMAID)
    async with OcspResponder(ca, status=status) as responder:
        response = await ask(responder, contract.cert, ca.cert)
    assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status == expected
    assert response.serial_number == contract.cert.serial_number
    assert signed_by(response, ca.cert)
    assert response.responder_key_hash == x509.SubjectKeyIdentifier.from_public_key(ca.cert.public_key()).digest
    if status == "revoked":
        assert response.revocation_time_utc is not None
    assert responder.requests == 1
    assert [r.serial_number for r in responder.received] == [contract.cert.serial_number]


async def test_responder_answers_get_requests(ca: CertificateAuthority) -> None:
    contract = issue_contract_certificate(ca, EMAID)
    async with OcspResponder(ca) as responder:
        response = await ask(responder, contract.cert, ca.cert, get=True)
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert responder.received[0].method == "GET"


async def test_delegated_responder_includes_its_certificate(ca: CertificateAuthority) -> None:
    contract = issue_contract_certificate(ca, EMAID)
    async with OcspResponder(ca, delegate=True) as responder:
        response = await ask(responder, contract.cert, ca.cert)
    (signer,) = response.certificates
    signer.verify_directly_issued_by(ca.cert)
    assert signed_by(response, signer)


async def test_responder_refuses_other_issuers_and_garbage(ca: CertificateAuthority) -> None:
    other = rogue_ca()
    foreign = issue_contract_certificate(other, EMAID)
    async with OcspResponder(ca) as responder:
        response = await ask(responder, foreign.cert, other.cert)
        assert response.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED
        async with httpx.AsyncClient() as client:
            reply = await client.post(responder.url, content=b"not an OCSP request")
        garbage = ocsp.load_der_ocsp_response(reply.content)
        assert garbage.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    assert responder.requests == 2


async def test_responder_stops_listening(ca: CertificateAuthority) -> None:
    async with OcspResponder(ca) as responder:
        url = responder.url
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.post(url, content=b"")


# -- the CSMS's checks ----------------------------------------------------------------


@pytest.mark.parametrize(("status", "certificate_status", "token_status"), [
    ("good", "Accepted", None), ("revoked", "CertificateRevoked", "Invalid"), ("unknown", "CertChainError", "Invalid")])
async def test_hash_data_outcomes(ca: CertificateAuthority, status: CertStatus, certificate_status: str,
                                  token_status: str | None) -> None:
    contract = issue_contract_certificate(ca, EMAID)
    async with OcspResponder(ca, status=status) as responder:
        verdict = await ocsp_client.check_contract(EMAID, None, [hash_data(contract.cert, ca.cert, responder.url)],
                                                   [ca.cert])
    assert (verdict.certificate_status, verdict.token_status) == (certificate_status, token_status), verdict
    assert responder.requests == 1


async def test_full_certificate_uses_its_aia_responder(ca: CertificateAuthority) -> None:
    async with OcspResponder(ca, status="revoked") as responder:
        contract = issue_contract_certificate(ca, EMAID, ocsp_url=responder.url)
        verdict = await ocsp_client.check_contract(EMAID, contract.pem, None, [ca.cert])
    assert verdict.certificate_status == "CertificateRevoked"
    assert responder.received[0].serial_number == contract.cert.serial_number


async def test_delegated_responder_is_trusted(ca: CertificateAuthority) -> None:
    async with OcspResponder(ca, delegate=True) as responder:
        contract = issue_contract_certificate(ca, EMAID, ocsp_url=responder.url)
        verdict = await ocsp_client.check_contract(EMAID, contract.pem, None, [ca.cert])
    assert verdict.certificate_status == "Accepted", verdict


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_responder_down_gives_no_certificate_available(ca: CertificateAuthority) -> None:
    contract = issue_contract_certificate(ca, EMAID)
    url = f"http://127.0.0.1:{free_port()}/"
    verdict = await ocsp_client.check_contract(EMAID, None, [hash_data(contract.cert, ca.cert, url)], [ca.cert])
    assert (verdict.certificate_status, verdict.token_status) == ("NoCertificateAvailable", "Unknown")
    assert "unreachable" in verdict.reason


@pytest.fixture
async def garbage_server() -> AsyncIterator[str]:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    server.close()
    await server.wait_closed()


async def test_garbage_answer_gives_no_certificate_available(ca: CertificateAuthority, garbage_server: str) -> None:
    contract = issue_contract_certificate(ca, EMAID)
    verdict = await ocsp_client.check_contract(EMAID, None, [hash_data(contract.cert, ca.cert, garbage_server)],
                                               [ca.cert])
    assert (verdict.certificate_status, verdict.token_status) == ("NoCertificateAvailable", "Unknown")


def test_response_signed_by_an_impostor_is_not_trusted(ca: CertificateAuthority) -> None:
    """A response naming the CA but signed with another key is worth nothing."""
    impostor = rogue_ca(ca.cert.subject)
    contract = issue_contract_certificate(ca, EMAID)
    cert_id = ocsp_client.CertId(hashes.SHA256(), *ocsp_client._issuer_hashes(ca.cert, hashes.SHA256()),
                                 contract.cert.serial_number, "http://unused/")
    now = datetime.datetime.now(datetime.UTC)
    forged = (ocsp.OCSPResponseBuilder()
              .add_response(contract.cert, ca.cert, hashes.SHA256(), ocsp.OCSPCertStatus.GOOD, now, None, None, None)
              .responder_id(ocsp.OCSPResponderEncoding.NAME, impostor.cert)
              .sign(impostor.key, hashes.SHA256()))
    assert ocsp_client.read_response(forged, cert_id, ca.cert)[0] == "unavailable"
    genuine = (ocsp.OCSPResponseBuilder()
               .add_response(contract.cert, ca.cert, hashes.SHA256(), ocsp.OCSPCertStatus.GOOD, now, None, None, None)
               .responder_id(ocsp.OCSPResponderEncoding.NAME, ca.cert)
               .sign(ca.key, hashes.SHA256()))
    assert ocsp_client.read_response(genuine, cert_id, ca.cert)[0] == "good"


async def test_untrusted_issuer_is_a_chain_error(ca: CertificateAuthority) -> None:
    other = rogue_ca()
    contract = issue_contract_certificate(other, EMAID)
    async with OcspResponder(other) as responder:
        by_hash = await ocsp_client.check_contract(EMAID, None, [hash_data(contract.cert, other.cert, responder.url)],
                                                   [ca.cert])
        by_cert = await ocsp_client.check_contract(EMAID, contract.pem, None, [ca.cert])
    assert by_hash.certificate_status == by_cert.certificate_status == "CertChainError"
    assert responder.requests == 0


async def test_certificate_for_another_emaid_is_refused(ca: CertificateAuthority) -> None:
    contract = issue_contract_certificate(ca, "NLCSMC99999999I", ocsp_url="http://127.0.0.1:9/")
    verdict = await ocsp_client.check_contract(EMAID, contract.pem, None, [ca.cert])
    assert (verdict.certificate_status, verdict.token_status) == ("CertChainError", "Invalid")


async def test_malformed_input_never_raises(ca: CertificateAuthority) -> None:
    bad_entry = {"hashAlgorithm": "SHA256", "issuerNameHash": "zz", "issuerKeyHash": "00", "serialNumber": "xyz",
                 "responderURL": "http://127.0.0.1:9/"}
    for pem, entries in ((None, [bad_entry]), ("not PEM", None)):
        verdict = await ocsp_client.check_contract(EMAID, pem, entries, [ca.cert])
        assert (verdict.certificate_status, verdict.token_status) == ("CertChainError", "Invalid")
    contract = issue_contract_certificate(ca, EMAID)  # no AIA: nowhere to ask
    verdict = await ocsp_client.check_contract(EMAID, contract.pem, None, [ca.cert])
    assert verdict.certificate_status == "NoCertificateAvailable"
    odd_url = hash_data(contract.cert, ca.cert, "ftp://nowhere")
    assert (await ocsp_client.check_contract(EMAID, None, [odd_url], [ca.cert])).token_status == "Unknown"


def test_trust_anchors_come_from_the_pki_dir(ca: CertificateAuthority, tmp_path: Path) -> None:
    assert ocsp_client.load_trust_anchors(None) == ()
    assert ocsp_client.load_trust_anchors(tmp_path) == ()
    (tmp_path / "ca.pem").write_bytes(ca.cert.public_bytes(serialization.Encoding.PEM))
    assert ocsp_client.load_trust_anchors(tmp_path) == (ca.cert,)
