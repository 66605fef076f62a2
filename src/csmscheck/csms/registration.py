"""Boot decisions and station bookkeeping shared by both OCPP versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from csmscheck.csms.connection import StationConnection
from csmscheck.csms.models import ConnectorStatus, Station
from csmscheck.csms.store import now


@dataclass(frozen=True)
class BootDecision:
    status: str
    interval: int


async def register_boot(connection: StationConnection, reason: str | None, vendor: str, model: str,
                        serial: str | None, firmware: str | None) -> BootDecision:
    """Accept the station unless an operator asked for Pending/Rejected on its next boots."""
    config = connection.csms.config
    async with connection.csms.store.session() as db:
        station = await db.get(Station, connection.station_id)
        assert station is not None  # admitted at the handshake
        status = "Accepted"
        if station.boot_override and station.override_boots > 0:
            status = station.boot_override
            station.override_boots -= 1
            if station.override_boots == 0:
                station.boot_override = None
        station.last_boot_status, station.last_boot_at, station.last_boot_reason = status, now(), reason
        station.vendor, station.model, station.serial_number, station.firmware_version = vendor, model, serial, firmware
    connection.boot_status = status
    connection.triggered.clear()
    interval = config.heartbeat_interval if status == "Accepted" else config.pending_interval
    return BootDecision(status, interval)


async def record_heartbeat(connection: StationConnection) -> datetime:
    stamp = now()
    async with connection.csms.store.session() as db:
        station = await db.get(Station, connection.station_id)
        if station is not None:
            station.last_heartbeat_at = stamp
    return stamp


async def record_status(connection: StationConnection, evse_id: int, connector_id: int, status: str,
                        error_code: str | None = None) -> None:
    async with connection.csms.store.session() as db:
        row = await db.get(ConnectorStatus, (connection.station_id, evse_id, connector_id))
        if row is None:
            row = ConnectorStatus(station_id=connection.station_id, evse_id=evse_id, connector_id=connector_id)
            db.add(row)
        row.status, row.error_code, row.updated_at = status, error_code, now()
