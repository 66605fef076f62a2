"""Steps of the transaction cases (block E): each names its OCTT step in a failure."""

from __future__ import annotations

from csmscheck.expect import assert_matches, step
from csmscheck.station import Station
from csmscheck.station.states import v201 as states
from csmscheck.station.v201 import Payload

ACCEPTED = states.ACCEPTED_TOKEN


async def event(station: Station, label: str, event_type: str, trigger_reason: str, *,
                expect: Payload | None = None, **fields: object) -> Payload:
    """Send a TransactionEvent of the station's transaction; the CSMS must answer it (matching ``expect``)."""
    with step(label):
        response = await states.send_event(station, event_type, trigger_reason, **fields)
    if expect is not None:
        assert_matches(response, expect, f"{label}: TransactionEventResponse")
    return response


async def send_payload(station: Station, label: str, payload: Payload, expect: Payload | None = None) -> Payload:
    """Send a TransactionEvent built by the test (e.g. queued offline); the CSMS must answer it."""
    with step(label):
        response = await station.call("TransactionEvent", payload)
    if expect is not None:
        assert_matches(response, expect, f"{label}: TransactionEventResponse")
    return response


async def authorize_valid(station: Station, label: str) -> None:
    """The driver presents the valid token; the CSMS must accept it."""
    with step(label):
        response = await states.authorize(station)
    assert_matches(response, ACCEPTED, f"{label}: AuthorizeResponse")


async def plugged_in(station: Station, label: str) -> None:
    """The cable is plugged in: StatusNotification and NotifyEvent report the connector Occupied."""
    with step(label):
        await states.connector_event(station, "Occupied")
