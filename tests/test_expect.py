"""Subset matchers and their failure messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from csmscheck.errors import StepFailed
from csmscheck.expect import (
    ABSENT,
    ANY,
    ANY_INT,
    ANY_STR,
    about_now,
    absent_or,
    assert_matches,
    at_least,
    mismatches,
    one_of,
    unordered,
)
from csmscheck.timestamps import rfc3339

PAYLOAD: dict[str, Any] = {
    "status": "Accepted",
    "interval": 300,
    "currentTime": "2024-05-01T10:00:00.000Z",
    "idTokenInfo": {"status": "Accepted", "groupIdToken": {"idToken": "G1", "type": "Central"}},
    "results": [{"name": "a", "value": 1}, {"name": "b", "value": 2}],
}


def _failure(actual: Any, expected: Any, step: str = "") -> str:
    with pytest.raises(StepFailed) as caught:
        assert_matches(actual, expected, step)
    return str(caught.value)


def test_subset_of_keys_matches() -> None:
    assert_matches(PAYLOAD, {"status": "Accepted"})
    assert_matches(PAYLOAD, {"idTokenInfo": {"groupIdToken": {"idToken": "G1"}}})
    assert_matches(PAYLOAD, {"results": [{"name": "a"}, {"value": 2}]})
    assert_matches(PAYLOAD, {})
    assert mismatches(PAYLOAD, PAYLOAD) == []


def test_step_failed_is_an_assertion_error() -> None:
    assert issubclass(StepFailed, AssertionError)


def test_wrong_value_message_names_path_expected_and_got() -> None:
    message = _failure(PAYLOAD, {"idTokenInfo": {"status": "Blocked"}}, "Authorize")
    assert message.startswith("Authorize: unexpected content")
    assert 'idTokenInfo.status: expected "Blocked", got "Accepted"' in message
    assert '"groupIdToken"' in message  # the whole payload is shown for context


def test_every_difference_is_listed_one_per_line() -> None:
    message = _failure(PAYLOAD, {"status": "Rejected", "interval": 10, "nope": 1})
    lines = message.splitlines()
    assert lines[0] == "unexpected content"
    assert '  status: expected "Rejected", got "Accepted"' in lines
    assert "  interval: expected 10, got 300" in lines
    assert "  nope: missing (expected 1)" in lines


def test_list_elements_are_addressed_by_index() -> None:
    assert mismatches(PAYLOAD, {"results": [{"name": "a"}, {"value": 3}]}) == [
        "results[1].value: expected 3, got 2"]
    assert mismatches(PAYLOAD, {"results": [{"name": "a"}]}) == [
        'results: expected [{"name":"a"}], got [{"name":"a","value":1},{"name":"b","value":2}]']


def test_type_mismatches_are_reported() -> None:
    assert mismatches({"a": [1]}, {"a": {"b": 1}}) == ["a: expected an object, got [1]"]
    assert mismatches({"a": "12"}, {"a": 12}) == ['a: expected 12, got "12"']
    assert mismatches({"a": "ab"}, {"a": ["a", "b"]}) == ['a: expected ["a","b"], got "ab"']
    assert mismatches("x", {"a": 1}) == ['<root>: expected an object, got "x"']


@pytest.mark.parametrize(("actual", "expected"), [(True, 1), (1, True), (False, 0), (0, False)])
def test_bool_never_equals_int(actual: Any, expected: Any) -> None:
    assert mismatches({"v": actual}, {"v": expected}) == [
        f"v: expected {str(expected).lower()}, got {str(actual).lower()}"]


def test_int_and_float_of_the_same_value_match() -> None:
    assert mismatches({"v": 1.0}, {"v": 1}) == []


def test_any_int_rejects_bools_strings_and_floats() -> None:
    assert_matches({"id": 42}, {"id": ANY_INT})
    for bad in (True, "42", 4.2, None):
        assert mismatches({"id": bad}, {"id": ANY_INT}) != [], bad
    assert mismatches({"id": True}, {"id": ANY_INT}) == ["id: expected <any integer>, got true"]


def test_any_and_any_str() -> None:
    assert_matches({"a": None, "b": "x"}, {"a": ANY, "b": ANY_STR})
    assert mismatches({"b": ""}, {"b": ANY_STR}) == ['b: expected <any non-empty string>, got ""']
    assert mismatches({}, {"a": ANY}) == ["a: missing (expected <any value>)"]


def test_one_of() -> None:
    assert_matches({"status": "Accepted"}, {"status": one_of("Accepted", "Pending")})
    assert mismatches({"status": "Rejected"}, {"status": one_of("Accepted", "Pending")}) == [
        "status: expected <one of 'Accepted', 'Pending'>, got \"Rejected\""]


def test_one_of_is_as_strict_about_bool_and_int_as_plain_values() -> None:
    """``{"v": 1}`` refuses ``true``; ``{"v": one_of(1, 2)}`` must refuse it too."""
    assert mismatches({"v": True}, {"v": one_of(1, 2)}) != []
    assert mismatches({"v": 0}, {"v": one_of(False)}) != []


def test_at_least() -> None:
    assert_matches({"n": 5}, {"n": at_least(5)})
    assert_matches({"n": 5.5}, {"n": at_least(5)})
    assert mismatches({"n": 4}, {"n": at_least(5)}) == ["n: expected <number >= 5>, got 4"]
    assert mismatches({"n": "9"}, {"n": at_least(5)}) != []


def test_absent() -> None:
    assert_matches({"a": 1}, {"b": ABSENT})
    assert mismatches({"a": 1, "b": 5}, {"b": ABSENT}) == ["b: expected to be absent, got 5"]
    assert mismatches({"b": None}, {"b": ABSENT}) == ["b: expected to be absent, got null"]


def test_absent_or() -> None:
    assert_matches({}, {"reason": absent_or("Local", "Remote")})
    assert_matches({"reason": "Remote"}, {"reason": absent_or("Local", "Remote")})
    assert mismatches({"reason": "Other"}, {"reason": absent_or("Local")}) == [
        "reason: expected <absent or one of 'Local'>, got \"Other\""]


def test_about_now() -> None:
    assert_matches({"t": rfc3339()}, {"t": about_now()})
    assert_matches({"t": "2024-05-01T10:00:00"}, {"t": ANY_STR})
    recent = (datetime.now(UTC) - timedelta(seconds=30)).isoformat()
    assert_matches({"t": recent}, {"t": about_now(60)})
    old = rfc3339(datetime.now(UTC) - timedelta(hours=1))
    assert mismatches({"t": old}, {"t": about_now()}) == [
        f't: expected <a timestamp within 120s of now>, got "{old}"']
    assert mismatches({"t": "not a time"}, {"t": about_now()}) != []
    future = rfc3339(datetime.now(UTC) + timedelta(seconds=30))
    assert mismatches({"t": future}, {"t": about_now(10)}) != []


@pytest.mark.parametrize("value", [1714557600, None, ["2024-05-01T10:00:00Z"]])
def test_about_now_reports_a_non_string_as_a_mismatch(value: Any) -> None:
    """A CSMS that sends a number (or null) where a timestamp belongs must fail the step
    with the usual readable message, not crash the matcher."""
    message = _failure({"t": value}, {"t": about_now()})
    assert "t: expected <a timestamp within 120s of now>" in message


def test_unordered() -> None:
    items = [{"name": "a", "value": 1}, {"name": "b", "value": 2}]
    assert_matches({"r": items}, {"r": unordered({"name": "b"}, {"name": "a"})})
    assert_matches({"r": [3, 1, 2]}, {"r": unordered(1, 2, 3)})
    assert mismatches({"r": items}, {"r": unordered({"name": "a"})}) != []  # a different length
    assert mismatches({"r": items}, {"r": unordered({"name": "a"}, {"name": "a"})}) != []  # each item once
    assert mismatches({"r": "ab"}, {"r": unordered("a", "b")}) != []
    message = mismatches({"r": [1, 2]}, {"r": unordered(1, 3)})
    assert message == ["r: expected <in any order: 1, 3>, got [1,2]"]


def test_unordered_items_use_strict_matching() -> None:
    assert mismatches({"r": [True, 2]}, {"r": unordered(1, 2)}) != []
