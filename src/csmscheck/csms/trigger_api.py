"""The trigger API: how an operator (or the suite) makes the CSMS send its own calls.

``POST /api/octt/{version}/{station_id}/{action}`` sends the OCPP request in the body to
the connected station and answers with the station's reply. The FastAPI app serves its
own OpenAPI document at ``/openapi.json`` (and a browsable one at ``/docs``).
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Body, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from csmscheck import __version__
from csmscheck.csms.app import CsmsContext
from csmscheck.csms.connection import StationTimeout
from csmscheck.csms.models import ConnectorStatus, IdToken, Station, Transaction
from csmscheck.csms.store import hash_password
from csmscheck.trigger.actions import action_from_kebab
from csmscheck.wire import CallError, validators
from csmscheck.wire.versions import OcppVersion


class OcppReply(BaseModel):
    """The station's answer: ``response`` for a CALLRESULT, ``error`` for a CALLERROR."""

    response: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


class BasicAuthPassword(BaseModel):
    stationId: str
    password: str = Field(min_length=1, max_length=40)


class TokenSpec(BaseModel):
    idToken: str = Field(min_length=1, max_length=255)
    type: str = "ISO14443"
    status: Literal["Accepted", "Blocked", "Expired", "Invalid", "NoCredit", "NotAllowedTypeEVSE",
                    "NotAtThisLocation", "NotAtThisTime", "Unknown", "ConcurrentTx"] = "Accepted"
    groupId: str | None = None
    cacheExpiryDateTime: datetime | None = None


class RegistrationSpec(BaseModel):
    stationId: str
    status: Literal["Accepted", "Pending", "Rejected"]
    boots: int | None = Field(default=None, ge=1, description="how many BootNotifications get this status; "
                              "afterwards the station is Accepted again (absent: until changed)")


def create_api(csms: CsmsContext) -> FastAPI:
    api = FastAPI(
        title="csmscheck trigger API",
        version=__version__,
        description="Makes the CSMS send CSMS-initiated OCPP calls, and sets up stations and tokens.",
    )
    token = csms.config.api_token

    def authorize(request: Request) -> None:
        if token is None:
            return
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given, f"Bearer {token}"):
            raise HTTPException(401, "a valid bearer token is required", {"WWW-Authenticate": "Bearer"})

    guarded = [Depends(authorize)]

    @api.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        return JSONResponse({"detail": "invalid request", "errors": errors}, status_code=400)

    @api.post("/api/octt/{version}/{station_id}/{action}", response_model=OcppReply,
              response_model_exclude_none=True, dependencies=guarded,
              responses={400: {"description": "invalid payload"}, 404: {"description": "station not connected"},
                         504: {"description": "the station did not answer in time"}})
    async def send_call(version: str, station_id: str, action: str,
                        payload: Annotated[dict[str, Any], Body()]) -> OcppReply | JSONResponse:
        """Send the OCPP request ``payload`` as ``action`` to the station and return its reply."""
        if version not in ("1.6", "2.0.1"):
            raise HTTPException(404, f"unknown OCPP version {version!r}: use 1.6 or 2.0.1")
        ocpp: OcppVersion = "1.6" if version == "1.6" else "2.0.1"
        name = action_from_kebab(action)
        checker = validators(ocpp)
        if not checker.knows(name):
            raise HTTPException(404, f"OCPP {version} has no action {action!r}")
        problems = checker.check(name, payload, response=False)
        if problems:
            return JSONResponse({"detail": f"invalid {name} request", "errors": [str(p) for p in problems]}, 400)
        connection = csms.connections.get(station_id)
        if connection is None:
            raise HTTPException(404, f"station {station_id!r} is not connected")
        if connection.version != ocpp:
            raise HTTPException(409, f"station {station_id!r} speaks OCPP {connection.version}, not {version}")
        try:
            answer = await connection.request(name, payload, csms.config.call_timeout)
        except StationTimeout as exc:
            raise HTTPException(504, str(exc)) from None
        if isinstance(answer, CallError):
            return OcppReply(error={"code": answer.code, "description": answer.description,
                                    "details": answer.details})
        return OcppReply(response=answer.payload)

    @api.post("/api/octt/set-basic-auth-password", dependencies=guarded)
    async def set_basic_auth_password(spec: BasicAuthPassword) -> dict[str, str]:
        """Store a new basic-auth password for the station (used from its next connection)."""
        async with csms.store.session() as db:
            station = await db.get(Station, spec.stationId)
            if station is None:
                raise HTTPException(404, f"unknown station {spec.stationId!r}")
            station.password_hash = hash_password(spec.password)
        return {"status": "Accepted"}

    @api.post("/api/octt/create-token", dependencies=guarded)
    async def create_token(spec: TokenSpec) -> dict[str, str]:
        """Create or change an ID token the CSMS authorizes against."""
        async with csms.store.session() as db:
            row = await db.get(IdToken, spec.idToken) or IdToken(id_token=spec.idToken)
            row.type, row.status, row.group_id = spec.type, spec.status, spec.groupId
            row.expiry = spec.cacheExpiryDateTime
            db.add(row)
        return {"status": "Accepted"}

    @api.post("/api/octt/set-registration-status", dependencies=guarded)
    async def set_registration_status(spec: RegistrationSpec) -> dict[str, str]:
        """Answer the station's next BootNotification(s) with ``status`` (e.g. Pending to provision it first)."""
        async with csms.store.session() as db:
            station = await db.get(Station, spec.stationId)
            if station is None:
                raise HTTPException(404, f"unknown station {spec.stationId!r}")
            accepted = spec.status == "Accepted"
            station.boot_override = None if accepted else spec.status
            station.override_boots = 0 if accepted else (spec.boots or 2**31 - 1)
        return {"status": "Accepted"}

    @api.get("/api/stations", dependencies=guarded)
    async def list_stations() -> list[dict[str, Any]]:
        """Every known station with its registration and connection state."""
        async with csms.store.session() as db:
            stations = (await db.scalars(select(Station).order_by(Station.id))).all()
        return [_station_view(s, s.id in csms.connections) for s in stations]

    @api.get("/api/stations/{station_id}", dependencies=guarded)
    async def show_station(station_id: str) -> dict[str, Any]:
        """One station: registration, connector statuses and its latest transactions."""
        async with csms.store.session() as db:
            station = await db.get(Station, station_id)
            if station is None:
                raise HTTPException(404, f"unknown station {station_id!r}")
            connectors = (await db.scalars(select(ConnectorStatus).filter_by(station_id=station_id))).all()
            transactions = (await db.scalars(select(Transaction).filter_by(station_id=station_id)
                                             .order_by(Transaction.started_at.desc()).limit(20))).all()
        return _station_view(station, station_id in csms.connections) | {
            "connectors": [{"evseId": c.evse_id, "connectorId": c.connector_id, "status": c.status}
                           for c in connectors],
            "transactions": [{"transactionId": t.transaction_id, "evseId": t.evse_id,
                              "connectorId": t.connector_id, "idToken": t.id_token,
                              "startedAt": t.started_at.isoformat(),
                              "stoppedAt": t.stopped_at.isoformat() if t.stopped_at else None,
                              "stoppedReason": t.stopped_reason,
                              "meterStartWh": t.meter_start_wh, "meterStopWh": t.meter_stop_wh}
                             for t in transactions],
        }

    return api


def _station_view(station: Station, connected: bool) -> dict[str, Any]:
    return {"stationId": station.id, "ocppVersion": station.ocpp_version,
            "securityProfile": station.security_profile, "connected": connected,
            "bootStatus": station.last_boot_status, "vendor": station.vendor, "model": station.model,
            "lastBootAt": station.last_boot_at.isoformat() if station.last_boot_at else None}
