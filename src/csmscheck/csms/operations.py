"""What an operator can make the reference CSMS do, whichever trigger API route asked for it.

The canonical routes (:mod:`csmscheck.csms.trigger_api`) and the original OCTT suite's
aliases (:mod:`csmscheck.csms.trigger_dialect`) are thin HTTP layers over these functions:
one implementation, two ways to ask. Refusals raise :class:`TriggerError` with the HTTP
status they answer with; a station that gives no answer raises
:class:`~csmscheck.csms.connection.NoAnswer`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from csmscheck.csms import items_per_message, stored_transactions
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.models import IdToken, Station
from csmscheck.csms.passwords import new_password, remember_password
from csmscheck.csms.router import ROUTES
from csmscheck.csms.security_models import SecurityProfileChange
from csmscheck.trigger.stored import StoredTransaction
from csmscheck.wire import CallError, CallResult, validators
from csmscheck.wire.directions import csms_initiated
from csmscheck.wire.versions import OcppVersion

if TYPE_CHECKING:
    from csmscheck.csms.app import CsmsContext

Payload = dict[str, Any]
UNTIL_CHANGED = 2**31 - 1  # boots an operator's registration status lasts when no count is given
# OCPP 1.6 §4.2: while a charge point's registration is Pending, the Central System does not send these.
_NOT_WHILE_PENDING_16 = frozenset({"RemoteStartTransaction", "RemoteStopTransaction"})


class TriggerError(Exception):
    """A request the CSMS refuses: ``status`` is the HTTP status, ``errors`` the reasons (400)."""

    def __init__(self, status: int, detail: str, errors: list[str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors

    def body(self) -> Payload:
        return {"detail": self.detail} | ({"errors": self.errors} if self.errors else {})


def ocpp_version(version: str) -> OcppVersion:
    if version not in ("1.6", "2.0.1"):
        raise TriggerError(404, f"unknown OCPP version {version!r}: use 1.6 or 2.0.1")
    return "1.6" if version == "1.6" else "2.0.1"


# -- CSMS-initiated calls ---------------------------------------------------------------


def connected(csms: CsmsContext, version: OcppVersion, station_id: str) -> StationConnection:
    """The station's live connection, speaking ``version``."""
    connection = csms.connections.get(station_id)
    if connection is None:
        raise TriggerError(404, f"station {station_id!r} is not connected")
    if connection.version != version:
        raise TriggerError(409, f"station {station_id!r} speaks OCPP {connection.version}, not {version}")
    return connection


async def relay(csms: CsmsContext, version: OcppVersion, station_id: str, action: str,
                payload: Payload) -> CallResult | CallError:
    """Validate ``payload`` as an ``action`` request, send it to the station (split where OCPP
    requires) and return its answer."""
    checker = validators(version)
    if not checker.knows(action):
        raise TriggerError(404, f"OCPP {version} has no action {action!r}")
    if action not in csms_initiated(version):
        raise TriggerError(404, f"OCPP {version} {action} is sent by the charging station, not the CSMS")
    problems = [str(p) for p in checker.check(action, payload, response=False)] + list(_wide_integers(payload))
    if problems:
        raise TriggerError(400, f"invalid {action} request", problems)
    for vet in ROUTES[version].vetters.get(action, ()):  # what the CSMS knows refuses it (never sent)
        problems += await vet(csms, station_id, payload)
    if problems:
        raise TriggerError(400, f"invalid {action} request", problems)
    connection = connected(csms, version, station_id)
    if version == "1.6" and connection.boot_status == "Pending" and action in _NOT_WHILE_PENDING_16:
        raise TriggerError(409, f"charge point {station_id!r} is Pending: OCPP 1.6 allows no {action} until the "
                                "Central System accepts it")
    return await connection.request(action, payload, csms.config.call_timeout)


def _wide_integers(value: Any, path: str = "") -> Iterator[str]:
    """Integers the schemas allow but OCPP's 32-bit integer type (and the database) does not."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _wide_integers(item, f"{path}/{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _wide_integers(item, f"{path}/{index}" if path else str(index))
    elif isinstance(value, int) and not isinstance(value, bool) and not -(2**31) <= value < 2**31:
        yield f"{path or '<root>'}: {value} is not a 32-bit integer (OCPP integers are)"


async def update_basic_auth_password(csms: CsmsContext, version: OcppVersion,
                                     station_id: str) -> tuple[str, CallResult | CallError]:
    """Send the station a new password the CSMS makes up; it becomes the station's password
    once the station accepts it (recorded from the answer, see the password handlers)."""
    password = new_password(version)
    payload: Payload
    if version == "1.6":
        action, payload = "ChangeConfiguration", {"key": "AuthorizationKey", "value": password}
    else:
        action, payload = "SetVariables", {"setVariableData": [{
            "component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"},
            "attributeValue": password}]}
    return action, await relay(csms, version, station_id, action, payload)


# -- set-up: what an operator configures in the CSMS --------------------------------------


async def _station(db: Any, station_id: str, version: OcppVersion | None = None) -> Station:
    station: Station | None = await db.get(Station, station_id)
    if station is None:
        raise TriggerError(404, f"unknown station {station_id!r}")
    if version is not None and station.ocpp_version != version:
        raise TriggerError(409, f"station {station_id!r} speaks OCPP {station.ocpp_version}, not {version}")
    return station


async def set_registration_status(csms: CsmsContext, station_id: str, status: str, boots: int | None,
                                  version: OcppVersion | None = None) -> None:
    """Answer the station's next ``boots`` BootNotifications (None: all until changed) with ``status``."""
    async with csms.store.session() as db:
        station = await _station(db, station_id, version)
        accepted = status == "Accepted"
        station.boot_override = None if accepted else status
        station.override_boots = 0 if accepted else (boots or UNTIL_CHANGED)


async def set_basic_auth_password(csms: CsmsContext, station_id: str, password: str) -> None:
    if not await remember_password(csms.store, station_id, password):
        raise TriggerError(404, f"unknown station {station_id!r}")


async def set_security_profile(csms: CsmsContext, version: OcppVersion, station_id: str, profile: int) -> None:
    """The station's security profile as the operator configured it; a pending move to another one is dropped."""
    async with csms.store.session() as db:
        station = await _station(db, station_id, version)
        station.security_profile = profile
        await db.execute(delete(SecurityProfileChange).filter_by(station_id=station_id))


async def set_items_per_message(csms: CsmsContext, version: OcppVersion, station_id: str,
                                limits: dict[str, int | None]) -> None:
    if version != "2.0.1":
        raise TriggerError(404, "ItemsPerMessage is an OCPP 2.0.1 variable (1.6 has GetConfigurationMaxKeys)")
    async with csms.store.session() as db:
        await _station(db, station_id, version)
    await items_per_message.configure(csms.store, station_id, limits)


async def create_token(csms: CsmsContext, id_token: str, type_: str, status: str, group_id: str | None,
                       expiry: datetime | None) -> None:
    """Create or change an ID token the CSMS authorizes against.

    Tokens are case-insensitive: the token known in another letter case is the one changed. The
    expiry is stored in UTC, as everything in the database (an offset would be lost in SQLite).
    """
    async with csms.store.session() as db:
        row = await db.get(IdToken, id_token) or await db.scalar(
            select(IdToken).where(func.upper(IdToken.id_token) == id_token.upper()).limit(1))
        row = row or IdToken(id_token=id_token)
        row.type, row.status, row.group_id = type_, status, group_id
        row.expiry = expiry.astimezone(UTC) if expiry is not None and expiry.tzinfo else expiry
        db.add(row)


# -- read-back: what the CSMS stored -----------------------------------------------------


async def stored_transaction(csms: CsmsContext, version: OcppVersion, station_id: str,
                             transaction_id: str) -> StoredTransaction | None:
    """The station's transaction as the CSMS stored it; None for an unknown station or transaction."""
    async with csms.store.session() as db:
        station = await db.get(Station, station_id)
    if station is None:
        return None
    if station.ocpp_version != version:
        raise TriggerError(409, f"station {station_id!r} speaks OCPP {station.ocpp_version}, not {version}")
    return await stored_transactions.stored_transaction(csms.store, version, station_id, transaction_id)
