"""Steps of csmscheck's authorization cases (2.0.1): tokens the CSMS is told about, and what its answers
must say of them.

A token's identifier is case-insensitive (IdTokenType.idToken), its group is reported as
``groupIdToken`` (C09.FR.02) and the date after which it must be considered invalid as
``cacheExpiryDateTime`` (IdTokenInfoType), in AuthorizeResponse (C01.FR.07) and in
TransactionEventResponse (E01.FR.11, E01.FR.12) alike.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from csmscheck.errors import NotApplicable
from csmscheck.expect import Matcher, assert_matches, one_of, step
from csmscheck.station import Station
from csmscheck.station.states import v201 as states
from csmscheck.station.states.groups import identifier
from csmscheck.timestamps import parse_time

Payload = dict[str, Any]


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


def token_info(status: str | tuple[str, ...], group: str | None = None,
               expiry: datetime | None = None) -> Payload:
    """The idTokenInfo a CSMS answers for a token configured so (a tuple: any of those statuses)."""
    info: Payload = {"status": one_of(*status) if isinstance(status, tuple) else status}
    if group is not None:
        info["groupIdToken"] = {"idToken": identifier(group)}
    if expiry is not None:
        info["cacheExpiryDateTime"] = same_instant(expiry)
    return {"idTokenInfo": info}


async def authorize_as(station: Station, token: Payload, expected: Payload, at: int) -> Payload:
    """Step ``at``: the station sends an AuthorizeRequest for ``token``; the next step: the answer matches."""
    with step(f"Step {at}"):
        response = await states.authorize(station, token)
    assert_matches(response, expected, f"Step {at + 1}: AuthorizeResponse for {shown(token)}")
    return response


async def start_as(station: Station, token: Payload, expected: Payload, at: int) -> Payload:
    """Step ``at``: a transaction starts, authorized by ``token`` (TransactionEvent Started, trigger Authorized);
    the next step: the CSMS's answer matches ``expected``."""
    with step(f"Step {at}"):
        response = await states.send_event(station, "Started", "Authorized", token=token)
    assert_matches(response, expected, f"Step {at + 1}: TransactionEventResponse for {shown(token)}")
    return response


async def deauthorized(station: Station, at: int) -> None:
    """Step ``at``: the station ends the transaction its token was refused for (E05: Deauthorized)."""
    with step(f"Step {at}"):
        await states.send_event(station, "Ended", "Deauthorized", stopped_reason="DeAuthorized",
                                charging_state="Idle")


def shown(token: Payload) -> str:
    return f"{token['idToken']!r} ({token['type']})"
