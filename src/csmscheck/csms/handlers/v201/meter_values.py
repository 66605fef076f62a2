"""Meter values outside transactions (block J), OCPP 2.0.1."""

from __future__ import annotations

from csmscheck.csms.connection import StationConnection
from csmscheck.csms.meter import sampled_rows
from csmscheck.csms.router import Payload, handles


@handles("2.0.1", "MeterValues")
async def meter_values(connection: StationConnection, request: Payload) -> Payload:
    async with connection.csms.store.session() as db:
        db.add_all(sampled_rows(connection.station_id, None, request["evseId"], request["meterValue"]))
    return {}
