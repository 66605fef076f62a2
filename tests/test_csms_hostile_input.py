"""Hostile and odd input the reference CSMS must answer as OCPP-J says, never with InternalError.

Each test sends raw frames to a real bundled CSMS, checks the answer (or that there is
none where OCPP-J wants none), that nothing was half applied (read back through the
trigger API), and that the same connection still serves a Heartbeat afterwards.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
import websockets
from conftest import DEFAULTS, RunningCsms, StationOpener
from websockets.typing import Subprotocol

from csmscheck.csms.meter import normalise, sample_row
from csmscheck.station.session import StationSession
from csmscheck.timestamps import UnrepresentableTime, parse_time, rfc3339
from csmscheck.wire import Call, CallError, CallResult, encode

STATION_OF = {"2.0.1": "CP201_SP1", "1.6": "CP16_SP1"}
INT32_MAX = 2**31 - 1


@pytest.fixture(params=["2.0.1", "1.6"])
async def station(request: pytest.FixtureRequest, reference_csms: RunningCsms,
                  open_station: StationOpener) -> StationSession:
    return await open_station(reference_csms, STATION_OF[request.param])


@pytest.fixture
async def v16(reference_csms: RunningCsms, open_station: StationOpener) -> StationSession:
    return await open_station(reference_csms, "CP16_SP1")


@pytest.fixture
async def v201(reference_csms: RunningCsms, open_station: StationOpener) -> StationSession:
    return await open_station(reference_csms, "CP201_SP1")


@pytest.fixture
async def api(reference_csms: RunningCsms) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=reference_csms.api, timeout=10.0) as client:
        yield client


# -- exchanging raw frames ------------------------------------------------------------------------


async def _exchange(station: StationSession, text: str, answer_id: str) -> CallResult | CallError:
    """Send ``text`` as it is and wait (with the session's deadline) for the CSMS's frame with ``answer_id``."""
    answer = station.track(answer_id)
    await station.send_raw(text)
    return await station.answer_to(answer_id, answer, "raw frame")


async def _error(station: StationSession, text: str, answer_id: str, v201: str, v16: str | None = None) -> CallError:
    """The CALLERROR ``text`` gets: with ``answer_id``, the code of the station's version, within string[255]."""
    answer = await _exchange(station, text, answer_id)
    assert isinstance(answer, CallError), f"expected a CALLERROR, got {answer}"
    assert answer.unique_id == answer_id
    assert answer.code == (v201 if station.version == "2.0.1" else v16 or v201), answer
    assert len(answer.description) <= 255, len(answer.description)
    await _still_serves(station)
    return answer


async def _result(station: StationSession, action: str, payload: dict[str, Any]) -> dict[str, Any]:
    uid = str(uuid.uuid4())
    answer = await _exchange(station, encode(Call(uid, action, payload)), uid)
    assert isinstance(answer, CallResult), f"expected a CALLRESULT to {action}, got {answer}"
    return answer.payload


async def _unanswered(station: StationSession, text: str, ids: tuple[str, ...]) -> None:
    """``text`` gets no answer at all: not with any of ``ids``, nor with "-1".

    The CSMS answers one station's frames in order, so once the Heartbeat sent after ``text``
    is answered, any answer to ``text`` would have arrived: no waiting for a guessed time.
    """
    watched = {unique_id: station.track(unique_id) for unique_id in (*ids, "-1")}
    await station.send_raw(text)
    await _still_serves(station)
    try:
        answered = {unique_id: f.result() for unique_id, f in watched.items() if f.done()}
        assert not answered, f"the CSMS answered {text[:80]!r}: {answered}"
    finally:
        for future in watched.values():
            future.cancel()


async def _still_serves(station: StationSession) -> None:
    """The connection survived: a Heartbeat still gets its CALLRESULT."""
    assert station.connected
    answer = await station.call("Heartbeat", {})
    assert isinstance(answer["currentTime"], str) and answer["currentTime"]


MARK = -987654321  # stands for a number no Python value encodes as wanted


def _with_number(payload: dict[str, Any], number: str) -> str:
    """``payload`` as JSON text, with ``number`` written where MARK is."""
    return orjson.dumps(payload).decode().replace(str(MARK), number)


def _call(uid: str, action: str, payload: str) -> str:
    """A CALL whose payload is given as JSON text (for what no Python value encodes: 1e400, deep nesting)."""
    return f'[2, "{uid}", "{action}", {payload}]'


# -- transactions, read back through the trigger API -----------------------------------------------


async def _start16(station: StationSession, meter_start: int = 100, timestamp: str | None = None) -> int:
    answer = await _result(station, "StartTransaction", {
        "connectorId": 1, "idTag": DEFAULTS.valid_id_token, "meterStart": meter_start,
        "timestamp": timestamp or rfc3339()})
    assert answer["idTagInfo"]["status"] == "Accepted", answer
    return int(answer["transactionId"])


def _sample16(value: str, timestamp: str | None = None) -> dict[str, Any]:
    return {"timestamp": timestamp or rfc3339(), "sampledValue": [
        {"value": value, "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}


async def _stop16(station: StationSession, transaction_id: int, meter_stop: int, timestamp: str | None = None,
                  transaction_data: list[dict[str, Any]] | None = None) -> None:
    payload: dict[str, Any] = {"transactionId": transaction_id, "meterStop": meter_stop,
                               "timestamp": timestamp or rfc3339(), "reason": "Local"}
    if transaction_data:
        payload["transactionData"] = transaction_data
    assert await _result(station, "StopTransaction", payload) == {}


def _event201(transaction_id: str, event_type: str, seq_no: int, timestamp: str | None = None,
              **extra: Any) -> dict[str, Any]:
    reason = {"Started": "CablePluggedIn", "Ended": "EVCommunicationLost"}.get(event_type, "MeterValuePeriodic")
    payload = {"eventType": event_type, "timestamp": timestamp or rfc3339(), "seqNo": seq_no, "triggerReason": reason,
               "transactionInfo": {"transactionId": transaction_id}, "evse": {"id": 1, "connectorId": 1}}
    if event_type == "Ended":
        payload["transactionInfo"]["stoppedReason"] = "EVDisconnected"
    return payload | extra


async def _stored(api: httpx.AsyncClient, station: StationSession, transaction_id: object) -> dict[str, Any] | None:
    """What the CSMS stored about the transaction, or None when it knows no such transaction."""
    response = await api.get(f"/api/octt/{station.version}/{station.station_id}/transactions/{transaction_id}")
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    stored: dict[str, Any] = response.json()
    return stored


# -- 1. non-finite meter values ------------------------------------------------------------------


@pytest.mark.parametrize("glitch", ["NaN", "nan", "inf", "-Infinity", "1e400"])
async def test_non_finite_1_6_meter_value_is_skipped_and_the_transaction_closes(
        v16: StationSession, api: httpx.AsyncClient, glitch: str) -> None:
    """A meter's glitch is accepted and ignored (logged): the reading before it still counts, and
    the StopTransaction that carries the glitch again in its transactionData closes the transaction."""
    tx = await _start16(v16, meter_start=100)
    assert await _result(v16, "MeterValues", {"connectorId": 1, "transactionId": tx,
                                              "meterValue": [_sample16("150")]}) == {}
    assert await _result(v16, "MeterValues", {"connectorId": 1, "transactionId": tx,
                                              "meterValue": [_sample16(glitch)]}) == {}
    running = await _stored(api, v16, tx)
    assert running is not None and running["energyWh"] == 50, running
    await _stop16(v16, tx, 200, transaction_data=[_sample16(glitch), _sample16("200")])
    stopped = await _stored(api, v16, tx)
    assert stopped is not None and stopped["stoppedAt"] is not None and stopped["energyWh"] == 100, stopped
    await _still_serves(v16)


def test_non_finite_and_oversized_samples_make_no_row() -> None:
    assert sample_row("CP", None, 1, datetime.now(UTC), {"value": "NaN"}) is None
    assert sample_row("CP", None, 1, datetime.now(UTC), {"value": "-inf"}) is None
    too_big = {"value": 1.0, "unitOfMeasure": {"unit": "kWh", "multiplier": 400}}
    assert sample_row("CP", None, 1, datetime.now(UTC), too_big) is None
    zero = sample_row("CP", None, 1, datetime.now(UTC), too_big | {"value": 0})
    assert zero is not None and zero.value == 0


@pytest.mark.parametrize("multiplier", [308, 309, 400, INT32_MAX, -400, -INT32_MAX])
def test_normalise_never_raises(multiplier: int) -> None:
    value, unit = normalise(1.5, "kWh", multiplier)
    assert unit == "Wh"
    assert (math.isinf(value) and multiplier > 0) or math.isfinite(value)


# -- 2. timestamps ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("sent", "read"), [
    # A leap second is read as the last microsecond of its minute (the order of events is kept).
    ("2016-12-31T23:59:60Z", "2016-12-31T23:59:59.999999+00:00"),
    ("2016-12-31T23:59:60.5Z", "2016-12-31T23:59:59.999999+00:00"),
    ("2024-05-01t10:00:00z", "2024-05-01T10:00:00+00:00"),
    ("2024-05-01T10:00:00-23:59", "2024-05-02T09:59:00+00:00"),
    ("2024-05-01T10:00:00.123456789123456789Z", "2024-05-01T10:00:00.123456+00:00"),
])
def test_parse_time_reads_every_rfc3339_form(sent: str, read: str) -> None:
    assert parse_time(sent) == datetime.fromisoformat(read)


@pytest.mark.parametrize("sent", ["0000-01-01T00:00:00Z", "0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-23:59"])
def test_parse_time_refuses_instants_no_datetime_holds(sent: str) -> None:
    with pytest.raises(UnrepresentableTime):
        parse_time(sent)


@pytest.mark.parametrize(("sent", "read"), [
    ("2016-12-31T23:59:60Z", "2016-12-31T23:59:59.999999Z"),
    ("2024-05-01t10:00:00z", "2024-05-01T10:00:00Z"),
    ("2024-05-01T10:00:00-23:59", "2024-05-02T09:59:00Z"),
    ("2024-05-01T10:00:00.1234567891Z", "2024-05-01T10:00:00.123456Z"),
])
async def test_valid_rfc3339_timestamps_start_and_stop_a_transaction(
        v16: StationSession, api: httpx.AsyncClient, sent: str, read: str) -> None:
    tx = await _start16(v16, timestamp=sent)
    await _stop16(v16, tx, 200, timestamp=sent)
    stored = await _stored(api, v16, tx)
    assert stored is not None
    assert parse_time(stored["startedAt"]) == parse_time(read) == parse_time(stored["stoppedAt"]), stored
    await _still_serves(v16)


@pytest.mark.parametrize("sent", ["0000-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59"])
async def test_timestamp_that_cannot_be_stored_is_a_constraint_violation_naming_the_field(
        v201: StationSession, api: httpx.AsyncClient, sent: str) -> None:
    """Never InternalError; the transaction it would have started does not exist afterwards, and one
    whose Ended event carries it stays open until a storable Ended comes."""
    new = f"hostile-{uuid.uuid4().hex[:12]}"
    error = await _error(v201, encode(Call("t-start", "TransactionEvent", _event201(new, "Started", 0, sent))),
                         "t-start", "PropertyConstraintViolation")
    assert error.description.startswith("timestamp: "), error.description
    assert await _stored(api, v201, new) is None

    running = f"hostile-{uuid.uuid4().hex[:12]}"
    await _result(v201, "TransactionEvent", _event201(running, "Started", 0))
    meter = [{"timestamp": sent, "sampledValue": [{"value": 10.0}]}]
    ended = _event201(running, "Ended", 1, meterValue=meter)
    error = await _error(v201, encode(Call("t-end", "TransactionEvent", ended)), "t-end", "PropertyConstraintViolation")
    assert error.description.startswith("meterValue/0/timestamp: "), error.description
    stored = await _stored(api, v201, running)
    assert stored is not None and stored["stoppedAt"] is None and len(stored["events"]) == 1, stored
    await _result(v201, "TransactionEvent", _event201(running, "Ended", 1))
    stored = await _stored(api, v201, running)
    assert stored is not None and stored["stoppedAt"] is not None, stored


# -- 3. integers beyond 32 bits, huge multipliers ----------------------------------------------------


@pytest.mark.parametrize("number", [str(2**31), str(2**63), str(2**64 - 1), str(-(2**31) - 1), "100000000000000000000"])
async def test_integer_beyond_32_bits_is_a_property_constraint_violation(station: StationSession, number: str) -> None:
    """OCPP-J integers are signed 32-bit: seqNo / connectorId beyond that are refused by the validator,
    naming the field, before any of it reaches the database."""
    if station.version == "2.0.1":
        payload = _with_number(_event201("hostile-int", "Started", MARK), number)
        error = await _error(station, _call("int", "TransactionEvent", payload), "int", "PropertyConstraintViolation")
        assert "seqNo" in error.description
    else:
        payload = _with_number({"connectorId": MARK, "errorCode": "NoError", "status": "Available"}, number)
        error = await _error(station, _call("int", "StatusNotification", payload), "int",
                             "PropertyConstraintViolation")
        assert "connectorId" in error.description


HUGE = 2**64 + 1
BEYOND_64_BITS: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
    ("2.0.1", "evseId"): ("MeterValues", {"evseId": HUGE, "meterValue": [
        {"timestamp": "2024-05-01T10:00:00Z", "sampledValue": [{"value": 1.0}]}]}),
    ("2.0.1", "reservationId"): ("ReservationStatusUpdate", {"reservationId": HUGE,
                                                             "reservationUpdateStatus": "Expired"}),
    ("1.6", "connectorId"): ("StatusNotification", {"connectorId": HUGE, "errorCode": "NoError",
                                                    "status": "Available"}),
    ("1.6", "reservationId"): ("StartTransaction", {"connectorId": 1, "idTag": DEFAULTS.valid_id_token,
                                                    "meterStart": 0, "timestamp": "2024-05-01T10:00:00Z",
                                                    "reservationId": HUGE}),
}


@pytest.mark.parametrize(("version", "field"), list(BEYOND_64_BITS))
async def test_ids_beyond_64_bits_are_property_constraint_violations(
        reference_csms: RunningCsms, open_station: StationOpener, version: str, field: str) -> None:
    station = await open_station(reference_csms, STATION_OF[version])
    action, payload = BEYOND_64_BITS[version, field]
    # json writes integers of any size (orjson at most 64 bits)
    error = await _error(station, _call("id64", action, json.dumps(payload)), "id64", "PropertyConstraintViolation")
    assert field in error.description


async def test_huge_multiplier_is_accepted_and_its_sample_skipped(v201: StationSession,
                                                                  api: httpx.AsyncClient) -> None:
    """unitOfMeasure.multiplier 400 (within 32 bits) makes a reading no float holds: the message is
    accepted, the sample dropped, and the transaction's stored energy stays a number."""
    tx = f"hostile-{uuid.uuid4().hex[:12]}"
    begin = [{"timestamp": rfc3339(), "sampledValue": [{"value": 100.0, "context": "Transaction.Begin"}]}]
    await _result(v201, "TransactionEvent", _event201(tx, "Started", 0, meterValue=begin))
    huge = [{"timestamp": rfc3339(), "sampledValue": [
        {"value": 5.0, "unitOfMeasure": {"unit": "Wh", "multiplier": 400}}]}]
    await _result(v201, "TransactionEvent", _event201(tx, "Updated", 1, meterValue=huge))
    stored = await _stored(api, v201, tx)
    assert stored is not None and stored["energyWh"] == 0, stored
    over = [{"timestamp": rfc3339(), "sampledValue": [{"value": 5.0, "unitOfMeasure": {"multiplier": 2**31}}]}]
    await _error(v201, encode(Call("mul", "TransactionEvent", _event201(tx, "Updated", 2, meterValue=over))), "mul",
                 "PropertyConstraintViolation")
    await _result(v201, "TransactionEvent", _event201(tx, "Ended", 2))


# -- 4. deep nesting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [100, 500, 1_100, 100_000])
async def test_deep_nesting_is_a_format_violation_with_the_frames_id(station: StationSession, depth: int) -> None:
    deep = "[" * depth + "]" * depth
    await _error(station, _call("deep", "DataTransfer", f'{{"vendorId": "csmscheck", "data": {deep}}}'), "deep",
                 "FormatViolation", "FormationViolation")
    await _error(station, _call("deep-hb", "Heartbeat", f'{{"x": {deep}}}'), "deep-hb",
                 "FormatViolation", "FormationViolation")


async def test_deeply_nested_non_frame_gets_id_minus_1(station: StationSession) -> None:
    await _error(station, "[" * 100_000 + "]" * 100_000, "-1", "RpcFrameworkError", "GenericError")


# -- 5. descriptions within string[255] ---------------------------------------------------------------


async def test_long_descriptions_are_cut_to_255_characters(station: StationSession) -> None:
    """Many schema errors at once, and an unknown action name of a megabyte, which is not echoed whole."""
    huge_action = "A" * 1_000_000
    error = await _error(station, encode(Call("big-action", huge_action, {})), "big-action", "NotImplemented")
    assert huge_action[:300] not in error.description
    many = {f"field{n}": "x" * 50 for n in range(40)}
    error = await _error(station, encode(Call("many", "Heartbeat", many)), "many", "FormatViolation",
                         "FormationViolation")
    assert len(error.description) == 255 and error.description.endswith("…")


# -- 6. unknown message types --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ['[9, "type-9", "Heartbeat", {}]', '[0, "type-0", {}]', '[5, 42, {}]',
                                  '["2", "type-str", "Heartbeat", {}]'])
async def test_unknown_message_type_per_version(station: StationSession, text: str) -> None:
    """2.0.1: CALLERROR MessageTypeNotSupported; 1.6 §4.1.3: the message is ignored."""
    unique_id = orjson.loads(text)[1]
    if station.version == "1.6":
        await _unanswered(station, text, (str(unique_id),))
    else:
        await _error(station, text, unique_id if isinstance(unique_id, str) else "-1", "MessageTypeNotSupported")


# -- 7. malformed answers are never answered ---------------------------------------------------------


@pytest.mark.parametrize("text", [
    '[3, "ans-1"]', '[4, "ans-2", "x"]', '[3, "ans-3", []]', '[3, "ans-4", {}, {}]', '[4, "ans-5", 5, "d", {}]',
    '[4, "ans-6", "GenericError", 7, {}]', '[3, 42, {}]', '[4, null, "GenericError", "", {}]',
    '[3, "ans-7", {"x": 1e400}]', '[3, "ans-8", {"x": ' + "[" * 2000 + "]" * 2000 + "}]",
])
async def test_malformed_answer_is_logged_not_answered(station: StationSession, text: str) -> None:
    await _unanswered(station, text, tuple(f"ans-{n}" for n in range(1, 9)))


async def test_a_malformed_answer_fails_the_trigger_call_at_once(reference_csms: RunningCsms,
                                                                api: httpx.AsyncClient) -> None:
    """The call waiting for the answer fails when the malformed answer comes, not at call_timeout."""
    credentials = base64.b64encode(f"CP201_SP1:{DEFAULTS.basic_auth_password}".encode()).decode()
    async with websockets.connect(f"{reference_csms.endpoints.ws}/CP201_SP1", subprotocols=[Subprotocol("ocpp2.0.1")],
                                  additional_headers={"Authorization": f"Basic {credentials}"}) as ws:
        await ws.send(encode(Call("boot", "BootNotification", {
            "reason": "PowerUp", "chargingStation": {"vendorName": "csmscheck", "model": "Raw"}})))
        assert orjson.loads(await ws.recv())[0] == 3
        asked = asyncio.create_task(api.post("/api/octt/2.0.1/CP201_SP1/reset", json={"type": "Immediate"}))
        call = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        assert call[2] == "Reset"
        loop = asyncio.get_running_loop()
        sent_at = loop.time()
        await ws.send(f'[3, "{call[1]}"]')  # a CALLRESULT without its payload
        answer = await asyncio.wait_for(asked, reference_csms.config.call_timeout / 2)
    assert answer.status_code == 504, answer.text
    assert "malformed" in answer.json()["detail"] and "Reset" in answer.json()["detail"]
    assert loop.time() - sent_at < reference_csms.config.call_timeout / 2


# -- 8. known but unsupported actions ------------------------------------------------------------------


async def test_csms_to_station_action_sent_by_the_station_is_not_supported(station: StationSession) -> None:
    """An action OCPP defines but the CSMS takes from no station: NotSupported; an unknown one: NotImplemented."""
    if station.version == "2.0.1":
        payload: dict[str, Any] = {"type": "Immediate"}
        action = "Reset"
    else:
        payload, action = {"idTag": DEFAULTS.valid_id_token}, "RemoteStartTransaction"
    error = await _error(station, encode(Call("rev", action, payload)), "rev", "NotSupported")
    assert action in error.description
    await _error(station, encode(Call("unknown", "MakeCoffee", {})), "unknown", "NotImplemented")
    await _error(station, encode(Call("path", "../v16/schemas/Heartbeat", {})), "path", "NotImplemented")


# -- 9. valid JSON orjson refuses -------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1" + "0" * 400])
async def test_number_beyond_a_double_is_answered_with_the_frames_id(station: StationSession, number: str) -> None:
    if station.version == "2.0.1":
        meter = [{"timestamp": rfc3339(), "sampledValue": [{"value": MARK}]}]
        payload = _with_number({"evseId": 1, "meterValue": meter}, number)
        error = await _error(station, _call("huge", "MeterValues", payload), "huge", "PropertyConstraintViolation")
        assert "meterValue/0/sampledValue/0/value" in error.description
    else:
        payload = _with_number({"connectorId": MARK, "errorCode": "NoError", "status": "Available"}, number)
        error = await _error(station, _call("huge", "StatusNotification", payload), "huge",
                             "PropertyConstraintViolation")
        assert "connectorId" in error.description


async def test_lone_surrogate_is_a_format_violation_with_the_frames_id(station: StationSession) -> None:
    await _error(station, _call("sur", "Authorize", '{"idTag": "\\ud800"}'), "sur", "FormatViolation",
                 "FormationViolation")


async def test_hostile_frames_in_a_burst_leave_the_connection_serving(station: StationSession) -> None:
    """All of the above back to back on one connection, then a valid CALL."""
    for text in ('[2, "b1", "Heartbeat", {"x": 1e400}]', "[" * 5000 + "]" * 5000, '[3, "b2"]',
                 '[9, "b3", {}]', encode(Call("b4", "A" * 500_000, {}))):
        await station.send_raw(text)
    await asyncio.wait_for(_still_serves(station), 10)
