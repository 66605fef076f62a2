"""OCPP 1.6J configuration keys as the CSMS learns them from GetConfiguration and ChangeConfiguration.

Keys live in the ``variables`` table with component "" (1.6 has no components) and the
key as the variable name; ``characteristics`` holds ``{"readonly": bool}``. Only what the
station reported, or a change it Accepted, is recorded; a secret key (AuthorizationKey)
is recorded without its value.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from csmscheck.csms.connection import StationConnection
from csmscheck.csms.models import Variable
from csmscheck.csms.router import Payload, on_response, shapes
from csmscheck.csms.store import now

COMPONENT = ""  # 1.6 configuration keys have no component
_CHANGED = ("Accepted", "RebootRequired")
# Write-only secrets (the security extension's basic-auth password): known to exist, never stored.
_SECRET_KEYS = {"authorizationkey"}


def _key(station_id: str, key: str) -> dict[str, Any]:
    return {"station_id": station_id, "component": COMPONENT, "component_instance": "", "evse_id": 0,
            "connector_id": 0, "variable": key, "variable_instance": "", "attribute_type": "Actual"}


async def _find(db: Any, station_id: str, key: str) -> Variable | None:
    """The recorded row of ``key`` (keys are case-insensitive in 1.6)."""
    row: Variable | None = await db.scalar(select(Variable).filter(
        Variable.station_id == station_id, Variable.component == COMPONENT,
        func.lower(Variable.variable) == key.lower()))
    return row


async def configuration_value(connection: StationConnection, key: str) -> str | None:
    """The value the CSMS last learnt for ``key`` of this station."""
    async with connection.csms.store.session() as db:
        row = await _find(db, connection.station_id, key)
    return row.value if row else None


async def _record(connection: StationConnection, key: str, value: str | None, readonly: bool | None) -> None:
    async with connection.csms.store.session() as db:
        row = await _find(db, connection.station_id, key)
        if row is None:
            row = Variable(**_key(connection.station_id, key))
            db.add(row)
        row.value = None if key.lower() in _SECRET_KEYS else value
        row.updated_at = now()
        if readonly is not None:
            row.characteristics = {"readonly": readonly}


async def _forget(connection: StationConnection, keys: list[str]) -> None:
    if not keys:
        return
    async with connection.csms.store.session() as db:
        await db.execute(delete(Variable).filter(
            Variable.station_id == connection.station_id, Variable.component == COMPONENT,
            func.lower(Variable.variable).in_([key.lower() for key in keys])))


@on_response("1.6", "GetConfiguration")
async def got_configuration(connection: StationConnection, request: Payload, response: Payload) -> None:
    """Record every key the station reported; forget keys it says it does not know. An answer
    to "all keys" is the whole configuration: keys it no longer lists are forgotten too."""
    reported = response.get("configurationKey", [])
    for item in reported:
        await _record(connection, item["key"], item.get("value"), item["readonly"])
    gone = list(response.get("unknownKey", []))
    if not request.get("key"):
        names = {item["key"].lower() for item in reported}
        async with connection.csms.store.session() as db:
            recorded = (await db.scalars(select(Variable.variable).filter_by(
                station_id=connection.station_id, component=COMPONENT))).all()
        gone += [name for name in recorded if name.lower() not in names]
    await _forget(connection, gone)


@on_response("1.6", "ChangeConfiguration")
async def changed_configuration(connection: StationConnection, request: Payload, response: Payload) -> None:
    """Accepted (or RebootRequired): the new value is the station's. NotSupported: the station
    has no such key. Rejected: nothing changed."""
    status = response["status"]
    if status in _CHANGED:
        await _record(connection, request["key"], request["value"], None)
    elif status == "NotSupported":
        await _forget(connection, [request["key"]])


@shapes("1.6", "GetConfiguration")
async def split_get_configuration(connection: StationConnection, request: Payload) -> list[Payload]:
    """Never ask for more keys per message than the station's GetConfigurationMaxKeys."""
    keys = request.get("key") or []
    value = await configuration_value(connection, "GetConfigurationMaxKeys")
    size = int(value) if value is not None and value.isdigit() and int(value) > 0 else len(keys)
    if len(keys) <= size:
        return [request]
    return [request | {"key": keys[i:i + size]} for i in range(0, len(keys), size)]
