"""Subset matchers for OCPP payloads, with failure messages that show the difference.

``assert_matches(actual, expected)`` checks that every key of ``expected`` is in
``actual`` with a matching value; keys ``expected`` does not name are ignored. A value
in ``expected`` may be a plain value (compared with ==), a nested dict or list (matched
recursively), or a :class:`Matcher` such as :data:`ANY_INT` or :func:`about_now`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from csmscheck.errors import StepFailed
from csmscheck.timestamps import parse_time


class Matcher:
    """A predicate with a description used in failure messages."""

    def __init__(self, description: str, predicate: Callable[[Any], bool]) -> None:
        self.description = description
        self.predicate = predicate

    def matches(self, value: Any) -> bool:
        try:
            return bool(self.predicate(value))
        except (TypeError, ValueError):
            return False

    def __repr__(self) -> str:
        return self.description


class _Absent(Matcher):
    def __init__(self) -> None:
        super().__init__("<absent>", lambda _value: False)


ABSENT: Any = _Absent()
"""The key must not be present."""

ANY: Any = Matcher("<any value>", lambda _value: True)
ANY_INT: Any = Matcher("<any integer>", lambda v: isinstance(v, int) and not isinstance(v, bool))
ANY_STR: Any = Matcher("<any non-empty string>", lambda v: isinstance(v, str) and v != "")


def same(actual: Any, expected: Any) -> bool:
    """Equality that, unlike ==, tells true from 1 and false from 0."""
    return bool(actual == expected) and isinstance(actual, bool) == isinstance(expected, bool)


def one_of(*values: Any) -> Any:
    return Matcher(f"<one of {', '.join(map(repr, values))}>", lambda v: any(same(v, x) for x in values))


def absent_or(*values: Any) -> Any:
    """The key may be absent; if present it must be one of ``values``."""
    matcher = Matcher(f"<absent or one of {', '.join(map(repr, values))}>",
                      lambda v: any(same(v, x) for x in values))
    matcher.allows_absent = True  # type: ignore[attr-defined]
    return matcher


def at_least(minimum: float) -> Any:
    return Matcher(f"<number >= {minimum}>",
                   lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v >= minimum)


def about_now(tolerance_s: float = 120.0) -> Any:
    """An RFC 3339 timestamp within ``tolerance_s`` of the current time."""

    def near(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        return abs(parse_time(value) - datetime.now(UTC)) <= timedelta(seconds=tolerance_s)

    return Matcher(f"<a timestamp within {tolerance_s:g}s of now>", near)


def _show(value: Any) -> str:
    if isinstance(value, Matcher):
        return repr(value)
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return repr(value)


def mismatches(actual: Any, expected: Any, path: str = "") -> list[str]:
    """Every difference between ``actual`` and the subset ``expected``, one line each."""
    where = path or "<root>"
    if isinstance(expected, Matcher):
        return [] if expected.matches(actual) else [f"{where}: expected {expected!r}, got {_show(actual)}"]
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return [f"{where}: expected an object, got {_show(actual)}"]
        problems: list[str] = []
        for key, want in expected.items():
            sub = f"{path}.{key}" if path else str(key)
            if want is ABSENT:
                if key in actual:
                    problems.append(f"{sub}: expected to be absent, got {_show(actual[key])}")
            elif key not in actual:
                if not getattr(want, "allows_absent", False):
                    problems.append(f"{sub}: missing (expected {_show(want)})")
            else:
                problems.extend(mismatches(actual[key], want, sub))
        return problems
    if isinstance(expected, Sequence) and not isinstance(expected, str):
        if not isinstance(actual, Sequence) or isinstance(actual, str) or len(actual) != len(expected):
            return [f"{where}: expected {_show(expected)}, got {_show(actual)}"]
        pairs = enumerate(zip(actual, expected, strict=True))
        return [p for i, (a, e) in pairs for p in mismatches(a, e, f"{where}[{i}]")]
    if not same(actual, expected):
        return [f"{where}: expected {_show(expected)}, got {_show(actual)}"]
    return []


def assert_matches(actual: Any, expected: Any, step: str = "") -> None:
    """Raise StepFailed naming the step and each difference when ``actual`` does not match."""
    problems = mismatches(actual, expected)
    if problems:
        heading = f"{step}: " if step else ""
        raise StepFailed(f"{heading}unexpected content\n  " + "\n  ".join(problems) + f"\n  in {_show(actual)}")


def unordered(*items: Any) -> Any:
    """A list with exactly these elements (each a subset pattern), in any order."""

    def match(values: Any) -> bool:
        if not isinstance(values, list) or len(values) != len(items):
            return False
        remaining = list(values)
        for pattern in items:
            hit = next((v for v in remaining if not mismatches(v, pattern)), None)
            if hit is None:
                return False
            remaining.remove(hit)
        return True

    return Matcher(f"<in any order: {', '.join(_show(i) for i in items)}>", match)


@contextmanager
def step(label: str) -> Iterator[None]:
    """Name the OCTT step in any StepFailed raised inside the block."""
    try:
        yield
    except StepFailed as exc:
        raise StepFailed(f"{label}: {exc}") from None
