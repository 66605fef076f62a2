"""The original OCTT pytest suite's trigger dialect (DESIGN §2.5), on both sides.

The reference CSMS: each alias is driven over real HTTP with a connected virtual station:
what reaches the station, what the API answers, and what the CSMS does afterwards (boots,
listeners, passwords, splitting). The client: HttpTrigger against a tiny server that
answers the original's way, and the suite run through the original's routes.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import string
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import httpx
import pytest
import websockets
from conftest import PASSWORD, CsmsStarter, RunningCsms, StationOpener, boot_payload
from faults import run_cases

from csmscheck.bundled import BundledCsms
from csmscheck.errors import ConfigError, StepFailed
from csmscheck.settings import load_settings
from csmscheck.station.session import StationSession
from csmscheck.suite.operator import relayed_answer
from csmscheck.trigger.actions import action_to_kebab
from csmscheck.trigger.client import HttpTrigger
from csmscheck.wire import CallError, CallResult, encode, parse
from csmscheck.wire.frames import Call
from csmscheck.wire.versions import OcppVersion

Payload = dict[str, Any]
OCTT = "/api/octt"


@pytest.fixture
async def api(reference_csms: RunningCsms) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(reference_csms) as client:
        yield client


def _client(csms: RunningCsms) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=csms.api, timeout=10.0)


def _errors(response: httpx.Response) -> list[str]:
    body = response.json()
    assert isinstance(body["errors"], list) and body["errors"], body
    return [str(e) for e in body["errors"]]


def _variable(component: str, name: str, instance: str | None = None) -> Payload:
    variable: Payload = {"name": name} | ({"instance": instance} if instance else {})
    return {"component": {"name": component}, "variable": variable}


FIVE_VARIABLES = [
    _variable("DeviceDataCtrlr", "ItemsPerMessage", "GetReport"),
    _variable("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables"),
    _variable("DeviceDataCtrlr", "BytesPerMessage", "GetReport"),
    _variable("DeviceDataCtrlr", "BytesPerMessage", "GetVariables"),
    _variable("AuthCtrlr", "AuthorizeRemoteStart"),
]


def _unknown_variables(request: Payload) -> Payload:
    """A station that knows none of the variables asked for."""
    return {"getVariableResult": [{"attributeStatus": "UnknownVariable"} | item
                                  for item in request["getVariableData"]]}


async def _get_variables_parts(station: StationSession, api: httpx.AsyncClient, count: int,
                               variables: list[Payload]) -> tuple[list[int], httpx.Response]:
    """Ask for ``variables`` through the API; the sizes of the ``count`` GetVariablesRequests that arrive."""
    async with AsyncExitStack() as waiting:
        parts = [await waiting.enter_async_context(station.expect("GetVariables", reply=_unknown_variables))
                 for _ in range(count)]
        response = await api.post(f"{OCTT}/2.0.1/{station.station_id}/get-variables",
                                  json={"getVariableData": variables})
    assert station.unexpected_calls() == [], "more GetVariablesRequests than expected"
    return [len(part.payload["getVariableData"]) for part in parts], response


# -- the document -------------------------------------------------------------------------


async def test_openapi_document_lists_every_alias(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]
    station = "/api/octt/{version}/{station_id}"
    for path in (f"{station}/call/{{action}}", f"{station}/set-pending-boot", f"{station}/set-items-per-message",
                 f"{station}/set-security-profile", f"{station}/update-basic-auth-password",
                 f"{station}/{{action}}", "/api/octt/set-basic-auth-password", "/api/octt/create-token"):
        assert "post" in paths[path], path
    assert paths[f"{station}/call/{{action}}"]["post"]["tags"] == ["original OCTT suite"]
    assert "station_id" in paths["/api/octt/set-basic-auth-password"]["post"]["description"]
    assert "token_id" in paths["/api/octt/create-token"]["post"]["description"]


# -- call/{Action} ------------------------------------------------------------------------


async def test_call_reset_answers_with_the_reply_at_top_level(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                              open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP201_SP1")
    async with station.expect("Reset", reply={"status": "Scheduled"}) as got:
        response = await api.post(f"{OCTT}/2.0.1/CP201_SP1/call/Reset", json={"type": "OnIdle"})
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "Scheduled"}
    assert got.payload == {"type": "OnIdle"}


async def test_call_works_for_1_6_too(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                      open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP16_SP1")
    async with station.expect("UpdateFirmware", reply={}) as got:
        response = await api.post(f"{OCTT}/1.6/CP16_SP1/call/UpdateFirmware",
                                  json={"location": "https://fw.example/1.bin", "retrieveDate": "2030-01-01T00:00:00Z"})
    assert response.status_code == 200, response.text
    assert response.json() == {}  # UpdateFirmware.conf is empty
    assert got.payload["location"] == "https://fw.example/1.bin"


async def test_call_callerror_is_relayed_as_error(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                  open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP201_SP1")
    async with station.expect("ClearCache", reply=CallError("x", "NotSupported", "no cache here")):
        response = await api.post(f"{OCTT}/2.0.1/CP201_SP1/call/ClearCache", json={})
    assert response.status_code == 200, response.text
    assert response.json() == {"error": {"code": "NotSupported", "description": "no cache here", "details": {}}}


async def test_call_refuses_bad_input_with_4xx(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                               open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP201_SP1")
    invalid = await api.post(f"{OCTT}/2.0.1/CP201_SP1/call/Reset", json={"type": "Sometime"})
    assert invalid.status_code == 400
    assert any(e.startswith("type: ") for e in _errors(invalid))
    assert (await api.post(f"{OCTT}/2.0.1/CP201_SP1/call/reset", json={"type": "Immediate"})).status_code == 404
    assert (await api.post(f"{OCTT}/2.0.1/CP201_SP1/call/RemoteStartTransaction", json={})).status_code == 404
    unknown = await api.post(f"{OCTT}/2.0.1/NO_SUCH/call/Reset", json={"type": "Immediate"})
    assert unknown.status_code == 404 and "NO_SUCH" in unknown.json()["detail"]
    assert (await api.post(f"{OCTT}/3.0/CP201_SP1/call/Reset", json={"type": "Immediate"})).status_code == 404
    assert (await api.post(f"{OCTT}/1.6/CP201_SP1/call/Reset", json={"type": "Hard"})).status_code == 409
    assert station.unexpected_calls() == []


async def _silent_station(csms: RunningCsms) -> websockets.ClientConnection:
    """A CP201_SP1 that boots, then never answers the CSMS (the caller reads its frames)."""
    credentials = base64.b64encode(f"CP201_SP1:{PASSWORD}".encode()).decode()
    ws = await websockets.connect(f"{csms.endpoints.ws}/CP201_SP1", subprotocols=[websockets.Subprotocol("ocpp2.0.1")],
                                  additional_headers={"Authorization": f"Basic {credentials}"}, proxy=None)
    await ws.send(encode(Call("boot-1", "BootNotification", boot_payload("2.0.1"))))
    booted = parse(await asyncio.wait_for(ws.recv(), 5.0))
    assert isinstance(booted, CallResult) and booted.payload["status"] == "Accepted"
    return ws


async def test_call_without_answer_is_200_with_the_timeout_marker(start_csms: CsmsStarter) -> None:
    csms = start_csms(call_timeout=0.5)
    async with _client(csms) as api:
        ws = await _silent_station(csms)
        try:
            request = asyncio.create_task(api.post(f"{OCTT}/2.0.1/CP201_SP1/call/Reset", json={"type": "Immediate"}))
            call = parse(await asyncio.wait_for(ws.recv(), 5.0))
            assert isinstance(call, Call) and call.action == "Reset"
            response = await asyncio.wait_for(request, 5.0)
        finally:
            await ws.close()
    assert response.status_code == 200, response.text
    assert response.json() == {"result": "timeout", "message": "CP201_SP1 did not answer Reset within 0.5s"}


async def test_station_that_disconnects_instead_of_answering(start_csms: CsmsStarter) -> None:
    """The original suite's reset tests close the connection on Reset, as a rebooting station does."""
    csms = start_csms(call_timeout=5.0)
    async with _client(csms) as api:
        for path, expected_status in ((f"{OCTT}/2.0.1/CP201_SP1/call/Reset", 200),
                                      (f"{OCTT}/2.0.1/CP201_SP1/reset", 504)):
            ws = await _silent_station(csms)
            request = asyncio.create_task(api.post(path, json={"type": "Immediate"}))
            assert isinstance(parse(await asyncio.wait_for(ws.recv(), 5.0)), Call)
            await ws.close()
            response = await asyncio.wait_for(request, 5.0)
            assert response.status_code == expected_status, response.text
            said = response.json().get("message") or response.json().get("detail")
            assert said == "CP201_SP1 closed the connection before answering Reset"


# -- set-pending-boot ---------------------------------------------------------------------


async def test_set_pending_boot_until_cleared(start_csms: CsmsStarter, open_station: StationOpener) -> None:
    csms = start_csms()
    async with _client(csms) as api:
        pending = await api.post(f"{OCTT}/2.0.1/CP201_SP1/set-pending-boot", json={"pending": True})
        assert pending.status_code == 200, pending.text
        assert pending.json() == {"status": "Accepted"}
        station = await open_station(csms, "CP201_SP1", boot=False)
        for _ in range(2):
            assert (await station.call("BootNotification", boot_payload("2.0.1")))["status"] == "Pending"
        cleared = await api.post(f"{OCTT}/2.0.1/CP201_SP1/set-pending-boot", json={"pending": False})
        assert cleared.status_code == 200, cleared.text
        assert (await station.call("BootNotification", boot_payload("2.0.1")))["status"] == "Accepted"
        # the original's client may leave the flag out: it means pending
        assert (await api.post(f"{OCTT}/2.0.1/CP201_SP1/set-pending-boot", json={})).status_code == 200
        assert (await api.get("/api/stations/CP201_SP1")).json()["bootStatus"] == "Accepted"
        assert (await station.call("BootNotification", boot_payload("2.0.1")))["status"] == "Pending"


# -- set-items-per-message ----------------------------------------------------------------


async def test_set_items_per_message_splits_get_variables(start_csms: CsmsStarter,
                                                          open_station: StationOpener) -> None:
    csms = start_csms()
    station = await open_station(csms, "CP201_SP1")
    async with _client(csms) as api:
        configured = await api.post(f"{OCTT}/2.0.1/CP201_SP1/set-items-per-message", json={"get_variables": 4})
        assert configured.status_code == 200, configured.text
        sizes, response = await _get_variables_parts(station, api, 2, FIVE_VARIABLES)
        assert sizes == [4, 1]
        assert response.status_code == 200, response.text
        results = response.json()["response"]["getVariableResult"]
        assert [r["variable"] for r in results] == [v["variable"] for v in FIVE_VARIABLES]  # merged, in order
        # the body is the whole configuration: without get_variables there is no operator limit
        assert (await api.post(f"{OCTT}/2.0.1/CP201_SP1/set-items-per-message", json={"set_variables": 2})
                ).status_code == 200
        assert (await _get_variables_parts(station, api, 1, FIVE_VARIABLES))[0] == [5]


async def test_the_lower_of_operator_and_station_limit_wins(start_csms: CsmsStarter,
                                                            open_station: StationOpener) -> None:
    csms = start_csms()
    station = await open_station(csms, "CP201_SP1")
    async with _client(csms) as api:
        await api.post(f"{OCTT}/2.0.1/CP201_SP1/set-items-per-message", json={"getVariables": 4})
        # the station reports a smaller capability than the operator entered
        await station.call("NotifyReport", {"requestId": 1, "generatedAt": "2030-01-01T00:00:00Z", "seqNo": 0,
                                            "reportData": [_variable("DeviceDataCtrlr", "ItemsPerMessage",
                                                                     "GetVariables")
                                                           | {"variableAttribute": [{"value": "2"}]}]})
        assert (await _get_variables_parts(station, api, 3, FIVE_VARIABLES))[0] == [2, 2, 1]
        # a station that takes more than the operator allows still gets the operator's limit
        await api.post(f"{OCTT}/2.0.1/CP201_SP1/set-items-per-message", json={"getVariables": 3})
        await station.call("NotifyReport", {"requestId": 2, "generatedAt": "2030-01-01T00:00:00Z", "seqNo": 0,
                                            "reportData": [_variable("DeviceDataCtrlr", "ItemsPerMessage",
                                                                     "GetVariables")
                                                           | {"variableAttribute": [{"value": "10"}]}]})
        assert (await _get_variables_parts(station, api, 2, FIVE_VARIABLES))[0] == [3, 2]


async def test_set_items_per_message_splits_set_variables_and_get_report(start_csms: CsmsStarter,
                                                                         open_station: StationOpener) -> None:
    csms = start_csms()
    station = await open_station(csms, "CP201_SP1")
    def accepted(request: Payload) -> Payload:
        return {"setVariableResult": [{"attributeStatus": "Accepted", "component": d["component"],
                                       "variable": d["variable"]} for d in request["setVariableData"]]}

    async with _client(csms) as api:
        await api.post(f"{OCTT}/2.0.1/CP201_SP1/set-items-per-message", json={"set_variables": 1, "get_report": 2})
        data = [{"attributeValue": "300"} | _variable("OCPPCommCtrlr", "HeartbeatInterval"),
                {"attributeValue": "60"} | _variable("OCPPCommCtrlr", "OfflineThreshold")]
        async with station.expect("SetVariables", reply=accepted) as one, \
                station.expect("SetVariables", reply=accepted) as two:
            response = await api.post(f"{OCTT}/2.0.1/CP201_SP1/call/SetVariables", json={"setVariableData": data})
        assert [one.payload["setVariableData"], two.payload["setVariableData"]] == [[data[0]], [data[1]]]
        assert [r["attributeStatus"] for r in response.json()["setVariableResult"]] == ["Accepted", "Accepted"]
        wanted = [_variable("OCPPCommCtrlr", "HeartbeatInterval"), _variable("AuthCtrlr", "Enabled"),
                  _variable("TxCtrlr", "EVConnectionTimeOut")]
        async with station.expect("GetReport") as first, station.expect("GetReport") as second:
            report = await api.post(f"{OCTT}/2.0.1/CP201_SP1/call/GetReport",
                                    json={"requestId": 40, "componentVariable": wanted})
        assert report.json() == {"status": "Accepted"}
        assert [(first.payload["requestId"], first.payload["componentVariable"]),
                (second.payload["requestId"], second.payload["componentVariable"])] == [(40, wanted[:2]),
                                                                                          (41, wanted[2:])]


# -- set-security-profile -----------------------------------------------------------------


async def test_set_security_profile_changes_what_the_listeners_admit(start_csms: CsmsStarter,
                                                                     open_station: StationOpener) -> None:
    csms = start_csms()
    async with _client(csms) as api:
        moved = await api.post(f"{OCTT}/2.0.1/CP201_SP1/set-security-profile", json={"security_profile": 2})
        assert moved.status_code == 200, moved.text
        refused = StationSession("CP201_SP1", "2.0.1", timeout=5.0)
        with pytest.raises(websockets.InvalidStatus) as on_profile_1:
            await refused.connect(csms.url_for(1), password=PASSWORD)
        assert on_profile_1.value.response.status_code == 403
        tls = await open_station(csms, "CP201_SP1", url=csms.url_for(2), ssl_context=csms.client_tls())
        assert tls.subprotocol == "ocpp2.0.1"
        assert (await api.get("/api/stations/CP201_SP1")).json()["securityProfile"] == 2
        back = await api.post(f"{OCTT}/2.0.1/CP201_SP1/set-security-profile", json={"securityProfile": 1})
        assert back.status_code == 200, back.text
        assert (await open_station(csms, "CP201_SP1")).subprotocol == "ocpp2.0.1"


# -- update-basic-auth-password -----------------------------------------------------------


def _stored_variables(csms: RunningCsms, station_id: str) -> list[tuple[str, str | None]]:
    with sqlite3.connect(csms.db_path) as db:
        return db.execute("SELECT variable, value FROM variables WHERE station_id = ?", (station_id,)).fetchall()


async def _refused_with(csms: RunningCsms, station_id: str, password: str) -> int:
    session = StationSession(station_id, "2.0.1" if station_id.startswith("CP20") else "1.6", timeout=5.0)
    with pytest.raises(websockets.InvalidStatus) as refused:
        await session.connect(csms.url_for(1), password=password)
    return refused.value.response.status_code


def _password_answer(status: str) -> Payload:
    return {"setVariableResult": [{"attributeStatus": status} | _variable("SecurityCtrlr", "BasicAuthPassword")]}


async def test_update_basic_auth_password_2_0_1(start_csms: CsmsStarter, open_station: StationOpener) -> None:
    csms = start_csms()
    station = await open_station(csms, "CP201_SP1")
    async with _client(csms) as api, station.expect("SetVariables", reply=_password_answer("Accepted")) as got:
        response = await api.post(f"{OCTT}/2.0.1/CP201_SP1/update-basic-auth-password", json={})
    assert response.status_code == 200, response.text
    (data,) = got.payload["setVariableData"]
    assert data["component"] == {"name": "SecurityCtrlr"} and data["variable"] == {"name": "BasicAuthPassword"}
    password = data["attributeValue"]
    assert 16 <= len(password) <= 40 and set(password) <= set(string.ascii_letters + string.digits)
    assert response.json()["result"] == [{"status": "Accepted"}]
    assert response.json()["setVariableResult"][0]["attributeStatus"] == "Accepted"
    await station.close()
    assert await _refused_with(csms, "CP201_SP1", PASSWORD) == 401
    assert (await open_station(csms, "CP201_SP1", password=password)).subprotocol == "ocpp2.0.1"
    assert ("BasicAuthPassword", None) in _stored_variables(csms, "CP201_SP1")  # never stored in clear


async def test_rejected_password_changes_nothing(start_csms: CsmsStarter, open_station: StationOpener) -> None:
    csms = start_csms()
    station = await open_station(csms, "CP201_SP1")
    async with _client(csms) as api, station.expect("SetVariables", reply=_password_answer("Rejected")) as got:
        response = await api.post(f"{OCTT}/2.0.1/CP201_SP1/update-basic-auth-password")  # no body at all
    assert response.json()["result"] == [{"status": "Rejected"}]
    await station.close()
    assert await _refused_with(csms, "CP201_SP1", got.payload["setVariableData"][0]["attributeValue"]) == 401
    assert (await open_station(csms, "CP201_SP1")).subprotocol == "ocpp2.0.1"


async def test_update_basic_auth_password_1_6(start_csms: CsmsStarter, open_station: StationOpener) -> None:
    csms = start_csms()
    station = await open_station(csms, "CP16_SP1")
    async with _client(csms) as api, station.expect("ChangeConfiguration", reply={"status": "Accepted"}) as got:
        response = await api.post(f"{OCTT}/1.6/CP16_SP1/update-basic-auth-password", json={})
    assert response.json() == {"status": "Accepted", "result": [{"status": "Accepted"}]}
    assert got.payload["key"] == "AuthorizationKey"
    password = got.payload["value"]
    assert len(password) == 40 and 16 <= len(bytes.fromhex(password)) <= 20  # TC_073: hex of 16-20 bytes
    await station.close()
    assert await _refused_with(csms, "CP16_SP1", PASSWORD) == 401
    assert (await open_station(csms, "CP16_SP1", password=password)).subprotocol == "ocpp1.6"


async def test_update_basic_auth_password_refusals(api: httpx.AsyncClient) -> None:
    assert (await api.post(f"{OCTT}/2.0.1/CP202_SP2/update-basic-auth-password", json={})).status_code == 404
    extra = await api.post(f"{OCTT}/2.0.1/CP201_SP1/update-basic-auth-password", json={"password": "mine"})
    assert extra.status_code == 400 and any("password" in e for e in _errors(extra))


# -- the version-agnostic calls with snake_case bodies -----------------------------------


async def test_snake_case_create_token(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                       open_station: StationOpener) -> None:
    created = await api.post(f"{OCTT}/create-token", json={"token_id": "SNAKE-1", "status": "Expired"})
    assert created.status_code == 200, created.text
    grouped = await api.post(f"{OCTT}/create-token", json={"token_id": "SNAKE-2", "group_id": "G-SNAKE"})
    assert grouped.status_code == 200, grouped.text
    station = await open_station(reference_csms, "CP16_SP1")
    assert (await station.call("Authorize", {"idTag": "SNAKE-1"}))["idTagInfo"]["status"] == "Expired"
    assert (await station.call("Authorize", {"idTag": "SNAKE-2"}))["idTagInfo"] == {
        "status": "Accepted", "parentIdTag": "G-SNAKE"}


async def test_snake_case_set_basic_auth_password(start_csms: CsmsStarter, open_station: StationOpener) -> None:
    csms = start_csms()
    async with _client(csms) as api:
        response = await api.post(f"{OCTT}/set-basic-auth-password",
                                  json={"station_id": "CP201_SP1", "password": "snake-case-pass-1"})
        assert response.status_code == 200, response.text
        unknown = await api.post(f"{OCTT}/set-basic-auth-password", json={"station_id": "NO_SUCH", "password": "x"})
        assert unknown.status_code == 404
    assert await _refused_with(csms, "CP201_SP1", PASSWORD) == 401
    assert (await open_station(csms, "CP201_SP1", password="snake-case-pass-1")).subprotocol == "ocpp2.0.1"


# -- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "reason"),
    [
        ("2.0.1/CP201_SP1/set-pending-boot", {"pending": "yes"}, "pending"),
        ("2.0.1/CP201_SP1/set-pending-boot", {"pending": True, "boots": 1}, "boots"),
        ("2.0.1/CP201_SP1/set-security-profile", {"security_profile": 4}, "security_profile: Input should be less"),
        ("2.0.1/CP201_SP1/set-security-profile", {}, "securityProfile"),
        ("2.0.1/CP201_SP1/set-security-profile", {"security_profile": "2"}, "security_profile"),
        ("2.0.1/CP201_SP1/set-items-per-message", {"get_variables": -1}, "get_variables"),
        ("2.0.1/CP201_SP1/set-items-per-message", {"getVariables": "4"}, "getVariables"),
        ("2.0.1/CP201_SP1/set-items-per-message", {"get_variable": 4}, "get_variable"),
        ("create-token", {"token_id": ""}, "token_id: String should have at least 1 character"),
        ("create-token", {"token_id": "T", "status": "Sometimes"}, "status"),
        ("set-basic-auth-password", {"station_id": "CP201_SP1"}, "password"),
        ("set-basic-auth-password", {"password": "x"}, "stationId"),
    ],
)
async def test_bad_bodies_are_400_with_the_reason(api: httpx.AsyncClient, path: str, body: Payload,
                                                  reason: str) -> None:
    response = await api.post(f"{OCTT}/{path}", json=body)
    assert response.status_code == 400, response.text
    assert any(reason in error for error in _errors(response)), response.json()


@pytest.mark.parametrize("route", ["set-pending-boot", "set-security-profile", "set-items-per-message"])
async def test_setup_aliases_name_the_station_and_its_version(api: httpx.AsyncClient, route: str) -> None:
    body: Payload = {"security_profile": 1} if route == "set-security-profile" else {}
    assert (await api.post(f"{OCTT}/2.0.1/NO_SUCH/{route}", json=body)).status_code == 404
    assert (await api.post(f"{OCTT}/2.0.1/CP16_SP1/{route}", json=body)).status_code == 409
    assert (await api.post(f"{OCTT}/9.9/CP201_SP1/{route}", json=body)).status_code == 404


async def test_aliases_need_the_bearer_token_too(start_csms: CsmsStarter) -> None:
    csms = start_csms(api_token="s3cret")
    async with _client(csms) as anonymous:
        for path, body in ((f"{OCTT}/2.0.1/CP201_SP1/call/Reset", {"type": "Immediate"}),
                           (f"{OCTT}/2.0.1/CP201_SP1/set-pending-boot", {"pending": True}),
                           (f"{OCTT}/2.0.1/CP201_SP1/update-basic-auth-password", {}),
                           (f"{OCTT}/create-token", {"token_id": "T"})):
            assert (await anonymous.post(path, json=body)).status_code == 401, path


async def test_items_per_message_is_2_0_1_only(api: httpx.AsyncClient) -> None:
    response = await api.post(f"{OCTT}/1.6/CP16_SP1/set-items-per-message", json={"get_variables": 4})
    assert response.status_code == 404
    assert "GetConfigurationMaxKeys" in response.json()["detail"]


# -- the client against a CSMS that answers the original's way ---------------------------


@dataclass
class FakeTriggerApi:
    """A tiny HTTP server answering each path with a canned (status, body); it records what came."""

    answers: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    seen: list[tuple[str, Any]] = field(default_factory=list)
    url: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request_line = (await reader.readline()).decode()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        body = await reader.readexactly(length)
        path = request_line.split()[1]
        self.seen.append((path, json.loads(body) if body else None))
        status, content = self.answers.get(path, (404, b'{"error": "Unknown path"}'))
        head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(content)}\r\nConnection: close\r\n\r\n")
        writer.write(head.encode() + content)
        await writer.drain()
        writer.close()


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeTriggerApi]:
    fake = FakeTriggerApi()
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    fake.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server:
        yield fake


RESET_PATH = "/api/octt/2.0.1/CP1/reset"


@pytest.mark.parametrize(("version", "action", "body", "reply"), [
    ("2.0.1", "Reset", b'{"status": "Accepted"}', {"response": {"status": "Accepted"}}),
    ("2.0.1", "Reset", b'{"response": {"status": "Accepted"}}', {"response": {"status": "Accepted"}}),
    ("2.0.1", "Reset", b'{"error": {"code": "NotSupported", "description": "no"}}',
     {"error": {"code": "NotSupported", "description": "no"}}),
    ("1.6", "UpdateFirmware", b"{}", {"response": {}}),  # UpdateFirmware.conf is empty in OCPP 1.6
])
async def test_client_reads_the_reply_wrapped_or_at_top_level(fake_api: FakeTriggerApi, version: OcppVersion,
                                                              action: str, body: bytes, reply: Payload) -> None:
    path = f"/api/octt/{version}/CP1/{action_to_kebab(action)}"
    fake_api.answers[path] = (200, body)
    trigger = HttpTrigger(fake_api.url)
    try:
        assert await trigger.request(version, "CP1", action, {}) == reply
    finally:
        await trigger.close()
    if "response" in reply:
        assert relayed_answer(reply, "Step 2") == reply["response"]


@pytest.mark.parametrize("body", [
    b"", b"{}", b"null", b'{"response": "None"}',
    b'{"result": "timeout", "message": "CP1 did not answer Reset within 10s"}',
])
async def test_client_names_a_missing_station_answer(fake_api: FakeTriggerApi, body: bytes) -> None:
    message = await _reset_failure(fake_api, 200, body)
    assert message.startswith("the CSMS reported no answer from the station to Reset (the trigger API answered ")
    if b"timeout" in body:
        assert "CP1 did not answer Reset within 10s" in message


@pytest.mark.parametrize(("status", "body", "message"), [
    (504, b'{"detail": "CP1 did not answer Reset within 10s"}',
     "the CSMS did not get an answer from the station to Reset in time "
     "(trigger API: HTTP 504 Gateway Timeout: CP1 did not answer Reset within 10s)"),
    (404, b'{"detail": "station \'CP1\' is not connected"}',
     "the trigger API could not make the CSMS send Reset to CP1: HTTP 404 Not Found: station 'CP1' is not connected"),
    (400, b'{"detail": "invalid Reset request", "errors": ["type: \'Sometime\' is not one of [...]"]}',
     "the trigger API could not make the CSMS send Reset to CP1: HTTP 400 Bad Request: invalid Reset request: "
     "type: 'Sometime' is not one of [...]"),
    (500, b"", "the trigger API could not make the CSMS send Reset to CP1: HTTP 500 Internal Server Error"),
])
async def test_client_refusals_read_as_sentences(fake_api: FakeTriggerApi, status: int, body: bytes,
                                                 message: str) -> None:
    assert await _reset_failure(fake_api, status, body) == message


async def _reset_failure(fake_api: FakeTriggerApi, status: int, body: bytes) -> str:
    """The step failure the suite's client reports when the trigger API answers a Reset with ``status`` and ``body``."""
    fake_api.answers[RESET_PATH] = (status, body)
    trigger = HttpTrigger(fake_api.url)
    try:
        with pytest.raises(StepFailed) as failed:
            await trigger.request("2.0.1", "CP1", "Reset", {"type": "Immediate"})
    finally:
        await trigger.close()
    return str(failed.value)


async def test_client_refused_setup_names_what_it_tried(fake_api: FakeTriggerApi) -> None:
    trigger = HttpTrigger(fake_api.url)
    try:
        with pytest.raises(StepFailed) as failed:
            await trigger.set_basic_auth_password("CP1", "secret")
    finally:
        await trigger.close()
    assert str(failed.value) == ("the trigger API could not set the basic-auth password of CP1: "
                                 "HTTP 404 Not Found: Unknown path")


async def test_client_says_when_the_api_is_unreachable(fake_api: FakeTriggerApi) -> None:
    trigger = HttpTrigger("http://127.0.0.1:9", timeout=2.0)
    try:
        with pytest.raises(StepFailed, match=r"^the trigger API at http://127\.0\.0\.1:9 is unreachable, so it "
                                             r"could not make the CSMS send Reset to CP1: "):
            await trigger.request("2.0.1", "CP1", "Reset", {"type": "Immediate"})
    finally:
        await trigger.close()


async def test_octt_dialect_calls_the_original_routes(fake_api: FakeTriggerApi) -> None:
    ok = (200, b'{"ok": true}')
    fake_api.answers |= {
        "/api/octt/2.0.1/CP1/call/Reset": (200, b'{"status": "Accepted"}'),
        "/api/octt/2.0.1/CP1/get-variables": (200, b'{"getVariableResult": []}'),
        "/api/octt/1.6/CP16/reset": (200, b'{"status": "Accepted"}'),
        "/api/octt/2.0.1/CP1/set-pending-boot": ok, "/api/octt/set-registration-status": ok,
        "/api/octt/create-token": ok, "/api/octt/set-basic-auth-password": ok,
    }
    trigger = HttpTrigger(fake_api.url, dialect="octt")
    try:
        assert await trigger.request("2.0.1", "CP1", "Reset", {"type": "Immediate"}) == {
            "response": {"status": "Accepted"}}
        assert await trigger.request("2.0.1", "CP1", "GetVariables", {"getVariableData": []}) == {
            "response": {"getVariableResult": []}}
        assert await trigger.request("1.6", "CP16", "Reset", {"type": "Hard"}) == {"response": {"status": "Accepted"}}
        await trigger.set_registration_status("CP1", "Pending")
        await trigger.set_registration_status("CP1", "Accepted")
        await trigger.set_registration_status("CP1", "Pending", boots=1)  # the original cannot count boots
        await trigger.create_token("TAG-9", "ISO14443", "Blocked", "G1")
        await trigger.set_basic_auth_password("CP1", "secret")
    finally:
        await trigger.close()
    assert fake_api.seen == [
        ("/api/octt/2.0.1/CP1/call/Reset", {"type": "Immediate"}),
        ("/api/octt/2.0.1/CP1/get-variables", {"getVariableData": []}),
        ("/api/octt/1.6/CP16/reset", {"type": "Hard"}),
        ("/api/octt/2.0.1/CP1/set-pending-boot", {"pending": True}),
        ("/api/octt/2.0.1/CP1/set-pending-boot", {"pending": False}),
        ("/api/octt/set-registration-status", {"stationId": "CP1", "status": "Pending", "boots": 1}),
        ("/api/octt/create-token", {"token_id": "TAG-9", "type": "ISO14443", "status": "Blocked", "group_id": "G1"}),
        ("/api/octt/set-basic-auth-password", {"station_id": "CP1", "password": "secret"}),
    ]


def test_trigger_dialect_setting() -> None:
    assert load_settings(environ={}).trigger_dialect == "csmscheck"
    assert load_settings(environ={"CSMSCHECK_TRIGGER_DIALECT": "octt"}).trigger_dialect == "octt"
    with pytest.raises(ConfigError, match=r"trigger_dialect \(CSMSCHECK_TRIGGER_DIALECT\) must be csmscheck or octt"):
        load_settings(environ={"CSMSCHECK_TRIGGER_DIALECT": "tzi"})


def test_the_suite_passes_through_the_original_routes(pytester: pytest.Pytester, bundled: BundledCsms,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite's own cases, calling only the original's routes, against the reference CSMS."""
    monkeypatch.setenv("CSMSCHECK_TRIGGER_DIALECT", "octt")
    cases = ["TC_B_02", "TC_B_06", "TC_B_08", "TC_B_20", "TC_C_37", "TC_013", "TC_053", "TC_073"]
    outcomes = {entry["id"]: entry["outcome"] for entry in run_cases(pytester, bundled, *cases)}
    assert outcomes == dict.fromkeys(cases, "passed")
