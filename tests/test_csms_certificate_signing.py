"""The reference CSMS's 2.0.1 certificate logic, driven directly: what it signs (A02/A03), the OCSP
look-ups it relays (M06), the contract certificate pool it forwards EV requests to (M01/M02), and
what it records of each."""

from __future__ import annotations

import asyncio
import base64
import datetime
import shutil
import socket
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import RunningCsms, StationOpener
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from csmscheck.csms import certificate_issuing as issuing
from csmscheck.csms import contract_pool, ocsp_client
from csmscheck.csms.config import CsmsConfig
from csmscheck.errors import ConfigError
from csmscheck.pki import Pki, generate_pki
from csmscheck.pki.certificates import load_pem_chain
from csmscheck.pki.contract import hash_data
from csmscheck.pki.contract_pool import ContractPoolStub
from csmscheck.pki.csr import build_csr, issued_certificate_problems, new_station_key
from csmscheck.pki.ocsp import OcspResponder
from csmscheck.pki.v2g import load_v2g_chain

STATION = "CP202_SP3"
ORG = "csmscheck"  # the default CONFIGURED_ORGANIZATION


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return generate_pki(tmp_path_factory.mktemp("signing") / "pki", [STATION])


@pytest.fixture
def config(pki: Pki) -> CsmsConfig:
    return CsmsConfig(pki_dir=pki.directory)


def _eku(certificate: x509.Certificate) -> set[x509.ObjectIdentifier]:
    return set(certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


# -- what the CA signs --------------------------------------------------------------------------


def test_charging_station_certificate_is_signed_by_the_csms_ca(config: CsmsConfig, pki: Pki) -> None:
    key = new_station_key()
    chain = issuing.issue(config, STATION, build_csr(STATION, key, ORG), issuing.CHARGING_STATION)
    assert issued_certificate_problems(chain, key.public_key(), STATION, pki.ca_cert) == []
    assert len(load_pem_chain(chain)) == 1


@pytest.mark.parametrize(("csr", "reason"), [
    pytest.param(lambda: build_csr("CP201_SP1", new_station_key(), ORG), "common name", id="another-station"),
    pytest.param(lambda: build_csr(STATION, new_station_key(), "Other CSO"), "organization", id="other-operator"),
    pytest.param(lambda: build_csr(STATION, new_station_key()), "organization", id="no-operator"),
    pytest.param(lambda: build_csr(STATION, rsa.generate_private_key(65537, 1024), ORG), "too weak", id="rsa-1024"),
])
def test_charging_station_csr_that_does_not_fit_is_refused(config: CsmsConfig, csr: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        issuing.issue(config, STATION, csr(), issuing.CHARGING_STATION)


def test_v2g_certificate_is_signed_by_the_cpo_sub_ca_leaf_first(config: CsmsConfig, pki: Pki) -> None:
    key = new_station_key()
    chain = load_pem_chain(issuing.issue(config, STATION, build_csr("DE*CSM*E1*1", key, ORG), issuing.V2G))
    v2g = load_v2g_chain(pki.directory)
    assert [c.subject for c in chain] == [chain[0].subject, v2g.sub_ca.cert.subject]
    chain[0].verify_directly_issued_by(v2g.sub_ca.cert)
    v2g.sub_ca.cert.verify_directly_issued_by(v2g.root.cert)
    assert chain[0].subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "DE*CSM*E1*1"
    assert _eku(chain[0]) == {ExtendedKeyUsageOID.SERVER_AUTH}


def test_v2g_certificate_needs_an_ec_p256_key(config: CsmsConfig) -> None:
    csr = build_csr(STATION, rsa.generate_private_key(65537, 2048), ORG)
    with pytest.raises(ValueError, match="secp256r1"):
        issuing.issue(config, STATION, csr, issuing.V2G)
    with pytest.raises(ValueError, match="secp256r1"):
        issuing.issue(config, STATION, build_csr(STATION, ec.generate_private_key(ec.SECP384R1()), ORG), issuing.V2G)


def test_combined_certificate_names_the_station_and_serves_both_connections(config: CsmsConfig) -> None:
    chain = load_pem_chain(issuing.issue(config, STATION, build_csr(STATION, new_station_key(), ORG),
                                         issuing.COMBINED))
    assert _eku(chain[0]) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    with pytest.raises(ValueError, match="common name"):
        issuing.issue(config, STATION, build_csr("someone-else", new_station_key(), ORG), issuing.COMBINED)


def test_without_a_v2g_chain_nothing_v2g_is_signed(pki: Pki, tmp_path: Path) -> None:
    bare = tmp_path / "pki"
    shutil.copytree(pki.directory, bare)
    for name in ("v2g-subca.pem", "v2g-subca.key"):
        (bare / name).unlink()
    with pytest.raises(ValueError, match="no V2G certificate chain"):
        issuing.issue(CsmsConfig(pki_dir=bare), STATION, build_csr(STATION, new_station_key(), ORG), issuing.V2G)


# -- OCSP look-ups (M06) ------------------------------------------------------------------------


async def test_fetch_keeps_the_responder_answer(pki: Pki) -> None:
    v2g = load_v2g_chain(pki.directory)
    async with OcspResponder(v2g.root, status="revoked") as responder:
        entry = hash_data(v2g.sub_ca.cert, v2g.root.cert, responder.url)
        resolved = ocsp_client.cert_id_for(entry, [v2g.root.cert])
        assert not isinstance(resolved, ocsp_client.ContractVerdict)
        lookup = await ocsp_client.fetch(*resolved)
    assert lookup.outcome == "revoked" and lookup.der is not None
    assert ocsp.load_der_ocsp_response(lookup.der).serial_number == v2g.sub_ca.cert.serial_number


async def test_fetch_from_a_closed_port_fails_fast(pki: Pki) -> None:
    v2g = load_v2g_chain(pki.directory)
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        url = f"http://127.0.0.1:{held.getsockname()[1]}/"
        resolved = ocsp_client.cert_id_for(hash_data(v2g.sub_ca.cert, v2g.root.cert, url), [v2g.root.cert])
        assert not isinstance(resolved, ocsp_client.ContractVerdict)
        started = time.monotonic()
        lookup = await ocsp_client.fetch(*resolved, timeout=1.0)
    assert lookup.outcome == "unavailable" and lookup.der is None
    assert time.monotonic() - started < 2.0


# -- the contract certificate pool (M01/M02) ----------------------------------------------------


EXI = base64.b64encode(b"\x80\x98\x02\x10").decode()


@pytest.mark.parametrize(("text", "problem"), [
    ("not base64!", "not base64"), ("", "empty"), (base64.b64encode(b"{json}").decode(), "no EXI header"),
    (base64.b64encode(b"\x80" * 5000).decode(), "more than"), (EXI, None),
    (base64.b64encode(b"$EXI\xa0").decode(), None),
])
def test_exi_problem(text: str, problem: str | None) -> None:
    found = contract_pool.exi_problem(text)
    assert (found is None) if problem is None else (found is not None and problem in found)


async def test_forward_without_a_pool_or_with_bad_exi_fails() -> None:
    answer = await contract_pool.forward(None, "Install", "urn:iso:15118:2:2013:MsgDef", EXI)
    assert (answer.status, answer.exi_response, answer.reason_code) == ("Failed", "", "NoContractPool")
    answer = await contract_pool.forward("http://127.0.0.1:9/", "Install", "urn:iso:15118:2:2013:MsgDef", "e30=")
    assert answer.reason_code == "InvalidEXI"


async def test_forward_relays_the_pool_answer() -> None:
    stub = ContractPoolStub().start()
    try:
        answer = await contract_pool.forward(stub.url, "Update", "urn:iso:15118:2:2013:MsgDef", EXI)
    finally:
        stub.stop()
    assert answer.status == "Accepted" and stub.requests == 1
    assert base64.b64decode(answer.exi_response).startswith(b"\x80csmscheck contract pool stub Update")


async def test_forward_to_an_unreachable_pool_fails_fast() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        started = time.monotonic()
        answer = await contract_pool.forward(f"http://127.0.0.1:{held.getsockname()[1]}/", "Install",
                                             "urn:iso:15118:2:2013:MsgDef", EXI, timeout=1.0)
    assert answer.reason_code == "PoolUnavailable" and time.monotonic() - started < 2.0


def test_contract_pool_url_must_be_http() -> None:
    with pytest.raises(ConfigError, match="contract_pool_url"):
        CsmsConfig(contract_pool_url="ftp://pool")


# -- what the CSMS records, over a real connection ------------------------------------------------


def _rows(csms: RunningCsms, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(csms.db_path) as db:
        return db.execute(sql).fetchall()


async def _recorded(csms: RunningCsms, sql: str, until: Any, timeout: float = 5.0) -> list[tuple[Any, ...]]:
    """The rows once ``until(rows)`` holds: each try follows one round trip through the CSMS's loop."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=csms.api, timeout=timeout) as client:
        while not until(rows := await asyncio.to_thread(_rows, csms, sql)):
            assert time.monotonic() < deadline, rows
            await client.get(f"/api/stations/{STATION}")
    return rows


async def test_signing_and_the_station_answer_are_recorded(reference_csms: RunningCsms,
                                                          open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    async with station.expect("CertificateSigned", reply={"status": "Rejected"}, timeout=5.0) as got:
        answer = await station.call("SignCertificate", {"csr": build_csr(STATION, new_station_key(), ORG),
                                                        "certificateType": "ChargingStationCertificate"})
        assert answer == {"status": "Accepted"}
    assert got.payload["certificateType"] == "ChargingStationCertificate"
    serial = format(load_pem_chain(got.payload["certificateChain"])[0].serial_number, "x")
    sql = f"SELECT decision, delivery FROM certificate_signings WHERE serial_number = '{serial}'"
    assert await _recorded(reference_csms, sql, lambda r: r and r[0][1] != "Issued") == [("Accepted", "Rejected")]
    refused = await station.call("SignCertificate", {"csr": build_csr("CP201_SP1", new_station_key(), ORG)})
    assert refused["status"] == "Rejected" and "common name" in refused["statusInfo"]["additionalInfo"]
    rows = _rows(reference_csms, "SELECT decision, certificate_chain FROM certificate_signings ORDER BY pk DESC")
    assert rows[0] == ("Rejected", None)


async def test_certificate_status_failed_when_the_issuer_is_unknown(reference_csms: RunningCsms,
                                                                   open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    stranger = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stranger")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(stranger.public_key())
            .serial_number(7).not_valid_before(datetime.datetime(2020, 1, 1))
            .not_valid_after(datetime.datetime(2040, 1, 1))
            .sign(stranger, hashes.SHA256()))
    request = {"ocspRequestData": hash_data(cert, cert, "http://127.0.0.1:9/")}
    answer = await station.call("GetCertificateStatus", request)
    assert answer["status"] == "Failed" and answer["statusInfo"]["reasonCode"] == "OCSPUnavailable"
    assert "ocspResult" not in answer
