"""OCPP 2.0.1 firmware management (block L): secure updates (L01), publishing (L03) and unpublishing (L04).

UpdateFirmware goes out through the trigger API, vetted first: location an absolute URL,
installDateTime not before retrieveDateTime, retries and retryInterval within reason, signing
certificate and signature both or neither, a certificate that parses. With neither, the CSMS makes
the update a secure one itself (L01.FR.11): it fetches the image at the location and signs it with
its firmware signing key, a code-signing certificate issued by its PKI's root (``firmware-signing.pem``
in ``pki_dir``), so the station can verify what it downloads. It records the request before sending,
the station's answer (AcceptedCanceled ends the update that ran), and every FirmwareStatusNotification
by requestId, in order; the status that ends an update is its outcome (Installed, or the failure it
is). While an update waits to install on a station that reported AllowNewSessionsPendingFirmwareUpdate
false (or nothing: L01.FR.07 treats the variable's absence so), the CSMS starts no new session there:
an operator's RequestStartTransaction is refused (400) with the reason.

PublishFirmware / UnpublishFirmware (a Local Controller) are vetted (checksum: an MD5 as 32 hex
digits; location a URL) and every PublishFirmwareStatusNotification is recorded per requestId, with the
locations the firmware is published at; an Unpublished answer marks that firmware unpublished.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csmscheck.csms.authorization import as_utc
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.firmware_models import (
    PENDING_INSTALL,
    PUBLISH_ENDS,
    UPDATE_ENDS,
    FirmwarePublication,
    FirmwareUpdate,
)
from csmscheck.csms.models import Variable
from csmscheck.csms.operations import TriggerError
from csmscheck.csms.router import Payload, before_call, handles, observes, on_response, shapes, vets
from csmscheck.csms.store import Store, now
from csmscheck.pki.certificates import load_pem_chain
from csmscheck.pki.firmware import FirmwareSigner, firmware_signer_in
from csmscheck.timestamps import parse_time

if TYPE_CHECKING:
    from csmscheck.csms.app import CsmsContext

MAX_RETRIES = 100
MAX_RETRY_INTERVAL = 7 * 24 * 3600
MAX_IMAGE_BYTES = 256 * 1024 * 1024
FETCH_TIMEOUT = 30.0
# An update whose station has said nothing about it for this long no longer holds back new sessions.
PENDING_FOR = timedelta(hours=6)
_MD5 = re.compile(r"^[0-9a-fA-F]{32}$")


# -- vetting ------------------------------------------------------------------------------------------


def _url_problem(field: str, value: str) -> str | None:
    url = urlparse(value)
    if not url.scheme or not (url.netloc or url.path):
        return f"{field} {value!r} is not an absolute URL (scheme://host/path)"
    return None


def _time(field: str, value: str, problems: list[str]) -> datetime | None:
    try:
        return parse_time(value)
    except ValueError:
        problems.append(f"{field} {value!r} is not a date-time")
        return None


def _retry_problems(request: Payload) -> list[str]:
    problems = []
    if not 0 <= request.get("retries", 0) <= MAX_RETRIES:
        problems.append(f"retries {request['retries']} must be between 0 and {MAX_RETRIES}")
    if not 0 <= request.get("retryInterval", 0) <= MAX_RETRY_INTERVAL:
        problems.append(f"retryInterval {request['retryInterval']} must be between 0 and {MAX_RETRY_INTERVAL} s")
    return problems


@vets("2.0.1", "UpdateFirmware")
async def vet_update_firmware(csms: CsmsContext, _station_id: str, request: Payload) -> list[str]:
    firmware = request["firmware"]
    problems = _retry_problems(request)
    if (problem := _url_problem("firmware.location", firmware["location"])) is not None:
        problems.append(problem)
    retrieve = _time("firmware.retrieveDateTime", firmware["retrieveDateTime"], problems)
    install = _time("firmware.installDateTime", firmware["installDateTime"], problems) \
        if "installDateTime" in firmware else None
    if retrieve is not None and install is not None and install < retrieve:
        problems.append("firmware.installDateTime is before firmware.retrieveDateTime: a station cannot install "
                        "what it has not yet downloaded")
    certificate, signature = firmware.get("signingCertificate"), firmware.get("signature")
    if (certificate is None) != (signature is None):
        problems.append("firmware.signingCertificate and firmware.signature go together: a station verifies the "
                        "signature with the certificate (L01.FR.11); send both, or neither for the CSMS to sign")
    elif certificate is not None and not _parses(certificate):
        problems.append("firmware.signingCertificate is not a PEM encoded X.509 certificate")
    elif certificate is None and csms.config.pki_dir is None:
        problems.append("the CSMS has no firmware signing key (pki_dir not set): send signingCertificate and "
                        "signature")
    return problems


def _parses(pem: str) -> bool:
    try:
        return bool(load_pem_chain(pem))
    except ValueError:
        return False


@vets("2.0.1", "PublishFirmware")
async def vet_publish_firmware(_csms: CsmsContext, _station_id: str, request: Payload) -> list[str]:
    problems = _retry_problems(request)
    if (problem := _url_problem("location", request["location"])) is not None:
        problems.append(problem)
    if not _MD5.match(request["checksum"]):
        problems.append(f"checksum {request['checksum']!r} is not an MD5 checksum (32 hex digits)")
    return problems


@vets("2.0.1", "UnpublishFirmware")
async def vet_unpublish_firmware(_csms: CsmsContext, _station_id: str, request: Payload) -> list[str]:
    if not _MD5.match(request["checksum"]):
        return [f"checksum {request['checksum']!r} is not an MD5 checksum (32 hex digits)"]
    return []


@vets("2.0.1", "RequestStartTransaction")
async def vet_no_session_pending_firmware(csms: CsmsContext, station_id: str, _request: Payload) -> list[str]:
    update = await pending_update(csms.store, station_id)
    if update is None or await _allows_new_sessions(csms.store, station_id):
        return []
    return [f"firmware update {update.request_id} waits to install ({update.status or update.answer}) and the "
            "station takes no new sessions until it has (AllowNewSessionsPendingFirmwareUpdate is not true)"]


async def pending_update(store: Store, station_id: str) -> FirmwareUpdate | None:
    """The station's update that was accepted, reported going on and has not ended, if the station spoke of it
    lately."""
    async with store.session() as db:
        update = await db.scalar(select(FirmwareUpdate).filter_by(station_id=station_id, outcome=None)
                                 .filter(FirmwareUpdate.answer.in_(("Accepted", "AcceptedCanceled")))
                                 .order_by(FirmwareUpdate.pk.desc()))
    if update is None or update.status not in PENDING_INSTALL or update.status_at is None:
        return None  # nothing reported yet: the station may not have begun (or never will)
    last = as_utc(update.status_at)
    return update if now() - last < PENDING_FOR else None


async def _allows_new_sessions(store: Store, station_id: str) -> bool:
    async with store.session() as db:
        value = await db.scalar(select(Variable.value).filter_by(
            station_id=station_id, component="ChargingStation", variable="AllowNewSessionsPendingFirmwareUpdate",
            attribute_type="Actual"))
    return (value or "").lower() == "true"


# -- the CSMS signs what it sends -----------------------------------------------------------------------


@cache
def _signer(pki_dir: Path) -> FirmwareSigner:
    return firmware_signer_in(pki_dir)


async def fetch_image(location: str) -> bytes:
    """The firmware at ``location`` (http or https); ValueError says why it cannot be had."""
    if urlparse(location).scheme not in ("http", "https"):
        raise ValueError(f"the CSMS fetches firmware to sign over http(s) only, not {location!r}")
    try:
        async with httpx.AsyncClient(timeout=FETCH_TIMEOUT, follow_redirects=True) as client, \
                client.stream("GET", location) as response:
            if response.status_code != 200:
                raise ValueError(f"fetching {location} to sign it: HTTP {response.status_code}")
            image = bytearray()
            async for chunk in response.aiter_bytes():
                image += chunk
                if len(image) > MAX_IMAGE_BYTES:
                    raise ValueError(f"the firmware at {location} is larger than {MAX_IMAGE_BYTES} bytes")
    except httpx.HTTPError as exc:
        raise ValueError(f"fetching {location} to sign it: {exc}") from None
    return bytes(image)


@shapes("2.0.1", "UpdateFirmware")
async def sign_update(connection: StationConnection, request: Payload) -> list[Payload]:
    """An update without certificate and signature is signed by the CSMS (vetting made sure it can)."""
    firmware = request["firmware"]
    pki_dir = connection.csms.config.pki_dir
    if "signature" in firmware or pki_dir is None:
        return [request]
    try:
        image = await fetch_image(firmware["location"])
    except ValueError as exc:
        raise TriggerError(400, "invalid UpdateFirmware request", [str(exc)]) from None
    signer = _signer(pki_dir)
    signed = firmware | {"signingCertificate": signer.certificate_pem, "signature": signer.sign(image)}
    return [request | {"firmware": signed}]


# -- updates ----------------------------------------------------------------------------------------------


def _entry(status: str) -> dict[str, Any]:
    return {"status": status, "at": now().isoformat()}


@before_call("2.0.1", "UpdateFirmware")
async def update_requested(connection: StationConnection, request: Payload) -> None:
    firmware = request["firmware"]
    async with connection.csms.store.session() as db:
        db.add(FirmwareUpdate(
            station_id=connection.station_id, request_id=request["requestId"], location=firmware["location"],
            retrieve_at=parse_time(firmware["retrieveDateTime"]),
            install_at=parse_time(firmware["installDateTime"]) if "installDateTime" in firmware else None,
            signed_by_csms=connection.csms.config.pki_dir is not None
            and firmware.get("signingCertificate") == _signer(connection.csms.config.pki_dir).certificate_pem,
            requested_at=now(), history=[]))


async def _latest_update(db: AsyncSession, station_id: str, request_id: int) -> FirmwareUpdate | None:
    return await db.scalar(select(FirmwareUpdate).filter_by(station_id=station_id, request_id=request_id)
                           .order_by(FirmwareUpdate.pk.desc()))


@on_response("2.0.1", "UpdateFirmware")
async def update_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    status = response["status"]
    async with connection.csms.store.session() as db:
        update = await _latest_update(db, connection.station_id, request["requestId"])
        if update is None:
            return
        update.answer = status
        if status not in ("Accepted", "AcceptedCanceled"):
            update.outcome = status  # Rejected, InvalidCertificate, RevokedCertificate: it never ran
        if status == "AcceptedCanceled":  # L01.FR.24: the update that ran is canceled for this one
            earlier = (await db.scalars(select(FirmwareUpdate).filter_by(station_id=connection.station_id, outcome=None)
                                        .filter(FirmwareUpdate.pk != update.pk))).all()
            for row in earlier:
                row.outcome = "Canceled"
                row.history = [*row.history, _entry("Canceled")]


@handles("2.0.1", "FirmwareStatusNotification")
async def firmware_status(connection: StationConnection, request: Payload) -> Payload:
    status, request_id = request["status"], request.get("requestId")
    if request_id is None:
        return {}  # Idle (a triggered report with no update going on): nothing to record
    async with connection.csms.store.session() as db:
        update = await _latest_update(db, connection.station_id, request_id)
        if update is None:  # an update the CSMS did not ask for (started locally): recorded all the same
            update = FirmwareUpdate(station_id=connection.station_id, request_id=request_id, location="",
                                    retrieve_at=now(), requested_at=now(), history=[])
            db.add(update)
        update.status, update.status_at = status, now()
        update.history = [*(update.history or []), _entry(status)]
        if status in UPDATE_ENDS:
            update.outcome = status
    return {}


@observes("2.0.1", "BootNotification")
async def rebooted_for_update(connection: StationConnection, request: Payload, _response: Payload) -> None:
    """The reboot an update announced (InstallRebooting) goes into its history."""
    if request.get("reason") != "FirmwareUpdate":
        return
    async with connection.csms.store.session() as db:
        update = await db.scalar(select(FirmwareUpdate).filter_by(station_id=connection.station_id, outcome=None,
                                                                  status="InstallRebooting")
                                 .order_by(FirmwareUpdate.pk.desc()))
        if update is not None:
            update.history = [*update.history, _entry("Rebooted")]


# -- publishing -------------------------------------------------------------------------------------------


@before_call("2.0.1", "PublishFirmware")
async def publish_requested(connection: StationConnection, request: Payload) -> None:
    async with connection.csms.store.session() as db:
        db.add(FirmwarePublication(station_id=connection.station_id, request_id=request["requestId"],
                                   location=request["location"], checksum=request["checksum"].lower(),
                                   requested_at=now(), history=[]))


async def _latest_publication(db: AsyncSession, station_id: str, request_id: int) -> FirmwarePublication | None:
    return await db.scalar(select(FirmwarePublication).filter_by(station_id=station_id, request_id=request_id)
                           .order_by(FirmwarePublication.pk.desc()))


@on_response("2.0.1", "PublishFirmware")
async def publish_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    async with connection.csms.store.session() as db:
        publication = await _latest_publication(db, connection.station_id, request["requestId"])
        if publication is not None:
            publication.answer = response["status"]


@handles("2.0.1", "PublishFirmwareStatusNotification")
async def publish_status(connection: StationConnection, request: Payload) -> Payload:
    status, request_id = request["status"], request.get("requestId")
    if request_id is None:
        return {}  # Idle
    async with connection.csms.store.session() as db:
        publication = await _latest_publication(db, connection.station_id, request_id)
        if publication is None:
            return {}  # not one the CSMS asked for: its checksum is unknown, nothing to keep it by
        publication.status = status
        publication.history = [*(publication.history or []), _entry(status)]
        if status == "Published":
            publication.locations = list(request.get("location") or [])
        elif status in PUBLISH_ENDS:
            publication.locations = None
    return {}


@on_response("2.0.1", "UnpublishFirmware")
async def unpublish_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    if response["status"] != "Unpublished":
        return
    async with connection.csms.store.session() as db:
        rows = (await db.scalars(select(FirmwarePublication).filter_by(
            station_id=connection.station_id, checksum=request["checksum"].lower(), unpublished=False))).all()
        for row in rows:
            row.unpublished, row.locations = True, None
            row.history = [*row.history, _entry("Unpublished")]


# -- what the station detail shows --------------------------------------------------------------------------


async def firmware_view(store: Store, station_id: str, limit: int = 10) -> dict[str, list[dict[str, Any]]]:
    """The station's latest updates and publications, newest first."""
    async with store.session() as db:
        updates = (await db.scalars(select(FirmwareUpdate).filter_by(station_id=station_id)
                                    .order_by(FirmwareUpdate.pk.desc()).limit(limit))).all()
        publications = (await db.scalars(select(FirmwarePublication).filter_by(station_id=station_id)
                                         .order_by(FirmwarePublication.pk.desc()).limit(limit))).all()
    return {
        "firmwareUpdates": [{"requestId": u.request_id, "location": u.location, "answer": u.answer,
                             "signedByCsms": u.signed_by_csms, "status": u.status, "outcome": u.outcome,
                             "history": u.history} for u in updates],
        "firmwarePublications": [{"requestId": p.request_id, "location": p.location, "checksum": p.checksum,
                                  "answer": p.answer, "status": p.status, "locations": p.locations,
                                  "unpublished": p.unpublished, "history": p.history} for p in publications],
    }
