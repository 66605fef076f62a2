"""The OCPP-J wire layer: frames, CALLERROR codes per version, schema validation."""

from __future__ import annotations

import orjson
import pytest

from csmscheck.wire import (
    Call,
    CallError,
    CallResult,
    ErrorCode,
    FrameError,
    SchemaViolation,
    encode,
    error_code,
    new_message_id,
    parse,
    subprotocol_of,
    validators,
    version_of_subprotocol,
)
from csmscheck.wire.errors import cut
from csmscheck.wire.versions import parse_version

# -- frames -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        Call("id-1", "Heartbeat", {}),
        Call("a" * 36, "BootNotification",
             {"reason": "PowerUp", "chargingStation": {"vendorName": "Ünïcødé ⚡", "model": "M"}}),
        CallResult("id-2", {"currentTime": "2024-01-01T00:00:00.000Z", "interval": 300, "status": "Accepted"}),
        CallResult("id-3", {}),
        CallError("id-4", "NotImplemented", "no such action", {"cause": ["x", 1, None, 2.5, True]}),
        CallError("id-5", "GenericError"),
    ],
)
def test_encode_then_parse_gives_the_same_frame(frame: Call | CallResult | CallError) -> None:
    text = encode(frame)
    assert parse(text) == frame
    assert parse(text.encode()) == frame


def test_encode_writes_the_ocpp_j_arrays() -> None:
    assert encode(Call("m1", "Heartbeat", {})) == '[2,"m1","Heartbeat",{}]'
    assert encode(CallResult("m1", {"status": "Accepted"})) == '[3,"m1",{"status":"Accepted"}]'
    assert encode(CallError("m1", "FormatViolation", "bad", {"a": 1})) == '[4,"m1","FormatViolation","bad",{"a":1}]'
    # keys travel as they are: no case conversion on the wire
    assert orjson.loads(encode(Call("m2", "Authorize", {"idToken": {"idToken": "T", "type": "ISO14443"}})))[3] == {
        "idToken": {"idToken": "T", "type": "ISO14443"}}


def test_parse_reads_each_frame_type() -> None:
    call = parse('[2, "19223201", "BootNotification", {"chargePointVendor": "VendorX"}]')
    assert call == Call("19223201", "BootNotification", {"chargePointVendor": "VendorX"})
    result = parse('[3, "19223201", {"status": "Accepted"}]')
    assert result == CallResult("19223201", {"status": "Accepted"})
    error = parse('[4, "19223201", "GenericError", "boom", {"k": "v"}]')
    assert error == CallError("19223201", "GenericError", "boom", {"k": "v"})


def test_new_message_ids_are_unique_and_short_enough() -> None:
    ids = {new_message_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(0 < len(i) <= 36 for i in ids)
    assert all(isinstance(parse(encode(Call(i, "Heartbeat", {}))), Call) for i in list(ids)[:5])


@pytest.mark.parametrize(
    ("text", "code", "unique_id"),
    [
        ("not json at all", ErrorCode.RPC_FRAMEWORK_ERROR, None),
        ('[2, "id", "Heartbeat", {}', ErrorCode.RPC_FRAMEWORK_ERROR, None),
        ('{"messageTypeId": 2}', ErrorCode.RPC_FRAMEWORK_ERROR, None),
        ("[]", ErrorCode.RPC_FRAMEWORK_ERROR, None),
        ("[2, \"id\"]", ErrorCode.RPC_FRAMEWORK_ERROR, None),
        ('[2, 42, "Heartbeat", {}]', ErrorCode.RPC_FRAMEWORK_ERROR, None),
        ('[2, "", "Heartbeat", {}]', ErrorCode.RPC_FRAMEWORK_ERROR, None),
        (f'[2, "{"x" * 37}", "Heartbeat", {{}}]', ErrorCode.RPC_FRAMEWORK_ERROR, None),
        ('[2, "id-1", "Heartbeat"]', ErrorCode.FORMAT_VIOLATION, "id-1"),
        ('[2, "id-2", "Heartbeat", {}, {}]', ErrorCode.FORMAT_VIOLATION, "id-2"),
        ('[2, "id-3", 17, {}]', ErrorCode.FORMAT_VIOLATION, "id-3"),
        ('[2, "id-4", "Heartbeat", []]', ErrorCode.FORMAT_VIOLATION, "id-4"),
        ('[2, "id-5", "Heartbeat", "{}"]', ErrorCode.FORMAT_VIOLATION, "id-5"),
        ('[3, "id-6", []]', ErrorCode.FORMAT_VIOLATION, "id-6"),
        ('[3, "id-7", {}, {}]', ErrorCode.FORMAT_VIOLATION, "id-7"),
        ('[4, "id-8", "GenericError", "no details"]', ErrorCode.FORMAT_VIOLATION, "id-8"),
        ('[4, "id-9", 5, "desc", {}]', ErrorCode.FORMAT_VIOLATION, "id-9"),
        ('[7, "id-10", {}]', ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED, "id-10"),
        ('["2", "id-11", "Heartbeat", {}]', ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED, "id-11"),
    ],
)
def test_malformed_frames_raise_frame_error_with_the_code_to_answer(
    text: str, code: ErrorCode, unique_id: str | None
) -> None:
    with pytest.raises(FrameError) as caught:
        parse(text)
    assert caught.value.code is code
    assert caught.value.unique_id == unique_id
    assert caught.value.description
    assert str(caught.value) == caught.value.description


# -- CALLERROR codes per version --------------------------------------------------------


@pytest.mark.parametrize("code", list(ErrorCode))
def test_2_0_1_uses_the_code_names_as_they_are(code: ErrorCode) -> None:
    assert error_code(code, "2.0.1") == code.value


@pytest.mark.parametrize(
    ("code", "spelling"),
    [
        (ErrorCode.FORMAT_VIOLATION, "FormationViolation"),
        (ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION, "OccurenceConstraintViolation"),
        (ErrorCode.TYPE_CONSTRAINT_VIOLATION, "TypeConstraintViolation"),
        (ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, "PropertyConstraintViolation"),
        (ErrorCode.NOT_IMPLEMENTED, "NotImplemented"),
        (ErrorCode.NOT_SUPPORTED, "NotSupported"),
        (ErrorCode.INTERNAL_ERROR, "InternalError"),
        (ErrorCode.PROTOCOL_ERROR, "ProtocolError"),
        (ErrorCode.SECURITY_ERROR, "SecurityError"),
        (ErrorCode.GENERIC_ERROR, "GenericError"),
        # 1.6 has no RpcFrameworkError / MessageTypeNotSupported
        (ErrorCode.RPC_FRAMEWORK_ERROR, "GenericError"),
        (ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED, "NotImplemented"),
    ],
)
def test_1_6_spelling(code: ErrorCode, spelling: str) -> None:
    assert error_code(code, "1.6") == spelling


def test_the_two_versions_spell_the_famous_two_differently() -> None:
    assert error_code(ErrorCode.FORMAT_VIOLATION, "2.0.1") == "FormatViolation"
    assert error_code(ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION, "2.0.1") == "OccurrenceConstraintViolation"
    assert error_code(ErrorCode.FORMAT_VIOLATION, "1.6") == "FormationViolation"
    assert error_code(ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION, "1.6") == "OccurenceConstraintViolation"


# -- schema validation ------------------------------------------------------------------

BOOT_201 = {"reason": "PowerUp", "chargingStation": {"vendorName": "csmscheck", "model": "VirtualStation"}}
BOOT_16 = {"chargePointVendor": "csmscheck", "chargePointModel": "VirtualStation"}


def test_valid_payloads_have_no_violations() -> None:
    assert validators("2.0.1").check("BootNotification", BOOT_201, response=False) == []
    assert validators("1.6").check("BootNotification", BOOT_16, response=False) == []
    assert validators("2.0.1").check("Heartbeat", {}, response=False) == []
    assert validators("2.0.1").check(
        "BootNotification", {"currentTime": "2024-05-01T10:00:00Z", "interval": 300, "status": "Accepted"},
        response=True) == []
    assert validators("1.6").check("StartTransaction", {"transactionId": 7, "idTagInfo": {"status": "Accepted"}},
                                   response=True) == []


def _only(violations: list[SchemaViolation]) -> SchemaViolation:
    assert len(violations) == 1, violations
    return violations[0]


def test_missing_required_field_is_an_occurrence_violation() -> None:
    v201 = _only(validators("2.0.1").check("BootNotification", {"reason": "PowerUp"}, response=False))
    assert v201.kind == "Required"
    assert "chargingStation" in v201.message
    assert v201.code is ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION
    v16 = _only(validators("1.6").check("BootNotification", {"chargePointVendor": "x"}, response=False))
    assert "chargePointModel" in v16.message
    assert error_code(v16.code, "1.6") == "OccurenceConstraintViolation"


def test_nested_missing_field_names_its_path() -> None:
    payload = {"reason": "PowerUp", "chargingStation": {"vendorName": "v"}}
    violation = _only(validators("2.0.1").check("BootNotification", payload, response=False))
    assert violation.path == "chargingStation"
    assert "model" in violation.message
    assert str(violation).startswith("chargingStation: ")


def test_wrong_type_is_a_type_constraint_violation() -> None:
    violation = _only(validators("1.6").check("Authorize", {"idTag": 12345}, response=False))
    assert violation.kind == "Type"
    assert violation.path == "idTag"
    assert violation.code is ErrorCode.TYPE_CONSTRAINT_VIOLATION
    nested = _only(validators("2.0.1").check("Authorize", {"idToken": {"idToken": 5, "type": "ISO14443"}},
                                             response=False))
    assert nested.path == "idToken/idToken"
    assert nested.code is ErrorCode.TYPE_CONSTRAINT_VIOLATION


def test_payload_that_is_not_an_object_is_a_type_violation_at_the_root() -> None:
    violation = _only(validators("2.0.1").check("Heartbeat", [], response=False))
    assert violation.path == ""
    assert str(violation).startswith("<root>: ")
    assert violation.code is ErrorCode.TYPE_CONSTRAINT_VIOLATION


def test_value_outside_the_enumeration_is_a_property_constraint_violation() -> None:
    violation = _only(validators("2.0.1").check("BootNotification", BOOT_201 | {"reason": "Bogus"}, response=False))
    assert violation.kind == "Enum"
    assert violation.path == "reason"
    assert violation.code is ErrorCode.PROPERTY_CONSTRAINT_VIOLATION


def test_too_long_string_and_bad_timestamp_are_found() -> None:
    long_model = BOOT_201 | {"chargingStation": {"vendorName": "v", "model": "m" * 21}}
    too_long = _only(validators("2.0.1").check("BootNotification", long_model, response=False))
    assert too_long.path == "chargingStation/model"
    assert too_long.code is ErrorCode.PROPERTY_CONSTRAINT_VIOLATION
    payload = {"timestamp": "yesterday", "connectorStatus": "Available", "evseId": 1, "connectorId": 1}
    bad_time = _only(validators("2.0.1").check("StatusNotification", payload, response=False))
    assert bad_time.path == "timestamp"


def test_empty_list_where_one_item_is_required_is_an_occurrence_violation() -> None:
    violation = _only(validators("2.0.1").check("GetVariables", {"getVariableData": []}, response=False))
    assert violation.code is ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION


def test_additional_property_is_found() -> None:
    violation = _only(validators("2.0.1").check("Heartbeat", {"extra": 1}, response=False))
    assert violation.kind == "AdditionalProperties"
    assert "extra" in violation.message
    violation16 = _only(validators("1.6").check("Heartbeat", {"extra": 1}, response=False))
    assert "extra" in violation16.message


def test_additional_property_maps_to_format_violation() -> None:
    """A field the PDU does not define breaks the PDU structure: OCPP-J 1.6 calls that a
    FormationViolation ("not conform the PDU structure for Action"); the ``ocpp`` package
    answers FormatViolation for it in both versions. It is not an invalid *value*
    (PropertyConstraintViolation)."""
    violation = _only(validators("1.6").check("Heartbeat", {"extra": 1}, response=False))
    assert error_code(violation.code, "1.6") == "FormationViolation"
    violation201 = _only(validators("2.0.1").check("Heartbeat", {"extra": 1}, response=False))
    assert error_code(violation201.code, "2.0.1") == "FormatViolation"


def test_several_violations_are_all_reported() -> None:
    payload = {"chargingStation": {"vendorName": 5, "model": "m"}, "bogus": True}
    kinds = {v.kind for v in validators("2.0.1").check("BootNotification", payload, response=False)}
    assert {"Required", "Type", "AdditionalProperties"} <= kinds


def test_responses_are_checked_against_the_response_schema() -> None:
    problems = validators("2.0.1").check("BootNotification", {"status": "Accepted"}, response=True)
    assert sorted(p.message for p in problems if p.kind == "Required") == [
        '"currentTime" is a required property', '"interval" is a required property']
    # the request schema is not used for a response
    assert validators("2.0.1").check("BootNotification", BOOT_201, response=True) != []


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_unknown_action_raises_key_error(version: str) -> None:
    checker = validators(version)  # type: ignore[arg-type]
    assert not checker.knows("NoSuchAction")
    with pytest.raises(KeyError):
        checker.check("NoSuchAction", {}, response=False)
    with pytest.raises(KeyError):
        checker.check("NoSuchAction", {}, response=True)


def test_known_actions_per_version() -> None:
    v201, v16 = validators("2.0.1"), validators("1.6")
    assert v201.knows("TransactionEvent") and not v16.knows("TransactionEvent")
    assert v16.knows("StartTransaction") and not v201.knows("StartTransaction")
    assert {"BootNotification", "Heartbeat", "GetVariables", "RequestStartTransaction"} <= set(v201.actions())
    assert {"BootNotification", "Heartbeat", "RemoteStartTransaction", "GetConfiguration"} <= set(v16.actions())
    assert not any(a.endswith(("Request", "Response")) for a in v201.actions() + v16.actions())
    assert validators("2.0.1") is v201  # built once per version


def test_subprotocols() -> None:
    assert subprotocol_of("2.0.1") == "ocpp2.0.1"
    assert subprotocol_of("1.6") == "ocpp1.6"
    assert version_of_subprotocol("ocpp2.0.1") == "2.0.1"
    assert version_of_subprotocol("ocpp1.6") == "1.6"
    assert version_of_subprotocol("ocpp0.1") is None
    assert parse_version("OCPP1.6J") == "1.6"
    assert parse_version("201") == "2.0.1"
    with pytest.raises(ValueError, match=r"2\.1"):
        parse_version("2.1")


# -- hostile input: what the wire layer makes of it ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "unique_id"),
    [
        # valid JSON orjson refuses: the id is still read, the number judged
        ('[2, "big", "Heartbeat", {"x": 1e400}]', ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, "big"),
        ('[2, "big", "Heartbeat", {"x": [1, -1e400]}]', ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, "big"),
        ('[2, "sur", "Authorize", {"idTag": "\\ud800"}]', ErrorCode.FORMAT_VIOLATION, "sur"),
        # nesting: within orjson's limit, beyond it, and no frame at all
        ('[2, "deep", "DataTransfer", {"data": ' + "[" * 100 + "]" * 100 + "}]", ErrorCode.FORMAT_VIOLATION, "deep"),
        ('[2, "deep", "DataTransfer", {"data": ' + "[" * 5000 + "]" * 5000 + "}]", ErrorCode.FORMAT_VIOLATION, "deep"),
        ("[" * 5000 + "]" * 5000, ErrorCode.RPC_FRAMEWORK_ERROR, None),
        # NaN and Infinity are no JSON
        ('[2, "nan", "Heartbeat", {"x": NaN}]', ErrorCode.RPC_FRAMEWORK_ERROR, None),
        # an unknown type number is told as such even when the id cannot be read
        ('[5, 42, {}]', ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED, None),
    ],
)
def test_hostile_frames_raise_the_frame_error_they_deserve(text: str, code: ErrorCode, unique_id: str | None) -> None:
    with pytest.raises(FrameError) as caught:
        parse(text)
    assert caught.value.code is code, caught.value.description
    assert caught.value.unique_id == unique_id


def test_number_out_of_range_names_its_place_in_the_payload() -> None:
    with pytest.raises(FrameError) as caught:
        parse('[2, "m", "MeterValues", {"evseId": 1, "meterValue": [{"sampledValue": [{"value": 1e400}]}]}]')
    assert caught.value.description.startswith("meterValue/0/sampledValue/0/value: ")


def test_nesting_up_to_the_limit_is_read() -> None:
    depth = 64 - 2  # the frame array and the payload object are two levels
    text = '[2, "ok", "DataTransfer", {"data": ' + "[" * depth + "]" * depth + "}]"
    assert isinstance(parse(text), Call)
    deeper = '[2, "no", "DataTransfer", {"data": ' + "[" * (depth + 1) + "]" * (depth + 1) + "}]"
    with pytest.raises(FrameError):
        parse(deeper)


@pytest.mark.parametrize(
    ("text", "answer"),
    [('[3, "a"]', True), ('[4, "a", "x"]', True), ('[3, "a", []]', True), ('[3, 7, {}]', True),
     ('[4, "a", 5, "d", {}]', True), ('[3, "a", {"x": 1e400}]', True), ('[2, "a", "Heartbeat"]', False),
     ('[9, "a", {}]', False), ("garbage", False)],
)
def test_a_malformed_answer_is_known_as_an_answer(text: str, answer: bool) -> None:
    with pytest.raises(FrameError) as caught:
        parse(text)
    assert caught.value.is_answer is answer


@pytest.mark.parametrize(("version", "action", "payload", "path"), [
    ("2.0.1", "TransactionEvent", {"eventType": "Started", "timestamp": "2024-05-01T10:00:00Z", "seqNo": "N",
                                   "triggerReason": "Authorized", "transactionInfo": {"transactionId": "t"}}, "seqNo"),
    ("2.0.1", "MeterValues", {"evseId": "N", "meterValue": [{"timestamp": "2024-05-01T10:00:00Z",
                                                                "sampledValue": [{"value": 1.0}]}]}, "evseId"),
    ("1.6", "StatusNotification", {"connectorId": "N", "errorCode": "NoError", "status": "Available"}, "connectorId"),
])
@pytest.mark.parametrize("number", [2**31, -(2**31) - 1, 2**63, 2**64 - 1, 1e20])
def test_integers_outside_32_bits_are_property_constraint_violations(
        version: str, action: str, payload: dict[str, object], path: str, number: float) -> None:
    """OCPP-J integers are signed 32-bit; the bounds are compiled into the validators."""
    checker = validators(version)  # type: ignore[arg-type]
    outside = {key: number if value == "N" else value for key, value in payload.items()}
    violation = _only(checker.check(action, outside, response=False))
    assert violation.path == path
    assert violation.code is ErrorCode.PROPERTY_CONSTRAINT_VIOLATION
    for edge in (2**31 - 1, -(2**31)):
        inside = {key: edge if value == "N" else value for key, value in payload.items()}
        assert all(p.path != path for p in checker.check(action, inside, response=False))


def test_tighter_bounds_of_a_schema_are_kept() -> None:
    def needs(soc: int) -> dict[str, object]:
        return {"evseId": 1, "chargingNeeds": {"requestedEnergyTransfer": "DC", "dcChargingParameters": {
            "evMaxCurrent": 1, "evMaxVoltage": 1, "stateOfCharge": soc}}}

    checker = validators("2.0.1")
    assert checker.check("NotifyEVChargingNeeds", needs(100), response=False) == []
    violation = _only(checker.check("NotifyEVChargingNeeds", needs(101), response=False))
    assert violation.kind == "Maximum" and "100" in violation.message
    assert _only(checker.check("NotifyEVChargingNeeds", needs(-1), response=False)).kind == "Minimum"


def test_payload_too_deep_to_check_is_a_format_violation_not_an_exception() -> None:
    deep: object = 1
    for _ in range(500):
        deep = [deep]
    violation = _only(validators("1.6").check("DataTransfer", {"vendorId": "v", "data": deep}, response=False))
    assert violation.code is ErrorCode.FORMAT_VIOLATION


@pytest.mark.parametrize("name", ["../v16/schemas/Heartbeat", "Heartbeat/../Heartbeat", "A" * 1_000_000, ""])
def test_only_action_names_are_known_never_paths(name: str) -> None:
    assert not validators("2.0.1").knows(name)
    with pytest.raises(KeyError):
        validators("2.0.1").check(name, {}, response=False)


def test_descriptions_are_cut_to_255_characters() -> None:
    assert cut("short") == "short"
    assert cut("x" * 255) == "x" * 255
    long = cut("x" * 10_000)
    assert len(long) == 255 and long.endswith("…")
