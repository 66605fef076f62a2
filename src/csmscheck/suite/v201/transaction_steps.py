"""Steps of the transaction cases (block E): each names its OCTT step in a failure.

Block E's definitions validate no field of the CSMS's answers: a step fails when the CSMS
does not answer, answers with a CALLERROR or with an invalid response. What the answers
should say (the valid token Accepted, ...) is checked as a csmscheck check (``check``).
"""

from __future__ import annotations

from csmscheck.checks import ExtraCheck
from csmscheck.checks import v201 as checks
from csmscheck.expect import step
from csmscheck.station import Station
from csmscheck.station.states import v201 as states
from csmscheck.station.v201 import Payload
from csmscheck.suite.findings import check_matches

ACCEPTED = states.ACCEPTED_TOKEN


async def event(station: Station, label: str, event_type: str, trigger_reason: str, *,
                expect: Payload | None = None, check: ExtraCheck = checks.VALID_TOKEN_IN_TRANSACTION,
                **fields: object) -> Payload:
    """Send a TransactionEvent of the station's transaction; the CSMS must answer it. An answer that does not
    match ``expect`` is a finding of ``check``."""
    with step(label):
        response = await states.send_event(station, event_type, trigger_reason, **fields)
    if expect is not None:
        check_matches(station, check, response, expect, f"{label}: TransactionEventResponse")
    return response


async def send_payload(station: Station, label: str, payload: Payload, expect: Payload | None = None) -> Payload:
    """Send a TransactionEvent built by the test (e.g. queued offline); the CSMS must answer it. An answer that
    does not match ``expect`` is a finding (the valid token Accepted)."""
    with step(label):
        response = await states.deliver_event(station, payload)
    if expect is not None:
        check_matches(station, checks.VALID_TOKEN_IN_TRANSACTION, response, expect,
                      f"{label}: TransactionEventResponse")
    return response


async def authorize_valid(station: Station, label: str) -> None:
    """The driver presents the valid token; the CSMS must answer (Accepted, or a finding)."""
    with step(label):
        response = await states.authorize(station)
    check_matches(station, checks.VALID_TOKEN_AUTHORIZED, response, ACCEPTED, f"{label}: AuthorizeResponse")


async def plugged_in(station: Station, label: str) -> None:
    """The cable is plugged in: StatusNotification and NotifyEvent report the connector Occupied."""
    with step(label):
        await states.connector_event(station, "Occupied")
