"""The station's device model as the CSMS learns it: reports, events, Get/SetVariables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from csmscheck.csms import items_per_message
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.models import Report, Variable
from csmscheck.csms.registration import record_status
from csmscheck.csms.router import Payload, handles, on_response, shapes
from csmscheck.csms.store import get_or_create, now

# No limit known from the station or the operator: one message carries everything.
_UNLIMITED = 1_000_000


def _key(station_id: str, component: dict[str, Any], variable: dict[str, Any], attribute_type: str) -> dict[str, Any]:
    evse = component.get("evse") or {}
    return {
        "station_id": station_id,
        "component": component["name"],
        "component_instance": component.get("instance", ""),
        "evse_id": evse.get("id", 0),
        "connector_id": evse.get("connectorId", 0),
        "variable": variable["name"],
        "variable_instance": variable.get("instance", ""),
        "attribute_type": attribute_type,
    }


async def store_variable(connection: StationConnection, component: dict[str, Any], variable: dict[str, Any],
                         attribute_type: str, value: str | None,
                         characteristics: dict[str, Any] | None = None) -> None:
    key = _key(connection.station_id, component, variable, attribute_type)
    async with connection.csms.store.session() as db:
        row = await get_or_create(db, Variable, key, value=value, updated_at=now())
        row.value, row.updated_at = value, now()
        if characteristics is not None:
            row.characteristics = characteristics


async def variable_value(connection: StationConnection, component: str, variable: str,
                         variable_instance: str = "") -> str | None:
    async with connection.csms.store.session() as db:
        row = await db.scalar(select(Variable).filter_by(
            station_id=connection.station_id, component=component, variable=variable,
            variable_instance=variable_instance, attribute_type="Actual"))
    return row.value if row else None


@handles("2.0.1", "NotifyReport")
async def notify_report(connection: StationConnection, request: Payload) -> Payload:
    for item in request.get("reportData", []):
        for attribute in item["variableAttribute"]:
            await store_variable(connection, item["component"], item["variable"], attribute.get("type", "Actual"),
                                 attribute.get("value"), item.get("variableCharacteristics"))
    async with connection.csms.store.session() as db:
        # A report the CSMS did not ask for (the station's own, or one asked for before a restart) is kept too.
        key = {"station_id": connection.station_id, "request_id": request["requestId"]}
        report = await get_or_create(db, Report, key, kind="unsolicited", parts=0, complete=False, requested_at=now())
        report.parts += 1
        report.complete = not request.get("tbc", False)
    return {}


@handles("2.0.1", "NotifyEvent")
async def notify_event(connection: StationConnection, request: Payload) -> Payload:
    for event in request["eventData"]:
        component, variable = event["component"], event["variable"]
        await store_variable(connection, component, variable, "Actual", event["actualValue"])
        evse = component.get("evse")
        if component["name"] == "Connector" and variable["name"] == "AvailabilityState" and evse:
            await record_status(connection, evse["id"], evse.get("connectorId", 1), event["actualValue"])
    return {}


@on_response("2.0.1", "GetVariables")
async def got_variables(connection: StationConnection, _request: Payload, response: Payload) -> None:
    for result in response["getVariableResult"]:
        if result["attributeStatus"] == "Accepted":
            await store_variable(connection, result["component"], result["variable"],
                                 result.get("attributeType", "Actual"), result.get("attributeValue"))


@on_response("2.0.1", "SetVariables")
async def set_variables_done(connection: StationConnection, request: Payload, response: Payload) -> None:
    for data, result in zip(request["setVariableData"], response["setVariableResult"], strict=False):
        if result["attributeStatus"] in ("Accepted", "RebootRequired"):
            await store_variable(connection, data["component"], data["variable"],
                                 data.get("attributeType", "Actual"), data["attributeValue"])


@on_response("2.0.1", "GetBaseReport")
@on_response("2.0.1", "GetReport")
async def report_requested(connection: StationConnection, request: Payload, response: Payload) -> None:
    if response["status"] != "Accepted":
        return
    kind = request.get("reportBase", "Custom")
    async with connection.csms.store.session() as db:
        await db.merge(Report(station_id=connection.station_id, request_id=request["requestId"], kind=kind,
                              parts=0, complete=False, requested_at=now()))


async def _items_per_message(connection: StationConnection, request: str) -> int:
    """The most items one ``request`` message may carry (see :mod:`csmscheck.csms.items_per_message`)."""
    value = await variable_value(connection, "DeviceDataCtrlr", "ItemsPerMessage", request)
    try:
        reported = max(1, int(value)) if value is not None else None
    except ValueError:
        reported = None
    operator = await items_per_message.configured(connection.csms.store, connection.station_id, request)
    return items_per_message.effective(reported, operator) or _UNLIMITED


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]


@shapes("2.0.1", "GetVariables")
async def split_get_variables(connection: StationConnection, request: Payload) -> list[Payload]:
    """Never ask for more variables per message than the station takes (B06.FR.05)."""
    size = await _items_per_message(connection, "GetVariables")
    return [request | {"getVariableData": part} for part in _chunks(request["getVariableData"], size)]


@shapes("2.0.1", "SetVariables")
async def split_set_variables(connection: StationConnection, request: Payload) -> list[Payload]:
    size = await _items_per_message(connection, "SetVariables")
    return [request | {"setVariableData": part} for part in _chunks(request["setVariableData"], size)]


@shapes("2.0.1", "GetReport")
async def split_get_report(connection: StationConnection, request: Payload) -> list[Payload]:
    """Never ask for more componentVariables per GetReportRequest than the station takes.

    Each part is a report of its own, so each needs its own requestId: the first part keeps
    the one asked for, the next ones count up from it.
    """
    wanted = request.get("componentVariable") or []
    size = await _items_per_message(connection, "GetReport")
    if len(wanted) <= size:
        return [request]
    return [request | {"requestId": request["requestId"] + n, "componentVariable": part}
            for n, part in enumerate(_chunks(wanted, size))]
