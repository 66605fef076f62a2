"""Certificates on the reference CSMS: its CA signs station CSRs; it keeps track of what stations hold."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from csmscheck.csms.security_models import InstalledCertificate, IssuedCertificate
from csmscheck.csms.store import Store, now
from csmscheck.pki import sign_csr
from csmscheck.pki.certificates import certificate_hash_data, load_pem_chain
from csmscheck.pki.csr import check_csr
from csmscheck.wire import CallResult

if TYPE_CHECKING:
    from csmscheck.csms.config import CsmsConfig
    from csmscheck.csms.connection import StationConnection

log = logging.getLogger("csmscheck.csms")

CERTIFICATE_DAYS = 365
_HASH_FIELDS = ("hashAlgorithm", "issuerNameHash", "issuerKeyHash", "serialNumber")
_deliveries: set[asyncio.Task[None]] = set()  # keeps running deliveries referenced


def issue_certificate(config: CsmsConfig, station_id: str, csr_pem: str) -> str:
    """The PEM certificate chain the CSMS's CA issues for a station's CSR.

    Raises ValueError (with the reason) when the CSMS has no CA or the CSR is not one it
    may sign: bad PEM or signature, a CN other than the station id, a weak key.
    """
    if config.pki_dir is None:
        raise ValueError("the CSMS has no certificate authority (pki_dir not set)")
    check_csr(csr_pem, station_id)
    pem = sign_csr(csr_pem.encode(), config.pki_dir / "ca.pem", config.pki_dir / "ca.key",
                   days=CERTIFICATE_DAYS, usage="client")
    return pem.decode()


def deliver_later(connection: StationConnection, chain: str) -> None:
    """Send CertificateSigned once the current SignCertificate.conf is on its way.

    The task starts at the handler's next suspension point; the CALLRESULT is written
    before that (nothing awaits between a handler returning and its answer being sent).
    """
    task = asyncio.get_running_loop().create_task(_deliver(connection, chain))
    _deliveries.add(task)
    task.add_done_callback(_deliveries.discard)


async def _deliver(connection: StationConnection, chain: str) -> None:
    leaf = load_pem_chain(chain)[0]
    async with connection.csms.store.session() as db:
        db.add(IssuedCertificate(station_id=connection.station_id, serial_number=format(leaf.serial_number, "x"),
                                 certificate_chain=chain, status="Issued", issued_at=now(),
                                 not_after=leaf.not_valid_after_utc))
    try:
        answer = await connection.call("CertificateSigned", {"certificateChain": chain},
                                       connection.csms.config.call_timeout)
    except Exception as exc:  # a timeout or a closed connection: the station never got it
        log.warning("%s: CertificateSigned not delivered: %s", connection.station_id, exc)
        answer = None
    if not isinstance(answer, CallResult):
        await record_delivery(connection.csms.store, connection.station_id, chain, "Undelivered")


async def record_delivery(store: Store, station_id: str, chain: str, status: str) -> None:
    """What the station answered to CertificateSigned for a chain the CA issued."""
    async with store.session() as db:
        issued = await db.scalar(select(IssuedCertificate).filter_by(station_id=station_id, certificate_chain=chain)
                                 .order_by(IssuedCertificate.pk.desc()))
        if issued is not None:
            issued.status = status


def _key(hash_data: dict[str, Any]) -> tuple[str, str, str, str]:
    algorithm, name_hash, key_hash, serial = (str(hash_data[field]).lower() for field in _HASH_FIELDS)
    return algorithm, name_hash, key_hash, serial


async def record_installed(store: Store, station_id: str, certificate_type: str, pem: str) -> None:
    """A root certificate the station accepted from InstallCertificate (hash data computed with SHA-256).

    A certificate that is not self-issued is left to the next GetInstalledCertificateIds:
    its issuer's key, part of the hash data, is not in it.
    """
    try:
        certificate = load_pem_chain(pem)[0]
    except ValueError:
        return
    if certificate.issuer != certificate.subject:
        return
    async with store.session() as db:
        await _upsert(db, station_id, certificate_type, certificate_hash_data(certificate), pem)


async def _upsert(db: AsyncSession, station_id: str, certificate_type: str, hash_data: dict[str, Any],
                  pem: str | None) -> None:
    algorithm, name_hash, key_hash, serial = _key(hash_data)
    key = (station_id, certificate_type, algorithm.upper(), name_hash, key_hash, serial)
    row = await db.get(InstalledCertificate, key)
    if row is None:
        row = InstalledCertificate(station_id=station_id, certificate_type=certificate_type,
                                   hash_algorithm=algorithm.upper(), issuer_name_hash=name_hash,
                                   issuer_key_hash=key_hash, serial_number=serial)
        db.add(row)
    row.certificate = pem or row.certificate
    row.updated_at = now()


async def record_inventory(store: Store, station_id: str, certificate_type: str,
                           entries: list[dict[str, Any]]) -> None:
    """The station's answer to GetInstalledCertificateIds replaces what the CSMS knew of that type.

    A PEM the CSMS installed stays attached to the entry with the same hash data.
    """
    async with store.session() as db:
        known = (await db.scalars(select(InstalledCertificate).filter_by(
            station_id=station_id, certificate_type=certificate_type))).all()
        pems = {(r.hash_algorithm.lower(), r.issuer_name_hash, r.issuer_key_hash, r.serial_number): r.certificate
                for r in known}
        for row in known:
            await db.delete(row)
        await db.flush()
        for hash_data in entries:
            await _upsert(db, station_id, certificate_type, hash_data, pems.get(_key(hash_data)))


async def record_deleted(store: Store, station_id: str, hash_data: dict[str, Any]) -> None:
    """The station deleted the certificate with this hash data (of whatever type)."""
    algorithm, name_hash, key_hash, serial = _key(hash_data)
    async with store.session() as db:
        await db.execute(delete(InstalledCertificate).filter_by(
            station_id=station_id, hash_algorithm=algorithm.upper(), issuer_name_hash=name_hash,
            issuer_key_hash=key_hash, serial_number=serial))
