"""The trigger API: how an operator (or the suite) makes the CSMS send its own calls.

``POST /api/octt/{version}/{station_id}/{action}`` sends the OCPP request in the body to
the connected station and answers with the station's reply. The original OCTT pytest
suite's routes are served too, as aliases (:mod:`csmscheck.csms.trigger_dialect`); both
are thin layers over :mod:`csmscheck.csms.operations`. The FastAPI app serves its own
OpenAPI document at ``/openapi.json`` (and a browsable one at ``/docs``).
"""

from __future__ import annotations

import hmac
from enum import Enum
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from csmscheck import __version__
from csmscheck.csms import operations, provisioning
from csmscheck.csms.app import CsmsContext
from csmscheck.csms.body_limit import BodyLimit
from csmscheck.csms.connection import NoAnswer
from csmscheck.csms.handlers.v201.customer_information import customer_reports_view
from csmscheck.csms.handlers.v201.display_messages import display_messages_view
from csmscheck.csms.handlers.v201.firmware import firmware_view
from csmscheck.csms.handlers.v201.logs import log_requests_view
from csmscheck.csms.handlers.v201.monitoring import monitoring_view
from csmscheck.csms.models import ConnectorStatus, Station, Transaction
from csmscheck.csms.operations import TriggerError
from csmscheck.csms.provisioning import ProvisioningError
from csmscheck.csms.security_certificates import certificates_view
from csmscheck.csms.smart_charging_state import smart_charging_view
from csmscheck.csms.trigger_dialect import add_dialect_routes
from csmscheck.csms.trigger_models import (
    BasicAuthPassword,
    Done,
    NewStation,
    NewStations,
    OcppReply,
    Provisioned,
    RegistrationSpec,
    StationDetail,
    StationView,
    TokenSpec,
)
from csmscheck.trigger.actions import action_from_kebab
from csmscheck.trigger.stored import StoredTransaction, UnknownTransaction
from csmscheck.wire import CallError

CANONICAL: list[str | Enum] = ["csmscheck"]
STATIONS: list[str | Enum] = ["stations"]
MAX_BODY = 2**20  # bytes; an OCPP message the CSMS would send is far smaller
CALL_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "invalid payload (with the schema errors), or a request the CSMS refuses to send "
                         "(e.g. a charging profile breaking an OCPP rule), with the reasons"},
    404: {"description": "unknown version or action, or the station is not connected"},
    409: {"description": "the station speaks the other OCPP version, or its state forbids the call (a 1.6 "
                        "RemoteStartTransaction or RemoteStopTransaction while it is Pending)"},
}


def create_api(csms: CsmsContext) -> FastAPI:
    token = csms.config.api_token
    # With a token the document is served only to its holders, and the browsable pages (which fetch it
    # without one) are off.
    api = FastAPI(
        title="csmscheck trigger API",
        version=__version__,
        description="Makes the CSMS send CSMS-initiated OCPP calls, and sets up stations and tokens. "
                    "The routes tagged 'original OCTT suite' are aliases for that suite's client.",
        openapi_url=None if token else "/openapi.json",
        docs_url=None if token else "/docs",
        redoc_url=None if token else "/redoc",
    )
    api.add_middleware(BodyLimit, limit=MAX_BODY)
    expected = f"Bearer {token}".encode()

    def authorize(request: Request) -> None:
        if token is None:
            return
        # Bytes, not str: compare_digest refuses non-ASCII str (a header is Latin-1 text of the bytes sent).
        given = request.headers.get("Authorization", "").encode("latin-1")
        if not hmac.compare_digest(given, expected):
            raise HTTPException(401, "a valid bearer token is required", {"WWW-Authenticate": "Bearer"})

    guarded = [Depends(authorize)]

    if token is not None:
        @api.get("/openapi.json", dependencies=guarded, include_in_schema=False)
        async def openapi_document() -> dict[str, Any]:
            return api.openapi()

    @api.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        return JSONResponse({"detail": "invalid request", "errors": errors}, status_code=400)

    @api.exception_handler(TriggerError)
    async def refused(_request: Request, exc: TriggerError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @api.exception_handler(ProvisioningError)
    async def not_provisioned(_request: Request, exc: ProvisioningError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status)

    # The aliases first: their fixed last segments (set-pending-boot, ...) would match {action}.
    add_dialect_routes(api, csms, guarded)

    @api.post("/api/octt/{version}/{station_id}/{action}", response_model=OcppReply,
              response_model_exclude_none=True, dependencies=guarded, tags=CANONICAL,
              responses=CALL_RESPONSES | {504: {"description": "the station did not answer in time"}})
    async def send_call(version: str, station_id: str, action: str,
                        payload: Annotated[dict[str, Any], Body()]) -> OcppReply:
        """Send the OCPP request ``payload`` as ``action`` (kebab-case) to the station and return its reply."""
        ocpp = operations.ocpp_version(version)
        try:
            answer = await operations.relay(csms, ocpp, station_id, action_from_kebab(action), payload)
        except NoAnswer as exc:
            raise HTTPException(504, str(exc)) from None
        if isinstance(answer, CallError):
            return OcppReply(error={"code": answer.code, "description": answer.description,
                                    "details": answer.details})
        return OcppReply(response=answer.payload)

    @api.post("/api/octt/set-basic-auth-password", dependencies=guarded, tags=CANONICAL)
    async def set_basic_auth_password(spec: BasicAuthPassword) -> Done:
        """Store a new basic-auth password for the station (used from its next connection).

        ``{"station_id", "password"}`` (the original suite's names) is accepted too."""
        await operations.set_basic_auth_password(csms, spec.stationId, spec.password)
        return Done()

    @api.post("/api/octt/create-token", dependencies=guarded, tags=CANONICAL)
    async def create_token(spec: TokenSpec) -> Done:
        """Create or change an ID token the CSMS authorizes against.

        The original suite's ``{"token_id", "status"}`` is accepted too (and ``group_id``, ...)."""
        await operations.create_token(csms, spec.idToken, spec.type, spec.status, spec.groupId,
                                      spec.cacheExpiryDateTime)
        return Done()

    @api.post("/api/octt/set-registration-status", dependencies=guarded, tags=CANONICAL)
    async def set_registration_status(spec: RegistrationSpec) -> Done:
        """Answer the station's next BootNotification(s) with ``status`` (e.g. Pending to provision it first)."""
        await operations.set_registration_status(csms, spec.stationId, spec.status, spec.boots)
        return Done()

    @api.get("/api/octt/{version}/{station_id}/transactions/{transaction_id}", response_model=StoredTransaction,
             dependencies=guarded, tags=CANONICAL,
             responses={404: {"model": UnknownTransaction, "description": "the CSMS knows no such transaction of "
                              "the station (or no such station)"},
                        409: {"description": "the station speaks the other OCPP version"}})
    async def read_transaction(version: str, station_id: str, transaction_id: str) -> Any:
        """What the CSMS stored about a transaction: start and stop (UTC), meter start and stop, energy (Wh),
        stop reason, total cost and the TransactionEvents it applied (2.0.1), from its database.

        ``transaction_id`` is the station's id (2.0.1) or the id the CSMS gave (1.6)."""
        stored = await operations.stored_transaction(csms, operations.ocpp_version(version), station_id,
                                                     transaction_id)
        if stored is None:
            unknown = UnknownTransaction(detail=f"station {station_id!r} has no transaction {transaction_id!r}",
                                         stationId=station_id, transactionId=transaction_id)
            return JSONResponse(unknown.model_dump(), status_code=404)
        return stored

    add_station_routes(api, csms, guarded)
    return api


def add_station_routes(api: FastAPI, csms: CsmsContext, guarded: list[Any]) -> None:
    """Register, look up and remove stations (``/api/stations``)."""
    bad: dict[int | str, dict[str, Any]] = {400: {"description": "invalid body (with the reasons)"}}

    @api.get("/api/stations", dependencies=guarded, tags=STATIONS)
    async def list_stations() -> list[StationView]:
        """Every known station with its registration and connection state."""
        async with csms.store.session() as db:
            stations = (await db.scalars(select(Station).order_by(Station.id))).all()
        return [_station_view(s, s.id in csms.connections) for s in stations]

    @api.post("/api/stations", status_code=201, dependencies=guarded, tags=STATIONS,
              responses=bad | {409: {"description": "a station with this id exists"}})
    async def create_station(spec: NewStation) -> StationView:
        """Register a station; it may connect from now on (its password kept only as a hash)."""
        station = await provisioning.add_station(csms.store, spec.stationId, spec.ocppVersion, spec.securityProfile,
                                                 spec.password)
        return _station_view(station, False)

    @api.post("/api/stations/bulk", status_code=201, dependencies=guarded, tags=STATIONS, responses=bad)
    async def create_stations(spec: NewStations) -> Provisioned:
        """Register many stations at once (load tests), in one database transaction: ``LOAD{n:05d}`` with
        count 10000 makes LOAD00000 ... LOAD09999. Stations that exist are left as they are.

        The password is hashed once: every station of the request shares one credential."""
        created, existing = await provisioning.add_stations(csms.store, spec.bulk())
        return Provisioned(created=created, existing=existing)

    @api.get("/api/stations/{station_id}", dependencies=guarded, tags=STATIONS,
             responses={404: {"description": "unknown station"}})
    async def show_station(station_id: str) -> StationDetail:
        """One station: registration, connection, connector statuses and its latest transactions."""
        async with csms.store.session() as db:
            station = await db.get(Station, station_id)
            if station is None:
                raise HTTPException(404, f"unknown station {station_id!r}")
            connectors = (await db.scalars(select(ConnectorStatus).filter_by(station_id=station_id))).all()
            transactions = (await db.scalars(select(Transaction).filter_by(station_id=station_id)
                                             .order_by(Transaction.started_at.desc()).limit(20))).all()
        view = _station_view(station, station_id in csms.connections)
        charging = await smart_charging_view(csms.store, station_id)
        held = await certificates_view(csms.store, station_id)
        shown = await display_messages_view(csms.store, station_id)
        logs = await log_requests_view(csms.store, station_id)
        customers = await customer_reports_view(csms.store, station_id)
        firmware = await firmware_view(csms.store, station_id)
        monitored = await monitoring_view(csms.store, station_id)
        return StationDetail(
            **view.model_dump(),
            connectors=[{"evseId": c.evse_id, "connectorId": c.connector_id, "status": c.status}
                        for c in connectors],
            transactions=[{"transactionId": t.transaction_id, "evseId": t.evse_id,
                           "connectorId": t.connector_id, "idToken": t.id_token,
                           "startedAt": t.started_at.isoformat(),
                           "stoppedAt": t.stopped_at.isoformat() if t.stopped_at else None,
                           "stoppedReason": t.stopped_reason,
                           "meterStartWh": t.meter_start_wh, "meterStopWh": t.meter_stop_wh}
                          for t in transactions],
            chargingProfiles=charging["chargingProfiles"], externalLimits=charging["externalLimits"],
            compositeChecks=charging["compositeChecks"], loadLevelling=charging["loadLevelling"],
            installedCertificates=held["installedCertificates"],
            certificateInstallations=held["certificateInstallations"],
            displayMessages=shown["displayMessages"], displayMessageAttempts=shown["displayMessageAttempts"],
            logRequests=logs, customerReports=customers,
            firmwareUpdates=firmware["firmwareUpdates"], firmwarePublications=firmware["firmwarePublications"],
            monitors=monitored["monitors"], monitoring=monitored["monitoring"],
            monitoringReports=monitored["monitoringReports"], events=monitored["events"],
        )

    @api.delete("/api/stations/{station_id}", status_code=204, dependencies=guarded, tags=STATIONS,
                responses={404: {"description": "unknown station"},
                           409: {"description": "the station has transactions or meter values (billing records "
                                               "the CSMS keeps)"}})
    async def delete_station(station_id: str) -> Response:
        """Remove a station and what the CSMS keeps about it (status, device model, certificates, set-up);
        a connected station is disconnected. A station that has charged is kept: 409 with the reason."""
        await provisioning.remove_station(csms.store, station_id)
        connection = csms.connections.get(station_id)
        if connection is not None:
            await connection.close(1000, "station deleted")
        return Response(status_code=204)


def _station_view(station: Station, connected: bool) -> StationView:
    return StationView(
        stationId=station.id, ocppVersion=station.ocpp_version, securityProfile=station.security_profile,
        connected=connected, bootStatus=station.last_boot_status, vendor=station.vendor, model=station.model,
        serialNumber=station.serial_number, firmwareVersion=station.firmware_version,
        lastBootAt=station.last_boot_at.isoformat() if station.last_boot_at else None)
