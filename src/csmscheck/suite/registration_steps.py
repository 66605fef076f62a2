"""Steps the registration cases of both versions share: waiting out a retry interval, messages a
station that is not accepted sends, what a CSMS's station API says it stored."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from csmscheck.errors import ConnectionLost, NotApplicable, StepFailed
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.timing import scenario_wait
from csmscheck.suite.wire_faults import V16_CODES, code_problem
from csmscheck.wire import CallError, CallResult

Payload = dict[str, Any]


def describe(answer: CallResult | CallError) -> str:
    """A CSMS's answer in OCPP terms: ``a CALLRESULT {...}`` or ``CALLERROR <code> (<description>)``."""
    if isinstance(answer, CallError):
        return f"CALLERROR {answer.code}" + (f" ({answer.description!r})" if answer.description else "")
    return f"a CALLRESULT {orjson.dumps(answer.payload).decode()}"


def retry_interval(response: Payload, cfg: Settings) -> float:
    """How long a station waits before it boots again after a Pending or Rejected answer: the interval the CSMS
    gave, or (when that is 0 and the station chooses) its configured heartbeat interval, as the OCTT does.

    Where the run knows the CSMS's retry interval (``pending_interval``) and the CSMS gave a longer one, the
    station waits the declared one: CSC-BOOT-02 reports the difference, and the case need not wait out, say,
    a heartbeat interval given by mistake.
    """
    interval = response.get("interval")
    given = float(interval) if isinstance(interval, int) and interval > 0 else float(cfg.heartbeat_interval)
    return given if cfg.pending_interval is None else min(given, float(cfg.pending_interval))


async def wait_out(station: Station, response: Payload, label: str) -> None:
    """The station waits the retry interval, then (if the CSMS closed the connection meanwhile) reconnects."""
    await scenario_wait(retry_interval(response, station.cfg))
    if not station.session.connected:
        try:
            await station.connect()
        except Exception as exc:  # any refusal: the step names it
            raise StepFailed(f"{label}: the station could not reconnect to boot again: {exc}") from None


async def security_error(station: Station, action: str, payload: Payload, label: str, why: str) -> None:
    """OCPP 2.0.1 B02.FR.09 / B03.FR.07: the CSMS answers ``action`` with CALLERROR SecurityError.

    A CSMS that closes the connection of a Rejected station instead has served nothing either
    (``why`` says whether that is the case): a closed connection fails only a Pending station.
    """
    try:
        answer = await station.send(action, payload)
    except ConnectionLost as exc:
        if "Rejected" in why:
            return
        raise StepFailed(f"{label}: expected CALLERROR SecurityError to a {action}Request of a station {why}, "
                         f"but {exc}") from None
    if not isinstance(answer, CallError) or answer.code != "SecurityError":
        raise StepFailed(f"{label}: expected CALLERROR SecurityError to a {action}Request of a station {why}, "
                         f"got {describe(answer)}")


async def served(station: Station, action: str, payload: Payload, label: str, why: str) -> Payload:
    """The CSMS answers ``action`` with a CALLRESULT; a CALLERROR or no answer fails ``label``."""
    try:
        answer = await station.send(action, payload)
    except StepFailed as exc:
        raise StepFailed(f"{label}: expected a CALLRESULT to the {action} {why}, but {exc}") from None
    if isinstance(answer, CallError):
        raise StepFailed(f"{label}: expected a CALLRESULT to the {action} {why}, got {describe(answer)}")
    return answer.payload


async def any_version_answer(station: Station, action: str, payload: Payload, label: str, why: str) -> None:
    """OCPP 1.6 leaves open how a Central System treats the requests of a charge point it has not accepted:
    it may answer them, refuse them with a CALLERROR of OCPP 1.6, or close the connection."""
    try:
        answer = await station.send(action, payload)
    except ConnectionLost:
        return
    if isinstance(answer, CallError) and answer.code not in V16_CODES:
        raise StepFailed(f"{label}: expected an answer of OCPP 1.6 to a {action}.req {why}, got "
                         f"{code_problem(answer.code, frozenset(), '1.6')}")


# -- what the CSMS stored ---------------------------------------------------------------------------


async def station_record(cfg: Settings, station_id: str, wanted: tuple[str, ...]) -> Payload:
    """What the CSMS says it holds about a station, from its station API (``GET /api/stations/{id}`` beside the
    trigger API, as the reference CSMS serves it). A CSMS without one makes the step not applicable."""
    if cfg.trigger is None or cfg.manual:
        raise NotApplicable("reading stored station data back needs the trigger API's host (CSMS_TRIGGER_ADDRESS)")
    headers = {"Authorization": f"Bearer {cfg.trigger_token}"} if cfg.trigger_token else {}
    url = f"{cfg.trigger.rstrip('/')}/api/stations/{station_id}"
    try:
        async with httpx.AsyncClient(headers=headers, timeout=cfg.message_wait) as client:
            response = await client.get(url)
        record = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        record = None
    if not isinstance(record, dict) or any(key not in record for key in wanted):
        raise NotApplicable(f"the CSMS has no station API that shows {', '.join(wanted)} (GET {url}, as the "
                            f"reference CSMS serves it)")
    return record
