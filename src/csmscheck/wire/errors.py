"""CALLERROR codes, which differ in spelling between OCPP 1.6 and 2.0.1."""

from __future__ import annotations

from enum import Enum

from csmscheck.wire.versions import OcppVersion


class ErrorCode(Enum):
    """Version-neutral names for the RPC framework error codes."""

    NOT_IMPLEMENTED = "NotImplemented"
    NOT_SUPPORTED = "NotSupported"
    INTERNAL_ERROR = "InternalError"
    PROTOCOL_ERROR = "ProtocolError"
    SECURITY_ERROR = "SecurityError"
    FORMAT_VIOLATION = "FormatViolation"
    PROPERTY_CONSTRAINT_VIOLATION = "PropertyConstraintViolation"
    OCCURRENCE_CONSTRAINT_VIOLATION = "OccurrenceConstraintViolation"
    TYPE_CONSTRAINT_VIOLATION = "TypeConstraintViolation"
    GENERIC_ERROR = "GenericError"
    RPC_FRAMEWORK_ERROR = "RpcFrameworkError"
    MESSAGE_TYPE_NOT_SUPPORTED = "MessageTypeNotSupported"


# OCPP 1.6 spells two codes differently and lacks the 2.0.1 additions.
_V16_SPELLING: dict[ErrorCode, str] = {
    ErrorCode.FORMAT_VIOLATION: "FormationViolation",
    ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION: "OccurenceConstraintViolation",
    ErrorCode.RPC_FRAMEWORK_ERROR: "GenericError",
    ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED: "NotImplemented",
}


def error_code(code: ErrorCode, version: OcppVersion) -> str:
    """The code as it must appear on the wire for ``version``."""
    if version == "1.6":
        return _V16_SPELLING.get(code, code.value)
    return code.value


# OCPP 2.0.1 (Part 4, 4.2.3) types errorDescription as string[255]; 1.6 sets no limit, but
# nothing is gained by sending more to a 1.6 station either.
MAX_DESCRIPTION = 255


def cut(description: str, limit: int = MAX_DESCRIPTION) -> str:
    """``description`` in at most ``limit`` characters, an ellipsis marking a cut."""
    return description if len(description) <= limit else description[: limit - 1] + "…"
