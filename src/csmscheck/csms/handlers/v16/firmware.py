"""OCPP 1.6 Firmware Management and Diagnostics: the transfers the CSMS asked for and their progress.

UpdateFirmware and GetDiagnostics go out through the trigger API; the CSMS records each
request the station took, then every FirmwareStatusNotification and
DiagnosticsStatusNotification the station sends about it (also when triggered: Idle).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import Payload, observes, on_response
from csmscheck.csms.store import get_or_create, now
from csmscheck.csms.v16_models import FileTransfer
from csmscheck.timestamps import parse_time

FIRMWARE, DIAGNOSTICS = "firmware", "diagnostics"


async def transfer(db: AsyncSession, station_id: str, kind: str) -> FileTransfer:
    return await get_or_create(db, FileTransfer, {"station_id": station_id, "kind": kind})


async def _requested(connection: StationConnection, kind: str, request: Payload, file_name: str | None) -> None:
    """A new transfer replaces the station's previous one of the same kind."""
    async with connection.csms.store.session() as db:
        row = await transfer(db, connection.station_id, kind)
        row.location, row.requested_at, row.file_name = request["location"], now(), file_name
        row.retrieve_date = parse_time(request["retrieveDate"]) if "retrieveDate" in request else None
        row.status = row.status_at = None


async def _progress(connection: StationConnection, kind: str, status: str) -> None:
    async with connection.csms.store.session() as db:
        row = await transfer(db, connection.station_id, kind)
        row.status, row.status_at = status, now()


@on_response("1.6", "UpdateFirmware")
async def record_update_firmware(connection: StationConnection, request: Payload, _response: Payload) -> None:
    await _requested(connection, FIRMWARE, request, None)


@on_response("1.6", "GetDiagnostics")
async def record_get_diagnostics(connection: StationConnection, request: Payload, response: Payload) -> None:
    await _requested(connection, DIAGNOSTICS, request, response.get("fileName"))


@observes("1.6", "FirmwareStatusNotification")
async def record_firmware_status(connection: StationConnection, request: Payload, _response: Payload) -> None:
    await _progress(connection, FIRMWARE, request["status"])


@observes("1.6", "DiagnosticsStatusNotification")
async def record_diagnostics_status(connection: StationConnection, request: Payload, _response: Payload) -> None:
    await _progress(connection, DIAGNOSTICS, request["status"])
