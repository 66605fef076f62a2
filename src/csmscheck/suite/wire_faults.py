"""Frames a station sends wrong on purpose, and what OCPP-J lets the CSMS answer — for both versions.

Each :class:`WireFault` is one malformed or invalid frame with the CALLERROR codes the
specification's definitions allow for it (OCPP-J 1.6 §4.2.3, OCPP 2.0.1 Part 4 §4.2.3 and
§4.3), the message ids the answer may carry, and whether an answer is required at all.
:func:`probe` sends it, then a valid CALL, and says in plain sentences what the CSMS did
wrong: a code of the other version (2.0.1's ``FormatViolation`` on a 1.6 connection), a
CALLRESULT to a frame it should have refused, no answer where one is due, a connection
closed instead of kept, or a valid CALL no longer answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from csmscheck.checks import v16 as checks16
from csmscheck.checks import v201 as checks201
from csmscheck.errors import ConnectionLost, StepFailed
from csmscheck.expect import about_now, mismatches
from csmscheck.station import Station
from csmscheck.timestamps import rfc3339
from csmscheck.wire import Call, CallError, encode, new_message_id
from csmscheck.wire.versions import OcppVersion

V201_CODES = frozenset({
    "FormatViolation", "GenericError", "InternalError", "MessageTypeNotSupported", "NotImplemented", "NotSupported",
    "OccurrenceConstraintViolation", "PropertyConstraintViolation", "ProtocolError", "RpcFrameworkError",
    "SecurityError", "TypeConstraintViolation",
})
V16_CODES = frozenset({
    "FormationViolation", "GenericError", "InternalError", "NotImplemented", "NotSupported",
    "OccurenceConstraintViolation", "PropertyConstraintViolation", "ProtocolError", "SecurityError",
    "TypeConstraintViolation",
})
CODES: Mapping[OcppVersion, frozenset[str]] = {"2.0.1": V201_CODES, "1.6": V16_CODES}
# The same error, spelled by each version (2.0.1 name -> 1.6 name).
_SPELLINGS = {"FormatViolation": "FormationViolation", "OccurrenceConstraintViolation": "OccurenceConstraintViolation"}

Frame = Callable[[OcppVersion, str], str]
"""The raw text of a fault, given the connection's version and a fresh message id."""


@dataclass(frozen=True)
class WireFault:
    """One frame sent wrong on purpose and the answers OCPP-J allows for it."""

    what: str  # "a frame that is not valid JSON", for the failure messages
    frame: Frame
    codes: Mapping[OcppVersion, frozenset[str]]  # the CALLERROR codes whose definitions cover the fault
    ids: tuple[str, ...] = ("{id}",)  # message ids the CALLERROR may carry; "{id}" is the frame's own
    required: frozenset[OcppVersion] = frozenset({"2.0.1", "1.6"})  # versions in which a CALLERROR is due


def _both(v201: set[str], v16: set[str]) -> Mapping[OcppVersion, frozenset[str]]:
    return {"2.0.1": frozenset(v201), "1.6": frozenset(v16)}


def _call(action: str, payload: Callable[[OcppVersion], dict[str, Any]]) -> Frame:
    return lambda version, uid: encode(Call(uid, action, payload(version)))


def _by_version(v201: dict[str, Any], v16: dict[str, Any]) -> Callable[[OcppVersion], dict[str, Any]]:
    return lambda version: v201 if version == "2.0.1" else v16


def _enum_payload(version: OcppVersion) -> dict[str, Any]:
    if version == "2.0.1":
        return {"timestamp": rfc3339(), "connectorStatus": "Exploded", "evseId": 1, "connectorId": 1}
    return {"connectorId": 1, "errorCode": "NoError", "status": "Exploded", "timestamp": rfc3339()}


def _result_frame(uid: str) -> str:
    return orjson.dumps([3, uid, {"currentTime": rfc3339()}]).decode()


_UNREADABLE = _both({"RpcFrameworkError", "FormatViolation", "ProtocolError"},
                    {"FormationViolation", "ProtocolError", "GenericError"})
_BAD_SHAPE = _both({"FormatViolation", "ProtocolError", "RpcFrameworkError"},
                   {"FormationViolation", "ProtocolError", "GenericError"})

NOT_JSON = WireFault(
    "a frame cut short (not valid JSON)", lambda _v, uid: f'[2, "{uid}", "Heartbeat", {{',
    _UNREADABLE, ids=("-1", "{id}"), required=frozenset({"2.0.1"}))
NOT_AN_ARRAY = WireFault(
    "a JSON object instead of an OCPP-J array",
    lambda _v, uid: orjson.dumps({"messageTypeId": 2, "messageId": uid, "action": "Heartbeat", "payload": {}}).decode(),
    _UNREADABLE, ids=("-1", "{id}"), required=frozenset({"2.0.1"}))
NUMERIC_ID = WireFault(
    "a CALL whose message id is a number, not a string", lambda _v, _uid: '[2, 12345, "Heartbeat", {}]',
    _UNREADABLE, ids=("-1", "12345"), required=frozenset({"2.0.1"}))
OVERLONG_ID = WireFault(
    "a CALL whose message id is 37 characters long (at most 36 are allowed)",
    lambda _v, uid: f'[2, "{uid}X", "Heartbeat", {{}}]', _UNREADABLE, ids=("-1", "{id}X"))
UNKNOWN_MESSAGE_TYPE = WireFault(
    "a frame of message type 9, which OCPP-J does not define", lambda _v, uid: f'[9, "{uid}", "Heartbeat", {{}}]',
    _both({"MessageTypeNotSupported", "RpcFrameworkError"},
          {"NotImplemented", "NotSupported", "FormationViolation", "ProtocolError", "GenericError"}),
    ids=("{id}", "-1"), required=frozenset({"2.0.1"}))
SHORT_CALL = WireFault(
    "a CALL of three elements (no payload)", lambda _v, uid: f'[2, "{uid}", "Heartbeat"]', _BAD_SHAPE,
    ids=("{id}", "-1"))
LONG_CALL = WireFault(
    "a CALL of five elements", lambda _v, uid: f'[2, "{uid}", "Heartbeat", {{}}, {{}}]', _BAD_SHAPE,
    ids=("{id}", "-1"))
PAYLOAD_NOT_OBJECT = WireFault(
    "a CALL whose payload is an array, not an object", lambda _v, uid: f'[2, "{uid}", "Heartbeat", [1, 2]]',
    _both({"FormatViolation", "ProtocolError", "RpcFrameworkError", "TypeConstraintViolation"},
          {"FormationViolation", "ProtocolError", "GenericError", "TypeConstraintViolation"}),
    ids=("{id}", "-1"))
UNKNOWN_ACTION = WireFault(
    "a CALL of an action no OCPP version has (MakeCoffee)", _call("MakeCoffee", lambda _v: {}),
    _both({"NotImplemented"}, {"NotImplemented"}))
OTHER_VERSION_ACTION = WireFault(
    "a CALL of an action of the other OCPP version",
    lambda version, uid: encode(Call(uid, "StartTransaction", {
        "connectorId": 1, "idTag": "A0000001", "meterStart": 0, "timestamp": rfc3339()}) if version == "2.0.1"
        else Call(uid, "TransactionEvent", {
            "eventType": "Started", "timestamp": rfc3339(), "triggerReason": "Authorized", "seqNo": 0,
            "transactionInfo": {"transactionId": "csmscheck-wire-fault"}})),
    _both({"NotImplemented", "NotSupported"}, {"NotImplemented", "NotSupported"}))
MISSING_FIELD = WireFault(
    "an Authorize without its required idToken (1.6: idTag)", _call("Authorize", lambda _v: {}),
    _both({"OccurrenceConstraintViolation", "ProtocolError"}, {"OccurenceConstraintViolation", "ProtocolError"}))
WRONG_TYPE = WireFault(
    "an Authorize whose idToken (1.6: idTag) is a number, not a string",
    _call("Authorize", _by_version({"idToken": {"idToken": 42, "type": "ISO14443"}}, {"idTag": 42})),
    _both({"TypeConstraintViolation"}, {"TypeConstraintViolation"}))
NOT_IN_ENUMERATION = WireFault(
    "a StatusNotification whose connector status is Exploded, which is no status of the enumeration",
    _call("StatusNotification", _enum_payload),
    _both({"PropertyConstraintViolation"}, {"PropertyConstraintViolation"}))
TOO_LONG = WireFault(
    "an Authorize whose idToken is one character longer than allowed (2.0.1: 37, 1.6: 21 characters)",
    _call("Authorize", _by_version({"idToken": {"idToken": "A" * 37, "type": "ISO14443"}}, {"idTag": "A" * 21})),
    _both({"PropertyConstraintViolation", "TypeConstraintViolation"},
          {"PropertyConstraintViolation", "TypeConstraintViolation"}))
UNKNOWN_FIELD = WireFault(
    "a Heartbeat with a field its schema does not define (colour)", _call("Heartbeat", lambda _v: {"colour": "blue"}),
    _both({"FormatViolation", "ProtocolError"}, {"FormationViolation"}))
UNSOLICITED_RESULT = WireFault(
    "a CALLRESULT for a message id the CSMS never used",
    lambda _v, uid: _result_frame(uid), _both(set(V201_CODES), set(V16_CODES)), required=frozenset())
UNSOLICITED_ERROR = WireFault(
    "a CALLERROR for a message id the CSMS never used",
    lambda _v, uid: f'[4, "{uid}", "GenericError", "no such request", {{}}]', _both(set(V201_CODES), set(V16_CODES)),
    required=frozenset())


# -- sending a fault and judging the answer ---------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    kind: int  # 3 CALLRESULT, 4 CALLERROR
    text: str
    code: str = ""


def _answers(station: Station, since: int, ids: tuple[str, ...]) -> list[_Answer]:
    """The CSMS's CALLRESULTs and CALLERRORs with one of ``ids``, read leniently from the transcript (the
    station's own parser would refuse an answer that echoes an overlong message id)."""
    found = []
    for record in station.frames[since:]:
        if record.direction != "in" or record.is_event:
            continue
        try:
            frame = orjson.loads(record.text)
        except orjson.JSONDecodeError:
            continue
        if isinstance(frame, list) and len(frame) >= 3 and frame[0] in (3, 4) and str(frame[1]) in ids:
            found.append(_Answer(frame[0], record.text, str(frame[2]) if frame[0] == 4 else ""))
    return found


def code_problem(code: str, allowed: frozenset[str], version: OcppVersion) -> str | None:
    """Why ``code`` is not an answer ``allowed`` for the fault, with the version's spelling where that is it."""
    if code in allowed:
        return None
    if code not in CODES[version]:
        other: OcppVersion = "1.6" if version == "2.0.1" else "2.0.1"
        spelled = _SPELLINGS.get(code) or {v: k for k, v in _SPELLINGS.items()}.get(code)
        if code in CODES[other]:
            how = f"OCPP {version} spells it {spelled}" if spelled else f"OCPP {version} has no such code"
            return f"CALLERROR {code}, an OCPP {other} code ({how})"
        return f"CALLERROR {code}, which is no OCPP {version} error code"
    return f"CALLERROR {code}"


def _expected(fault: WireFault, version: OcppVersion, ids: tuple[str, ...], uid: str) -> str:
    codes = sorted(fault.codes[version])
    named = ", ".join(codes[:-1]) + f" or {codes[-1]}" if len(codes) > 1 else codes[0]
    names = ["the frame's own" if i.startswith(uid) else f'"{i}"' for i in ids]
    which = "the frame's own messageId" if ids[0].startswith(uid) else f"messageId {names[0]}"
    return f"CALLERROR {named} with {which}" + (f" (or {', '.join(names[1:])})" if names[1:] else "")


async def probe(station: Station, fault: WireFault, answer_step: str, next_step: str) -> list[str]:
    """Send ``fault``, then a valid CALL (Heartbeat); what the CSMS did wrong, one sentence each."""
    session, version = station.session, station.version
    uid = new_message_id()
    ids = tuple(template.format(id=uid) for template in fault.ids)
    waiting = [session.track(unique_id) for unique_id in ids]
    since = len(station.frames)
    problems: list[str] = []
    try:
        await session.send_raw(fault.frame(version, uid))
        next_call = await _next_call(station, fault, next_step)
        if next_call:
            problems.append(next_call)
        if version in fault.required and session.connected and not any(f.done() for f in waiting):
            await asyncio.wait(waiting, timeout=session.timeout)  # a CSMS may answer out of order
    finally:
        for future in waiting:
            if not future.done():
                future.cancel()
            elif not future.cancelled():
                future.exception()  # retrieved: a close after the answer is not this probe's error
    # An echoed overlong id is the CSMS's answer to the fault, judged here, not a malformed frame of its own.
    session.violations[:] = [v for v in session.violations if not any(i in v for i in ids if len(i) > 36)]
    answer = _judge(fault, version, _answers(station, since, ids), ids, uid)
    return ([f"{answer_step}: {answer} (in answer to {fault.what})"] if answer else []) + problems


def _judge(fault: WireFault, version: OcppVersion, answers: list[_Answer], ids: tuple[str, ...],
           uid: str) -> str | None:
    expected = _expected(fault, version, ids, uid)
    if not answers:
        return None if version not in fault.required else f"expected {expected}, got no answer"
    first = answers[0]
    if first.kind == 3:
        return f"expected {expected}, got a CALLRESULT {first.text}"
    problem = code_problem(first.code, fault.codes[version], version)
    return f"expected {expected}, got {problem}" if problem else None


async def _next_call(station: Station, fault: WireFault, step: str) -> str | None:
    """After the fault the connection stays open and serves: a Heartbeat gets a CALLRESULT with the time."""
    try:
        answer = await station.session.send("Heartbeat", {})
    except ConnectionLost as exc:
        return f"{step}: expected the CSMS to keep the connection open after {fault.what}, but {exc}"
    except StepFailed as exc:
        return f"{step}: expected a HeartbeatResponse to the next CALL after {fault.what}, but {exc}"
    if isinstance(answer, CallError):
        return (f"{step}: expected a HeartbeatResponse to the next CALL after {fault.what}, got CALLERROR "
                f"{answer.code} ({answer.description!r})")
    check = checks201.HEARTBEAT_TIME if station.version == "2.0.1" else checks16.CURRENT_TIME
    name = "HeartbeatResponse" if station.version == "2.0.1" else "Heartbeat.conf"
    current = answer.payload.get("currentTime")
    station.findings.check(check, not mismatches(answer.payload, {"currentTime": about_now()}),
                           f"{step}: {name}: expected currentTime within 2 minutes of now, got "
                           f"{orjson.dumps(current).decode() if current is not None else 'none'}")
    return None


async def assert_handled(station: Station, *sent: WireFault) -> None:
    """Fault k is step 4k-3, the CSMS's answer step 4k-2, the next CALL steps 4k-1 and 4k; every problem of
    every fault fails the case, one sentence each (a closed connection ends the case there)."""
    problems: list[str] = []
    for k, fault in enumerate(sent):
        if not station.session.connected:
            break
        problems += await probe(station, fault, f"Step {4 * k + 2}", f"Step {4 * k + 4}")
    if problems:
        raise StepFailed("\n".join(problems))
