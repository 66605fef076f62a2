"""RFC 3339 timestamps as OCPP writes them."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_time(value: str) -> datetime:
    """Parse an OCPP timestamp into the instant it names, in UTC; one without a zone is taken as UTC.

    Always UTC, so a time stored without its zone (SQLite keeps none) still names the same
    instant: ``12:00:00+02:00`` is ``10:00:00Z``, never ``12:00:00Z``.
    """
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def rfc3339(moment: datetime | None = None) -> str:
    """``moment`` (default: now) in UTC with milliseconds and a ``Z``."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
