"""Block B (provisioning) and status reporting, OCPP 2.0.1."""

from __future__ import annotations

from csmscheck.csms.connection import StationConnection
from csmscheck.csms.registration import record_heartbeat, record_status, register_boot
from csmscheck.csms.router import Payload, handles
from csmscheck.timestamps import rfc3339


@handles("2.0.1", "BootNotification")
async def boot_notification(connection: StationConnection, request: Payload) -> Payload:
    station = request["chargingStation"]
    decision = await register_boot(
        connection, request["reason"], station["vendorName"], station["model"],
        station.get("serialNumber"), station.get("firmwareVersion"),
    )
    return {"currentTime": rfc3339(), "interval": decision.interval, "status": decision.status}


@handles("2.0.1", "Heartbeat")
async def heartbeat(connection: StationConnection, _request: Payload) -> Payload:
    return {"currentTime": rfc3339(await record_heartbeat(connection))}


@handles("2.0.1", "StatusNotification")
async def status_notification(connection: StationConnection, request: Payload) -> Payload:
    await record_status(connection, request["evseId"], request["connectorId"], request["connectorStatus"])
    return {}


@handles("2.0.1", "SecurityEventNotification")
async def security_event(connection: StationConnection, request: Payload) -> Payload:
    return {}

