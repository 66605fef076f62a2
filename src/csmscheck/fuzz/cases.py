"""One fuzz frame per index, drawn from ``Random((seed, index))`` and the seed's payload pools (``schema.py``)
so any frame can be made again from its seed and number: a valid CALL, a CALL whose payload breaks one
constraint, or a framing fault."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import orjson

from csmscheck.fuzz.framing import framing_case
from csmscheck.fuzz.mutate import CATEGORIES, Path, mutate
from csmscheck.fuzz.oracle import ERROR, RESULT, Expectation
from csmscheck.fuzz.rules import RULES, Rules
from csmscheck.fuzz.schema import usable_actions, valid_payload
from csmscheck.wire.errors import ErrorCode, error_code
from csmscheck.wire.schemas import request_schema
from csmscheck.wire.versions import OcppVersion


@dataclass(slots=True)
class Case:
    index: int
    category: str
    action: str
    text: str | bytes
    uid: str
    expect: Expectation
    payload: dict[str, Any] | None = None  # the CALL's payload, for minimisation
    path: Path = ()  # where the payload was mutated


# Share of frames per kind: valid CALLs, payload mutations, framing faults.
WEIGHTS = {"valid": 25, "mutation": 55, "framing": 20}


def _codes(version: OcppVersion, *codes: ErrorCode) -> frozenset[str]:
    return frozenset(error_code(c, version) for c in codes)


def mutation_expectation(version: OcppVersion, category: str, uid: str) -> Expectation:
    rules: Rules = RULES[version]
    c = ErrorCode
    by_category: dict[str, tuple[Any, frozenset[str]]] = {
        "missing-required": (rules.occurrence, _codes(version, c.OCCURRENCE_CONSTRAINT_VIOLATION)),
        "array-size": (rules.occurrence, _codes(version, c.OCCURRENCE_CONSTRAINT_VIOLATION)),
        "wrong-type": (rules.type, _codes(version, c.TYPE_CONSTRAINT_VIOLATION)),
        "enum": (rules.property, _codes(version, c.PROPERTY_CONSTRAINT_VIOLATION)),
        # string[n] is a type of OCPP's data model: its overrun is called either
        "max-length": (rules.property, _codes(version, c.PROPERTY_CONSTRAINT_VIOLATION, c.TYPE_CONSTRAINT_VIOLATION)),
        "bad-date-time": (rules.property, _codes(version, c.PROPERTY_CONSTRAINT_VIOLATION,
                                                 c.TYPE_CONSTRAINT_VIOLATION)),
        "int32-range": (rules.property, _codes(version, c.PROPERTY_CONSTRAINT_VIOLATION)),
        "extra-field": (rules.format, _codes(version, c.FORMAT_VIOLATION)
                        | (_codes(version, c.PROTOCOL_ERROR) if version == "2.0.1" else frozenset())),
        # 100 levels where a value belongs: too deep to take, and of the wrong type there too
        "deep-nesting": (rules.format, _codes(version, c.FORMAT_VIOLATION, c.TYPE_CONSTRAINT_VIOLATION,
                                              c.PROPERTY_CONSTRAINT_VIOLATION, c.OCCURRENCE_CONSTRAINT_VIOLATION)),
    }
    if category == "control-characters":  # schema-valid: any OCPP answer but a refusal of valid input
        return Expectation(RESULT, rules.valid, ids=(uid,))
    rule, codes = by_category[category]
    return Expectation(ERROR, rule, codes, (uid,), result_ok=category == "deep-nesting")


def call_text(uid: str, action: str, payload: Any) -> str:
    return orjson.dumps([2, uid, action, payload]).decode()


def make_case(version: OcppVersion, actions: list[str], seed: int, index: int) -> Case:
    rng = random.Random(f"{seed}:{version}:{index}")
    kind = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
    uid = f"f{index}-{rng.getrandbits(32):08x}"
    action = rng.choice(usable_actions(version, tuple(actions), seed))
    payload = valid_payload(version, action, seed, rng)
    if kind == "mutation":
        for category in rng.sample(CATEGORIES, len(CATEGORIES)):
            mutated = mutate(request_schema(version, action), payload, category, rng)
            if mutated is not None:
                changed, path = mutated
                return Case(index, category, action, call_text(uid, action, changed), uid,
                            mutation_expectation(version, category, uid), changed, path)
    if kind == "framing":
        category, text, expect = framing_case(version, uid, action, payload, rng)
        return Case(index, category, action, text, uid, expect)
    return Case(index, "valid", action, call_text(uid, action, payload), uid,
                Expectation(RESULT, RULES[version].valid, ids=(uid,)), payload)


def rebuilt(case: Case, version: OcppVersion, payload: dict[str, Any]) -> Case:
    """``case`` with another payload (for minimisation): same category, action, message id and expectation."""
    return Case(case.index, case.category, case.action, call_text(case.uid, case.action, payload), case.uid,
                case.expect, payload, case.path)
