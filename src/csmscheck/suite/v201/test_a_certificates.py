"""Block A (security), certificates: the CSMS has the station renew its Charging Station, V2G and combined
certificates (A02, A03 with F06 TriggerMessage), and handles a station rejecting what it signed."""

from __future__ import annotations

import ssl
from contextlib import suppress

import pytest_asyncio
import websockets

from csmscheck.checks import certificates as checks
from csmscheck.errors import NotApplicable, StepFailed
from csmscheck.expect import step
from csmscheck.pki.csr import build_csr, new_station_key
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.session import connect_failure
from csmscheck.station.states import v201 as states
from csmscheck.station.states import v201_security as security
from csmscheck.station.states.v16 import checked_call
from csmscheck.station.states.v201_security import SignedCertificate
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.plugin import StationFactory
from csmscheck.suite.v201.certificate_steps import check_signed, v2g_chain
from csmscheck.timestamps import rfc3339


@pytest_asyncio.fixture
async def sp3_station(make_station: StationFactory, cfg: Settings) -> Station:
    """CP201_SP3 over security profile 3 (mutual TLS), Booted."""
    if cfg.target_sp3 is None or cfg.pki_dir is None:
        raise NotApplicable("needs security profile 3: CSMS_SP3_ADDRESS and CSMSCHECK_PKI_DIR")
    station = await make_station("2.0.1", cfg.cp201_sp3, 3)
    await states.booted(station)
    return station


def configured_csr(station: Station, certificate_type: str | None) -> SignedCertificate:
    """<Configured CSR> (CONFIGURED_CSR), or a CSR the station generates the same way it renews its own."""
    if station.cfg.csr is not None:
        return SignedCertificate(station.cfg.csr, None, certificate_type)
    key = new_station_key()
    return SignedCertificate(security.station_csr(station, key), key, certificate_type)


def _accepted(_: SignedCertificate) -> str:
    return "Accepted"


@octt("TC_A_11", reqs=["A02.FR.11", "A02.FR.14", "F06.FR.01"])
async def test_tc_a_11(sp3_station: Station, csms: Csms) -> None:
    """Update Charging Station Certificate by request of CSMS - Success - Charging Station Certificate."""
    station = sp3_station
    signed = await security.renew_charging_station_certificate(station, csms)
    check_signed(station, signed, "RenewChargingStationCertificate: Step 5: CertificateSignedRequest",
                 common_name=station.id)
    # Steps 2-3: a new connection with the new certificate (a reconnection: no BootNotification).
    station.endpoint = security.certificate_endpoint(station, signed)
    try:
        await station.reconnect()
    except (websockets.InvalidHandshake, ssl.SSLError, OSError, TimeoutError) as exc:
        raise StepFailed(f"Step 3: the CSMS refused the connection with the new certificate: "
                         f"{connect_failure(exc, station.cfg.message_wait)}") from None
    # Post scenario: the station and the CSMS are connected (the CSMS answers over the new connection).
    with step("Post scenario validation: connected with the new certificate"):
        await station.call("Heartbeat", {})


@octt("TC_A_12", reqs=["A02.FR.11", "F06.FR.01"])
async def test_tc_a_12(station: Station, csms: Csms, cfg: Settings) -> None:
    """Update Charging Station Certificate by request of CSMS - Success - V2G Certificate."""
    chain = v2g_chain(cfg)
    await security.triggered(station, csms, "SignV2GCertificate", "")
    signed = await security.sign(station, configured_csr(station, "V2GCertificate"), _accepted)
    check_signed(station, signed, "Step 5: CertificateSignedRequest", common_name=None, v2g=chain)


@octt("TC_A_13", reqs=["A02.FR.11"])
async def test_tc_a_13(sp3_station: Station, csms: Csms, cfg: Settings) -> None:
    """Update Charging Station Certificate by request of CSMS - Success - Combined Certificate."""
    station = sp3_station
    chain = v2g_chain(cfg)
    await security.triggered(station, csms, "SignCombinedCertificate", "")
    signed = await security.sign(station, configured_csr(station, None), _accepted)
    check_signed(station, signed, "Step 5: CertificateSignedRequest", common_name=station.id, v2g=chain)


@octt("TC_A_14")
async def test_tc_a_14(sp3_station: Station, csms: Csms) -> None:
    """Update Charging Station Certificate by request of CSMS - Invalid certificate."""
    station = sp3_station
    await security.triggered(station, csms, "SignChargingStationCertificate", "")
    await security.sign(station, configured_csr(station, "ChargingStationCertificate"), lambda _: "Rejected")
    await checked_call(station, "SecurityEventNotification",
                       {"type": "InvalidChargingStationCertificate", "timestamp": rfc3339()}, "Step 8")
    await _csr_for_another_station(station)


async def _csr_for_another_station(station: Station) -> None:
    """csmscheck check CSC-201-A-14: a CSR naming another station's identity is not signed."""
    label = "Beyond the OCTT: SignCertificateRequest with a CSR for another station"
    other = f"{station.id}-OTHER"
    key = new_station_key()
    csr = build_csr(other, key, station.cfg.organization, country=station.cfg.country,
                             organizational_unit=station.cfg.organizational_unit)
    response = await checked_call(station, "SignCertificate",
                                  {"csr": csr, "certificateType": "ChargingStationCertificate"}, label)
    if station.findings.check(checks.CSR_FOR_ANOTHER_STATION, response.get("status") == "Rejected",
                              f"{label}: answered {response.get('status')!r} for a CSR whose CN is {other!r}"):
        return
    with suppress(StepFailed):  # the certificate the CSMS signs anyway: the station refuses it
        await station.wait_for("CertificateSigned", reply={"status": "Rejected"})
