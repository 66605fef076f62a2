"""OCPP-J wire layer shared by the virtual station and the reference CSMS."""

from csmscheck.wire.errors import ErrorCode, error_code
from csmscheck.wire.frames import (
    Call,
    CallError,
    CallResult,
    Frame,
    FrameError,
    MessageType,
    encode,
    new_message_id,
    parse,
)
from csmscheck.wire.schemas import SchemaViolation, Validators, validators
from csmscheck.wire.versions import OcppVersion, subprotocol_of, version_of_subprotocol

__all__ = [
    "Call",
    "CallError",
    "CallResult",
    "ErrorCode",
    "Frame",
    "FrameError",
    "MessageType",
    "OcppVersion",
    "SchemaViolation",
    "Validators",
    "encode",
    "error_code",
    "new_message_id",
    "parse",
    "subprotocol_of",
    "validators",
    "version_of_subprotocol",
]
