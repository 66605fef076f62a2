"""OCPP-J RPC frames: CALL, CALLRESULT and CALLERROR, parsed and encoded with orjson."""

from __future__ import annotations

import json
import math
import re
import uuid
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import orjson

from csmscheck.wire.documents import MAX_DEPTH, path_of, too_deep
from csmscheck.wire.errors import ErrorCode, cut


class MessageType(IntEnum):
    CALL = 2
    CALL_RESULT = 3
    CALL_ERROR = 4


@dataclass(frozen=True, slots=True)
class Call:
    unique_id: str
    action: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CallResult:
    unique_id: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CallError:
    unique_id: str
    code: str
    description: str = ""
    details: dict[str, Any] = field(default_factory=dict)


Frame = Call | CallResult | CallError


class FrameError(Exception):
    """A frame that is not valid OCPP-J; carries what the receiver should answer.

    ``message_type`` is the frame's type number when it could be read: a malformed
    CALLRESULT or CALLERROR is an answer, and an answer is never answered.
    """

    def __init__(self, code: ErrorCode, description: str, unique_id: str | None = None,
                 message_type: object = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.unique_id = unique_id
        self.message_type = message_type

    @property
    def is_answer(self) -> bool:
        return self.message_type in (MessageType.CALL_RESULT, MessageType.CALL_ERROR)


def new_message_id() -> str:
    return str(uuid.uuid4())


def parse(text: str | bytes) -> Frame:
    """Parse one frame, raising FrameError with the CALLERROR code it deserves."""
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise _refused_by_orjson(text, exc) from None
    if not isinstance(message, list) or not message:
        raise FrameError(ErrorCode.RPC_FRAMEWORK_ERROR, "a frame must be a JSON array of 3 to 5 elements")
    kind, unique_id = message[0], _message_id(message)
    if kind not in _TYPES:
        raise FrameError(ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED, f"unknown message type {cut(repr(kind), 40)}",
                         unique_id, kind)
    if len(message) < 3 and unique_id and kind != MessageType.CALL:
        # An answer that lost its payload is still an answer to ``unique_id``.
        raise FrameError(ErrorCode.FORMAT_VIOLATION, "an answer must be a JSON array of 3 or 5 elements", unique_id,
                         kind)
    if len(message) < 3:
        raise FrameError(ErrorCode.RPC_FRAMEWORK_ERROR, "a frame must be a JSON array of 3 to 5 elements", None, kind)
    if unique_id is None:
        raise FrameError(ErrorCode.RPC_FRAMEWORK_ERROR, "messageId must be a non-empty string of at most 36 characters",
                         None, kind)
    if too_deep(text, message):
        raise FrameError(ErrorCode.FORMAT_VIOLATION, f"the frame nests deeper than {MAX_DEPTH} levels", unique_id, kind)
    if kind == MessageType.CALL:
        return _call(message, unique_id)
    if kind == MessageType.CALL_RESULT:
        if len(message) != 3 or not isinstance(message[2], dict):
            raise FrameError(ErrorCode.FORMAT_VIOLATION, "CALLRESULT must be [3, messageId, {payload}]", unique_id,
                             kind)
        return CallResult(unique_id, message[2])
    return _call_error(message, unique_id)


def _message_id(message: list[Any]) -> str | None:
    unique_id = message[1] if len(message) > 1 else None
    return unique_id if isinstance(unique_id, str) and 0 < len(unique_id) <= 36 else None


_TYPES = (MessageType.CALL, MessageType.CALL_RESULT, MessageType.CALL_ERROR)
# The start of a frame, read without decoding it: [type, "messageId", ...
_HEAD = re.compile(r'\s*\[\s*(\d+)\s*,\s*"([^"\\]{1,36})"')


def _refused_by_orjson(text: str | bytes, error: orjson.JSONDecodeError) -> FrameError:
    """What to answer a frame orjson will not decode, with its message id whenever it can be read.

    The standard ``json`` module reads some valid JSON orjson refuses (a number beyond a
    double, such as ``1e400``), so it is asked again here, off the hot path, to tell such a
    frame (whose id is readable: a constraint violation) from text that is no JSON at all.
    """
    try:
        message = json.loads(text, parse_constant=_no_constant)
    except RecursionError:  # nested deeper than either library goes: read the id from the text
        head = _HEAD.match(text[:100] if isinstance(text, str) else text[:100].decode(errors="replace"))
        if head is None:
            return FrameError(ErrorCode.RPC_FRAMEWORK_ERROR, f"the frame nests deeper than {MAX_DEPTH} levels")
        kind: object = int(head[1])
        unique_id: str | None = head[2]
        code, description = ErrorCode.FORMAT_VIOLATION, f"the frame nests deeper than {MAX_DEPTH} levels"
    except ValueError:  # not JSON (NaN and Infinity are no JSON either)
        return FrameError(ErrorCode.RPC_FRAMEWORK_ERROR, f"not valid JSON: {error}")
    else:
        if not isinstance(message, list) or not message or (unique_id := _message_id(message)) is None:
            return FrameError(ErrorCode.RPC_FRAMEWORK_ERROR, f"not valid JSON: {error}")
        kind, where = message[0], path_of(message, _unrepresentable)
        if where is not None:
            code, description = ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, f"{_in_payload(where)}: number out of range"
        else:
            code, description = ErrorCode.FORMAT_VIOLATION, f"not valid JSON: {error}"
    if kind not in _TYPES:
        code, description = ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED, f"unknown message type {cut(repr(kind), 40)}"
    return FrameError(code, description, unique_id, kind)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is no JSON value")


def _unrepresentable(value: Any) -> bool:
    """A number no double holds (1e400 reads as infinity) or no 64-bit integer holds."""
    if isinstance(value, float):
        return not math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64


def _in_payload(path: str) -> str:
    """A path in the frame array as a path in its payload (index 3 of a CALL, 2 of a CALLRESULT)."""
    return path.split("/", 1)[1] if "/" in path and path.split("/", 1)[0] in ("2", "3") else f"frame/{path}"


def _call(message: list[Any], unique_id: str) -> Call:
    if len(message) != 4 or not isinstance(message[2], str):
        raise FrameError(ErrorCode.FORMAT_VIOLATION, "CALL must be [2, messageId, action, {payload}]", unique_id,
                         MessageType.CALL)
    if not isinstance(message[3], dict):
        raise FrameError(ErrorCode.FORMAT_VIOLATION, "CALL payload must be a JSON object", unique_id,
                         MessageType.CALL)
    return Call(unique_id, message[2], message[3])


def _call_error(message: list[Any], unique_id: str) -> CallError:
    if len(message) != 5 or not isinstance(message[2], str) or not isinstance(message[3], str):
        raise FrameError(
            ErrorCode.FORMAT_VIOLATION, "CALLERROR must be [4, messageId, code, description, {details}]", unique_id,
            MessageType.CALL_ERROR)
    details = message[4] if isinstance(message[4], dict) else {}
    return CallError(unique_id, message[2], message[3], details)


def encode(frame: Frame) -> str:
    if isinstance(frame, Call):
        message: list[Any] = [MessageType.CALL, frame.unique_id, frame.action, frame.payload]
    elif isinstance(frame, CallResult):
        message = [MessageType.CALL_RESULT, frame.unique_id, frame.payload]
    else:
        message = [MessageType.CALL_ERROR, frame.unique_id, frame.code, frame.description, frame.details]
    return orjson.dumps(message).decode()
