"""OCPP 1.6 Smart Charging: the charging profiles each station holds, as the CSMS installed them.

SetChargingProfile, ClearChargingProfile, GetCompositeSchedule and
RemoteStartTransaction (with a TxProfile) go out through the trigger API. An accepted
profile is recorded; it replaces the station's profile with the same id or the same
connector, purpose and stack level (OCPP 1.6, 5.16.3). A TxProfile sent with a remote
start waits for the transaction of its idTag, and every TxProfile ends with its
transaction. A cleared profile is forgotten.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import Payload, observes, on_response
from csmscheck.csms.store import now
from csmscheck.csms.v16_models import ChargingProfile

TX_PROFILE = "TxProfile"


async def install(db: AsyncSession, station_id: str, connector_id: int, profile: Payload,
                  pending_id_tag: str | None = None) -> ChargingProfile:
    """Record ``profile`` on ``connector_id``, replacing the profiles it supersedes."""
    purpose, stack_level = profile["chargingProfilePurpose"], profile["stackLevel"]
    await db.execute(delete(ChargingProfile).where(
        ChargingProfile.station_id == station_id,
        or_(ChargingProfile.profile_id == profile["chargingProfileId"],
            (ChargingProfile.connector_id == connector_id) & (ChargingProfile.purpose == purpose)
            & (ChargingProfile.stack_level == stack_level))))
    row = ChargingProfile(station_id=station_id, connector_id=connector_id, profile_id=profile["chargingProfileId"],
                          stack_level=stack_level, purpose=purpose, kind=profile["chargingProfileKind"],
                          transaction_id=profile.get("transactionId"), pending_id_tag=pending_id_tag,
                          profile=profile, installed_at=now())
    db.add(row)
    return row


def cleared_by(request: Payload) -> list[Any]:
    """The ClearChargingProfile criteria as filters: the id alone, else each field given; none: all."""
    if "id" in request:
        return [ChargingProfile.profile_id == request["id"]]
    filters: list[Any] = []
    if "connectorId" in request:
        filters.append(ChargingProfile.connector_id == request["connectorId"])
    if "chargingProfilePurpose" in request:
        filters.append(ChargingProfile.purpose == request["chargingProfilePurpose"])
    if "stackLevel" in request:
        filters.append(ChargingProfile.stack_level == request["stackLevel"])
    return filters


@on_response("1.6", "SetChargingProfile")
async def record_profile(connection: StationConnection, request: Payload, response: Payload) -> None:
    if response["status"] != "Accepted":
        return
    async with connection.csms.store.session() as db:
        await install(db, connection.station_id, request["connectorId"], request["csChargingProfiles"])


@on_response("1.6", "ClearChargingProfile")
async def record_clear(connection: StationConnection, request: Payload, response: Payload) -> None:
    """Accepted: the matching profiles are gone; Unknown: the station held none, so neither does the record."""
    async with connection.csms.store.session() as db:
        await db.execute(delete(ChargingProfile).where(ChargingProfile.station_id == connection.station_id,
                                                       *cleared_by(request)))


@on_response("1.6", "RemoteStartTransaction")
async def record_remote_start_profile(connection: StationConnection, request: Payload, response: Payload) -> None:
    """A remote start accepted with a TxProfile: the profile waits for the idTag's transaction."""
    profile = request.get("chargingProfile")
    if response["status"] != "Accepted" or profile is None:
        return
    async with connection.csms.store.session() as db:
        await install(db, connection.station_id, request.get("connectorId", 0), profile,
                      pending_id_tag=request["idTag"])




@observes("1.6", "StartTransaction")
async def bind_pending_profile(connection: StationConnection, request: Payload, response: Payload) -> None:
    """The TxProfile of the remote start for this idTag now governs this transaction."""
    async with connection.csms.store.session() as db:
        pending = await db.scalar(
            select(ChargingProfile)
            .where(ChargingProfile.station_id == connection.station_id, ChargingProfile.purpose == TX_PROFILE,
                   ChargingProfile.transaction_id.is_(None), ChargingProfile.pending_id_tag == request["idTag"],
                   ChargingProfile.connector_id.in_((0, request["connectorId"])))
            .order_by(ChargingProfile.pk.desc()))
        if pending is not None:
            pending.transaction_id, pending.pending_id_tag = int(response["transactionId"]), None
            pending.connector_id = request["connectorId"]


@observes("1.6", "StopTransaction")
async def drop_transaction_profiles(connection: StationConnection, request: Payload, _response: Payload) -> None:
    async with connection.csms.store.session() as db:
        await db.execute(delete(ChargingProfile).filter_by(station_id=connection.station_id, purpose=TX_PROFILE,
                                                           transaction_id=request["transactionId"]))
