"""What the reference CSMS signs for an OCPP 2.0.1 station (A02, A03), and how it delivers it.

The CSR of a SignCertificateRequest is checked before any CA signs it (Part 2 §A00,
"Certificate properties", and ISO 15118-2 for the V2G use):

    certificateType              CN                  O                 key            signed by
    ChargingStationCertificate   the station id      the operator's    OCPP strength  the CSMS's CA (ca.pem)
    V2GCertificate               one, 1-64 chars     the operator's    EC P-256       the CPO sub-CA (v2g-subca.pem)
    omitted (both uses)          the station id      the operator's    EC P-256       the CPO sub-CA, client and
                                                                                        server authentication

The signature must verify (proof of possession). The operator (O) is the configured
organization (CONFIGURED_ORGANIZATION). What was decided and delivered is kept in
``certificate_signings``; a chain the station rejected is recorded so, never as installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from csmscheck.csms import own_calls
from csmscheck.csms.signing_models import ISSUED, CertificateSigning
from csmscheck.csms.store import Store, now
from csmscheck.pki import sign_csr
from csmscheck.pki.certificates import load_pem_chain
from csmscheck.pki.csr import check_csr
from csmscheck.pki.v2g import load_v2g_chain, sign_v2g_csr
from csmscheck.wire import CallResult

if TYPE_CHECKING:
    from csmscheck.csms.config import CsmsConfig
    from csmscheck.csms.connection import StationConnection


CHARGING_STATION = "ChargingStationCertificate"
V2G = "V2GCertificate"
COMBINED = "Combined"  # no certificateType: the certificate serves both connections
CERTIFICATE_DAYS = 365


def issue(config: CsmsConfig, station_id: str, csr_pem: str, certificate_type: str) -> str:
    """The PEM chain (leaf first) the CSMS issues for the CSR; ValueError says why it will not."""
    if config.pki_dir is None:
        raise ValueError("the CSMS has no certificate authority (pki_dir not set)")
    organization = config.seed.organization
    if certificate_type == CHARGING_STATION:
        check_csr(csr_pem, station_id, organization=organization)
        return sign_csr(csr_pem.encode(), config.pki_dir / "ca.pem", config.pki_dir / "ca.key",
                        days=CERTIFICATE_DAYS, usage="client").decode()
    csr = check_csr(csr_pem, None if certificate_type == V2G else station_id, organization=organization)
    key = csr.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("an ISO 15118 certificate needs an EC secp256r1 key (ISO 15118-2)")
    try:
        chain = load_v2g_chain(config.pki_dir)
    except (OSError, ValueError) as exc:
        raise ValueError(f"the CSMS has no V2G certificate chain: {exc}") from None
    return sign_v2g_csr(csr, chain, client_auth=certificate_type == COMBINED, days=CERTIFICATE_DAYS)


async def record_decision(store: Store, station_id: str, certificate_type: str, chain: str | None,
                          reason: str | None) -> None:
    """A signed chain (about to be delivered) or a rejected CSR with its reason."""
    async with store.session() as db:
        row = CertificateSigning(station_id=station_id, certificate_type=certificate_type,
                                 decision="Accepted" if chain else "Rejected", reason=reason, received_at=now())
        if chain:
            leaf = load_pem_chain(chain)[0]
            row.serial_number, row.not_after = format(leaf.serial_number, "x"), leaf.not_valid_after_utc
            row.certificate_chain, row.delivery = chain, ISSUED
        db.add(row)


def deliver_later(connection: StationConnection, chain: str, certificate_type: str | None) -> None:
    """Send CertificateSigned once the SignCertificateResponse is on its way.

    The task starts at the handler's next suspension point; the CALLRESULT is written
    before that (nothing awaits between a handler returning and its answer being sent).
    A02.FR.14: the certificateType the station asked for is echoed.
    """
    own_calls.start(_deliver(connection, chain, certificate_type))


async def _deliver(connection: StationConnection, chain: str, certificate_type: str | None) -> None:
    payload = {"certificateChain": chain} | ({"certificateType": certificate_type} if certificate_type else {})
    answer = await own_calls.call_or_none(connection, "CertificateSigned", payload, "CertificateSigned")
    if not isinstance(answer, CallResult):
        await record_delivery(connection.csms.store, connection.station_id, chain, "Undelivered")


async def record_delivery(store: Store, station_id: str, chain: str, status: str) -> None:
    """The station's CertificateSignedResponse status (or Undelivered) for a chain the CSMS issued."""
    async with store.session() as db:
        row = await db.scalar(select(CertificateSigning).filter_by(station_id=station_id, certificate_chain=chain)
                              .order_by(CertificateSigning.pk.desc()))
        if row is not None:
            row.delivery = status
