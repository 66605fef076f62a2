"""The official request schemas of the station-to-CSMS actions, with ``$ref`` resolved, and the valid
payloads the fuzzer starts from, drawn by hypothesis-jsonschema.

Why a pool: hypothesis-jsonschema costs ~10-300 ms per payload on the nested 2.0.1 schemas
(it canonicalises sub-schemas while drawing), far too slow for one draw per frame at
>= 10,000 frames per minute. So each action gets a pool of ``POOL_SIZE`` payloads, drawn
once when the run starts by a ``@given`` collector seeded from the run's ``--seed``
(same seed, same pools, same frames); every frame then picks one with its own seeded
``random.Random`` and mutates it. The schema the draws come from is narrowed where
hypothesis would otherwise spend its time or miss (integers bounded to OCPP-J's int32,
arrays to ``MAX_ITEMS`` items, no ``customData``), and each payload is still checked
against the compiled validator (``wire/schemas.py``). An action whose schema the library
cannot draw from falls back to its required fields only, then is left out, with a log line.
"""

from __future__ import annotations

import logging
import random
import zlib
from functools import cache
from typing import Any

import orjson
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis_jsonschema import from_schema

from csmscheck.wire.directions import STATION_INITIATED
from csmscheck.wire.schemas import INT32_MAX, INT32_MIN, Schema, request_schema, validators
from csmscheck.wire.versions import OcppVersion

POOL_SIZE = 10  # valid payloads per action: ~3 s to draw them all for 2.0.1 on one core
MAX_ITEMS = 2  # array items drawn (or minItems); each item of the nested 2.0.1 arrays costs a lot to draw
log = logging.getLogger(__name__)


def station_actions(version: OcppVersion) -> list[str]:
    """Every action a station sends in ``version`` that the version's schemas define."""
    known = set(validators(version).actions())
    return sorted(a for a in STATION_INITIATED[version] if a in known)


def kind_of(schema: Schema) -> str:
    """The JSON type a schema asks for; "" for a schema that takes anything (DataTransfer's data)."""
    kind = schema.get("type", "object" if "properties" in schema else "")
    return kind[0] if isinstance(kind, list) else str(kind)


def timestamp(rng: random.Random) -> str:
    return (f"{rng.randint(2000, 2099):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
            + rng.choice(("Z", ".123Z", "+02:00", "-05:30")))


def drawable(schema: Schema) -> Schema:
    """``schema`` narrowed for drawing: integers within int32, arrays of at most ``MAX_ITEMS``, no customData."""
    def narrow(node: Any) -> Any:
        if isinstance(node, list):
            return [narrow(v) for v in node]
        if not isinstance(node, dict):
            return node
        node = {k: narrow(v) for k, v in node.items()}
        if isinstance(node.get("properties"), dict):
            node["properties"].pop("customData", None)  # vendor extensions: any JSON, never read by a CSMS
        if node.get("type") == "integer":
            node["minimum"] = max(node.get("minimum", INT32_MIN), INT32_MIN)
            node["maximum"] = min(node.get("maximum", INT32_MAX), INT32_MAX)
        if node.get("type") == "array":
            node["maxItems"] = min(node.get("maxItems", MAX_ITEMS), max(MAX_ITEMS, node.get("minItems", 0)))
        return node

    return narrow(schema)  # type: ignore[no-any-return]


def required_only(schema: Schema) -> Schema:
    """``schema`` with every optional property left out (the fallback when the whole schema cannot be drawn)."""
    def strip(node: Any) -> Any:
        if isinstance(node, list):
            return [strip(v) for v in node]
        if not isinstance(node, dict):
            return node
        node = {k: strip(v) for k, v in node.items()}
        if isinstance(node.get("properties"), dict):
            required = set(node.get("required", ()))
            node["properties"] = {k: v for k, v in node["properties"].items() if k in required}
        return node

    return strip(schema)  # type: ignore[no-any-return]


def draw(schema: Schema, size: int, seed: int) -> list[Any]:
    """Up to ``size`` payloads hypothesis-jsonschema draws from ``schema``, the same ones for the same seed."""
    drawn: list[Any] = []

    @hypothesis_seed(seed)
    @settings(max_examples=size, database=None, deadline=None, suppress_health_check=list(HealthCheck),
              phases=[Phase.generate])
    @given(from_schema(schema))
    def collect(payload: Any) -> None:
        drawn.append(payload)

    collect()
    return drawn


def _encoded(payload: dict[str, Any]) -> bytes | None:
    try:
        return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # a "number" beyond 64 bits: valid JSON, but no frame orjson (or most CSMSs) can carry
        return None


@cache
def payload_pool(version: OcppVersion, action: str, seed: int) -> tuple[dict[str, Any], ...]:
    """The valid payloads of ``action`` for a run with ``seed``; empty when none could be drawn (logged)."""
    check = validators(version).check
    full = drawable(request_schema(version, action))
    for label, schema in (("its schema", full), ("its required fields only", required_only(full))):
        try:
            drawn = draw(schema, POOL_SIZE, zlib.crc32(f"{seed}:{version}:{action}".encode()))
        except Exception as exc:  # any failure of the library on one schema costs that action only, not the run
            log.warning("csmscheck fuzz %s: hypothesis-jsonschema cannot draw %s from %s: %s: %s",
                        version, action, label, type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
            continue
        valid = [p for p in drawn if isinstance(p, dict) and not check(action, p, response=False)]
        unique = {text: p for p in valid if (text := _encoded(p)) is not None}
        if unique:
            if schema is not full:
                log.warning("csmscheck fuzz %s: %s payloads drawn from its required fields only", version, action)
            return tuple(unique.values())
        log.warning("csmscheck fuzz %s: no valid %s payload drawn from %s", version, action, label)
    log.warning("csmscheck fuzz %s: %s is left out of the run (no valid payload)", version, action)
    return ()


class NothingToFuzz(Exception):
    """No action of the run has a valid payload to start from."""


def usable_actions(version: OcppVersion, actions: tuple[str, ...], seed: int) -> tuple[str, ...]:
    """The ``actions`` with at least one valid payload drawn (their pools are built here, once per seed)."""
    usable = tuple(a for a in actions if payload_pool(version, a, seed))
    if not usable:
        raise NothingToFuzz(f"no valid payload could be drawn for any of {', '.join(actions)} (OCPP {version})")
    return usable


def valid_payload(version: OcppVersion, action: str, seed: int, rng: random.Random) -> dict[str, Any]:
    """One of the pooled payloads of ``action`` (the run's ``seed`` picks the pool, ``rng`` the payload)."""
    return rng.choice(payload_pool(version, action, seed))
