"""Local authorization lists (block D), OCPP 2.0.1.

The CSMS owns the numbering of a station's list (D01.FR.01, D01.FR.18): it learns the
station's version from GetLocalListVersion answers and accepted SendLocalList requests,
and numbers every update it sends above it, whatever version the operator proposed.
It also keeps each idToken once per list (D01.FR.06), fills in what it knows of a token
the operator named without idTokenInfo in a Full update (where every entry needs one),
and records what the station accepted, so it knows the list the station holds.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from csmscheck.csms.authorization import id_token_info, verdict_for
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.local_list_models import LocalListEntry, LocalListVersion
from csmscheck.csms.router import Payload, on_response, shapes
from csmscheck.csms.store import now


async def known_version(connection: StationConnection) -> int | None:
    async with connection.csms.store.session() as db:
        row = await db.get(LocalListVersion, connection.station_id)
    return row.version if row else None


async def record_version(connection: StationConnection, version: int | None) -> None:
    async with connection.csms.store.session() as db:
        await db.merge(LocalListVersion(station_id=connection.station_id, version=version, updated_at=now()))


def _key(entry: dict[str, Any]) -> tuple[str, str]:
    return entry["idToken"]["idToken"].upper(), entry["idToken"]["type"]


def unique_entries(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each idToken once (D01.FR.06); a later entry for the same token wins."""
    by_token: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        by_token[_key(entry)] = entry
    return list(by_token.values())


@shapes("2.0.1", "SendLocalList")
async def number_update(connection: StationConnection, request: Payload) -> list[Payload]:
    """Number the update above the station's known version, never 0; drop duplicate tokens."""
    version = max(1, request["versionNumber"])
    known = await known_version(connection)
    if known is not None:
        version = max(version, known + 1)
    shaped: Payload = {k: v for k, v in request.items() if k != "localAuthorizationList"}
    shaped["versionNumber"] = version
    entries = unique_entries(request.get("localAuthorizationList", []))
    if request["updateType"] == "Full":
        entries = [await known_entry(connection, entry) for entry in entries]
    if entries:
        shaped["localAuthorizationList"] = entries
    return [shaped]


async def known_entry(connection: StationConnection, entry: dict[str, Any]) -> dict[str, Any]:
    """A Full update's entry with the idTokenInfo the CSMS knows for its token, unless the operator gave one
    (in a Full update an entry without idTokenInfo means nothing; in a Differential one it removes the token)."""
    if "idTokenInfo" in entry:
        return entry
    verdict = await verdict_for(connection.csms.store, entry["idToken"]["idToken"])
    return entry | {"idTokenInfo": id_token_info(verdict)}


@on_response("2.0.1", "GetLocalListVersion")
async def version_reported(connection: StationConnection, _request: Payload, response: Payload) -> None:
    await record_version(connection, response["versionNumber"])


@on_response("2.0.1", "SendLocalList")
async def list_answered(connection: StationConnection, request: Payload, response: Payload) -> None:
    """Accepted: the station holds the update; VersionMismatch: its version is unknown until asked."""
    if response["status"] == "VersionMismatch":
        await record_version(connection, None)
    if response["status"] != "Accepted":
        return
    station_id = connection.station_id
    async with connection.csms.store.session() as db:
        if request["updateType"] == "Full":
            await db.execute(delete(LocalListEntry).filter_by(station_id=station_id))
        for entry in request.get("localAuthorizationList", []):
            token, type_ = _key(entry)
            row = await db.get(LocalListEntry, (station_id, token, type_))
            if "idTokenInfo" not in entry:  # D01.FR.17: an entry without idTokenInfo is removed
                if row is not None:
                    await db.delete(row)
            elif row is None:
                db.add(LocalListEntry(station_id=station_id, id_token=token, type=type_,
                                      id_token_info=entry["idTokenInfo"]))
            else:
                row.id_token_info = entry["idTokenInfo"]
        await db.merge(LocalListVersion(station_id=station_id, version=request["versionNumber"], updated_at=now()))
