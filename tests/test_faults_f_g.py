"""Blocks F (remote control) and G (availability): the suite catches a broken CSMS, and the CSMS logic they need.

Each fault test breaks one behaviour of an in-process reference CSMS (a patched handler,
observer, request shaper or trigger relay — never a product flag), runs the matching
conformance case, and checks it failed with a message naming the step and the difference.
The last tests check the reference CSMS's own bookkeeping: remote starts matched to
their transactions, and scheduled availability changes settled by the station's reports.
"""

from __future__ import annotations

import asyncio
import base64
import sqlite3
from typing import Any

import httpx
import pytest
import websockets
from conftest import PASSWORD, RunningCsms, StationOpener, boot_payload
from faults import assert_failed, patch_handler, run_case
from faults201 import finding_not_failure

from csmscheck.bundled import BundledCsms
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import ROUTES, OcppError, Payload
from csmscheck.timestamps import rfc3339
from csmscheck.wire import Call, CallError, CallResult, encode, parse
from csmscheck.wire.errors import ErrorCode

V201 = ROUTES["2.0.1"]




def _relay_rewrites(monkeypatch: pytest.MonkeyPatch, action: str,
                    rewrite: Any) -> None:
    """The trigger relay passes ``action``'s answer through ``rewrite`` before reporting it to the operator."""
    real = StationConnection.request

    async def relay(self: StationConnection, name: str, payload: Payload, timeout: float) -> Any:
        answer = await real(self, name, payload, timeout)
        return rewrite(answer) if name == action else answer

    monkeypatch.setattr(StationConnection, "request", relay)


def _sends_altered(monkeypatch: pytest.MonkeyPatch, action: str, alter: Any) -> None:
    """The CSMS builds ``action`` wrongly: a request shaper that changes what the operator asked for."""

    async def shaper(_connection: StationConnection, request: Payload) -> list[Payload]:
        return [alter(dict(request))]

    monkeypatch.setitem(V201.shapers, action, shaper)


# -- block F ---------------------------------------------------------------------------

def test_healthy_csms_passes_remote_start(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    assert run_case(pytester, bundled, "TC_F_01")["outcome"] == "passed"


def test_remote_start_without_id_token_info_is_a_finding_of_tc_f_03(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_F_03 validates the RequestStartTransactionRequest only: the answer to the transaction it starts is a
    csmscheck check."""
    async def forget_token(_connection: StationConnection, request: Payload, response: Payload) -> None:
        if request["triggerReason"] == "RemoteStart":
            response.pop("idTokenInfo", None)

    observers = [*V201.observers.get("TransactionEvent", []), forget_token]
    monkeypatch.setitem(V201.observers, "TransactionEvent", observers)
    finding_not_failure(pytester, bundled, "TC_F_03", "CSC-201-E-01",
                        "Step 4: TransactionEventResponse: idTokenInfo: missing")


def test_remote_start_answer_losing_transaction_id_passes_tc_f_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_F_01 has no post scenario validation: what the CSMS reports to its operator is not checked."""
    def drop_id(answer: CallResult | CallError) -> CallResult | CallError:
        if isinstance(answer, CallResult):
            answer.payload.pop("transactionId", None)
        return answer

    _relay_rewrites(monkeypatch, "RequestStartTransaction", drop_id)
    entry = run_case(pytester, bundled, "TC_F_01")
    assert entry["outcome"] == "passed" and not entry.get("findings"), entry


def test_relay_losing_trigger_answer_passes_tc_f_27(pytester: pytest.Pytester, bundled: BundledCsms,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _relay_rewrites(monkeypatch, "TriggerMessage", lambda answer: CallResult(answer.unique_id, {"status": "Accepted"}))
    entry = run_case(pytester, bundled, "TC_F_27")
    assert entry["outcome"] == "passed" and not entry.get("findings"), entry


def test_heartbeat_refused_after_not_implemented_is_a_finding_of_tc_f_27(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(_connection: StationConnection, _request: Payload) -> Payload:
        raise OcppError(ErrorCode.GENERIC_ERROR, "station out of service")

    monkeypatch.setitem(V201.handlers, "Heartbeat", broken)
    finding_not_failure(pytester, bundled, "TC_F_27", "CSC-201-F-02",
                        "After step 2: Heartbeat: the CSMS answered CALLERROR GenericError")


def test_stale_heartbeat_time_is_a_finding_of_tc_f_20(pytester: pytest.Pytester, bundled: BundledCsms,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_F_20 validates the TriggerMessageRequest: the HeartbeatResponse's time is a csmscheck check."""
    patch_handler(monkeypatch, "2.0.1", "Heartbeat", lambda _req, resp: resp.update(currentTime="2001-01-01T00:00:00Z"))
    finding_not_failure(pytester, bundled, "TC_F_20", "CSC-201-F-01",
                        'Step 4: HeartbeatResponse: currentTime: expected <a timestamp within 120s of now>, '
                        'got "2001-01-01T00:00:00Z"')


def test_trigger_without_evse_fails_tc_f_11(pytester: pytest.Pytester, bundled: BundledCsms,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _sends_altered(monkeypatch, "TriggerMessage", lambda request: {k: v for k, v in request.items() if k != "evse"})
    assert_failed(run_case(pytester, bundled, "TC_F_11"), "Step 1: TriggerMessageRequest", "evse: missing")


def test_triggered_meter_values_answered_invalid_fails_tc_f_11(pytester: pytest.Pytester, bundled: BundledCsms,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def invalid(_request: Payload, response: Payload) -> None:
        response["unexpected"] = True  # schema-invalid: MeterValuesResponse takes no such field

    patch_handler(monkeypatch, "2.0.1", "MeterValues", invalid)
    assert_failed(run_case(pytester, bundled, "TC_F_11"),
                  "Step 4: MeterValuesResponse", "violates the OCPP 2.0.1 schema")


# -- block G ---------------------------------------------------------------------------

def test_healthy_csms_passes_availability(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    assert run_case(pytester, bundled, "TC_G_14")["outcome"] == "passed"


def test_relay_losing_change_availability_answer_passes_tc_g_05(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Block G has no post scenario validation of what the CSMS reports to its operator."""
    _relay_rewrites(monkeypatch, "ChangeAvailability",
                    lambda answer: CallError(answer.unique_id, "InternalError", "answer lost"))
    entry = run_case(pytester, bundled, "TC_G_05")
    assert entry["outcome"] == "passed" and not entry.get("findings"), entry


def test_change_availability_answer_misread_passes_tc_g_11(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def as_accepted(answer: CallResult | CallError) -> CallResult | CallError:
        if isinstance(answer, CallResult):
            answer.payload["status"] = "Accepted"
        return answer

    _relay_rewrites(monkeypatch, "ChangeAvailability", as_accepted)
    entry = run_case(pytester, bundled, "TC_G_11")
    assert entry["outcome"] == "passed" and not entry.get("findings"), entry


def test_failed_clean_up_does_not_fail_tc_g_03(pytester: pytest.Pytester, bundled: BundledCsms,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Setting the EVSE Operative again is a clean-up, not an OCTT step: a CSMS that gets it wrong passes."""
    def operative_names_a_connector(request: Payload) -> Payload:
        if request["operationalStatus"] == "Operative" and "evse" in request:
            request["evse"] = {"connectorId": 1, **request["evse"]}
        return request

    _sends_altered(monkeypatch, "ChangeAvailability", operative_names_a_connector)
    entry = run_case(pytester, bundled, "TC_G_03")
    assert entry["outcome"] == "passed" and not entry.get("findings"), entry


def test_evse_change_naming_a_connector_fails_tc_g_03(pytester: pytest.Pytester, bundled: BundledCsms,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def whole_evse_as_connector(request: Payload) -> Payload:
        if "evse" in request:
            request["evse"] = {"connectorId": 1, **request["evse"]}
        return request

    _sends_altered(monkeypatch, "ChangeAvailability", whole_evse_as_connector)
    assert_failed(run_case(pytester, bundled, "TC_G_03"),
            "Unavailable state: Step 1: ChangeAvailabilityRequest", "evse.connectorId: expected to be absent, got 1")


def test_unavailable_status_refused_fails_tc_g_11(pytester: pytest.Pytester, bundled: BundledCsms,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    real = V201.handlers["StatusNotification"]

    async def refuse_unavailable(connection: StationConnection, request: Payload) -> Payload:
        if request["connectorStatus"] == "Unavailable":
            raise RuntimeError("broken status handling")
        return await real(connection, request)

    monkeypatch.setitem(V201.handlers, "StatusNotification", refuse_unavailable)
    assert_failed(run_case(pytester, bundled, "TC_G_11"),
                  "Step 7: connector 1 of EVSE 1: StatusNotification: the CSMS answered CALLERROR InternalError")


def test_problem_event_answered_invalid_fails_tc_g_20(pytester: pytest.Pytester, bundled: BundledCsms,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "2.0.1", "NotifyEvent", lambda _request, response: response.update(status="Accepted"))
    assert_failed(run_case(pytester, bundled, "TC_G_20"),
                  "Step 2: NotifyEventResponse", "NotifyEventResponse from the CSMS violates the OCPP 2.0.1 schema")


# -- the reference CSMS's bookkeeping ------------------------------------------------------

CENTRAL_TOKEN = {"idToken": "APP-SESSION-77", "type": "Central"}  # issued by the CSMS, in no token table


def _started(transaction_id: str, remote_start_id: int, token: Payload | None = None) -> Payload:
    payload: Payload = {"eventType": "Started", "timestamp": rfc3339(), "triggerReason": "RemoteStart", "seqNo": 0,
                        "transactionInfo": {"transactionId": transaction_id, "remoteStartId": remote_start_id},
                        "evse": {"id": 1, "connectorId": 1}}
    if token is not None:
        payload["idToken"] = token
    return payload


def _rows(csms: RunningCsms, query: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(csms.db_path) as db:
        return db.execute(query, args).fetchall()


async def test_remote_start_is_matched_by_remote_start_id(reference_csms: RunningCsms,
                                                          open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP201_SP1")
    async with httpx.AsyncClient(base_url=reference_csms.api, timeout=10.0) as api, \
            station.expect("RequestStartTransaction", reply={"status": "Accepted"}):
        reply = await api.post("/api/octt/2.0.1/CP201_SP1/request-start-transaction",
                               json={"idToken": CENTRAL_TOKEN, "remoteStartId": 7001, "evseId": 1})
    assert reply.json() == {"response": {"status": "Accepted"}}
    # The CSMS vouches for the token it sent itself, also when the station does not name it again.
    matched = await station.call("TransactionEvent", _started("rs-matched", 7001))
    assert matched["idTokenInfo"]["status"] == "Accepted"
    # The same token on a transaction no remote start caused is judged by the token table alone.
    unmatched = await station.call("TransactionEvent", _started("rs-unmatched", 7999, CENTRAL_TOKEN))
    assert unmatched["idTokenInfo"]["status"] == "Unknown"
    assert _rows(reference_csms, "select status, transaction_id from remote_starts where remote_start_id = 7001") \
        == [("Accepted", "rs-matched")]
    assert _rows(reference_csms, "select id_token, remote_start_id from transactions where transaction_id = ?",
                 "rs-matched") == [("APP-SESSION-77", 7001)]


async def test_remote_start_reported_before_its_answer_is_matched(reference_csms: RunningCsms) -> None:
    """A station may send the TransactionEvent before the CSMS has read its RequestStartTransactionResponse."""
    credentials = base64.b64encode(f"CP201_SP1:{PASSWORD}".encode()).decode()
    async with websockets.connect(f"{reference_csms.endpoints.ws}/CP201_SP1", proxy=None,
                                  subprotocols=[websockets.Subprotocol("ocpp2.0.1")],
                                  additional_headers={"Authorization": f"Basic {credentials}"}) as ws, \
            httpx.AsyncClient(base_url=reference_csms.api, timeout=10.0) as api:
        await ws.send(encode(Call("boot", "BootNotification", boot_payload("2.0.1"))))
        assert isinstance(parse(await asyncio.wait_for(ws.recv(), 5.0)), CallResult)
        request = asyncio.create_task(api.post("/api/octt/2.0.1/CP201_SP1/request-start-transaction",
                                               json={"idToken": CENTRAL_TOKEN, "remoteStartId": 7002}))
        call = parse(await asyncio.wait_for(ws.recv(), 5.0))
        assert isinstance(call, Call) and call.action == "RequestStartTransaction"
        await ws.send(encode(Call("tx-1", "TransactionEvent", _started("rs-early", 7002, CENTRAL_TOKEN))))
        answer = parse(await asyncio.wait_for(ws.recv(), 5.0))
        assert isinstance(answer, CallResult) and answer.payload["idTokenInfo"]["status"] == "Accepted"
        await ws.send(encode(CallResult(call.unique_id, {"status": "Accepted"})))
        assert (await asyncio.wait_for(request, 5.0)).json() == {"response": {"status": "Accepted"}}
    assert _rows(reference_csms, "select status, transaction_id from remote_starts where remote_start_id = 7002") \
        == [("Accepted", "rs-early")]


async def test_scheduled_availability_settles_when_connectors_report(reference_csms: RunningCsms,
                                                                     open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP201_SP1")
    for evse_id in (1, 2):
        await station.call("StatusNotification", {"timestamp": rfc3339(), "connectorStatus": "Available",
                                                   "evseId": evse_id, "connectorId": 1})
    query = "select status, scheduled from operational_status where station_id = 'CP201_SP1' and evse_id = 0"
    async with httpx.AsyncClient(base_url=reference_csms.api, timeout=10.0) as api:
        async with station.expect("ChangeAvailability", reply={"status": "Scheduled"}):
            await api.post("/api/octt/2.0.1/CP201_SP1/change-availability", json={"operationalStatus": "Inoperative"})
        assert _rows(reference_csms, query) == [("Inoperative", 1)]
        for evse_id, expected in ((1, [("Inoperative", 1)]), (2, [("Inoperative", 0)])):
            await station.call("StatusNotification", {"timestamp": rfc3339(), "connectorStatus": "Unavailable",
                                                      "evseId": evse_id, "connectorId": 1})
            assert _rows(reference_csms, query) == expected, f"after EVSE {evse_id} reported"
        async with station.expect("ChangeAvailability", reply={"status": "Rejected"}):
            await api.post("/api/octt/2.0.1/CP201_SP1/change-availability", json={"operationalStatus": "Operative"})
        assert _rows(reference_csms, query) == [("Inoperative", 0)], "a rejected change is not recorded"
