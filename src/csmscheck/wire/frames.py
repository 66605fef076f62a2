"""OCPP-J RPC frames: CALL, CALLRESULT and CALLERROR, parsed and encoded with orjson."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import orjson

from csmscheck.wire.errors import ErrorCode


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
    """A frame that is not valid OCPP-J; carries what the receiver should answer."""

    def __init__(self, code: ErrorCode, description: str, unique_id: str | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.unique_id = unique_id


def new_message_id() -> str:
    return str(uuid.uuid4())


def parse(text: str | bytes) -> Frame:
    """Parse one frame, raising FrameError with the CALLERROR code it deserves."""
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise FrameError(ErrorCode.RPC_FRAMEWORK_ERROR, f"not valid JSON: {exc}") from None
    if not isinstance(message, list) or len(message) < 3:
        raise FrameError(ErrorCode.RPC_FRAMEWORK_ERROR, "a frame must be a JSON array of 3 to 5 elements")
    kind, unique_id = message[0], message[1]
    if not isinstance(unique_id, str) or not unique_id or len(unique_id) > 36:
        raise FrameError(ErrorCode.RPC_FRAMEWORK_ERROR, "messageId must be a non-empty string of at most 36 characters")
    if kind == MessageType.CALL:
        return _call(message, unique_id)
    if kind == MessageType.CALL_RESULT:
        if len(message) != 3 or not isinstance(message[2], dict):
            raise FrameError(ErrorCode.FORMAT_VIOLATION, "CALLRESULT must be [3, messageId, {payload}]", unique_id)
        return CallResult(unique_id, message[2])
    if kind == MessageType.CALL_ERROR:
        return _call_error(message, unique_id)
    raise FrameError(ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED, f"unknown message type {kind!r}", unique_id)


def _call(message: list[Any], unique_id: str) -> Call:
    if len(message) != 4 or not isinstance(message[2], str):
        raise FrameError(ErrorCode.FORMAT_VIOLATION, "CALL must be [2, messageId, action, {payload}]", unique_id)
    if not isinstance(message[3], dict):
        raise FrameError(ErrorCode.FORMAT_VIOLATION, "CALL payload must be a JSON object", unique_id)
    return Call(unique_id, message[2], message[3])


def _call_error(message: list[Any], unique_id: str) -> CallError:
    if len(message) != 5 or not isinstance(message[2], str) or not isinstance(message[3], str):
        raise FrameError(
            ErrorCode.FORMAT_VIOLATION, "CALLERROR must be [4, messageId, code, description, {details}]", unique_id
        )
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
