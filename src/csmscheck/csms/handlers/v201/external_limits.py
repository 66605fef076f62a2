"""External charging limits (K12, K13), OCPP 2.0.1: limits an external system (an EMS, a grid operator)
imposes on a station, as the station reports them.

NotifyChargingLimit records the limit per station, EVSE (0: the whole station) and
chargingLimitSource, replacing that source's earlier one there; ClearedChargingLimit removes
that source's limit (of the EVSE named, or of every EVSE when none is named), and so the
ChargingStationExternalConstraints profiles of that source the station reported there (K13:
the limit is released). Both are answered empty. A recorded limit with a schedule caps what
the CSMS grants in load levelling and counts in the composite schedules it expects; the
station detail shows them.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete

from csmscheck.charging_schedule import EXTERNAL
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import Payload, handles
from csmscheck.csms.smart_charging_models import ExternalLimit, StationProfile
from csmscheck.csms.store import get_or_create, now

log = logging.getLogger("csmscheck.csms")


@handles("2.0.1", "NotifyChargingLimit")
async def notify_charging_limit(connection: StationConnection, request: Payload) -> Payload:
    limit = request["chargingLimit"]
    key = {"station_id": connection.station_id, "evse_id": request.get("evseId", 0),
           "source": limit["chargingLimitSource"]}
    schedules = request.get("chargingSchedule")
    async with connection.csms.store.session() as db:
        row = await get_or_create(db, ExternalLimit, key, grid_critical=limit.get("isGridCritical"),
                                  schedules=schedules, notified_at=now())
        row.grid_critical, row.schedules, row.notified_at = limit.get("isGridCritical"), schedules, now()
    if limit.get("isGridCritical"):
        log.warning("%s: grid-critical charging limit from %s on EVSE %s", connection.station_id, key["source"],
                    key["evse_id"])
    return {}


@handles("2.0.1", "ClearedChargingLimit")
async def cleared_charging_limit(connection: StationConnection, request: Payload) -> Payload:
    filters: dict[str, object] = {"station_id": connection.station_id, "source": request["chargingLimitSource"]}
    if "evseId" in request:
        filters["evse_id"] = request["evseId"]
    async with connection.csms.store.session() as db:
        await db.execute(delete(ExternalLimit).filter_by(**filters))
        await db.execute(delete(StationProfile).filter_by(purpose=EXTERNAL, **filters))
    return {}
