"""Meter values outside transactions (block J), OCPP 2.0.1.

A MeterValuesRequest carries readings of an EVSE (evseId > 0) or of the station's main
meter (evseId 0) that belong to no transaction (J01 clock-aligned, J02 outside a session):
each sampled value is stored with its measurand, phase, unit, context and location, in the
base unit (see :mod:`csmscheck.csms.meter`). Transaction readings come with
TransactionEvents and are stored by the transactions handler with the same parser.
"""

from __future__ import annotations

from csmscheck.csms.connection import StationConnection
from csmscheck.csms.meter import store_new_readings
from csmscheck.csms.router import Payload, handles


@handles("2.0.1", "MeterValues")
async def meter_values(connection: StationConnection, request: Payload) -> Payload:
    async with connection.csms.store.session() as db:
        await store_new_readings(db, connection.station_id, None, request["evseId"], request["meterValue"])
    return {}
