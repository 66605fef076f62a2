"""A station that offers only the other OCPP version's subprotocol: the CSMS refuses it, or speaks that version.

OCPP-J (1.6 §3.1.2, 2.0.1 Part 4 §3.1.2) makes the subprotocol the CSMS selects the
version of the connection. A CSMS that serves both versions may take a station's
connection in the version it offers; what it may not do is select a subprotocol the
station did not offer, upgrade without one and serve, or agree on one version and then
answer in the other (2.0.1 error codes on an ``ocpp1.6`` connection).
"""

from __future__ import annotations

from typing import Any

import orjson

from csmscheck.errors import ConnectionLost, StepFailed
from csmscheck.station import Station, v16, v201
from csmscheck.station.handshake import REFUSALS, Outcome, served_after_upgrade
from csmscheck.suite.wire_faults import CODES, code_problem
from csmscheck.wire import Call, CallError, encode, new_message_id, validators
from csmscheck.wire.versions import OcppVersion, subprotocol_of


def _boot_of(version: OcppVersion, station: Station) -> dict[str, Any]:
    return v16.boot_notification(station.cfg) if version == "1.6" else v201.boot_notification(station.cfg)


async def speaks_offered_version(station: Station, outcome: Outcome, version: OcppVersion, label: str) -> None:
    """Judge how the CSMS met a connection that offered only the subprotocol of ``version`` (``outcome``)."""
    offered = subprotocol_of(version)
    expected = (f"expected the CSMS to refuse a connection of {station.id} offering only {offered} ({REFUSALS}), "
                f"or to select {offered} and speak OCPP {version} on it")
    if not outcome.upgraded:
        if outcome.refused:
            return
        raise StepFailed(f"{label}: {expected}, but {outcome.how}")
    if station.session.subprotocol != offered:
        served = await served_after_upgrade(station)
        if served is not None:
            raise StepFailed(f"{label}: {expected}, but {outcome.how} and {served}")
        return
    try:
        problem = await _answers_in(station, version)
    finally:
        await station.close()
    if problem is not None:
        raise StepFailed(f"{label}: {expected}, but it selected {offered} and {problem}")


async def _answers_in(station: Station, version: OcppVersion) -> str | None:
    """A BootNotification of ``version`` on the connection: None when the answer is of that version."""
    session = station.session
    uid = new_message_id()
    pending = session.track(uid)
    try:
        await session.send_raw(encode(Call(uid, "BootNotification", _boot_of(version, station))))
        answer = await session.answer_to(uid, pending, "BootNotification")
    except ConnectionLost:
        return None  # it closed the connection: nothing served in the wrong version
    except StepFailed as exc:
        return f"did not answer an OCPP {version} BootNotification ({exc})"
    if isinstance(answer, CallError):
        if answer.code in CODES[version]:
            return None  # a refusal, in the version agreed
        return f"answered an OCPP {version} BootNotification with {code_problem(answer.code, frozenset(), version)}"
    problems = validators(version).check("BootNotification", answer.payload, response=True)
    if problems:
        return (f"answered an OCPP {version} BootNotification with {orjson.dumps(answer.payload).decode()}, which "
                f"is no OCPP {version} BootNotification response: {'; '.join(map(str, problems))}")
    return None

