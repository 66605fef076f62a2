"""Certificates on the reference CSMS: its CA signs station CSRs; it keeps track of what stations hold
(OCPP 1.6 security extension and 2.0.1 block M alike)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csmscheck.csms import own_calls
from csmscheck.csms.security_models import CertificateInstallation, InstalledCertificate, IssuedCertificate
from csmscheck.csms.store import Store, now
from csmscheck.pki import sign_csr
from csmscheck.pki.certificates import HashAlgorithm, certificate_hash_data, load_pem_chain
from csmscheck.pki.csr import check_csr
from csmscheck.wire import CallResult

if TYPE_CHECKING:
    from csmscheck.csms.config import CsmsConfig
    from csmscheck.csms.connection import StationConnection


CERTIFICATE_DAYS = 365
_HASH_FIELDS = ("hashAlgorithm", "issuerNameHash", "issuerKeyHash", "serialNumber")


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
    own_calls.start(_deliver(connection, chain))


async def _deliver(connection: StationConnection, chain: str) -> None:
    leaf = load_pem_chain(chain)[0]
    async with connection.csms.store.session() as db:
        db.add(IssuedCertificate(station_id=connection.station_id, serial_number=format(leaf.serial_number, "x"),
                                 certificate_chain=chain, status="Issued", issued_at=now(),
                                 not_after=leaf.not_valid_after_utc))
    answer = await own_calls.call_or_none(connection, "CertificateSigned", {"certificateChain": chain},
                                          "CertificateSigned")
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
    return algorithm, name_hash, key_hash, serial.lstrip("0") or "0"


def _row_key(row: InstalledCertificate) -> tuple[str, str, str, str]:
    return _key({"hashAlgorithm": row.hash_algorithm, "issuerNameHash": row.issuer_name_hash,
                 "issuerKeyHash": row.issuer_key_hash, "serialNumber": row.serial_number})


def _identifies(row: InstalledCertificate, hash_data: dict[str, Any]) -> bool:
    """Whether ``hash_data`` names the certificate of ``row``: the same values, or, where the CSMS has the
    root's PEM, the values that root hashes to in the algorithm the hash data uses."""
    wanted = _key(hash_data)
    if _row_key(row) == wanted:
        return True
    if row.certificate is None or str(hash_data["hashAlgorithm"]).upper() == row.hash_algorithm:
        return False
    try:
        certificate = load_pem_chain(row.certificate)[0]
    except ValueError:
        return False
    if certificate.issuer != certificate.subject:
        return False
    algorithm = str(hash_data["hashAlgorithm"]).upper()
    if algorithm not in ("SHA256", "SHA384", "SHA512"):
        return False
    return _key(certificate_hash_data(certificate, algorithm=cast(HashAlgorithm, algorithm))) == wanted


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
                  pem: str | None, child_of: str | None = None) -> None:
    algorithm, name_hash, key_hash, serial = _key(hash_data)
    key = (station_id, certificate_type, algorithm.upper(), name_hash, key_hash, serial)
    row = await db.get(InstalledCertificate, key)
    if row is None:
        row = InstalledCertificate(station_id=station_id, certificate_type=certificate_type,
                                   hash_algorithm=algorithm.upper(), issuer_name_hash=name_hash,
                                   issuer_key_hash=key_hash, serial_number=serial)
        db.add(row)
    row.certificate = pem or row.certificate
    row.child_of = child_of
    row.updated_at = now()


InventoryEntry = tuple[str, dict[str, Any], str | None]
"""One certificate a station listed: its type, its hash data, and the serial number of the chain leaf it was
listed under (a 2.0.1 childCertificateHashData entry), or None."""


async def record_inventory(store: Store, station_id: str, certificate_type: str,
                           entries: list[dict[str, Any]]) -> None:
    """The station's answer to a 1.6 GetInstalledCertificateIds replaces what the CSMS knew of that type."""
    await replace_inventory(store, station_id, [certificate_type], [(certificate_type, h, None) for h in entries])


async def replace_inventory(store: Store, station_id: str, certificate_types: list[str],
                            entries: list[InventoryEntry]) -> None:
    """What a station listed replaces what the CSMS knew of the types it was asked for.

    A PEM the CSMS installed stays attached to the entry that names the same certificate (in
    whichever hash algorithm the station reports it).
    """
    async with store.session() as db:
        known = (await db.scalars(select(InstalledCertificate).filter_by(station_id=station_id)
                                  .where(InstalledCertificate.certificate_type.in_(certificate_types)))).all()
        for row in known:
            await db.delete(row)
        await db.flush()
        for certificate_type, hash_data, child_of in entries:
            pem = next((r.certificate for r in known if r.certificate is not None and _identifies(r, hash_data)),
                       None)
            await _upsert(db, station_id, certificate_type, hash_data, pem, child_of)


async def record_deleted(store: Store, station_id: str, hash_data: dict[str, Any]) -> None:
    """The station deleted the certificate with this hash data (of whatever type), and with a chain's leaf the
    sub-CAs listed under it."""
    async with store.session() as db:
        rows = (await db.scalars(select(InstalledCertificate).filter_by(station_id=station_id))).all()
        gone = [row for row in rows if _identifies(row, hash_data)]
        leaves = {row.serial_number for row in gone if row.child_of is None}
        for row in rows:
            if row in gone or (row.child_of is not None and row.child_of in leaves):
                await db.delete(row)


async def certificates_view(store: Store, station_id: str) -> dict[str, list[dict[str, Any]]]:
    """The certificates the CSMS believes a station holds, and its 20 latest (2.0.1) InstallCertificate attempts."""
    async with store.session() as db:
        held = (await db.scalars(select(InstalledCertificate).filter_by(station_id=station_id)
                                 .order_by(InstalledCertificate.certificate_type,
                                           InstalledCertificate.updated_at))).all()
        attempts = (await db.scalars(select(CertificateInstallation).filter_by(station_id=station_id)
                                     .order_by(CertificateInstallation.pk.desc()).limit(20))).all()
    return {
        "installedCertificates": [
            {"certificateType": row.certificate_type,
             "certificateHashData": {"hashAlgorithm": row.hash_algorithm, "issuerNameHash": row.issuer_name_hash,
                                     "issuerKeyHash": row.issuer_key_hash, "serialNumber": row.serial_number},
             "childOf": row.child_of, "installedByCsms": row.certificate is not None,
             "updatedAt": row.updated_at.isoformat()}
            for row in held],
        "certificateInstallations": [
            {"certificateType": a.certificate_type, "subject": a.subject, "serialNumber": a.serial_number,
             "status": a.status, "reason": a.reason, "attemptedAt": a.attempted_at.isoformat()}
            for a in attempts],
    }

