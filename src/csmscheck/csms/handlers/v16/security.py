"""OCPP 1.6J security extension: passwords and profiles, certificates, security events, logs, signed firmware.

What the station sends is answered from the database; what the CSMS sends (on an
operator's request through the trigger API) is recorded from the station's answer.
SignCertificate is the one flow the CSMS continues on its own: a CSR it accepts is
signed by its CA and delivered with CertificateSigned right after the answer.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import select

from csmscheck.csms import security_certificates as certificates
from csmscheck.csms import security_profile
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.passwords import remember_password
from csmscheck.csms.router import Payload, handles, on_response
from csmscheck.csms.security_models import LogRequest, SecurityEvent, SignedFirmwareUpdate
from csmscheck.csms.store import Store, get_or_create, now
from csmscheck.timestamps import parse_time

log = logging.getLogger("csmscheck.csms")

# ChangeConfiguration answers under which the station takes the new value.
_TAKEN = {"Accepted", "RebootRequired"}


# -- basic auth password and security profile -----------------------------------------


@on_response("1.6", "ChangeConfiguration")
async def configuration_changed(connection: StationConnection, request: Payload, response: Payload) -> None:
    if response.get("status") not in _TAKEN:
        return
    store, station_id = connection.csms.store, connection.station_id
    if request["key"] == "AuthorizationKey":
        await remember_password(store, station_id, str(request["value"]))
        log.info("%s: basic-auth password changed (AuthorizationKey)", station_id)
    elif request["key"] == "SecurityProfile" and await security_profile.request_change(
            store, station_id, str(request["value"])):
        log.info("%s: moving to security profile %s", station_id, request["value"])


# -- certificates ---------------------------------------------------------------------


@handles("1.6", "SignCertificate")
async def sign_certificate(connection: StationConnection, request: Payload) -> Payload:
    """Accept a CSR the CA may sign and deliver the certificate; reject anything else."""
    try:
        chain = await asyncio.to_thread(certificates.issue_certificate, connection.csms.config,
                                        connection.station_id, request["csr"])
    except ValueError as exc:
        log.info("%s: SignCertificate rejected: %s", connection.station_id, exc)
        return {"status": "Rejected"}
    certificates.deliver_later(connection, chain)
    return {"status": "Accepted"}


@on_response("1.6", "CertificateSigned")
async def certificate_signed(connection: StationConnection, request: Payload, response: Payload) -> None:
    await certificates.record_delivery(connection.csms.store, connection.station_id, request["certificateChain"],
                                       str(response["status"]))


@on_response("1.6", "InstallCertificate")
async def certificate_installed(connection: StationConnection, request: Payload, response: Payload) -> None:
    if response.get("status") == "Accepted":
        await certificates.record_installed(connection.csms.store, connection.station_id,
                                            request["certificateType"], request["certificate"])


@on_response("1.6", "GetInstalledCertificateIds")
async def installed_certificate_ids(connection: StationConnection, request: Payload, response: Payload) -> None:
    entries = response.get("certificateHashData", []) if response.get("status") == "Accepted" else []
    await certificates.record_inventory(connection.csms.store, connection.station_id,
                                        request["certificateType"], entries)


@on_response("1.6", "DeleteCertificate")
async def certificate_deleted(connection: StationConnection, request: Payload, response: Payload) -> None:
    if response.get("status") in ("Accepted", "NotFound"):
        await certificates.record_deleted(connection.csms.store, connection.station_id,
                                          request["certificateHashData"])


# -- security events and logs ---------------------------------------------------------


@handles("1.6", "SecurityEventNotification")
async def security_event(connection: StationConnection, request: Payload) -> Payload:
    async with connection.csms.store.session() as db:
        db.add(SecurityEvent(station_id=connection.station_id, type=request["type"],
                             timestamp=parse_time(request["timestamp"]), tech_info=request.get("techInfo"),
                             received_at=now()))
    log.info("%s: security event %s", connection.station_id, request["type"])
    return {}


async def _log_request(store: Store, station_id: str, request_id: int, status: str, **fields: Any) -> None:
    async with store.session() as db:
        row = await get_or_create(db, LogRequest, {"station_id": station_id, "request_id": request_id},
                                  status=status, updated_at=now())
        row.status, row.updated_at = status, now()
        for name, value in fields.items():
            setattr(row, name, value)


@on_response("1.6", "GetLog")
async def log_requested(connection: StationConnection, request: Payload, response: Payload) -> None:
    await _log_request(connection.csms.store, connection.station_id, request["requestId"], response["status"],
                       log_type=request["logType"], remote_location=request["log"]["remoteLocation"],
                       filename=response.get("filename"))


@handles("1.6", "LogStatusNotification")
async def log_status(connection: StationConnection, request: Payload) -> Payload:
    if "requestId" in request:
        await _log_request(connection.csms.store, connection.station_id, request["requestId"], request["status"])
    return {}


# -- signed firmware ------------------------------------------------------------------


async def _firmware_update(store: Store, station_id: str, request_id: int | None, status: str,
                           location: str | None = None) -> None:
    """Record a status; a notification without requestId belongs to the station's latest update."""
    async with store.session() as db:
        if request_id is None:
            row = await db.scalar(select(SignedFirmwareUpdate).filter_by(station_id=station_id)
                                  .order_by(SignedFirmwareUpdate.updated_at.desc()))
            if row is None:
                return
        else:
            row = await get_or_create(db, SignedFirmwareUpdate, {"station_id": station_id, "request_id": request_id},
                                      status=status, updated_at=now())
        row.status, row.updated_at = status, now()
        row.location = location or row.location


@on_response("1.6", "SignedUpdateFirmware")
async def firmware_update_requested(connection: StationConnection, request: Payload, response: Payload) -> None:
    await _firmware_update(connection.csms.store, connection.station_id, request["requestId"], response["status"],
                           request["firmware"]["location"])


@handles("1.6", "SignedFirmwareStatusNotification")
async def signed_firmware_status(connection: StationConnection, request: Payload) -> Payload:
    await _firmware_update(connection.csms.store, connection.station_id, request.get("requestId"),
                           request["status"])
    return {}
