"""What a 1.6 charge point does in the security extension: its certificate store, renewing its
certificate from a CSR, reconnecting with new credentials, signed firmware and security events."""

from __future__ import annotations

import secrets
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import websockets
from cryptography import x509

from csmscheck.errors import NotApplicable, StepFailed
from csmscheck.expect import assert_matches
from csmscheck.pki import client_ssl_context
from csmscheck.pki.ca import PrivateKey
from csmscheck.pki.certificates import HashAlgorithm, certificate_hash_data, load_pem_chain
from csmscheck.pki.csr import build_csr, issued_certificate_problems, new_station_key, private_key_pem
from csmscheck.pki.tls import client_ssl_context_from_pem
from csmscheck.station.states import v16 as states
from csmscheck.station.station import Endpoint, Station
from csmscheck.station.v16 import Payload
from csmscheck.timestamps import rfc3339

# -- the charge point's installed root certificates -----------------------------------


@dataclass
class StationCertificates:
    """Root certificates the charge point holds, per certificateType; answers the CSMS from them."""

    hash_algorithm: HashAlgorithm = "SHA256"
    installed: dict[str, list[x509.Certificate]] = field(default_factory=dict)

    def hash_data(self, certificate: x509.Certificate) -> dict[str, str]:
        return certificate_hash_data(certificate, algorithm=self.hash_algorithm)

    def install(self, request: Payload) -> Payload:
        try:
            certificate = load_pem_chain(request["certificate"])[0]
        except ValueError:
            return {"status": "Rejected"}
        kept = self.installed.setdefault(request["certificateType"], [])
        if certificate not in kept:
            kept.append(certificate)
        return {"status": "Accepted"}

    def installed_ids(self, request: Payload) -> Payload:
        kept = self.installed.get(request["certificateType"], [])
        if not kept:
            return {"status": "NotFound"}
        return {"status": "Accepted", "certificateHashData": [self.hash_data(c) for c in kept]}

    def delete(self, request: Payload) -> Payload:
        wanted = {k: str(v).lower() for k, v in request["certificateHashData"].items()}
        algorithm = request["certificateHashData"]["hashAlgorithm"]
        for kept in self.installed.values():
            for certificate in kept:
                own = certificate_hash_data(certificate, algorithm=algorithm)
                if {k: v.lower() for k, v in own.items()} == wanted:
                    kept.remove(certificate)
                    return {"status": "Accepted"}
        return {"status": "NotFound"}


def keep_certificates(station: Station) -> StationCertificates:
    """Give the station a certificate store (holding the CSMS root it trusts, if known) that
    answers InstallCertificate, GetInstalledCertificateIds and DeleteCertificate."""
    store = StationCertificates()
    if station.cfg.pki_dir is not None and (station.cfg.pki_dir / "ca.pem").is_file():
        root = x509.load_pem_x509_certificate((station.cfg.pki_dir / "ca.pem").read_bytes())
        store.installed["CentralSystemRootCertificate"] = [root]
    station.session.replies["InstallCertificate"] = store.install
    station.session.replies["GetInstalledCertificateIds"] = store.installed_ids
    station.session.replies["DeleteCertificate"] = store.delete
    return store


# -- renewing the charge point certificate --------------------------------------------


@dataclass
class RenewedCertificate:
    """The key pair behind a CSR and what the CSMS sent back for it."""

    key: PrivateKey
    chain: str = ""
    problems: list[str] = field(default_factory=list)


def trusted_ca(station: Station) -> Path:
    """The CA the CSMS's certificates chain to; without a configured PKI the case is not applicable."""
    if station.cfg.pki_dir is None:
        raise NotApplicable("checking certificates needs the Central System's PKI (CSMSCHECK_PKI_DIR)")
    return station.cfg.pki_dir / "ca.pem"


async def renew_certificate(station: Station, *, sign_step: str, signed_step: str,
                            accept: bool = True) -> RenewedCertificate:
    """A new key pair and CSR; SignCertificate (answered Accepted, checked as ``sign_step``),
    then the CSMS's CertificateSigned (``signed_step``), which the station checks against the
    CSR and its CA.

    The station answers Accepted when the certificate is right and ``accept`` is set,
    Rejected otherwise; what is wrong is in ``problems``.
    """
    ca = trusted_ca(station)
    renewed = RenewedCertificate(new_station_key())
    csr = build_csr(station.id, renewed.key)

    def check(request: Payload) -> Payload:
        renewed.chain = request["certificateChain"]
        renewed.problems = issued_certificate_problems(renewed.chain, renewed.key.public_key(), station.id, ca)
        return {"status": "Accepted" if accept and not renewed.problems else "Rejected"}

    signed = False
    try:
        async with station.expect("CertificateSigned", reply=check):
            response = await states.checked_call(station, "SignCertificate", {"csr": csr}, sign_step)
            assert_matches(response, {"status": "Accepted"}, sign_step)
            signed = True
    except StepFailed as exc:
        if not signed:  # already named: the SignCertificate step
            raise
        raise StepFailed(f"{signed_step}: {exc}") from None
    return renewed


async def reconnect_with(station: Station, endpoint: Endpoint, step: str) -> None:
    """Drop the connection and open a new one with other credentials; a refusal fails ``step``."""
    station.endpoint = endpoint
    await states.reconnect(station, step)


def certificate_endpoint(station: Station, renewed: RenewedCertificate) -> Endpoint:
    """The station's endpoint with the renewed certificate as TLS client certificate."""
    context = client_ssl_context_from_pem(trusted_ca(station), renewed.chain.encode(), private_key_pem(renewed.key))
    return Endpoint(station.endpoint.url, None, context)


def new_password() -> str:
    """A fresh AuthorizationKey: 20 random bytes as 40 hex digits (the longest the extension allows)."""
    return secrets.token_hex(20)


def password_endpoint(station: Station, password: str) -> Endpoint:
    return replace(station.endpoint, password=password)


async def refused(station: Station) -> str | None:
    """Try to connect with the station's endpoint: the refusal, or None if the CSMS let it in."""
    try:
        await station.connect()
    except (websockets.InvalidHandshake, ssl.SSLError, OSError) as exc:
        return states.connection_refusal(exc)
    await station.close()
    return None


def tls_client_contexts(station: Station, profile: int) -> Callable[[], ssl.SSLContext]:
    """Fresh client contexts with the station's TLS credentials (the client certificate on profile 3)."""
    ca = trusted_ca(station)
    pki = ca.parent

    def make() -> ssl.SSLContext:
        if profile == 3:
            return client_ssl_context(ca, pki / f"client-{station.id}.pem", pki / f"client-{station.id}.key")
        return client_ssl_context(ca)

    return make


# -- notifications ---------------------------------------------------------------------


async def security_event(station: Station, event_type: str, step: str) -> None:
    """A SecurityEventNotification; a CALLERROR, an invalid answer or none fails ``step``."""
    await states.checked_call(station, "SecurityEventNotification", {"type": event_type, "timestamp": rfc3339()},
                              step)


async def firmware_status(station: Station, status: str, request_id: int, step: str) -> None:
    """A SignedFirmwareStatusNotification; a CALLERROR, an invalid answer or none fails ``step``."""
    await states.checked_call(station, "SignedFirmwareStatusNotification",
                              {"status": status, "requestId": request_id}, step)


async def log_status(station: Station, status: str, request_id: int, step: str) -> None:
    """A LogStatusNotification; a CALLERROR, an invalid answer or none fails ``step``."""
    await states.checked_call(station, "LogStatusNotification", {"status": status, "requestId": request_id}, step)
