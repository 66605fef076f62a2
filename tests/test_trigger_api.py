"""The trigger API of the reference CSMS (DESIGN §2.5), over real HTTP and a real station."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from conftest import DEFAULTS, PASSWORD, CsmsStarter, RunningCsms, StationOpener, boot_payload, wait_until_dropped

from csmscheck.csms.router import ROUTES
from csmscheck.csms.trigger_api import MAX_BODY
from csmscheck.station.session import StationSession
from csmscheck.wire import CallError, CallResult, encode, parse, validators
from csmscheck.wire.directions import STATION_INITIATED, csms_initiated
from csmscheck.wire.frames import Call
from csmscheck.wire.versions import VERSIONS, OcppVersion

VALID_TOKEN = {"idToken": DEFAULTS.valid_id_token, "type": DEFAULTS.valid_id_token_type}
GET_VARIABLES = {"getVariableData": [
    {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
    {"component": {"name": "AuthCtrlr"}, "variable": {"name": "Enabled"}},
]}
GET_VARIABLES_RESULT = {"getVariableResult": [
    {"attributeStatus": "Accepted", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
     "attributeValue": "300"},
    {"attributeStatus": "UnknownVariable", "component": {"name": "AuthCtrlr"}, "variable": {"name": "Enabled"}},
]}


@pytest.fixture
async def api(reference_csms: RunningCsms) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=reference_csms.api, timeout=10.0, verify=False) as client:
        yield client


def _client(csms: RunningCsms, **kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=csms.api, verify=False, **({"timeout": 10.0} | kwargs))


def _errors(response: httpx.Response) -> list[str]:
    body = response.json()
    assert isinstance(body["errors"], list) and body["errors"], body
    return [str(e) for e in body["errors"]]


# -- the document -------------------------------------------------------------------------


async def test_openapi_document_lists_the_octt_paths(api: httpx.AsyncClient) -> None:
    response = await api.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in ("/api/octt/{version}/{station_id}/{action}", "/api/octt/set-basic-auth-password",
                 "/api/octt/create-token", "/api/octt/set-registration-status"):
        assert "post" in paths[path], path
    assert {"400", "404", "504"} <= set(paths["/api/octt/{version}/{station_id}/{action}"]["post"]["responses"])


# -- CSMS-initiated calls -----------------------------------------------------------------


async def test_call_returns_the_station_response(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                 open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP201_SP1")
    async with station.expect("GetVariables", reply=GET_VARIABLES_RESULT) as got:
        response = await api.post("/api/octt/2.0.1/CP201_SP1/get-variables", json=GET_VARIABLES)
    assert response.status_code == 200, response.text
    assert response.json() == {"response": GET_VARIABLES_RESULT}
    assert got.payload == GET_VARIABLES  # sent as given: camelCase, nothing added or renamed


async def test_1_6_call_returns_the_station_response(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                     open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP16_SP1")
    reply = {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}],
             "unknownKey": ["Nope"]}
    async with station.expect("GetConfiguration", reply=reply) as got:
        response = await api.post("/api/octt/1.6/CP16_SP1/get-configuration",
                                  json={"key": ["HeartbeatInterval", "Nope"]})
    assert response.status_code == 200, response.text
    assert response.json() == {"response": reply}
    assert got.payload == {"key": ["HeartbeatInterval", "Nope"]}


async def test_station_callerror_is_returned_as_error(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                      open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP201_SP1")
    refusal = CallError("ignored", "NotSupported", "no resets today", {"why": "testing"})
    async with station.expect("Reset", reply=refusal):
        response = await api.post("/api/octt/2.0.1/CP201_SP1/reset", json={"type": "Immediate"})
    assert response.status_code == 200, response.text
    assert response.json() == {"error": {"code": "NotSupported", "description": "no resets today",
                                         "details": {"why": "testing"}}}


async def test_invalid_payload_is_400_with_the_errors(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                      open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP201_SP1")
    response = await api.post("/api/octt/2.0.1/CP201_SP1/reset", json={"type": "Sometime", "extra": 1})
    assert response.status_code == 400
    errors = _errors(response)
    assert any(e.startswith("type: ") for e in errors), errors
    assert any("extra" in e for e in errors), errors
    missing = await api.post("/api/octt/2.0.1/CP201_SP1/get-variables", json={})
    assert missing.status_code == 400
    assert any("getVariableData" in e for e in _errors(missing))
    # nothing reached the station
    assert not [f for f in station.transcript.frames if f.direction == "in" and '"Reset"' in f.text]
    assert station.unexpected_calls() == []


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"Immediate"'])
async def test_body_that_is_not_a_json_object_is_400(api: httpx.AsyncClient, body: str) -> None:
    response = await api.post("/api/octt/2.0.1/CP201_SP1/reset", content=body,
                              headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text


async def test_unknown_station_is_404(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/octt/2.0.1/NO_SUCH_STATION/reset", json={"type": "Immediate"})
    assert response.status_code == 404
    assert "NO_SUCH_STATION" in response.json()["detail"]


async def test_known_but_disconnected_station_is_404(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/octt/2.0.1/CP202_SP2/reset", json={"type": "Immediate"})
    assert response.status_code == 404


async def test_station_is_404_again_after_it_disconnects(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                        open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP16_SP1")
    async with station.expect("ClearCache", reply={"status": "Accepted"}):
        connected = await api.post("/api/octt/1.6/CP16_SP1/clear-cache", json={})
    assert connected.json() == {"response": {"status": "Accepted"}}
    await station.close()
    await wait_until_dropped(reference_csms, "CP16_SP1")
    response = await api.post("/api/octt/1.6/CP16_SP1/clear-cache", json={})
    assert response.status_code == 404


@pytest.mark.parametrize("version", ["3.0", "2.0", "16", "ocpp2.0.1"])
async def test_unknown_version_is_404(api: httpx.AsyncClient, version: str) -> None:
    response = await api.post(f"/api/octt/{version}/CP201_SP1/reset", json={"type": "Immediate"})
    assert response.status_code == 404


@pytest.mark.parametrize(("version", "action"), [
    ("2.0.1", "make-coffee"), ("2.0.1", "remote-start-transaction"), ("1.6", "request-start-transaction"),
    ("2.0.1", "boot-notification-x"),
])
async def test_unknown_action_is_404(api: httpx.AsyncClient, version: str, action: str) -> None:
    response = await api.post(f"/api/octt/{version}/CP201_SP1/{action}", json={})
    assert response.status_code == 404


@pytest.mark.parametrize(("path", "payload"), [
    ("/api/octt/2.0.1/CP201_SP1/boot-notification", boot_payload("2.0.1")),
    ("/api/octt/2.0.1/CP201_SP1/call/BootNotification", boot_payload("2.0.1")),
    ("/api/octt/2.0.1/CP201_SP1/heartbeat", {}),
    ("/api/octt/1.6/CP16_SP1/start-transaction",
     {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2026-01-01T00:00:00Z"}),
    ("/api/octt/1.6/CP16_SP1/call/StatusNotification",
     {"connectorId": 1, "errorCode": "NoError", "status": "Available"}),
])
async def test_station_initiated_action_is_404_with_the_reason(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                               open_station: StationOpener, path: str,
                                                               payload: dict[str, Any]) -> None:
    station_id = path.split("/")[4]
    station = await open_station(reference_csms, station_id)
    response = await api.post(path, json=payload)
    assert response.status_code == 404, response.text
    assert "sent by the charging station" in response.json()["detail"]
    assert station.unexpected_calls() == []


@pytest.mark.parametrize("version", VERSIONS)
def test_every_action_has_one_direction_but_data_transfer(version: OcppVersion) -> None:
    every = set(validators(version).actions())
    by_station, by_csms = STATION_INITIATED[version], csms_initiated(version)
    assert by_station <= every and by_station | by_csms == every
    assert by_station & by_csms == {"DataTransfer"}
    assert set(ROUTES[version].handlers) <= by_station  # what the CSMS handles, stations send


async def test_data_transfer_goes_both_ways(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                            open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP16_SP1")
    async with station.expect("DataTransfer", reply={"status": "Accepted"}):
        response = await api.post("/api/octt/1.6/CP16_SP1/data-transfer", json={"vendorId": "csmscheck"})
    assert response.json() == {"response": {"status": "Accepted"}}


async def test_station_that_never_answers_is_504(start_csms: CsmsStarter) -> None:
    csms = start_csms(call_timeout=0.5)
    credentials = base64.b64encode(f"CP201_SP1:{PASSWORD}".encode()).decode()
    async with websockets.connect(f"{csms.endpoints.ws}/CP201_SP1", subprotocols=[websockets.Subprotocol("ocpp2.0.1")],
                                  additional_headers={"Authorization": f"Basic {credentials}"},
                                  proxy=None) as silent, _client(csms) as api:
        # boot first: once the CSMS answers, it has registered the connection
        await silent.send(encode(Call("boot-1", "BootNotification", boot_payload("2.0.1"))))
        booted = parse(await asyncio.wait_for(silent.recv(), 5.0))
        assert isinstance(booted, CallResult) and booted.payload["status"] == "Accepted"
        started = asyncio.get_running_loop().time()
        request = asyncio.create_task(api.post("/api/octt/2.0.1/CP201_SP1/reset", json={"type": "Immediate"}))
        call = parse(await asyncio.wait_for(silent.recv(), 5.0))  # the CALL arrives; no answer is sent
        assert isinstance(call, Call) and call.action == "Reset" and call.payload == {"type": "Immediate"}
        response = await asyncio.wait_for(request, 5.0)
        elapsed = asyncio.get_running_loop().time() - started
    assert response.status_code == 504, response.text
    assert 0.4 <= elapsed < 4.0


async def _raw_station(csms: RunningCsms) -> websockets.ClientConnection:
    """CP201_SP1 over a bare WebSocket, booted: once the CSMS answered, it has registered the connection."""
    credentials = base64.b64encode(f"CP201_SP1:{PASSWORD}".encode()).decode()
    ws = await websockets.connect(f"{csms.endpoints.ws}/CP201_SP1",
                                  subprotocols=[websockets.Subprotocol("ocpp2.0.1")],
                                  additional_headers={"Authorization": f"Basic {credentials}"}, proxy=None,
                                  max_size=None)
    await ws.send(encode(Call("boot-1", "BootNotification", boot_payload("2.0.1"))))
    booted = parse(await asyncio.wait_for(ws.recv(), 5.0))
    assert isinstance(booted, CallResult) and booted.payload["status"] == "Accepted"
    return ws


@pytest.mark.parametrize("how", ["close", "abort"])
async def test_station_that_disconnects_before_answering_is_504_saying_so(
        start_csms: CsmsStarter, caplog: pytest.LogCaptureFixture, how: str) -> None:
    csms = start_csms(call_timeout=30.0)  # the answer must not wait for the timeout
    station = await _raw_station(csms)
    async with _client(csms) as api:
        request = asyncio.create_task(api.post("/api/octt/2.0.1/CP201_SP1/reset", json={"type": "Immediate"}))
        call = parse(await asyncio.wait_for(station.recv(), 5.0))
        assert isinstance(call, Call) and call.action == "Reset"
        if how == "close":
            await station.close()
        else:
            station.transport.abort()
        response = await asyncio.wait_for(request, 5.0)
    assert response.status_code == 504, response.text
    assert response.json() == {"detail": "CP201_SP1 closed the connection before answering Reset"}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_station_that_stops_reading_gets_504_in_time(start_csms: CsmsStarter) -> None:
    csms = start_csms(call_timeout=0.5)
    station = await _raw_station(csms)
    station.transport.pause_reading()  # the station's socket fills up; the CSMS's sends block
    large = {"vendorId": "csmscheck", "data": "x" * (MAX_BODY - 1000)}
    try:
        async with _client(csms, timeout=8.0) as api:  # the API must answer well before the client gives up
            responses = await asyncio.gather(*(api.post("/api/octt/2.0.1/CP201_SP1/data-transfer", json=large)
                                               for _ in range(24)))
        assert [r.status_code for r in responses] == [504] * 24, [r.text for r in responses]
        # the socket was full: what the CSMS sent is still waiting in its transport buffer
        connection = csms.thread.csms.context.connections["CP201_SP1"]
        assert connection.ws.transport.get_write_buffer_size() > 0
    finally:
        station.transport.abort()


# -- set-up endpoints ---------------------------------------------------------------------


@pytest.mark.parametrize(("version", "station_id"), [("2.0.1", "CP201_SP1"), ("1.6", "CP16_SP1")])
async def test_created_token_authorizes_with_its_status(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                        open_station: StationOpener, version: str,
                                                        station_id: str) -> None:
    token = f"NEW-{version}"
    created = await api.post("/api/octt/create-token", json={"idToken": token, "status": "Blocked"})
    assert created.status_code == 200, created.text
    station = await open_station(reference_csms, station_id)
    if version == "2.0.1":
        answer = await station.call("Authorize", {"idToken": {"idToken": token, "type": "ISO14443"}})
        assert answer["idTokenInfo"]["status"] == "Blocked"
    else:
        answer = await station.call("Authorize", {"idTag": token})
        assert answer["idTagInfo"]["status"] == "Blocked"
    # changing it takes effect on the next Authorize
    changed = await api.post("/api/octt/create-token", json={"idToken": token, "status": "Accepted", "groupId": "G7"})
    assert changed.status_code == 200
    if version == "2.0.1":
        answer = await station.call("Authorize", {"idToken": {"idToken": token, "type": "ISO14443"}})
        assert answer["idTokenInfo"] == {"status": "Accepted", "groupIdToken": {"idToken": "G7", "type": "Central"}}
    else:
        answer = await station.call("Authorize", {"idTag": token})
        assert answer["idTagInfo"] == {"status": "Accepted", "parentIdTag": "G7"}


async def test_token_the_csms_does_not_know_is_unknown_or_invalid(reference_csms: RunningCsms,
                                                                 open_station: StationOpener) -> None:
    v201 = await open_station(reference_csms, "CP201_SP1")
    answer = await v201.call("Authorize", {"idToken": {"idToken": "NEVER-CREATED", "type": "ISO14443"}})
    assert answer["idTokenInfo"]["status"] == "Unknown"
    v16 = await open_station(reference_csms, "CP16_SP1")
    assert (await v16.call("Authorize", {"idTag": "NEVER-CREATED"}))["idTagInfo"]["status"] == "Invalid"


async def test_set_basic_auth_password(start_csms: CsmsStarter, open_station: StationOpener) -> None:
    csms = start_csms()
    async with _client(csms) as api:
        response = await api.post("/api/octt/set-basic-auth-password",
                                  json={"stationId": "CP201_SP1", "password": "n3w-passw0rd-123"})
        assert response.status_code == 200, response.text
        unknown = await api.post("/api/octt/set-basic-auth-password",
                                 json={"stationId": "NO_SUCH", "password": "n3w-passw0rd-123"})
        assert unknown.status_code == 404
    old = StationSession("CP201_SP1", "2.0.1", timeout=5.0)
    with pytest.raises(websockets.InvalidStatus) as refused:
        await old.connect(csms.endpoints.ws, password=PASSWORD)
    assert refused.value.response.status_code == 401
    session = await open_station(csms, "CP201_SP1", password="n3w-passw0rd-123")
    assert session.subprotocol == "ocpp2.0.1"


# The registration tests use stations no other test of this module boots, so the shared CSMS can serve them.


async def test_set_registration_status_pending_for_one_boot(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                           open_station: StationOpener) -> None:
    response = await api.post("/api/octt/set-registration-status",
                              json={"stationId": "CP202_SP2", "status": "Pending", "boots": 1})
    assert response.status_code == 200, response.text
    station = await open_station(reference_csms, "CP202_SP2", boot=False)
    first = await station.call("BootNotification", boot_payload("2.0.1"))
    assert first["status"] == "Pending"
    assert first["interval"] == reference_csms.config.pending_interval
    # a Pending station may not start using the CSMS yet
    refused = await station.send("Authorize", {"idToken": VALID_TOKEN})
    assert isinstance(refused, CallError) and refused.code == "SecurityError"
    second = await station.call("BootNotification", boot_payload("2.0.1"))
    assert second["status"] == "Accepted"
    assert second["interval"] == reference_csms.config.heartbeat_interval
    authorized = await station.call("Authorize", {"idToken": VALID_TOKEN})
    assert authorized["idTokenInfo"]["status"] == "Accepted"


async def test_set_registration_status_rejected_until_changed(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                             open_station: StationOpener) -> None:
    rejected = await api.post("/api/octt/set-registration-status", json={"stationId": "CP16_SP3", "status": "Rejected"})
    assert rejected.status_code == 200, rejected.text
    station = await open_station(reference_csms, "CP16_SP3", boot=False)
    for _ in range(3):
        assert (await station.call("BootNotification", boot_payload("1.6")))["status"] == "Rejected"
    assert (await api.get("/api/stations/CP16_SP3")).json()["bootStatus"] == "Rejected"
    accepted = await api.post("/api/octt/set-registration-status", json={"stationId": "CP16_SP3", "status": "Accepted"})
    assert accepted.status_code == 200, accepted.text
    assert (await station.call("BootNotification", boot_payload("1.6")))["status"] == "Accepted"
    assert (await api.get("/api/stations/CP16_SP3")).json()["bootStatus"] == "Accepted"


async def test_set_registration_status_of_unknown_station_is_404(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/octt/set-registration-status", json={"stationId": "NO_SUCH", "status": "Pending"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/octt/create-token", {}, "idToken"),
        ("/api/octt/create-token", {"idToken": "X", "status": "Sometimes"}, "status"),
        ("/api/octt/create-token", {"idToken": ""}, "idToken"),
        ("/api/octt/create-token", {"idToken": "X", "cacheExpiryDateTime": "tomorrow"}, "cacheExpiryDateTime"),
        ("/api/octt/set-basic-auth-password", {"stationId": "CP201_SP1"}, "password"),
        ("/api/octt/set-basic-auth-password", {"stationId": "CP201_SP1", "password": ""}, "password"),
        ("/api/octt/set-registration-status", {"stationId": "CP201_SP1", "status": "Maybe"}, "status"),
        ("/api/octt/set-registration-status", {"stationId": "CP201_SP1", "status": "Pending", "boots": 0}, "boots"),
        # integers, and strings the database column or OCPP would not hold
        ("/api/octt/set-registration-status", {"stationId": "CP201_SP1", "status": "Pending", "boots": 2**63}, "boots"),
        ("/api/octt/set-registration-status", {"stationId": "CP201_SP1", "status": "Pending", "boots": 2**31},
         "boots"),
        ("/api/octt/2.0.1/CP201_SP1/set-pending-boot", {"pending": "yes"}, "pending"),
        ("/api/octt/2.0.1/CP201_SP1/set-items-per-message", {"get_variables": 2**63}, "get_variables"),
        ("/api/octt/create-token", {"idToken": "X" * 37}, "idToken"),
        ("/api/octt/create-token", {"idToken": "X", "groupId": "G" * 37}, "groupId"),
        ("/api/octt/create-token", {"idToken": "X", "type": "T" * 10_000}, "type"),
        ("/api/octt/create-token", {"idToken": "X", "type": "iso14443"}, "type"),
        ("/api/octt/set-basic-auth-password", {"stationId": "S" * 49, "password": "p"}, "stationId"),
        ("/api/octt/set-basic-auth-password", {"stationId": "CP201_SP1", "password": "p" * 41}, "password"),
    ],
)
async def test_bad_bodies_are_400_with_a_reason(api: httpx.AsyncClient, path: str, body: dict[str, Any],
                                                field: str) -> None:
    response = await api.post(path, json=body)
    assert response.status_code == 400, response.text
    assert any(field in error for error in _errors(response)), response.json()


async def test_refused_token_is_not_stored(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                           open_station: StationOpener) -> None:
    refused = await api.post("/api/octt/create-token", json={"idToken": "LONG-GROUP", "groupId": "G" * 37})
    assert refused.status_code == 400
    station = await open_station(reference_csms, "CP201_SP1")
    answer = await station.call("Authorize", {"idToken": {"idToken": "LONG-GROUP", "type": "ISO14443"}})
    assert answer["idTokenInfo"]["status"] == "Unknown"


@pytest.mark.parametrize("path", ["/api/octt/2.0.1/CP201_SP1/request-start-transaction",
                                  "/api/octt/2.0.1/CP201_SP1/call/RequestStartTransaction"])
async def test_integer_beyond_32_bits_in_a_call_is_400(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                       open_station: StationOpener, path: str) -> None:
    station = await open_station(reference_csms, "CP201_SP1")
    response = await api.post(path, json={"idToken": VALID_TOKEN, "remoteStartId": 2**63})
    assert response.status_code == 400, response.text
    assert any(e.startswith("remoteStartId: ") and "32-bit" in e for e in _errors(response))
    assert station.unexpected_calls() == []


# -- request size ---------------------------------------------------------------------------


async def test_body_over_the_limit_is_413_unparsed(api: httpx.AsyncClient) -> None:
    huge = b'{"idToken": "X", "groupId": "' + b"G" * (2 * MAX_BODY) + b'"}'
    declared = await api.post("/api/octt/create-token", content=huge, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413
    assert str(MAX_BODY) in declared.json()["detail"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit counts what arrives
        for start in range(0, len(huge), 65536):
            yield huge[start:start + 65536]

    streamed = await api.post("/api/octt/create-token", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    # just under the limit is read and judged on its content
    under = b'{"idToken": "X", "groupId": "' + b"G" * (MAX_BODY - 100) + b'"}'
    read = await api.post("/api/octt/create-token", content=under, headers={"Content-Type": "application/json"})
    assert read.status_code == 400 and any("groupId" in e for e in _errors(read))


@pytest.mark.parametrize("header", ["Bearer sécret".encode(), b"Bearer \xff\xfe", "Bearer ü".encode()])
async def test_non_ascii_bearer_is_401(start_csms: CsmsStarter, header: bytes) -> None:
    csms = start_csms(api_token="s3cret")
    async with _client(csms, headers={"Authorization": header}) as odd:
        response = await odd.get("/api/stations")
    assert response.status_code == 401, response.text


async def test_non_ascii_api_token_works(start_csms: CsmsStarter) -> None:
    csms = start_csms(api_token="sécret-ü")
    async with _client(csms) as anonymous:
        assert (await anonymous.get("/api/stations")).status_code == 401
    async with _client(csms, headers={"Authorization": "Bearer s3cret"}) as wrong:
        assert (await wrong.get("/api/stations")).status_code == 401
    async with _client(csms, headers={"Authorization": "Bearer sécret-ü".encode()}) as right:
        assert (await right.get("/api/stations")).status_code == 200


async def test_document_needs_the_token_when_one_is_set(start_csms: CsmsStarter) -> None:
    csms = start_csms(api_token="s3cret")
    async with _client(csms) as anonymous:
        assert (await anonymous.get("/openapi.json")).status_code == 401
        for page in ("/docs", "/redoc"):
            assert (await anonymous.get(page)).status_code == 404
    async with _client(csms, headers={"Authorization": "Bearer s3cret"}) as authorized:
        document = await authorized.get("/openapi.json")
    assert document.status_code == 200
    assert "/api/stations/bulk" in document.json()["paths"]


async def test_bearer_token_is_required_when_configured(start_csms: CsmsStarter,
                                                        open_station: StationOpener) -> None:
    csms = start_csms(api_token="s3cret")
    station = await open_station(csms, "CP201_SP1")
    path, body = "/api/octt/2.0.1/CP201_SP1/reset", {"type": "Immediate"}
    async with _client(csms) as anonymous:
        assert (await anonymous.post(path, json=body)).status_code == 401
        assert (await anonymous.post("/api/octt/create-token", json={"idToken": "T"})).status_code == 401
        assert (await anonymous.get("/api/stations")).status_code == 401
    async with _client(csms, headers={"Authorization": "Bearer wrong"}) as wrong:
        assert (await wrong.post(path, json=body)).status_code == 401
    async with _client(csms, headers={"Authorization": "Bearer s3cret"}) as authorized:
        async with station.expect("Reset", reply={"status": "Accepted"}):
            response = await authorized.post(path, json=body)
        assert response.status_code == 200, response.text
        assert response.json() == {"response": {"status": "Accepted"}}
    # the refused requests never reached the station: the only CALL it got is the authorized Reset
    received = [parse(f.text) for f in station.transcript.frames if f.direction == "in" and not f.is_event]
    assert [frame.action for frame in received if isinstance(frame, Call)] == ["Reset"]


async def test_station_list_shows_registration(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                               open_station: StationOpener) -> None:
    await open_station(reference_csms, "CP202_SP3")
    stations = {s["stationId"]: s for s in (await api.get("/api/stations")).json()}
    assert set(stations) >= {"CP201_SP1", "CP202_SP2", "CP202_SP3", "CP16_SP1", "CP16_SP3"}
    assert stations["CP202_SP3"] | {"lastBootAt": None} == {
        "stationId": "CP202_SP3", "ocppVersion": "2.0.1", "securityProfile": 3, "connected": True,
        "bootStatus": "Accepted", "vendor": "csmscheck", "model": "TestStation", "serialNumber": None,
        "firmwareVersion": None, "lastBootAt": None}
    assert stations["CP16_SP3"]["securityProfile"] == 3 and stations["CP16_SP3"]["ocppVersion"] == "1.6"
    assert (await api.get("/api/stations/NO_SUCH")).status_code == 404
