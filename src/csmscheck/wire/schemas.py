"""Validation against the official OCPP JSON schemas shipped in the ``ocpp`` package.

Validators are compiled with jsonschema-rs once per (version, action, direction) and
shared by every session in the process, so per-station cost stays at zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import ocpp
import orjson

from csmscheck.wire.errors import ErrorCode
from csmscheck.wire.versions import OcppVersion

_SCHEMA_DIRS: dict[OcppVersion, Path] = {
    "1.6": Path(ocpp.__file__).parent / "v16" / "schemas",
    "2.0.1": Path(ocpp.__file__).parent / "v201" / "schemas",
}

Schema = dict[str, Any]

_KIND_TO_CODE: dict[str, ErrorCode] = {
    "Type": ErrorCode.TYPE_CONSTRAINT_VIOLATION,
    "Required": ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION,
    "MinItems": ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION,
    "MaxItems": ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION,
    # A field the PDU does not define breaks the message's structure, not a value.
    "AdditionalProperties": ErrorCode.FORMAT_VIOLATION,
    # A payload the validator cannot walk (nested too deeply, a value JSON has no word for).
    "Unreadable": ErrorCode.FORMAT_VIOLATION,
}
# OCPP-J: every integer is a signed 32-bit one. Every "integer" of the schemas gets these
# bounds when it is compiled, so the check costs nothing more. Out of range is a
# PropertyConstraintViolation ("a field contains an invalid value"), not a
# TypeConstraintViolation: the value is an integer, the type JSON and the schema ask for;
# only its size is wrong, as with any other minimum or maximum of the schemas.
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


@dataclass(frozen=True, slots=True)
class SchemaViolation:
    """One schema error, with the JSON path where it happened."""

    path: str
    message: str
    kind: str

    def __str__(self) -> str:
        return f"{self.path or '<root>'}: {self.message}"

    @property
    def code(self) -> ErrorCode:
        return _KIND_TO_CODE.get(self.kind, ErrorCode.PROPERTY_CONSTRAINT_VIOLATION)


class Validators:
    """Schema validators for one OCPP version."""

    def __init__(self, version: OcppVersion) -> None:
        self.version = version
        self._dir = _SCHEMA_DIRS[version]
        self._known = frozenset(self.actions())
        self._validators: dict[tuple[str, bool], Any] = {}  # by (action, response): no path built per message

    def _file(self, action: str, response: bool) -> Path:
        if self.version == "1.6":
            return self._dir / (f"{action}Response.json" if response else f"{action}.json")
        return self._dir / f"{action}{'Response' if response else 'Request'}.json"

    def knows(self, action: str) -> bool:
        """Whether ``action`` is one of this version's (a name, never a path to a file)."""
        return action in self._known

    def actions(self) -> list[str]:
        suffix = ".json" if self.version == "1.6" else "Request.json"
        names = (p.name for p in self._dir.glob("*.json") if not p.name.endswith("Response.json"))
        return sorted(name.removesuffix(suffix) for name in names)

    def check(self, action: str, payload: Any, *, response: bool) -> list[SchemaViolation]:
        """Every violation of the schema for ``action``; an unknown action raises KeyError."""
        if not self.knows(action):
            raise KeyError(action)
        validator = self._validators.get((action, response))
        if validator is None:
            validator = self._validators[action, response] = _compiled(self._file(action, response))
        try:
            if validator.is_valid(payload):
                return []
            return [
                SchemaViolation("/".join(str(p) for p in error.instance_path), error.message, type(error.kind).__name__)
                for error in validator.iter_errors(payload) if not _oversized_integer(error)
            ]
        except (ValueError, RecursionError) as exc:  # jsonschema-rs gives up on ~300 levels of nesting
            return [SchemaViolation("", f"the payload cannot be checked: {exc}", "Unreadable")]


def _oversized_integer(error: Any) -> bool:
    """A Type error about an integer only too large to decode as one.

    orjson reads an integer beyond 64 bits as a float, which a draft-04 schema (OCPP 1.6)
    calls no integer; its range error is reported beside it and says what is wrong.
    """
    instance = error.instance
    return (type(error.kind).__name__ == "Type" and isinstance(instance, float) and instance.is_integer()
            and not INT32_MIN <= instance <= INT32_MAX and "integer" in error.kind.as_dict().get("types", ()))


@cache
def _compiled(path: Path) -> Any:
    if not path.is_file():
        raise KeyError(path.stem)
    schema = orjson.loads(path.read_bytes())
    schema.pop("$id", None)  # 1.6 schemas carry URNs that confuse $ref resolution
    return jsonschema_rs.validator_for(_int32(schema), validate_formats=True)


def _int32(schema: Any) -> Any:
    """``schema`` with every integer bounded to the signed 32-bit range (tighter bounds kept)."""
    if isinstance(schema, dict):
        kind = schema.get("type")
        if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
            schema["minimum"] = max(schema.get("minimum", INT32_MIN), INT32_MIN)
            schema["maximum"] = min(schema.get("maximum", INT32_MAX), INT32_MAX)
        for value in schema.values():
            _int32(value)
    elif isinstance(schema, list):
        for value in schema:
            _int32(value)
    return schema


@cache
def validators(version: OcppVersion) -> Validators:
    return Validators(version)


@cache
def request_schema(version: OcppVersion, action: str) -> Schema:
    """The request schema of ``action``, every ``#/definitions/...`` reference replaced by its target."""
    name = f"{action}.json" if version == "1.6" else f"{action}Request.json"
    document = orjson.loads((_SCHEMA_DIRS[version] / name).read_bytes())
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


def enum_values(version: OcppVersion, action: str, *path: str) -> tuple[str, ...]:
    """The values the official request schema of ``action`` allows for the field at ``path`` (object keys from
    the payload down), e.g. ``enum_values("1.6", "StopTransaction", "reason")``."""
    node = request_schema(version, action)
    for key in path:
        node = node["properties"][key]
    return tuple(node["enum"])
