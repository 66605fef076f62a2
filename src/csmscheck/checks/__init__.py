"""csmscheck checks: the second verdict axis, beside the OCTT's.

A case's OCTT verdict checks exactly what its definition validates, in its order, so a
correct CSMS never fails for something the OCTT allows. Where the OCPP specification
supports a further check (a negative step, stored state read back, a requested field),
the case records it as a *finding* instead: reported with the case, failing it only with
``--strict``. Each check has a stable id and the rationale a CSMS engineer can look up.

The checks of the conformance cases live in the modules of this package (``checks.v201``,
``checks.v16``, and one module per area where that reads better); checks that hold for
every version live here. ``all_checks()`` finds them all.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ExtraCheck:
    """A check beyond the OCTT verdict: its id, why the specification supports it, and the
    requirements it rests on (``basis``: "E01.FR.11", "OCPP 1.6 §4.2", ...)."""

    id: str
    rationale: str
    basis: str


@dataclass(frozen=True, slots=True)
class Finding:
    """A failed csmscheck check: which one, and what was expected and what came."""

    check: str
    message: str


@dataclass(slots=True)
class Findings:
    """The findings of one test case, in the order they were found."""

    items: list[Finding] = field(default_factory=list)

    def check(self, check: ExtraCheck, passed: bool, message: str) -> bool:
        """Record a finding for ``check`` unless ``passed``; returns ``passed``."""
        if not passed:
            self.items.append(Finding(check.id, message))
        return passed

    def __bool__(self) -> bool:
        return bool(self.items)

    def summary(self) -> str:
        """One line per finding: ``[id] message``."""
        return "\n".join(f"[{f.check}] {f.message}" for f in self.items)


CSMS_FRAMES_WELL_FORMED = ExtraCheck(
    "CSC-WIRE-01",
    "Every frame the CSMS sends is well-formed OCPP-J and every CALLRESULT or CALLERROR answers a CALL the "
    "station sent (OCPP-J RPC framework, sections 4.1-4.2).",
    "OCPP-J RPC framework §4.1, §4.2",
)


def all_checks() -> list[ExtraCheck]:
    """Every csmscheck check defined in this package (any module of it), in id order."""
    modules = [__name__] + [f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__)]
    found: dict[str, ExtraCheck] = {}
    for name in modules:
        for value in vars(importlib.import_module(name)).values():
            if isinstance(value, ExtraCheck):
                found[value.id] = value
    return sorted(found.values(), key=lambda check: check.id)

AS_REQUESTED = ExtraCheck(
    "CSC-REQ-01",
    "A call the CSMS sends because its operator asked for it (the OCTT's manual actions, the trigger API) carries "
    "every field the operator asked for, with the value asked for: each field is an instruction the station acts "
    "on (an evseId, a remoteStartId, an attributeType, a connector, a charging profile). The CSMS may add what the "
    "specification lets it add, split a list over several messages where ItemsPerMessage demands it, and choose "
    "its own request, list version, reservation and charging profile ids.",
    "OCPP 2.0.1 Part 2 (the request messages of each use case); OCPP 1.6 ch. 5",
)
