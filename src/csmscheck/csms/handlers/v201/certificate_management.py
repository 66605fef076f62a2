"""Block M, OCPP 2.0.1: the CA certificates on a station (M03 list, M04 delete, M05 install).

The CSMS sends these on its operator's request (trigger API) and learns from the answers:

- InstallCertificate: every attempt is kept (``certificate_installations``, ``Sent`` until answered);
  an Accepted root is recorded as installed on the station with its type and SHA-256 hash data;
  Rejected or Failed leaves what the CSMS believes the station holds as it was;
- GetInstalledCertificateIds: the listed hash data replace what the CSMS knew of the types asked
  (all types when none were asked); NotFound: the station holds none of those types. The sub-CAs
  of a V2G chain are kept under the chain's leaf;
- DeleteCertificate: Accepted (and NotFound: it is not there either) removes the record; Failed keeps it.

Before sending, the operator's request is vetted (trigger API: 400 with the reasons, nothing
sent): an InstallCertificate must carry one PEM X.509 CA certificate that is valid now (a station
rejects anything else, M05.FR.02); a DeleteCertificate's hash data must be able to name a
certificate (hex digests of the length its algorithm makes, a hex serial number).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select

from csmscheck.csms import security_certificates as certificates
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import Payload, before_call, on_response, vets
from csmscheck.csms.security_models import CertificateInstallation
from csmscheck.csms.store import now
from csmscheck.pki.ca_certificates import hash_data_problems, installable_problem
from csmscheck.pki.certificates import load_pem_chain

if TYPE_CHECKING:
    from csmscheck.csms.app import CsmsContext

log = logging.getLogger("csmscheck.csms")

ALL_TYPES = ["V2GRootCertificate", "MORootCertificate", "CSMSRootCertificate", "V2GCertificateChain",
             "ManufacturerRootCertificate"]
"""GetCertificateIdUseEnumType: what a GetInstalledCertificateIds without certificateType asks for."""


# -- vetting the operator's requests ----------------------------------------------------------


@vets("2.0.1", "InstallCertificate")
async def vet_install(_csms: CsmsContext, _station_id: str, request: Payload) -> list[str]:
    problem = installable_problem(request["certificate"])
    return [] if problem is None else [f"certificate: {problem}"]


@vets("2.0.1", "DeleteCertificate")
async def vet_delete(_csms: CsmsContext, _station_id: str, request: Payload) -> list[str]:
    return hash_data_problems(request["certificateHashData"])


# -- what the answers tell ----------------------------------------------------------------------


@before_call("2.0.1", "InstallCertificate")
async def installing(connection: StationConnection, request: Payload) -> None:
    """Every attempt is kept from the moment it is sent: one the station never answers stays ``Sent``."""
    subject: str | None = None
    serial: str | None = None
    try:
        certificate = load_pem_chain(request["certificate"])[0]
        subject, serial = certificate.subject.rfc4514_string()[:255], format(certificate.serial_number, "x")
    except ValueError:
        pass  # the station was sent something that is no certificate: kept as text
    async with connection.csms.store.session() as db:
        db.add(CertificateInstallation(station_id=connection.station_id, certificate_type=request["certificateType"],
                                       subject=subject, serial_number=serial, certificate=request["certificate"],
                                       status="Sent", attempted_at=now()))


@on_response("2.0.1", "InstallCertificate")
async def certificate_installed(connection: StationConnection, request: Payload, response: Payload) -> None:
    status = str(response["status"])
    info = response.get("statusInfo")
    async with connection.csms.store.session() as db:
        attempt = await db.scalar(select(CertificateInstallation).filter_by(
            station_id=connection.station_id, certificate=request["certificate"], status="Sent")
            .order_by(CertificateInstallation.pk.desc()))
        if attempt is not None:
            attempt.status = status
            attempt.reason = None if info is None else f"{info['reasonCode']}: {info.get('additionalInfo', '')}"[:512]
    if status == "Accepted":
        await certificates.record_installed(connection.csms.store, connection.station_id,
                                            request["certificateType"], request["certificate"])
    log.info("%s: InstallCertificate %s: %s", connection.station_id, request["certificateType"], status)


@on_response("2.0.1", "GetInstalledCertificateIds")
async def installed_certificate_ids(connection: StationConnection, request: Payload, response: Payload) -> None:
    asked = list(request.get("certificateType") or ALL_TYPES)
    entries: list[certificates.InventoryEntry] = []
    if response["status"] == "Accepted":
        for item in response.get("certificateHashDataChain", []):
            if item["certificateType"] not in asked:
                continue  # not what was asked: the station's business, not evidence of the others
            leaf = item["certificateHashData"]
            entries.append((item["certificateType"], leaf, None))
            entries += [(item["certificateType"], child, str(leaf["serialNumber"]).lower().lstrip("0") or "0")
                        for child in item.get("childCertificateHashData", [])]
    await certificates.replace_inventory(connection.csms.store, connection.station_id, asked, entries)


@on_response("2.0.1", "DeleteCertificate")
async def certificate_deleted(connection: StationConnection, request: Payload, response: Payload) -> None:
    if response["status"] in ("Accepted", "NotFound"):
        await certificates.record_deleted(connection.csms.store, connection.station_id,
                                          request["certificateHashData"])
