"""Block M: the CA certificates on the station — install (M05), list (M03) and delete (M04).

The operator has the CSMS send each request (the trigger API); the virtual station answers from
its certificate store (``station.certificates``): it installs a CA certificate, lists what it
holds as certificateHashData computed from the certificates, and deletes by hash data. The
reusable states the definitions name:

- CertificateInstalled (type): the CSMS sends InstallCertificate with a fresh root of that type
  (made at run time); certificateType must be the type, certificate a certificate; the station
  installs it (Accepted);
- GetInstalledCertificates (type): the CSMS sends GetInstalledCertificateIds asking for that type;
  the station answers Accepted with the hash data of what it holds of it.

Certificates a case installed through the CSMS are deleted through it afterwards (fixture
``installed``), so what the CSMS records of the station does not grow from run to run.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import suppress
from typing import Any

import pytest_asyncio
from cryptography import x509

from csmscheck.checks import certificate_management as checks
from csmscheck.errors import ConnectionLost, StepFailed
from csmscheck.expect import ABSENT, Matcher, assert_matches, mismatches, step
from csmscheck.pki.ca_certificates import installable_problem
from csmscheck.pki.certificates import HashAlgorithm, load_pem_chain, new_root_certificate, pem_text
from csmscheck.station import Station
from csmscheck.station.certificates import CSMS_ROOT, hold_v2g_chain, new_v2g_chain
from csmscheck.station.replies import Reply
from csmscheck.station.session import ReceivedCall
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v201.operations_steps import check_reported, shown

Payload = dict[str, Any]
HASHES: tuple[HashAlgorithm, ...] = ("SHA256", "SHA384", "SHA512")
A_CERTIFICATE: Any = Matcher("<a PEM encoded X.509 certificate>",
                             lambda v: isinstance(v, str) and bool(load_pem_chain(v)))


def _contains(*types: str) -> Any:
    return Matcher(f"<a list containing {', '.join(types)}>", lambda v: isinstance(v, list) and set(types) <= set(v))


def _contains_or_omitted(certificate_type: str) -> Any:
    matcher = Matcher(f"<omitted, or a list containing {certificate_type}>",
                      lambda v: isinstance(v, list) and certificate_type in v)
    matcher.allows_absent = True  # type: ignore[attr-defined]
    return matcher


def _hex(value: str) -> Any:
    return Matcher(f"<{value!r} in any letter case>", lambda v: isinstance(v, str) and v.lower() == value.lower())


def _same_hash_data(reported: Payload) -> Payload:
    """The hash data the station reported; hex digits may come in either letter case."""
    return {"hashAlgorithm": reported["hashAlgorithm"]} | {
        key: _hex(str(reported[key])) for key in ("issuerNameHash", "issuerKeyHash", "serialNumber")}


@pytest_asyncio.fixture
async def installed(station: Station, csms: Csms) -> AsyncIterator[list[x509.Certificate]]:
    """Roots a case installed through the CSMS; those the station still holds are deleted through the CSMS
    afterwards (the station accepts), so the CSMS's record of the station ends as it began."""
    roots: list[x509.Certificate] = []
    yield roots
    if station.cfg.manual:
        return  # best effort, and not worth an operator's time: the case's verdict is made
    store = station.certificates
    for root in roots:
        if not station.session.connected or not any(h.certificate == root for h in store.held):
            continue
        with suppress(StepFailed, ConnectionLost):
            await csms.trigger.request(station.version, station.id, "DeleteCertificate",
                                       {"certificateHashData": store.hash_data(root)})


def _new_root(certificate_type: str) -> x509.Certificate:
    root, _ = new_root_certificate(f"csmscheck {certificate_type} {secrets.token_hex(4)}")
    return root


async def _asks(station: Station, csms: Csms, action: str, payload: Payload, label: str,
                reply: Reply | None = None) -> ReceivedCall:
    """The operator has the CSMS send ``action``; the station answers ``reply`` (or from its store). No CALL in
    time fails step ``label``; the CSMS's report of the answer is CSC-201-F-03."""
    with step(label):
        async with station.expect(action, reply=reply) as got:
            reported = await csms.request(station, action, payload)
    check_reported(station, reported, got.answer, f"{label}: {action}Response")
    return got


# -- reusable states --------------------------------------------------------------------------


async def certificate_installed(station: Station, csms: Csms, installed: list[x509.Certificate],
                                certificate_type: str, prefix: str = "") -> x509.Certificate:
    """Reusable state CertificateInstalled for ``certificate_type``; returns the root the station installed."""
    root = _new_root(certificate_type)
    installed.append(root)
    label = f"{prefix}CertificateInstalled step 1: InstallCertificateRequest"
    got = await _asks(station, csms, "InstallCertificate",
                      {"certificateType": certificate_type, "certificate": pem_text(root)}, label)
    assert_matches(got.payload, {"certificateType": certificate_type, "certificate": A_CERTIFICATE}, label)
    _check_ca(station, got.payload, label)
    if got.answer != {"status": "Accepted"}:
        raise StepFailed(f"{prefix}CertificateInstalled step 2: InstallCertificateResponse: the station could not "
                         f"install the certificate the CSMS sent and answered {shown(got.answer)}")
    return root


async def installed_certificates(station: Station, csms: Csms, types: list[str], label: str) -> ReceivedCall:
    """Reusable state GetInstalledCertificates for ``types`` (main step ``label``): the request must ask for them
    all; the station answers Accepted with the hash data of what it holds of them."""
    state = f"{label}: GetInstalledCertificates"
    request_step = f"{state} step 1: GetInstalledCertificateIdsRequest"
    got = await _asks(station, csms, "GetInstalledCertificateIds", {"certificateType": types}, request_step)
    assert_matches(got.payload, {"certificateType": _contains(*types)}, request_step)
    answer = got.answer if isinstance(got.answer, dict) else {}
    if answer.get("status") != "Accepted":
        raise StepFailed(f"{state} step 2: GetInstalledCertificateIdsResponse: the station holds no certificate of "
                         f"{', '.join(types)} and answered {shown(got.answer)}")
    return got


def _check_ca(station: Station, request: Payload, label: str) -> None:
    problem = installable_problem(str(request.get("certificate", "")))
    station.findings.check(checks.CA_CERTIFICATE_SENT, problem is None,
                           f"{label}: the certificate is not one to install: {problem}")


def _holding(station: Station, *types: str) -> None:
    """The station's truststore holds at least one certificate of each type (the V2G chain made at run time)."""
    store = station.certificates
    for certificate_type in types:
        if store.of_type(certificate_type):
            continue
        if certificate_type in ("V2GRootCertificate", "V2GCertificateChain"):
            hold_v2g_chain(store, new_v2g_chain(station.id))
        else:
            store.add(certificate_type, _new_root(certificate_type))


# -- M05: install ------------------------------------------------------------------------------


@octt("TC_M_01", reqs=["M05.FR.01"])
async def test_tc_m_01(station: Station, csms: Csms, installed: list[x509.Certificate]) -> None:
    """Install CA certificate - CSMSRootCertificate."""
    await certificate_installed(station, csms, installed, "CSMSRootCertificate", "Step 1: ")


@octt("TC_M_02", reqs=["M05.FR.01"])
async def test_tc_m_02(station: Station, csms: Csms, installed: list[x509.Certificate]) -> None:
    """Install CA certificate - ManufacturerRootCertificate."""
    await certificate_installed(station, csms, installed, "ManufacturerRootCertificate", "Step 1: ")


@octt("TC_M_03", reqs=["M05.FR.01"])
async def test_tc_m_03(station: Station, csms: Csms, installed: list[x509.Certificate]) -> None:
    """Install CA certificate - V2GRootCertificate."""
    await certificate_installed(station, csms, installed, "V2GRootCertificate", "Step 1: ")


@octt("TC_M_04", reqs=["M05.FR.01"])
async def test_tc_m_04(station: Station, csms: Csms, installed: list[x509.Certificate]) -> None:
    """Install CA certificate - MORootCertificate."""
    await certificate_installed(station, csms, installed, "MORootCertificate", "Step 1: ")


@octt("TC_M_05", reqs=["M05.FR.01", "M05.FR.03"])
async def test_tc_m_05(station: Station, csms: Csms) -> None:
    """Install CA certificate - Failed."""
    label = "Step 1: InstallCertificateRequest"
    got = await _asks(station, csms, "InstallCertificate",
                      {"certificateType": "CSMSRootCertificate", "certificate": pem_text(_new_root(CSMS_ROOT))},
                      label, reply={"status": "Failed"})
    assert_matches(got.payload, {"certificateType": "CSMSRootCertificate", "certificate": A_CERTIFICATE}, label)
    _check_ca(station, got.payload, label)


# -- M03: list ---------------------------------------------------------------------------------


@octt("TC_M_12", reqs=["M03.FR.01"])
async def test_tc_m_12(station: Station, csms: Csms) -> None:
    """Retrieve certificates from Charging Station - CSMSRootCertificate."""
    _holding(station, CSMS_ROOT)
    for number, algorithm in enumerate(HASHES, start=1):
        station.certificates.hash_algorithm = algorithm
        await installed_certificates(station, csms, [CSMS_ROOT], f"Step {number} ({algorithm})")


@octt("TC_M_13", reqs=["M03.FR.01"])
async def test_tc_m_13(station: Station, csms: Csms) -> None:
    """Retrieve certificates from Charging Station - ManufacturerRootCertificate."""
    _holding(station, "ManufacturerRootCertificate")
    await installed_certificates(station, csms, ["ManufacturerRootCertificate"], "Step 1")


@octt("TC_M_14", reqs=["M03.FR.01"])
async def test_tc_m_14(station: Station, csms: Csms) -> None:
    """Retrieve certificates from Charging Station - V2GRootCertificate."""
    _holding(station, "V2GRootCertificate")
    await installed_certificates(station, csms, ["V2GRootCertificate"], "Step 1")


@octt("TC_M_15", reqs=["M03.FR.01", "M03.FR.05"])
async def test_tc_m_15(station: Station, csms: Csms) -> None:
    """Retrieve certificates from Charging Station - V2GCertificateChain."""
    _holding(station, "V2GCertificateChain")
    await installed_certificates(station, csms, ["V2GCertificateChain"], "Step 1")


@octt("TC_M_16", reqs=["M03.FR.01"])
async def test_tc_m_16(station: Station, csms: Csms) -> None:
    """Retrieve certificates from Charging Station - MORootCertificate."""
    _holding(station, "MORootCertificate")
    await installed_certificates(station, csms, ["MORootCertificate"], "Step 1")


@octt("TC_M_17", reqs=["M03.FR.01"])
async def test_tc_m_17(station: Station, csms: Csms) -> None:
    """Retrieve certificates from Charging Station - CSMSRootCertificate & ManufacturerRootCertificate."""
    _holding(station, CSMS_ROOT, "ManufacturerRootCertificate")
    await installed_certificates(station, csms, [CSMS_ROOT, "ManufacturerRootCertificate"], "Step 1")


@octt("TC_M_18", reqs=["M03.FR.01"])
async def test_tc_m_18(station: Station, csms: Csms) -> None:
    """Retrieve certificates from Charging Station - All certificateTypes."""
    _holding(station, CSMS_ROOT, "ManufacturerRootCertificate", "V2GCertificateChain", "MORootCertificate")
    label = "Step 1: GetInstalledCertificateIdsRequest"
    got = await _asks(station, csms, "GetInstalledCertificateIds", {}, label)
    assert_matches(got.payload, {"certificateType": ABSENT}, label)


@octt("TC_M_19", reqs=["M03.FR.01", "M03.FR.02"])
async def test_tc_m_19(station: Station, csms: Csms) -> None:
    """Retrieve certificates from Charging Station - No matching certificate found."""
    label = "Step 1: GetInstalledCertificateIdsRequest"
    got = await _asks(station, csms, "GetInstalledCertificateIds", {"certificateType": ["ManufacturerRootCertificate"]},
                      label, reply={"status": "NotFound"})
    assert_matches(got.payload, {"certificateType": ["ManufacturerRootCertificate"]}, label)


# -- M04: delete -------------------------------------------------------------------------------


async def _delete_installed(station: Station, csms: Csms, root: x509.Certificate, steps: tuple[int, int, int, int],
                            prefix: str = "", reply: Reply | None = None) -> None:
    """The operator has the CSMS delete ``root``: the CSMS asks for the CSMS roots (the station answers in its
    hash algorithm), then deletes with the hash data the station reported for ``root``."""
    ids, _, delete, _ = steps
    label = f"{prefix}Step {ids}: GetInstalledCertificateIdsRequest"
    got = await _asks(station, csms, "GetInstalledCertificateIds", {"certificateType": [CSMS_ROOT]}, label)
    assert_matches(got.payload, {"certificateType": _contains_or_omitted(CSMS_ROOT)}, label)
    own = station.certificates.hash_data(root)
    listed = got.answer.get("certificateHashDataChain", []) if isinstance(got.answer, dict) else []
    reported = next((e["certificateHashData"] for e in listed if not mismatches(e["certificateHashData"], own)),
                    None)
    if reported is None:
        raise StepFailed(f"{prefix}Step {ids + 1}: GetInstalledCertificateIdsResponse: the station does not list "
                         f"the certificate it installed ({shown(got.answer)})")
    label = f"{prefix}Step {delete}: DeleteCertificateRequest"
    got = await _asks(station, csms, "DeleteCertificate", {"certificateHashData": reported}, label, reply=reply)
    assert_matches(got.payload, {"certificateHashData": _same_hash_data(reported)}, label)
    sent = got.payload["certificateHashData"]
    station.findings.check(checks.HASH_DATA_AS_REPORTED, not mismatches(sent, reported),
                           f"{label}: certificateHashData {shown(sent)}, but the station reported {shown(reported)}")


@octt("TC_M_20", reqs=["M04.FR.01", "M04.FR.07"])
async def test_tc_m_20(station: Station, csms: Csms, installed: list[x509.Certificate]) -> None:
    """Delete a certificate from a Charging Station - Success."""
    for algorithm in HASHES:
        prefix = f"{algorithm}: "
        root = await certificate_installed(station, csms, installed, CSMS_ROOT, f"{prefix}Step 1: ")
        station.certificates.hash_algorithm = algorithm
        await _delete_installed(station, csms, root, (2, 3, 4, 5), prefix)


@octt("TC_M_21", reqs=["M04.FR.01", "M04.FR.07"])
async def test_tc_m_21(station: Station, csms: Csms, installed: list[x509.Certificate]) -> None:
    """Delete a certificate from a Charging Station - Failed."""
    root = await certificate_installed(station, csms, installed, CSMS_ROOT, "Before: ")
    await _delete_installed(station, csms, root, (1, 2, 3, 4), reply={"status": "Failed"})
