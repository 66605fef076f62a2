"""The reference CSMS's OCPP 2.0.1 CA-certificate management, driven by a raw station session and the trigger API.

What it records from the station's answers to InstallCertificate, GetInstalledCertificateIds and
DeleteCertificate (shown in the station detail), and what it refuses to send (400 with reasons).
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from conftest import RunningCsms, StationOpener
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from trigger_calls import refused, relayed

from csmscheck.pki.certificates import certificate_hash_data, new_root_certificate, pem_text
from csmscheck.station.certificates import new_v2g_chain
from csmscheck.station.session import StationSession
from csmscheck.wire import CallError

STATION = "CP201_SP1"
Payload = dict[str, Any]


@pytest.fixture
async def api(reference_csms: RunningCsms) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=reference_csms.api, timeout=10.0) as client:
        yield client


@pytest.fixture
async def station(reference_csms: RunningCsms, open_station: StationOpener,
                  api: httpx.AsyncClient) -> StationSession:
    """CP201_SP1, booted, of which the CSMS believes nothing is installed (it listed nothing of any type)."""
    session = await open_station(reference_csms, STATION)
    await relayed(api, session, "GetInstalledCertificateIds", {}, {"status": "NotFound"})
    return session


async def _detail(api: httpx.AsyncClient) -> Payload:
    response = await api.get(f"/api/stations/{STATION}")
    assert response.status_code == 200, response.text
    detail: Payload = response.json()
    return detail


async def _held(api: httpx.AsyncClient) -> list[tuple[str, str, str | None]]:
    """(type, serial number, childOf) of what the CSMS believes the station holds."""
    return sorted((c["certificateType"], c["certificateHashData"]["serialNumber"], c["childOf"])
                  for c in (await _detail(api))["installedCertificates"])


def _leaf(*, ca: bool, expired: bool = False) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not a root")])
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=10 if expired else 0, hours=1)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=1 if expired else 30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))


def _serial(certificate: x509.Certificate) -> str:
    return format(certificate.serial_number, "x")


async def test_install_accepted_is_recorded_rejected_is_not(station: StationSession, api: httpx.AsyncClient) -> None:
    kept, _ = new_root_certificate("kept root")
    refused, _ = new_root_certificate("refused root")
    body = await relayed(api, station, "InstallCertificate",
                       {"certificateType": "MORootCertificate", "certificate": pem_text(kept)}, {"status": "Accepted"})
    assert body["response"] == {"status": "Accepted"}
    await relayed(api, station, "InstallCertificate",
                {"certificateType": "CSMSRootCertificate", "certificate": pem_text(refused)},
                {"status": "Rejected", "statusInfo": {"reasonCode": "InvalidCertificate", "additionalInfo": "no"}})
    await relayed(api, station, "InstallCertificate",
                {"certificateType": "CSMSRootCertificate", "certificate": pem_text(refused)}, {"status": "Failed"})
    assert await _held(api) == [("MORootCertificate", _serial(kept), None)]
    detail = await _detail(api)
    (held,) = detail["installedCertificates"]
    assert held["certificateHashData"] == certificate_hash_data(kept) and held["installedByCsms"] is True
    attempts = [(a["certificateType"], a["serialNumber"], a["status"], a["reason"])
                for a in detail["certificateInstallations"][:3]]
    assert attempts == [("CSMSRootCertificate", _serial(refused), "Failed", None),
                        ("CSMSRootCertificate", _serial(refused), "Rejected", "InvalidCertificate: no"),
                        ("MORootCertificate", _serial(kept), "Accepted", None)]


async def test_an_install_without_an_answer_stays_sent(station: StationSession, api: httpx.AsyncClient) -> None:
    root, _ = new_root_certificate("unanswered root")
    async with station.expect("InstallCertificate", reply=CallError("", "InternalError", "store full")):
        response = await api.post(f"/api/octt/2.0.1/{STATION}/install-certificate",
                                  json={"certificateType": "V2GRootCertificate", "certificate": pem_text(root)})
    assert response.json()["error"]["code"] == "InternalError"
    latest = (await _detail(api))["certificateInstallations"][0]
    assert (latest["serialNumber"], latest["status"]) == (_serial(root), "Sent")
    assert await _held(api) == []


async def test_the_listed_types_replace_what_the_csms_knew(station: StationSession, api: httpx.AsyncClient) -> None:
    csms_root, _ = new_root_certificate("csms")
    maker, _ = new_root_certificate("maker")
    chain = new_v2g_chain(STATION)
    await relayed(api, station, "InstallCertificate",
                {"certificateType": "CSMSRootCertificate", "certificate": pem_text(csms_root)}, {"status": "Accepted"})
    listing = {"status": "Accepted", "certificateHashDataChain": [
        {"certificateType": "ManufacturerRootCertificate", "certificateHashData": certificate_hash_data(maker)},
        {"certificateType": "V2GCertificateChain",
         "certificateHashData": certificate_hash_data(chain.leaf, chain.sub_ca_2),
         "childCertificateHashData": [certificate_hash_data(chain.sub_ca_2, chain.sub_ca_1)]}]}
    await relayed(api, station, "GetInstalledCertificateIds",
                {"certificateType": ["ManufacturerRootCertificate", "V2GCertificateChain"]}, listing)
    assert await _held(api) == sorted([
        ("CSMSRootCertificate", _serial(csms_root), None),  # not asked for: still believed held
        ("ManufacturerRootCertificate", _serial(maker), None),
        ("V2GCertificateChain", _serial(chain.leaf), None),
        ("V2GCertificateChain", _serial(chain.sub_ca_2), _serial(chain.leaf))])
    await relayed(api, station, "GetInstalledCertificateIds", {"certificateType": ["CSMSRootCertificate"]},
                {"status": "NotFound"})
    assert [h[0] for h in await _held(api)] == ["ManufacturerRootCertificate", "V2GCertificateChain",
                                                "V2GCertificateChain"]
    # Deleting the chain's leaf takes the sub-CAs listed under it along.
    await relayed(api, station, "DeleteCertificate",
                {"certificateHashData": certificate_hash_data(chain.leaf, chain.sub_ca_2)}, {"status": "Accepted"})
    assert await _held(api) == [("ManufacturerRootCertificate", _serial(maker), None)]


async def test_delete_accepted_or_not_found_removes_failed_keeps(station: StationSession,
                                                                api: httpx.AsyncClient) -> None:
    first, _ = new_root_certificate("first")
    second, _ = new_root_certificate("second")
    for root in (first, second):
        await relayed(api, station, "InstallCertificate",
                    {"certificateType": "CSMSRootCertificate", "certificate": pem_text(root)}, {"status": "Accepted"})
    # The station reports in SHA-384: the CSMS still knows which root that is (it has its PEM).
    sha384 = certificate_hash_data(first, algorithm="SHA384")
    await relayed(api, station, "GetInstalledCertificateIds", {"certificateType": ["CSMSRootCertificate"]},
                {"status": "Accepted", "certificateHashDataChain": [
                    {"certificateType": "CSMSRootCertificate", "certificateHashData": sha384},
                    {"certificateType": "CSMSRootCertificate",
                     "certificateHashData": certificate_hash_data(second, algorithm="SHA384")}]})
    installed = (await _detail(api))["installedCertificates"]
    assert [c["installedByCsms"] for c in installed] == [True, True], installed
    await relayed(api, station, "DeleteCertificate", {"certificateHashData": sha384}, {"status": "Failed"})
    assert len(await _held(api)) == 2
    await relayed(api, station, "DeleteCertificate", {"certificateHashData": sha384}, {"status": "Accepted"})
    assert await _held(api) == [("CSMSRootCertificate", _serial(second), None)]
    # SHA-512 hash data of the second root, which the CSMS recorded in SHA-384: matched through its PEM.
    await relayed(api, station, "DeleteCertificate",
                {"certificateHashData": certificate_hash_data(second, algorithm="SHA512")}, {"status": "NotFound"})
    assert await _held(api) == []


@pytest.mark.parametrize(("certificate", "reason"), [
    ("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----", "not a PEM encoded X.509 certificate"),
    (pem_text(_leaf(ca=False)), "not a CA certificate"),
    (pem_text(_leaf(ca=True, expired=True)), "expired on"),
    (pem_text(_leaf(ca=True)) + pem_text(_leaf(ca=True)), "2 certificates"),
])
async def test_install_of_what_no_station_takes_is_refused(station: StationSession, api: httpx.AsyncClient,
                                                           certificate: str, reason: str) -> None:
    errors = await refused(api, station, "install-certificate",
                            {"certificateType": "CSMSRootCertificate", "certificate": certificate})
    assert any(e.startswith("certificate: ") and reason in e for e in errors), errors


async def test_delete_with_malformed_hash_data_is_refused(station: StationSession, api: httpx.AsyncClient) -> None:
    root, _ = new_root_certificate("r")
    good = certificate_hash_data(root, algorithm="SHA512")
    errors = await refused(api, station, "delete-certificate", {"certificateHashData": good | {
        "issuerNameHash": good["issuerNameHash"][:64], "serialNumber": "0x1f"}})
    assert errors == ["certificateHashData.issuerNameHash: 64 hex digits, a SHA512 digest has 128",
                      "certificateHashData.serialNumber: '0x1f' is not hexadecimal (no 0x prefix, no separators)"]
