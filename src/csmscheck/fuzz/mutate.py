"""Invalid payloads made from valid ones: one mutation per payload, of one category, at one place.

Each category names the constraint it breaks; the oracle knows which error code that
constraint deserves. A mutation walks the payload beside its schema to find the places it
applies to (a required field present, a string with a maxLength, an integer, ...), picks
one with the frame's own random generator and changes only that, so the CSMS has exactly
one violation to report.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from csmscheck.fuzz.schema import kind_of
from csmscheck.wire.schemas import INT32_MAX, INT32_MIN, Schema

Path = tuple[str | int, ...]

# The categories of issue 14 point 1, in the order the report lists them.
CATEGORIES = ("missing-required", "wrong-type", "enum", "max-length", "extra-field", "bad-date-time",
              "array-size", "int32-range", "deep-nesting", "control-characters")
DEEP = 100  # levels of nesting: above the 64 a CSMS can be expected to take
ODD_CHARACTERS = ("\u0000", "\u001f", "\u007f", "\u202e", "\ufeff", "\U0001f600", "\u00e9", "\u6f22", "\\", '"', "'")
BAD_TIMES = ("2024-13-45T99:00:00Z", "yesterday", "2024-01-01", "2024-01-01T00:00:00", "0000-00-00T00:00:00Z",
             "2024-02-30T10:00:00Z", "", "2024-01-01T00:00:00+25:00", "1e10")


@dataclass(frozen=True, slots=True)
class Site:
    path: Path
    schema: Schema
    value: Any


def sites(schema: Schema, value: Any, path: Path = ()) -> Iterator[Site]:
    """Every value of ``value`` with the schema that governs it (the payload itself first)."""
    yield Site(path, schema, value)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key, child in value.items():
            if key in properties:
                yield from sites(properties[key], child, (*path, key))
    elif isinstance(value, list):
        items = schema.get("items", {})
        for index, child in enumerate(value):
            yield from sites(items, child, (*path, index))


def get(document: Any, path: Path) -> Any:
    for step in path:
        document = document[step]
    return document


def put(document: Any, path: Path, value: Any) -> Any:
    """``document`` with the value at ``path`` replaced (the root itself when ``path`` is empty)."""
    if not path:
        return value
    get(document, path[:-1])[path[-1]] = value
    return document


Mutator = Callable[[Site, random.Random], Any]  # the new value of the site (the payload copy is changed in place)
NOT_APPLICABLE = object()


def _free_string(schema: Schema) -> bool:
    return kind_of(schema) == "string" and "enum" not in schema and "format" not in schema


def _missing(site: Site, rng: random.Random) -> Any:
    present = [k for k in site.schema.get("required", ()) if k in site.value]
    if kind_of(site.schema) != "object" or not present:
        return NOT_APPLICABLE
    gone = rng.choice(present)
    return {k: v for k, v in site.value.items() if k != gone}


def _wrong_type(site: Site, rng: random.Random) -> Any:
    kind = kind_of(site.schema)
    choices: dict[str, tuple[Any, ...]] = {
        "string": (42, True, None, ["x"], {"x": 1}), "integer": ("42", 1.5, True, None, [1]),
        "number": ("4.2", True, None, {"v": 1}), "boolean": ("true", 1, None),
        "object": ([], "object", 7), "array": ({}, "array", 7)}
    return rng.choice(choices[kind]) if kind in choices and site.path else NOT_APPLICABLE


def _enum(site: Site, rng: random.Random) -> Any:
    if "enum" not in site.schema:
        return NOT_APPLICABLE
    outside = [v for v in ("Exploded", "", str(site.value).lower(), str(site.value) + " ", "Accepted\u0000")
               if v not in site.schema["enum"]]
    return rng.choice(outside)


def _max_length(site: Site, rng: random.Random) -> Any:
    limit = site.schema.get("maxLength")
    if limit is None or "enum" in site.schema:
        return NOT_APPLICABLE
    return rng.choice(("A", "\u00e9", "\u6f22", "\U0001f600")) * (limit + 1)  # ASCII and 2-, 3-, 4-byte UTF-8


def _extra_field(site: Site, rng: random.Random) -> Any:
    if kind_of(site.schema) != "object" or site.schema.get("additionalProperties", True) is not False:
        return NOT_APPLICABLE
    name = rng.choice(("csmscheckExtra", "__proto__", "constructor", "Id", "$where"))
    if name in site.schema.get("properties", {}):
        return NOT_APPLICABLE
    return {**site.value, name: rng.choice((1, "x", None, {"a": [1]}))}


def _bad_date_time(site: Site, rng: random.Random) -> Any:
    return rng.choice(BAD_TIMES) if site.schema.get("format") == "date-time" else NOT_APPLICABLE


def _array_size(site: Site, rng: random.Random) -> Any:
    if kind_of(site.schema) != "array" or not isinstance(site.value, list):
        return NOT_APPLICABLE
    low, high = site.schema.get("minItems", 0), site.schema.get("maxItems")
    options = []
    if low > 0:
        options.append(site.value[: low - 1])
    if high is not None and site.value:
        options.append(site.value + [copy.deepcopy(site.value[0])] * (high + 1 - len(site.value)))
    return rng.choice(options) if options else NOT_APPLICABLE


def _int32_range(site: Site, rng: random.Random) -> Any:
    if kind_of(site.schema) != "integer":
        return NOT_APPLICABLE
    return rng.choice((INT32_MAX + 1, INT32_MIN - 1, 2**40, -(2**53)))


def _deep_nesting(site: Site, rng: random.Random) -> Any:
    if not site.path or kind_of(site.schema) == "":  # a field that takes any JSON (DataTransfer's data) takes this
        return NOT_APPLICABLE
    deep: Any = rng.choice(([], {}, 1))
    for level in range(DEEP):
        deep = [deep] if level % 2 else {"a": deep}
    return deep


def _control_characters(site: Site, rng: random.Random) -> Any:
    if not _free_string(site.schema):
        return NOT_APPLICABLE
    text, limit = str(site.value), site.schema.get("maxLength", 64)
    odd = "".join(rng.choices(ODD_CHARACTERS, k=rng.randint(1, 3)))
    cut = rng.randint(0, len(text))
    return (text[:cut] + odd + text[cut:])[:limit]


MUTATORS: dict[str, Mutator] = {
    "missing-required": _missing, "wrong-type": _wrong_type, "enum": _enum, "max-length": _max_length,
    "extra-field": _extra_field, "bad-date-time": _bad_date_time, "array-size": _array_size,
    "int32-range": _int32_range, "deep-nesting": _deep_nesting, "control-characters": _control_characters,
}


def mutate(schema: Schema, payload: dict[str, Any], category: str,
           rng: random.Random) -> tuple[dict[str, Any], Path] | None:
    """``payload`` changed by one mutation of ``category`` and where, or None when the payload has no place for it."""
    mutator = MUTATORS[category]
    places = list(sites(schema, payload))
    rng.shuffle(places)
    for site in places:
        value = mutator(site, rng)
        if value is not NOT_APPLICABLE:
            changed = put(copy.deepcopy(payload), site.path, value)
            return changed, site.path
    return None
