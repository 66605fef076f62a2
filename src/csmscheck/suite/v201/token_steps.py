"""Steps of csmscheck's authorization cases (2.0.1): tokens the CSMS is told about, and what its answers
must say of them.

A token's identifier is case-insensitive (IdTokenType.idToken), its group is reported as
``groupIdToken`` (C09.FR.02) and the date after which it must be considered invalid as
``cacheExpiryDateTime`` (IdTokenInfoType), in AuthorizeResponse (C01.FR.07) and in
TransactionEventResponse (E01.FR.11, E01.FR.12) alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from csmscheck.expect import assert_matches, one_of, step
from csmscheck.station import Station
from csmscheck.station.states import v201 as states
from csmscheck.station.states.groups import identifier
from csmscheck.suite.tokens import same_instant

Payload = dict[str, Any]


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
