"""RFC 3339 timestamps as OCPP writes them."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_time(value: str) -> datetime:
    """Parse an OCPP timestamp; one without a zone is taken as UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def rfc3339(moment: datetime | None = None) -> str:
    """``moment`` (default: now) in UTC with milliseconds and a ``Z``."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
