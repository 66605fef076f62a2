"""Proof that the OCPP-J cases (CC_RPC_01-15, CC16_14-18) catch a CSMS that mishandles bad frames.

Each test breaks the reference CSMS's frame handling the way CSMS teams do (the wrong
message id or error code, 2.0.1 names on a 1.6 connection, a check skipped, a reader that
crashes or closes), runs the case that must catch it with ``--strict`` and checks its message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from faults import assert_all_pass_strictly, caught, patch_handler
from faults201 import finding_not_failure

import csmscheck.csms.connection as connection_module
from csmscheck.bundled import BundledCsms
from csmscheck.csms.connection import StationConnection
from csmscheck.wire import Call, CallError, FrameError, parse, schemas, validators
from csmscheck.wire.errors import ErrorCode
from csmscheck.wire.versions import OcppVersion

CASES = [f"CC_RPC_{n:02d}" for n in range(1, 16)] + [f"CC16_{n}" for n in range(14, 19)]
SCHEMA_CASES = ["CC_RPC_10", "CC_RPC_11", "CC_RPC_12", "CC_RPC_13", "CC_RPC_14", "CC16_17"]




def test_healthy_csms_passes_strictly(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    assert_all_pass_strictly(pytester, bundled, CASES)


def _lenient_parse(monkeypatch: pytest.MonkeyPatch, accept: Callable[[list[Any]], Call | None]) -> None:
    """Bug: the CSMS's frame parser lets through what ``accept`` makes of a frame the real parser refuses."""
    def lenient(text: str | bytes) -> Any:
        try:
            return parse(text)
        except FrameError as error:
            try:
                message = orjson.loads(text)
            except orjson.JSONDecodeError:
                raise error from None
            call = accept(message) if isinstance(message, list) and message and message[0] == 2 else None
            if call is None:
                raise
            return call

    monkeypatch.setattr(connection_module, "parse", lenient)


# -- message ids and frames ---------------------------------------------------------------------


@pytest.mark.parametrize("case", ["CC_RPC_01", "CC_RPC_02", "CC_RPC_03"])
def test_callerror_without_message_id_minus_1_fails(pytester: pytest.Pytester, bundled: BundledCsms,
                                                    monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    """Bug: a frame whose id cannot be read is answered with the id "0" instead of "-1"."""
    real = StationConnection._send

    async def renumbered(self: StationConnection, frame: Any) -> None:
        if isinstance(frame, CallError) and frame.unique_id == "-1":
            frame = CallError("0", frame.code, frame.description, frame.details)
        await real(self, frame)

    monkeypatch.setattr(StationConnection, "_send", renumbered)
    caught(pytester, bundled, case, 'Step 2: expected CALLERROR FormatViolation, ProtocolError or RpcFrameworkError '
           'with messageId "-1"', "got no answer")


@pytest.mark.parametrize("case", ["CC_RPC_04", "CC16_14"])
def test_overlong_message_id_accepted_fails(pytester: pytest.Pytester, bundled: BundledCsms,
                                            monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    """Bug: the 36-character limit of message ids is not enforced."""
    _lenient_parse(monkeypatch, lambda m: Call(m[1], m[2], m[3]) if len(m) == 4 and isinstance(m[1], str) else None)
    caught(pytester, bundled, case, "a CALL whose message id is 37 characters long", "got a CALLRESULT [3,")


def test_numeric_message_id_served_fails_cc_rpc_03(pytester: pytest.Pytester, bundled: BundledCsms,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: a numeric message id is turned into a string and the CALL served."""
    _lenient_parse(monkeypatch, lambda m: Call(str(m[1]), m[2], m[3]) if isinstance(m[1], int) else None)
    caught(pytester, bundled, "CC_RPC_03", 'with messageId "-1" (or "12345"), got a CALLRESULT [3,"12345"')


@pytest.mark.parametrize("case", ["CC_RPC_06", "CC16_15"])
def test_call_of_five_elements_served_fails(pytester: pytest.Pytester, bundled: BundledCsms,
                                            monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    """Bug: elements after the payload are ignored."""
    _lenient_parse(monkeypatch, lambda m: Call(m[1], m[2], m[3]) if len(m) > 4 else None)
    caught(pytester, bundled, case, "got a CALLRESULT", "(in answer to a CALL of five elements)")


def test_payload_that_is_no_object_served_fails_cc_rpc_07(pytester: pytest.Pytester, bundled: BundledCsms,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: a payload that is not an object is read as an empty one."""
    _lenient_parse(monkeypatch, lambda m: Call(m[1], m[2], {}) if len(m) == 4 and not isinstance(m[3], dict) else None)
    caught(pytester, bundled, "CC_RPC_07", "Step 2: expected CALLERROR FormatViolation, ProtocolError, "
           "RpcFrameworkError or TypeConstraintViolation with the frame's own messageId", "got a CALLRESULT")


def test_unknown_message_type_as_format_violation_fails_cc_rpc_05(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: every frame error is a FormatViolation, an unknown message type too."""
    def format_only(text: str | bytes) -> Any:
        try:
            return parse(text)
        except FrameError as exc:
            if exc.code == ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED:
                raise FrameError(ErrorCode.FORMAT_VIOLATION, exc.description, exc.unique_id) from None
            raise

    monkeypatch.setattr(connection_module, "parse", format_only)
    caught(pytester, bundled, "CC_RPC_05", "Step 2: expected CALLERROR MessageTypeNotSupported or RpcFrameworkError "
           "with the frame's own messageId", "got CALLERROR FormatViolation")


@pytest.mark.parametrize("case", ["CC16_14", "CC16_15"])
def test_connection_closed_on_a_bad_frame_fails(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    """Bug: the CSMS drops the connection of a station that sent a frame it cannot parse."""
    async def intolerant(self: StationConnection, text: str) -> None:
        try:
            parse(text)
        except FrameError:
            await self.close(1007, "invalid frame")
            return
        await real(self, text)

    real = StationConnection._receive
    monkeypatch.setattr(StationConnection, "_receive", intolerant)
    caught(pytester, bundled, case, "Step 4: expected the CSMS to keep the connection open after",
           "the CSMS closed the connection (code 1007")


@pytest.mark.parametrize("case", ["CC_RPC_15", "CC16_18"])
def test_unsolicited_result_crashing_the_reader_fails(pytester: pytest.Pytester, bundled: BundledCsms,
                                                      monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    """Bug: an answer to no pending request raises KeyError in the reader, which ends the connection."""
    real = StationConnection._receive

    async def crashing(self: StationConnection, text: str) -> None:
        try:
            frame = parse(text)
        except FrameError:
            frame = None
        if frame is not None and not isinstance(frame, Call):
            self._pending[frame.unique_id]  # the bug: a look-up that raises for an unknown id
        await real(self, text)

    monkeypatch.setattr(StationConnection, "_receive", crashing)
    caught(pytester, bundled, case, "Step 4: expected the CSMS to keep the connection open after a CALLRESULT for a "
           "message id the CSMS never used, but")


# -- error codes -------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "fragment"), [
    ("CC16_14", "got CALLERROR RpcFrameworkError, an OCPP 2.0.1 code (OCPP 1.6 has no such code)"),
    # (1.6 ignores the unknown message type of CC16_15, so its frames of the wrong shape tell)
    ("CC16_15", "got CALLERROR FormatViolation, an OCPP 2.0.1 code (OCPP 1.6 spells it FormationViolation)"),
    ("CC16_17", "got CALLERROR OccurrenceConstraintViolation, an OCPP 2.0.1 code (OCPP 1.6 spells it "
                "OccurenceConstraintViolation)"),
])
def test_2_0_1_codes_on_a_1_6_connection_fail(pytester: pytest.Pytester, bundled: BundledCsms,
                                              monkeypatch: pytest.MonkeyPatch, case: str, fragment: str) -> None:
    """Bug: the CALLERROR codes are written as OCPP 2.0.1 spells them, whatever the connection's version."""
    monkeypatch.setattr(connection_module, "error_code", lambda code, _version: code.value)
    caught(pytester, bundled, case, fragment)


def test_unknown_action_not_supported_fails(pytester: pytest.Pytester, bundled: BundledCsms,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: an action the CSMS does not know is answered NotSupported (recognised but unsupported)."""
    real = StationConnection._answer

    async def not_supported(self: StationConnection, call: Call) -> Any:
        answer = await real(self, call)
        if isinstance(answer, CallError) and answer.code == "NotImplemented":
            return CallError(answer.unique_id, "NotSupported", answer.description)
        return answer

    monkeypatch.setattr(StationConnection, "_answer", not_supported)
    for case in ("CC_RPC_08", "CC16_16"):
        caught(pytester, bundled, case, "Step 2: expected CALLERROR NotImplemented with the frame's own messageId, got "
               "CALLERROR NotSupported (in answer to a CALL of an action no OCPP version has (MakeCoffee))")


class _Unchecked:
    """The CSMS's validators with a bug: no payload is checked."""

    def __init__(self, version: OcppVersion) -> None:
        self._real = validators(version)

    def knows(self, action: str) -> bool:
        return self._real.knows(action)

    def check(self, action: str, payload: Any, *, response: bool) -> list[Any]:
        return []


@pytest.mark.parametrize("case", ["CC_RPC_09", "CC16_16"])
def test_other_versions_action_failing_inside_fails(pytester: pytest.Pytester, bundled: BundledCsms,
                                                    monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    """Bug: one action table for both versions: the other version's handler runs and fails (InternalError)."""
    real = StationConnection._answer

    async def shared_table(self: StationConnection, call: Call) -> Any:
        answer = await real(self, call)
        other: OcppVersion = "1.6" if self.version == "2.0.1" else "2.0.1"
        if isinstance(answer, CallError) and answer.code == "NotImplemented" and validators(other).knows(call.action):
            return CallError(answer.unique_id, "InternalError", "internal error")
        return answer

    monkeypatch.setattr(StationConnection, "_answer", shared_table)
    caught(pytester, bundled, case, "expected CALLERROR NotImplemented or NotSupported with the frame's own "
           "messageId, got CALLERROR InternalError (in answer to a CALL of an action of the other OCPP version)")


@pytest.mark.parametrize("case", SCHEMA_CASES)
def test_payloads_not_validated_fail(pytester: pytest.Pytester, bundled: BundledCsms,
                                     monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    """Bug: the CSMS hands payloads to its handlers without checking them against the schema."""
    monkeypatch.setattr(connection_module, "validators", _Unchecked)
    caught(pytester, bundled, case, "Step 2: expected CALLERROR")


@pytest.mark.parametrize(("kind", "code", "case", "fragment"), [
    ("Enum", ErrorCode.TYPE_CONSTRAINT_VIOLATION, "CC_RPC_12",
     "expected CALLERROR PropertyConstraintViolation with the frame's own messageId, got CALLERROR "
     "TypeConstraintViolation"),
    ("Enum", ErrorCode.TYPE_CONSTRAINT_VIOLATION, "CC16_17",
     "expected CALLERROR PropertyConstraintViolation with the frame's own messageId, got CALLERROR "
     "TypeConstraintViolation"),
    ("Required", ErrorCode.FORMAT_VIOLATION, "CC_RPC_10",
     "expected CALLERROR OccurrenceConstraintViolation or ProtocolError with the frame's own messageId, got CALLERROR "
     "FormatViolation"),
    ("Type", ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, "CC_RPC_11",
     "expected CALLERROR TypeConstraintViolation with the frame's own messageId, got CALLERROR "
     "PropertyConstraintViolation"),
    ("MaxLength", ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION, "CC_RPC_13",
     "expected CALLERROR PropertyConstraintViolation or TypeConstraintViolation with the frame's own messageId, got "
     "CALLERROR OccurrenceConstraintViolation"),
    ("AdditionalProperties", ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, "CC_RPC_14",
     "expected CALLERROR FormatViolation or ProtocolError with the frame's own messageId, got CALLERROR "
     "PropertyConstraintViolation"),
])
def test_schema_error_with_the_wrong_code_fails(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch, kind: str, code: ErrorCode,
                                                case: str, fragment: str) -> None:
    """Bug: one kind of schema violation is mapped to the wrong CALLERROR code."""
    monkeypatch.setitem(schemas._KIND_TO_CODE, kind, code)
    caught(pytester, bundled, case, fragment)


# -- the next CALL's answer: the Heartbeat time (one check per fact, CSC-201-F-01 / CSC-16-CORE-02) ----


@pytest.mark.parametrize(("version", "case", "check", "label"), [
    ("2.0.1", "CC_RPC_08", "CSC-201-F-01", "Step 4: HeartbeatResponse"),
    ("1.6", "CC16_16", "CSC-16-CORE-02", "Step 4: Heartbeat.conf"),
])
def test_stale_heartbeat_time_is_a_finding(pytester: pytest.Pytester, bundled: BundledCsms,
                                           monkeypatch: pytest.MonkeyPatch, version: str, case: str, check: str,
                                           label: str) -> None:
    patch_handler(monkeypatch, version, "Heartbeat", lambda _req, resp: resp.update(currentTime="2001-01-01T00:00:00Z"))
    finding_not_failure(pytester, bundled, case, check,
                        f'{label}: expected currentTime within 2 minutes of now, got "2001-01-01T00:00:00Z"')
