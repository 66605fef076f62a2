"""Requests the operator has the Central System send (the OCTT's manual actions), and the
csmscheck checks around them that the OCTT does not make.

The OCTT validates some fields of such a request (the case checks those with
``assert_matches``); whether the request carries the rest of what the operator asked for
is the generic csmscheck check ``CSC-REQ-01`` of every requested call (``suite/requested.py``),
and whether the Central System read the charge point's answer right is ``CSC-16-RELAY-01``:
findings beside the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from csmscheck.checks import v16 as checks
from csmscheck.expect import mismatches, step
from csmscheck.station.replies import Reply
from csmscheck.station.station import Station
from csmscheck.station.v16 import Payload
from csmscheck.suite.operator import Csms
from csmscheck.wire import CallError


@dataclass(frozen=True)
class Sent:
    """A CALL the Central System sent: its payload, the charge point's answer and what the trigger API
    reported the Central System learnt from it (None in manual mode)."""

    action: str
    payload: Payload
    answer: Payload | CallError | None
    relayed: Payload | None


async def csms_sends(station: Station, csms: Csms, action: str, payload: Payload, step_label: str, *,
                     reply: Reply | None = None) -> Sent:
    """The operator has the Central System send ``action`` with ``payload``; the charge point answers
    ``reply`` (or its reply policy) as the CALL arrives. No CALL in time, an invalid one or a refused
    trigger fails ``step_label`` (e.g. "Step 1: Reset.req")."""
    with step(step_label):
        async with station.expect(action, reply=reply) as got:
            relayed = await csms.request(station, action, payload)
    return Sent(action, got.payload, got.answer, relayed)


def _show(value: Any) -> str:
    return orjson.dumps(value).decode()


def check_relayed(station: Station, sent: Sent, step_label: str) -> None:
    """csmscheck check CSC-16-RELAY-01: the Central System reports the charge point's answer as it was
    sent (``step_label`` names the answer, e.g. "Step 2: Reset.conf")."""
    if sent.relayed is None or not isinstance(sent.answer, dict):
        return
    if "error" in sent.relayed:
        station.findings.check(checks.ANSWER_RELAYED, False,
                               f"{step_label}: the Central System reported a CALLERROR "
                               f"{_show(sent.relayed['error'])}, but the charge point answered {_show(sent.answer)}")
        return
    reported = sent.relayed.get("response")
    problems = mismatches(reported, sent.answer)
    station.findings.check(checks.ANSWER_RELAYED, not problems,
                           f"{step_label}: the Central System reported the charge point's answer as "
                           f"{_show(reported)}, but the charge point answered {_show(sent.answer)}")
