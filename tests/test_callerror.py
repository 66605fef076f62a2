"""The reference CSMS answers bad frames with the CALLERROR of the station's OCPP version
and keeps the connection open."""

from __future__ import annotations

import pytest
from conftest import RunningCsms, StationOpener

from csmscheck.station.session import StationSession
from csmscheck.wire import CallError, CallResult, encode, parse
from csmscheck.wire.frames import Call

STATION_OF = {"2.0.1": "CP201_SP1", "1.6": "CP16_SP1"}


@pytest.fixture(params=["2.0.1", "1.6"])
async def station(request: pytest.FixtureRequest, reference_csms: RunningCsms,
                  open_station: StationOpener) -> StationSession:
    return await open_station(reference_csms, STATION_OF[request.param])


async def _exchange(station: StationSession, text: str, answer_id: str) -> CallResult | CallError:
    """Send ``text`` as it is and wait for the CSMS's frame with ``answer_id``."""
    answer = station.track(answer_id)
    await station.send_raw(text)
    return await station.answer_to(answer_id, answer, "raw frame")


async def _error(station: StationSession, text: str, answer_id: str) -> CallError:
    answer = await _exchange(station, text, answer_id)
    assert isinstance(answer, CallError), f"expected a CALLERROR, got {answer}"
    assert answer.unique_id == answer_id
    return answer


async def _still_serves(station: StationSession) -> None:
    """The connection survived: a Heartbeat still gets its CALLRESULT."""
    assert station.connected
    answer = await station.call("Heartbeat", {})
    assert isinstance(answer["currentTime"], str) and answer["currentTime"]


def _by_version(station: StationSession, v201: str, v16: str) -> str:
    return v201 if station.version == "2.0.1" else v16


async def test_non_json_gets_an_rpc_framework_error_with_id_minus_1(station: StationSession) -> None:
    error = await _error(station, "this is not JSON {", "-1")
    assert error.code == _by_version(station, "RpcFrameworkError", "GenericError")
    assert error.description
    await _still_serves(station)


async def test_unreadable_message_id_gets_id_minus_1(station: StationSession) -> None:
    error = await _error(station, '[2, 1234, "Heartbeat", {}]', "-1")
    assert error.code == _by_version(station, "RpcFrameworkError", "GenericError")
    await _still_serves(station)


async def test_the_callerror_frame_itself_is_well_formed(station: StationSession) -> None:
    await _error(station, "garbage", "-1")
    last_in = [f for f in station.transcript.frames if f.direction == "in"][-1]
    frame = parse(last_in.text)
    assert isinstance(frame, CallError)
    assert frame.unique_id == "-1"
    assert isinstance(frame.details, dict)


async def test_missing_required_field_is_an_occurrence_violation(station: StationSession) -> None:
    error = await _error(station, encode(Call("req-missing", "Authorize", {})), "req-missing")
    assert error.code == _by_version(station, "OccurrenceConstraintViolation", "OccurenceConstraintViolation")
    assert _by_version(station, "idToken", "idTag") in error.description
    await _still_serves(station)


async def test_wrong_type_is_a_type_constraint_violation(station: StationSession) -> None:
    payload = {"idToken": {"idToken": 42, "type": "ISO14443"}} if station.version == "2.0.1" else {"idTag": 42}
    error = await _error(station, encode(Call("req-type", "Authorize", payload)), "req-type")
    assert error.code == "TypeConstraintViolation"
    await _still_serves(station)


async def test_value_outside_the_enumeration_is_a_property_constraint_violation(station: StationSession) -> None:
    if station.version == "2.0.1":
        payload = {"timestamp": "2024-05-01T10:00:00Z", "connectorStatus": "Exploded", "evseId": 1, "connectorId": 1}
    else:
        payload = {"connectorId": 1, "errorCode": "NoError", "status": "Exploded"}
    error = await _error(station, encode(Call("req-enum", "StatusNotification", payload)), "req-enum")
    assert error.code == "PropertyConstraintViolation"
    await _still_serves(station)


async def test_unknown_field_is_a_format_violation(station: StationSession) -> None:
    error = await _error(station, encode(Call("req-extra", "Heartbeat", {"surprise": 1})), "req-extra")
    assert error.code == _by_version(station, "FormatViolation", "FormationViolation")
    await _still_serves(station)


async def test_unknown_action_is_not_implemented(station: StationSession) -> None:
    error = await _error(station, encode(Call("req-unknown", "MakeCoffee", {})), "req-unknown")
    assert error.code == "NotImplemented"
    assert "MakeCoffee" in error.description
    await _still_serves(station)


async def test_action_of_the_other_version_is_not_implemented(station: StationSession) -> None:
    action = "StartTransaction" if station.version == "2.0.1" else "TransactionEvent"
    error = await _error(station, encode(Call("req-other", action, {})), "req-other")
    assert error.code == "NotImplemented"
    await _still_serves(station)


@pytest.mark.parametrize(
    "text",
    ['[2, "req-shape", "Heartbeat"]', '[2, "req-shape", "Heartbeat", []]', '[2, "req-shape", "Heartbeat", {}, {}]',
     '[2, "req-shape", 7, {}]'],
)
async def test_wrong_frame_shape_is_a_format_violation(station: StationSession, text: str) -> None:
    error = await _error(station, text, "req-shape")
    assert error.code == _by_version(station, "FormatViolation", "FormationViolation")
    await _still_serves(station)


async def test_unknown_message_type(station: StationSession) -> None:
    """2.0.1 answers MessageTypeNotSupported; 1.6 ignores the frame (OCPP-J 1.6 §4.1.3)."""
    if station.version == "2.0.1":
        error = await _error(station, '[9, "req-type9", "Heartbeat", {}]', "req-type9")
        assert error.code == "MessageTypeNotSupported"
    else:
        ignored = station.track("req-type9")
        await station.send_raw('[9, "req-type9", "Heartbeat", {}]')
        await _still_serves(station)  # frames are answered in order: any answer would be in by now
        assert not ignored.done()
        ignored.cancel()
    await _still_serves(station)


async def test_several_bad_frames_in_a_row_each_get_their_answer(station: StationSession) -> None:
    futures = {uid: station.track(uid) for uid in ("burst-1", "burst-2", "burst-3")}
    await station.send_raw(encode(Call("burst-1", "MakeCoffee", {})))
    await station.send_raw('[2, "burst-2", "Heartbeat"]')
    await station.send_raw(encode(Call("burst-3", "Heartbeat", {})))
    answers = {uid: await station.answer_to(uid, future, uid) for uid, future in futures.items()}
    assert isinstance(answers["burst-1"], CallError) and answers["burst-1"].code == "NotImplemented"
    assert isinstance(answers["burst-2"], CallError)
    assert isinstance(answers["burst-3"], CallResult) and "currentTime" in answers["burst-3"].payload
    await _still_serves(station)
