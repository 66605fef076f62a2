"""Steps of csmscheck's own OCPP 2.0.1 cases of reservations, remote control and availability.

Each step names itself in a failure (``Step 5: TransactionEventResponse ...``). What the
CSMS reports to its operator of the station's answer is csmscheck check CSC-201-F-03.
"""

from __future__ import annotations

import re
import secrets
import ssl
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import websockets

from csmscheck.checks import operations as checks
from csmscheck.errors import NotApplicable, StepFailed
from csmscheck.expect import assert_matches, mismatches, step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.station.replies import Reply
from csmscheck.station.session import connect_failure
from csmscheck.station.states import v201 as states
from csmscheck.suite.operator import Csms
from csmscheck.timestamps import rfc3339
from csmscheck.wire import CallError

Payload = dict[str, Any]
ACCEPTED = states.ACCEPTED_TOKEN
LIFETIME = timedelta(minutes=5)  # how long a reservation lasts unless a case says otherwise


def fresh_id() -> int:
    """An id (reservation, remote start, charging profile) earlier runs are unlikely to have used."""
    return secrets.randbelow(2**31 - 2) + 1


def other_evse(cfg: Settings) -> int:
    """An EVSE other than the configured one; a case that needs one is not applicable to a single-EVSE station."""
    if cfg.number_of_evses < 2:
        raise NotApplicable("the case needs a station of two EVSEs (CONFIGURED_NUMBER_OF_EVSES)")
    return 2 if cfg.evse_id == 1 else 1


def holder(cfg: Settings) -> Payload:
    """The driver reservations and remote starts are for: the configured valid idToken."""
    return msg.id_token(cfg.valid_id_token, cfg.valid_id_token_type)


def other_driver(cfg: Settings) -> Payload:
    """Another driver with a valid idToken of their own (VALID_ID_TOKEN_2)."""
    return msg.id_token(cfg.valid_id_token_2, cfg.valid_id_token_type_2)


def shown(value: Any) -> str:
    return orjson.dumps(value).decode()


# -- the operator's requests ----------------------------------------------------------------


def check_reported(station: Station, reported: Payload | None, answer: Payload | CallError | None,
                   label: str) -> None:
    """csmscheck check CSC-201-F-03: the CSMS reports the station's answer (to the request of ``label``) as sent."""
    if reported is None or not isinstance(answer, dict):
        return  # manual mode: the operator reads the answer in the CSMS
    if "error" in reported:
        station.findings.check(checks.ANSWER_REPORTED, False,
                               f"{label}: the CSMS reported a CALLERROR {shown(reported['error'])}, but the station "
                               f"answered {shown(answer)}")
        return
    problems = mismatches(reported.get("response"), answer)
    station.findings.check(checks.ANSWER_REPORTED, not problems,
                           f"{label}: the CSMS reported the station's answer as {shown(reported.get('response'))}, "
                           f"but the station answered {shown(answer)}")


async def operator_asks(station: Station, csms: Csms, action: str, payload: Payload, reply: Reply,
                        label: str) -> Payload:
    """The operator has the CSMS send ``action`` (asked ``payload``); the station answers ``reply``. No CALL in time
    fails step ``label``. Returns the request the CSMS sent."""
    with step(label):
        async with station.expect(action, reply=reply) as got:
            reported = await csms.request(station, action, payload)
    check_reported(station, reported, got.answer, f"{label}: {action}Response")
    return got.payload


def declined(exc: StepFailed) -> bool:
    """The CSMS refused the operator's request itself (the trigger API answered HTTP 4xx), sending nothing: what a
    CSMS may do when it knows the request is pointless (cancelling a reservation that was used)."""
    return bool(re.search(r"the trigger API could not make the CSMS send \w+ to \S+: HTTP 4\d\d", str(exc)))


def require(payload: Payload, expected: Payload, label: str) -> None:
    """The request must hold ``expected`` (a subset); otherwise step ``label`` fails."""
    assert_matches(payload, expected, label)


# -- reservations ---------------------------------------------------------------------------


def reservation(cfg: Settings, *, evse_id: int | None, connector_type: bool = False,
                lifetime: timedelta = LIFETIME, reservation_id: int | None = None) -> Payload:
    """The ReserveNow the CSMS is asked to send: for the holder's token, of ``evse_id`` (None: any EVSE)."""
    payload: Payload = {"id": reservation_id or fresh_id(), "expiryDateTime": rfc3339(datetime.now(UTC) + lifetime),
                        "idToken": holder(cfg)}
    if evse_id is not None:
        payload["evseId"] = evse_id
    if connector_type:
        payload["connectorType"] = cfg.connector_type
    return payload


async def reserve(station: Station, csms: Csms, asked: Payload, held: list[int], label: str,
                  status: str = "Accepted") -> Payload:
    """The CSMS sends ReserveNow as asked (its evse, connector type and token checked), the station answers
    ``status``; returns the request (whose id the CSMS may have chosen)."""
    request = await operator_asks(station, csms, "ReserveNow", asked, {"status": status}, label)
    expected: Payload = {"idToken": asked["idToken"]}
    for key in ("evseId", "connectorType"):
        if key in asked:
            expected[key] = asked[key]
    require(request, expected, f"{label}: ReserveNowRequest")
    if status == "Accepted":
        held.append(request["id"])
    return request


async def report_status(station: Station, status: str, evse_id: int, label: str) -> None:
    """The station reports connector 1 of ``evse_id`` (StatusNotification and NotifyEvent); both must be answered."""
    with step(label):
        await states.connector_event(station, status, evse_id, 1)


async def reservation_ended(station: Station, reservation_id: int, status: str, held: list[int], label: str) -> None:
    """ReservationStatusUpdate (Expired or Removed); the CSMS must answer."""
    with step(label):
        await station.call("ReservationStatusUpdate",
                           {"reservationId": reservation_id, "reservationUpdateStatus": status})
    if reservation_id in held:
        held.remove(reservation_id)


# -- drivers --------------------------------------------------------------------------------


async def authorized(station: Station, token: Payload, label: str, why: str) -> Payload:
    """The driver presents ``token``: the AuthorizeResponse must accept it (``why`` says why it must)."""
    with step(label):
        response = await states.authorize(station, token)
    assert_matches(response, ACCEPTED, f"{label}: AuthorizeResponse for {token['idToken']} ({why})")
    return response


async def starts(station: Station, token: Payload, evse_id: int, label: str, why: str, *,
                 reservation_id: int | None = None) -> Payload:
    """The driver's transaction starts on ``evse_id`` (TransactionEvent Started, Authorized, naming
    ``reservation_id`` if given): the CSMS must accept the token (``why`` says why it must)."""
    tx = station.model.new_transaction(evse_id, 1)
    payload = msg.transaction_event(tx, "Started", "Authorized", token=token)
    if reservation_id is not None:
        payload["reservationId"] = reservation_id
    with step(label):
        response = await station.call("TransactionEvent", payload)
    tx.started = station.model.authorized = True
    assert_matches(response, ACCEPTED, f"{label}: TransactionEventResponse for {token['idToken']} on EVSE "
                                       f"{evse_id} ({why})")
    return response


async def leaves(station: Station, label: str) -> None:
    """The driver leaves without charging: the transaction ends (EVConnectTimeout); the CSMS must answer."""
    with step(label):
        await states.send_event(station, "Ended", "EVConnectTimeout", stopped_reason="Timeout")


async def charges_and_leaves(station: Station, token: Payload, evse_id: int, labels: tuple[str, str, str],
                             why: str, *, reservation_id: int | None = None) -> None:
    """The driver is authorized, starts on ``evse_id`` and leaves; each answer must accept the token."""
    await authorized(station, token, labels[0], why)
    await starts(station, token, evse_id, labels[1], why, reservation_id=reservation_id)
    await leaves(station, labels[2])


# -- the connection ------------------------------------------------------------------------


async def reconnect(station: Station, label: str) -> None:
    """The station opens a new connection (without a reboot: no BootNotification); a refusal fails ``label``."""
    try:
        await station.connect()
    except (websockets.InvalidHandshake, ssl.SSLError, OSError, TimeoutError) as exc:
        raise StepFailed(f"{label}: the CSMS refused the connection: "
                         f"{connect_failure(exc, station.cfg.message_wait)}") from None
