"""The official request schemas of the station-to-CSMS actions, with ``$ref`` resolved, and valid payloads
drawn from them.

hypothesis-jsonschema (0.23.1, its latest release) fails on any object schema with the
hypothesis this project uses (``'many' object has no attribute 'more'``), and drawing
through hypothesis costs milliseconds per payload; so valid payloads are drawn here from a
seeded ``random.Random`` in microseconds, and every one is checked against the compiled
validator (``wire/schemas.py``) before it is used.
"""

from __future__ import annotations

import random
import string
from functools import cache
from pathlib import Path
from typing import Any

import ocpp
import orjson

from csmscheck.wire.directions import STATION_INITIATED
from csmscheck.wire.schemas import INT32_MAX, INT32_MIN, validators
from csmscheck.wire.versions import OcppVersion

_DIRS: dict[OcppVersion, Path] = {"1.6": Path(ocpp.__file__).parent / "v16" / "schemas",
                                  "2.0.1": Path(ocpp.__file__).parent / "v201" / "schemas"}
SAFE = string.ascii_letters + string.digits + "-_."
Schema = dict[str, Any]


def station_actions(version: OcppVersion) -> list[str]:
    """Every action a station sends in ``version`` that the version's schemas define."""
    known = set(validators(version).actions())
    return sorted(a for a in STATION_INITIATED[version] if a in known)


@cache
def request_schema(version: OcppVersion, action: str) -> Schema:
    """The request schema of ``action``, every ``#/definitions/...`` reference replaced by its target."""
    name = f"{action}.json" if version == "1.6" else f"{action}Request.json"
    document = orjson.loads((_DIRS[version] / name).read_bytes())
    definitions = document.get("definitions", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/definitions/"):
                return resolve(definitions[ref.removeprefix("#/definitions/")])
            return {k: resolve(v) for k, v in node.items() if k not in ("definitions", "$id", "javaType")}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(document)  # type: ignore[no-any-return]


def kind_of(schema: Schema) -> str:
    """The JSON type a schema asks for; "" for a schema that takes anything (DataTransfer's data)."""
    kind = schema.get("type", "object" if "properties" in schema else "")
    return kind[0] if isinstance(kind, list) else str(kind)


def timestamp(rng: random.Random) -> str:
    return (f"{rng.randint(2000, 2099):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
            + rng.choice(("Z", ".123Z", "+02:00", "-05:30")))


def _string(schema: Schema, rng: random.Random) -> str:
    if "enum" in schema:
        return str(rng.choice(schema["enum"]))
    if schema.get("format") == "date-time":
        return timestamp(rng)
    if schema.get("format") == "uri":
        return "https://example.com/" + "".join(rng.choices(SAFE, k=rng.randint(0, 12)))
    limit = schema.get("maxLength", 40)
    length = rng.choice((1, min(limit, 8), limit)) if rng.random() < 0.5 else rng.randint(0, min(limit, 24))
    alphabet = SAFE if rng.random() < 0.9 else SAFE + "äöüé€漢字 "
    return "".join(rng.choices(alphabet, k=length))


def _integer(schema: Schema, rng: random.Random) -> int:
    low = int(max(schema.get("minimum", INT32_MIN), INT32_MIN))
    high = int(min(schema.get("maximum", INT32_MAX), INT32_MAX))
    near = (max(low, 0), max(low, min(high, 1)), low, high)
    return rng.choice(near) if rng.random() < 0.3 else rng.randint(max(low, 0), min(high, max(low, 0) + 1000))


def _number(schema: Schema, rng: random.Random) -> float:
    low = schema.get("minimum", 0)
    value = float(rng.randint(int(low), int(low) + 1000))
    return value if "multipleOf" in schema or rng.random() < 0.5 else value + 0.5


def instance(schema: Schema, rng: random.Random, depth: int = 0) -> Any:
    """One payload valid for ``schema`` (optional properties present about half the time)."""
    kind = kind_of(schema)
    if kind == "object":
        properties: dict[str, Schema] = schema.get("properties", {})
        required = set(schema.get("required", ()))
        return {name: instance(sub, rng, depth + 1) for name, sub in properties.items()
                if name in required or (depth < 6 and name != "customData" and rng.random() < 0.5)}
    if kind == "array":
        low = schema.get("minItems", 0)
        high = min(schema.get("maxItems", low + 3), low + 3)
        return [instance(schema.get("items", {}), rng, depth + 1) for _ in range(rng.randint(low, max(low, high)))]
    if kind == "integer":
        return _integer(schema, rng)
    if kind == "number":
        return _number(schema, rng)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "":
        return rng.choice(("", "text", 1, {"a": [1, "b"]}))
    return _string(schema, rng)


def valid_payload(version: OcppVersion, action: str, rng: random.Random) -> dict[str, Any]:
    """A payload for ``action`` that its compiled validator accepts (a few draws at most)."""
    schema = request_schema(version, action)
    check = validators(version).check
    payload: dict[str, Any] = {}
    for _ in range(20):
        payload = instance(schema, rng)
        if not check(action, payload, response=False):
            return payload
    raise ValueError(f"no valid {action} payload drawn from its schema: {check(action, payload, response=False)}")
