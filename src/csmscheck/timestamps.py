"""RFC 3339 timestamps as OCPP writes them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# date-time of RFC 3339 §5.6: T and Z in either case, fractions of any length, offsets to ±23:59.
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)")
# A leap second (second 60) with its fraction, if any.
_LEAP_SECOND = re.compile(r"(?<=[Tt ]\d\d:\d\d:)60(?:\.\d+)?")


class UnrepresentableTime(ValueError):
    """A well-formed RFC 3339 timestamp naming an instant outside the years 1 to 9999 (UTC)."""

    def __init__(self, value: str) -> None:
        super().__init__(f"{value!r} names an instant outside the years 0001 to 9999 (UTC), which cannot be stored")
        self.value = value


def parse_time(value: str) -> datetime:
    """Parse an OCPP timestamp into the instant it names, in UTC; one without a zone is taken as UTC.

    Always UTC, so a time stored without its zone (SQLite keeps none) still names the same
    instant: ``12:00:00+02:00`` is ``10:00:00Z``, never ``12:00:00Z``. A leap second
    (``23:59:60``) is read as ``23:59:59.999999``, the last instant Python can name before the
    next minute, so the order of events is kept. Fractions finer than a microsecond are cut.
    Raises :class:`UnrepresentableTime` for a valid timestamp out of range (year 0000),
    ``ValueError`` for text that is no timestamp.
    """
    text = _LEAP_SECOND.sub("59.999999", value, count=1).replace("z", "Z").replace("t", "T").replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except OverflowError:  # in range locally, out of it in UTC (0001-01-01T00:00:00+01:00)
        raise UnrepresentableTime(value) from None
    except ValueError:
        if value.startswith("0000") and _RFC3339.fullmatch(value):
            raise UnrepresentableTime(value) from None
        raise


def rfc3339(moment: datetime | None = None) -> str:
    """``moment`` (default: now) in UTC with milliseconds and a ``Z``."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
