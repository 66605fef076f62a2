"""Identifiers and expiry dates as both OCPP versions' authorization cases present and expect them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from csmscheck.errors import NotApplicable
from csmscheck.expect import Matcher
from csmscheck.timestamps import parse_time


def other_case(text: str) -> str:
    """``text`` with the case of every letter swapped; NotApplicable when it has no letters."""
    swapped = text.swapcase()
    if swapped == text:
        raise NotApplicable(f"the configured token {text!r} has no letters, so no other letter case to present")
    return swapped


def expiry_in(days: int) -> datetime:
    """A whole second ``days`` from now, in UTC."""
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)


def rfc3339_seconds(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def same_instant(moment: datetime) -> Any:
    """An RFC 3339 date-time (with its offset) for the same instant as ``moment``, to the second."""

    def same(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.tzinfo is not None and abs(parse_time(value) - moment) < timedelta(seconds=1)

    return Matcher(f"<{rfc3339_seconds(moment)}, the configured expiry>", same)
