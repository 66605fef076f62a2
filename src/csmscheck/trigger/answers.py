"""Reading the station's reply out of a trigger API answer, in either dialect.

csmscheck's routes wrap it: ``{"response": {...}}`` for a CALLRESULT, ``{"error": {...}}``
for a CALLERROR, HTTP 504 when the station did not answer. The original OCTT pytest
suite's CSMSs put the CALLRESULT payload at the top level (``{"status": "Accepted"}``) and
answer HTTP 200 even when the station gave no answer, with a marker instead: ``{"result":
"timeout", "message": ...}``, ``{"response": "None"}`` (its CALLERROR), or nothing at all.
"""

from __future__ import annotations

import json
from typing import Any

from csmscheck.errors import StepFailed
from csmscheck.wire import validators
from csmscheck.wire.versions import OcppVersion

Payload = dict[str, Any]


def no_answer(action: str, said: object) -> StepFailed:
    shown = json.dumps(said)[:300] if said is not None else "an empty body"
    return StepFailed(f"the CSMS reported no answer from the station to {action} (the trigger API answered {shown})")


def _parse(content: bytes) -> object:
    if not content.strip():
        return None
    try:
        return json.loads(content)
    except ValueError:
        return content.decode(errors="replace")


def station_answer(version: OcppVersion, action: str, content: bytes) -> Payload:
    """``{"response": payload}`` or ``{"error": {...}}`` from an HTTP 200 answer to ``action``.

    A top-level ``{}`` is the station's reply only where OCPP allows an empty answer to
    ``action`` (1.6 UpdateFirmware.conf, ...); elsewhere it means the CSMS had nothing to relay.
    """
    body = _parse(content)
    if not isinstance(body, dict) or not body:
        if body == {} and not validators(version).check(action, body, response=True):
            return {"response": body}
        raise no_answer(action, body)
    if isinstance(body.get("error"), dict):
        return {"error": body["error"]}
    if "response" in body:
        if isinstance(body["response"], dict):
            return {"response": body["response"]}
        raise no_answer(action, body)
    if isinstance(body.get("result"), str):  # the original's {"result": "timeout", "message": ...}
        raise no_answer(action, body)
    return {"response": body}
