"""Recording csmscheck checks (findings) from the cases of both versions, beside their OCTT verdict."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from csmscheck.checks import ExtraCheck
from csmscheck.errors import StepFailed
from csmscheck.expect import mismatches
from csmscheck.station import Station


def check_matches(station: Station, check: ExtraCheck, actual: Any, expected: Any, label: str) -> bool:
    """A finding of ``check`` (one sentence per difference) unless ``actual`` matches ``expected``."""
    problems = mismatches(actual, expected)
    return station.findings.check(check, not problems, "; ".join(f"{label}: {p}" for p in problems))


@asynccontextmanager
async def beyond_the_octt(station: Station, check: ExtraCheck, label: str) -> AsyncIterator[None]:
    """Steps the OCTT definition does not have: a step that fails there is a finding of ``check``, not a failure."""
    try:
        yield
    except StepFailed as exc:
        station.findings.check(check, False, f"{label}: {exc}")
