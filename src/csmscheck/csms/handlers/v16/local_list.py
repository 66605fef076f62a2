"""OCPP 1.6 Local Auth List Management: what the CSMS learns from SendLocalList and GetLocalListVersion.

The operator sends lists through the trigger API; the CSMS fills in what it knows of an
idTag named without idTagInfo in a Full update (where every entry needs one), and records
the version and the entries a station accepted, so it knows what each station authorizes
offline.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from csmscheck.csms.authorization import id_tag_info, verdict_for
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import Payload, on_response, shapes
from csmscheck.csms.store import get_or_create, now
from csmscheck.csms.v16_models import LocalAuthEntry, LocalAuthList
from csmscheck.timestamps import parse_time


async def list_state(db: AsyncSession, station_id: str) -> LocalAuthList:
    return await get_or_create(db, LocalAuthList, {"station_id": station_id}, version=0, supported=True,
                               updated_at=now())


@shapes("1.6", "SendLocalList")
async def fill_full_list(connection: StationConnection, request: Payload) -> list[Payload]:
    """A Full update's entries carry the idTagInfo the Central System knows for their idTag, unless the operator
    gave one (without it a Differential entry removes the idTag)."""
    if request["updateType"] != "Full" or not request.get("localAuthorizationList"):
        return [request]
    entries = []
    for entry in request["localAuthorizationList"]:
        if "idTagInfo" not in entry:
            entry = entry | {"idTagInfo": id_tag_info(await verdict_for(connection.csms.store, entry["idTag"]))}
        entries.append(entry)
    return [request | {"localAuthorizationList": entries}]


@on_response("1.6", "SendLocalList")
async def record_local_list(connection: StationConnection, request: Payload, response: Payload) -> None:
    """An Accepted list becomes the station's list: Full replaces it, Differential updates it.

    In a differential update an entry without idTagInfo removes that idTag.
    """
    station_id, status = connection.station_id, response["status"]
    async with connection.csms.store.session() as db:
        state = await list_state(db, station_id)
        state.last_update_status, state.updated_at = status, now()
        if status == "NotSupported":
            state.supported = False
        if status != "Accepted":
            return
        state.supported, state.version = True, int(request["listVersion"])
        if request["updateType"] == "Full":
            await db.execute(delete(LocalAuthEntry).filter_by(station_id=station_id))
        entries = {entry["idTag"]: entry.get("idTagInfo") for entry in request.get("localAuthorizationList", [])}
        for id_tag, info in entries.items():
            row = await db.get(LocalAuthEntry, (station_id, id_tag))
            if info is None:
                if row is not None:
                    await db.delete(row)
                continue
            if row is None:
                row = LocalAuthEntry(station_id=station_id, id_tag=id_tag)
                db.add(row)
            row.status, row.parent_id_tag = info["status"], info.get("parentIdTag")
            row.expiry = parse_time(info["expiryDate"]) if "expiryDate" in info else None


@on_response("1.6", "GetLocalListVersion")
async def record_list_version(connection: StationConnection, _request: Payload, response: Payload) -> None:
    """-1: the station has no local list support; 0: it holds no list; else its list's version."""
    version = int(response["listVersion"])
    async with connection.csms.store.session() as db:
        state = await list_state(db, connection.station_id)
        state.supported, state.updated_at = version >= 0, now()
        state.version = max(version, 0)
        if version <= 0:
            await db.execute(delete(LocalAuthEntry).filter_by(station_id=connection.station_id))
