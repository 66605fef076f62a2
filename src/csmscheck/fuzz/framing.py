"""Framing faults: frames that are no valid OCPP-J message, or that no CSMS should answer.

Each returns (category, frame text or bytes, expectation). The codes allowed follow OCPP-J
§4.2.3 of each version: 2.0.1 refuses an unreadable frame with RpcFrameworkError (or
FormatViolation/ProtocolError for a readable but ill-shaped one) and messageId "-1" when
the id cannot be read; 1.6 has no code for it and may stay silent, and ignores an unknown
message type number.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import orjson

from csmscheck.fuzz.oracle import ERROR, MAYBE, NONE, Expectation
from csmscheck.fuzz.rules import RULES
from csmscheck.wire.directions import csms_initiated
from csmscheck.wire.errors import ErrorCode, error_code
from csmscheck.wire.versions import OcppVersion

OVERSIZE = 2**20 + 1  # one byte over the bundled CSMS's 1 MiB frame limit (and over most CSMSs')
FramingCase = tuple[str, str | bytes, Expectation]


def _codes(version: OcppVersion, *codes: ErrorCode) -> frozenset[str]:
    return frozenset(error_code(c, version) for c in codes)


def _unreadable(version: OcppVersion, uid: str, *, id_readable: bool = False) -> Expectation:
    """An unparseable frame: 2.0.1 must answer (id "-1", or its own when it could be read), 1.6 may."""
    codes = _codes(version, ErrorCode.RPC_FRAMEWORK_ERROR, ErrorCode.FORMAT_VIOLATION, ErrorCode.PROTOCOL_ERROR)
    ids = ("-1", uid) if id_readable else ("-1",)
    return Expectation(ERROR if version == "2.0.1" else MAYBE, RULES[version].unreadable, codes, ids)


def _shape(version: OcppVersion, uid: str) -> Expectation:
    """A readable id in an array of the wrong length: a CALLERROR is due in both versions."""
    codes = _codes(version, ErrorCode.FORMAT_VIOLATION, ErrorCode.PROTOCOL_ERROR, ErrorCode.RPC_FRAMEWORK_ERROR)
    return Expectation(ERROR, RULES[version].format, codes, (uid, "-1"))


def _invalid_json(version: OcppVersion, uid: str, action: str, payload: Any, rng: random.Random) -> FramingCase:
    text = orjson.dumps([2, uid, action, payload]).decode()
    cut = text[: rng.randint(1, len(text) - 1)]
    # A cut frame never closes its outer bracket, so it is never JSON.
    garbage = rng.choice((cut, "[2, '" + uid + "', 'Heartbeat', {}]", "[2,\"x\",,{}]", "\x00", "nul", "[2,\"x\"]]"))
    return "invalid-json", garbage, _unreadable(version, uid)


def _not_array(version: OcppVersion, uid: str, action: str, payload: Any, rng: random.Random) -> FramingCase:
    text = rng.choice((orjson.dumps({"messageTypeId": 2, "messageId": uid, "action": action, "payload": payload}),
                       b"2", b'"Heartbeat"', b"null", b"[]", b"{}", b"true"))
    return "not-an-array", text.decode(), _unreadable(version, uid)


def _unknown_type(version: OcppVersion, uid: str, action: str, payload: Any, rng: random.Random) -> FramingCase:
    number = rng.choice((0, 1, 5, 9, 99, -2, 2**31, "2", 2.5, None))
    text = orjson.dumps([number, uid, action, payload]).decode()
    rules = RULES[version]
    if version == "2.0.1":
        codes = _codes(version, ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED, ErrorCode.RPC_FRAMEWORK_ERROR)
        return "unknown-message-type", text, Expectation(ERROR, rules.unknown_type, codes, (uid, "-1"))
    codes = _codes(version, ErrorCode.NOT_IMPLEMENTED, ErrorCode.NOT_SUPPORTED, ErrorCode.FORMAT_VIOLATION,
                   ErrorCode.PROTOCOL_ERROR, ErrorCode.GENERIC_ERROR)
    return "unknown-message-type", text, Expectation(MAYBE, rules.unknown_type, codes, (uid, "-1"))


def _wrong_length(version: OcppVersion, uid: str, action: str, payload: Any, rng: random.Random) -> FramingCase:
    frame = rng.choice(([2, uid, action], [2, uid, action, payload, {}], [2, uid, action, payload, {}, 1],
                        [2, uid, payload], [2, uid, 7, payload], [2, uid, action, [payload]]))
    return "wrong-array-length", orjson.dumps(frame).decode(), _shape(version, uid)


def _message_id(version: OcppVersion, uid: str, action: str, payload: Any, rng: random.Random) -> FramingCase:
    kind = rng.choice(("missing", "overlong", "number", "null", "empty", "object"))
    if kind == "overlong":
        long_id = (uid + "x" * 37)[: rng.choice((37, 40, 200))]
        expect = _unreadable(version, long_id, id_readable=True)
        expect = Expectation(ERROR, expect.rule, expect.codes, expect.ids)  # a string id: 1.6 must answer too
        return "overlong-message-id", orjson.dumps([2, long_id, action, payload]).decode(), expect
    if kind == "missing":  # [2, action, payload]: the action reads as the id of a CALL of the wrong shape
        expect = _shape(version, action)
        return "missing-message-id", orjson.dumps([2, action, payload]).decode(), expect
    frame: list[Any] = {"number": [2, 12345, action, payload],
                        "null": [2, None, action, payload], "empty": [2, "", action, payload],
                        "object": [2, {"id": uid}, action, payload]}[kind]
    return f"{kind}-message-id", orjson.dumps(frame).decode(), _unreadable(version, uid)


def _unsolicited(version: OcppVersion, uid: str, action: str, payload: Any, rng: random.Random) -> FramingCase:
    frame = rng.choice(([3, uid, {"status": "Accepted"}], [3, uid, payload], [4, uid, "GenericError", "x", {}],
                        [4, uid, "InternalError", "", {}], [3, uid], [4, uid, "NotImplemented"]))
    return "unsolicited-answer", orjson.dumps(frame).decode(), Expectation(NONE, RULES[version].no_answer)


def _binary(version: OcppVersion, uid: str, action: str, payload: Any, rng: random.Random) -> FramingCase:
    text = orjson.dumps([2, uid, "Heartbeat", {}])
    codes = frozenset(error_code(c, version) for c in ErrorCode)  # any code of the version, or none, or 1003
    return "binary-frame", text, Expectation(MAYBE, RULES[version].connection, codes, (uid, "-1"), frozenset({1003}),
                                             result_ok=True)


def _action(version: OcppVersion, uid: str, action: str, payload: Any, rng: random.Random) -> FramingCase:
    rules = RULES[version]
    other = "StartTransaction" if version == "2.0.1" else "TransactionEvent"
    choice = rng.choice(("MakeCoffee", other, "heartbeat", "../Heartbeat", "csms"))
    if choice == "csms":  # an action the CSMS sends, not takes
        choice = rng.choice(sorted(csms_initiated(version) - {"DataTransfer"}))
        codes = _codes(version, ErrorCode.NOT_SUPPORTED)
    else:
        codes = _codes(version, ErrorCode.NOT_IMPLEMENTED)
    text = orjson.dumps([2, uid, choice, payload]).decode()
    return "unknown-action", text, Expectation(ERROR, rules.action, codes, (uid,))


def oversize_case(version: OcppVersion, uid: str) -> FramingCase:
    text = orjson.dumps([2, uid, "DataTransfer", {"vendorId": "csmscheck", "data": "x" * OVERSIZE}]).decode()
    codes = frozenset(error_code(c, version) for c in ErrorCode)
    return "over-size-limit", text, Expectation(MAYBE, RULES[version].connection, codes, (uid, "-1"),
                                                frozenset({1009}), result_ok=True)


FRAMING: list[Callable[[OcppVersion, str, str, Any, random.Random], FramingCase]] = [
    _invalid_json, _not_array, _unknown_type, _wrong_length, _message_id, _unsolicited, _binary, _action]


def framing_case(version: OcppVersion, uid: str, action: str, payload: Any, rng: random.Random) -> FramingCase:
    if rng.random() < 0.002:  # a megabyte costs the time of a few hundred frames: rarely
        return oversize_case(version, uid)
    return rng.choice(FRAMING)(version, uid, action, payload, rng)
