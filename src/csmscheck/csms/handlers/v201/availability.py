"""Availability (block G), OCPP 2.0.1: the operational status the CSMS set, settled by the station's reports.

An accepted ChangeAvailability sets the operational status of the station (evse 0), an
EVSE (connector 0) or one connector, replacing whatever narrower settings it covers. An
answer of Scheduled (a transaction is running) stays pending until every connector in
its scope reports the matching status (StatusNotification or NotifyEvent AvailabilityState,
both recorded in ``connector_status``).
"""

from __future__ import annotations

from sqlalchemy import delete, select

from csmscheck.csms.connection import StationConnection
from csmscheck.csms.models import ConnectorStatus
from csmscheck.csms.registration import record_status
from csmscheck.csms.remote_models import OperationalStatus
from csmscheck.csms.router import Payload, observes, on_response
from csmscheck.csms.store import now

# Connector statuses that mean "not operative" (G03: Operative is anything but these).
_INOPERATIVE = {"Unavailable", "Faulted"}


def _scope(evse: Payload | None) -> tuple[int, int]:
    evse = evse or {}
    return int(evse.get("id", 0)), int(evse.get("connectorId", 0))


@on_response("2.0.1", "ChangeAvailability")
async def availability_changed(connection: StationConnection, request: Payload, response: Payload) -> None:
    status = response["status"]
    if status not in ("Accepted", "Scheduled"):
        return
    evse_id, connector_id = _scope(request.get("evse"))
    async with connection.csms.store.session() as db:
        covered = delete(OperationalStatus).filter_by(station_id=connection.station_id)
        if evse_id:
            covered = covered.filter_by(evse_id=evse_id)
        if connector_id:
            covered = covered.filter_by(connector_id=connector_id)
        await db.execute(covered)
        scheduled = status == "Scheduled"
        db.add(OperationalStatus(station_id=connection.station_id, evse_id=evse_id, connector_id=connector_id,
                                 status=request["operationalStatus"], scheduled=scheduled, requested_at=now(),
                                 effective_at=None if scheduled else now()))
    if scheduled:
        await _settle(connection)


def _matches(target: str, reported: str) -> bool:
    return (reported in _INOPERATIVE) == (target == "Inoperative")


async def _settle(connection: StationConnection) -> None:
    """A scheduled change takes effect once every known connector in its scope reports accordingly."""
    async with connection.csms.store.session() as db:
        pending = (await db.scalars(select(OperationalStatus).filter_by(
            station_id=connection.station_id, scheduled=True))).all()
        if not pending:
            return
        reports = (await db.scalars(select(ConnectorStatus).filter_by(station_id=connection.station_id))).all()
        connectors = [r for r in reports if r.evse_id and r.connector_id]
        for change in pending:
            scoped = [r for r in connectors
                      if change.evse_id in (0, r.evse_id) and change.connector_id in (0, r.connector_id)]
            if scoped and all(_matches(change.status, r.status) for r in scoped):
                change.scheduled, change.effective_at = False, now()


@observes("2.0.1", "StatusNotification")
async def status_reported(connection: StationConnection, request: Payload, response: Payload) -> None:
    await _settle(connection)


@observes("2.0.1", "NotifyEvent")
async def availability_reported(connection: StationConnection, request: Payload, response: Payload) -> None:
    """Record AvailabilityState of the station and of EVSEs (connectors are recorded by the device model)."""
    seen = False
    for event in request["eventData"]:
        component, variable = event["component"], event["variable"]
        if variable["name"] != "AvailabilityState":
            continue
        seen = True
        evse = component.get("evse") or {}
        if component["name"] == "ChargingStation":
            await record_status(connection, 0, 0, event["actualValue"])
        elif component["name"] == "EVSE" and "id" in evse:
            await record_status(connection, evse["id"], 0, event["actualValue"])
    if seen:
        await _settle(connection)
