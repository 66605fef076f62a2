"""What a 2.0.1 station does to get its certificates signed (A02, A03), and the reusable state
RenewChargingStationCertificate built from it.

The operator has the CSMS trigger a signing request (TriggerMessage SignChargingStationCertificate,
SignV2GCertificate or SignCombinedCertificate); the station accepts, generates a key and a CSR
naming itself (CN = station id) and the configured country, organization and organizational
unit, and sends SignCertificate. The CSMS answers and, when it accepted, sends CertificateSigned
on its own: the station checks the chain against the CSR and the CA it expects and answers.
The renewed key and chain are kept, so a case can reconnect with them (security profile 3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from csmscheck.errors import NotApplicable, StepFailed
from csmscheck.expect import assert_matches, step
from csmscheck.pki.ca import PrivateKey
from csmscheck.pki.csr import build_csr, issued_certificate_problems, new_station_key, private_key_pem
from csmscheck.pki.tls import client_ssl_context_from_pem
from csmscheck.station.operator import CsmsOperator
from csmscheck.station.states.v16 import checked_call
from csmscheck.station.station import Endpoint, Station
from csmscheck.station.v201 import Payload

# requestedMessage of the TriggerMessage -> the certificateType of the SignCertificateRequest (None: omitted)
CERTIFICATE_TYPES: dict[str, str | None] = {
    "SignChargingStationCertificate": "ChargingStationCertificate",
    "SignV2GCertificate": "V2GCertificate",
    "SignCombinedCertificate": None,
}


@dataclass
class SignedCertificate:
    """One signing round: the CSR sent (and its key, unless it was a configured CSR), what the CSMS answered
    and signed, and what the station found wrong with the chain."""

    csr: str
    key: PrivateKey | None
    certificate_type: str | None
    sign_response: Payload = field(default_factory=dict)
    signed_request: Payload = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def chain(self) -> str:
        return str(self.signed_request.get("certificateChain", ""))


def station_csr(station: Station, key: PrivateKey) -> str:
    """The station's CSR: CN = its id, with the configured country, organization and organizational unit."""
    cfg = station.cfg
    return build_csr(station.id, key, cfg.organization, country=cfg.country,
                     organizational_unit=cfg.organizational_unit)


def trusted_ca(station: Station) -> Path:
    """The CA the CSMS signs Charging Station certificates with; without a PKI the case is not applicable."""
    if station.cfg.pki_dir is None or not (station.cfg.pki_dir / "ca.pem").is_file():
        raise NotApplicable("checking the signed certificate needs the CSMS's PKI (CSMSCHECK_PKI_DIR with ca.pem)")
    return station.cfg.pki_dir / "ca.pem"


async def triggered(station: Station, csms: CsmsOperator, requested: str, label: str) -> Payload:
    """Steps 1-2: the CSMS sends TriggerMessage ``requested`` (F06.FR.01), the station accepts."""
    with step(f"{label}Step 1"):
        async with station.expect("TriggerMessage", reply={"status": "Accepted"}) as got:
            await csms.request(station, "TriggerMessage", {"requestedMessage": requested})
    assert_matches(got.payload, {"requestedMessage": requested}, f"{label}Step 1: TriggerMessageRequest")
    return got.payload


async def sign(station: Station, signed: SignedCertificate, check: Callable[[SignedCertificate], str],
               label: str = "") -> SignedCertificate:
    """Steps 3-6: SignCertificate (its response must be Accepted, step 4), then the CSMS's CertificateSigned
    (step 5, awaited with a deadline), answered with ``check(signed)`` (step 6)."""

    def answer(request: Payload) -> Payload:
        signed.signed_request = request
        return {"status": check(signed)}

    payload: Payload = {"csr": signed.csr}
    if signed.certificate_type is not None:
        payload["certificateType"] = signed.certificate_type
    accepted = False
    try:
        async with station.expect("CertificateSigned", reply=answer):
            signed.sign_response = await checked_call(station, "SignCertificate", payload, f"{label}Step 3")
            assert_matches(signed.sign_response, {"status": "Accepted"}, f"{label}Step 4: SignCertificateResponse")
            accepted = True
    except StepFailed as exc:
        if not accepted:  # already named: the SignCertificate step
            raise
        raise StepFailed(f"{label}Step 5: {exc}") from None
    return signed


def charging_station_problems(station: Station, signed: SignedCertificate) -> list[str]:
    """What is wrong with a Charging Station certificate chain for the station's CSR (empty: nothing)."""
    if signed.key is None:
        return []
    return issued_certificate_problems(signed.chain, signed.key.public_key(), station.id, trusted_ca(station))


async def renew_charging_station_certificate(station: Station, csms: CsmsOperator, *,
                                             label: str = "RenewChargingStationCertificate: ") -> SignedCertificate:
    """The reusable state RenewChargingStationCertificate: a new key and certificate, accepted by the station
    only when the chain is right (a wrong one fails step 6 with what is wrong)."""
    await triggered(station, csms, "SignChargingStationCertificate", label)
    key = new_station_key()
    signed = SignedCertificate(station_csr(station, key), key, "ChargingStationCertificate")

    def check(current: SignedCertificate) -> str:
        current.problems = charging_station_problems(station, current)
        return "Rejected" if current.problems else "Accepted"

    await sign(station, signed, check, label)
    if signed.problems:
        raise StepFailed(f"{label}Step 6: CertificateSignedResponse: the station rejected the signed certificate: "
                         + "; ".join(signed.problems))
    return signed


def certificate_endpoint(station: Station, signed: SignedCertificate) -> Endpoint:
    """The station's endpoint with the renewed key and certificate as its TLS client credentials."""
    if signed.key is None:
        raise ValueError("a configured CSR has no key the station holds")
    context = client_ssl_context_from_pem(trusted_ca(station), signed.chain.encode(), private_key_pem(signed.key))
    return Endpoint(station.endpoint.url, None, context)
