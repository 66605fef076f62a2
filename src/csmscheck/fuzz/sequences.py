"""State-aware sequences: valid frames in an order or state a CSMS may not expect, and the station's own
answers to CSMS calls sent late, twice or malformed (through the trigger API).

Every frame here is schema-valid, so each must get a CALLRESULT (or, before an accepted
BootNotification, a CALLERROR SecurityError), and the connection must survive all of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import orjson
import websockets

from csmscheck.fuzz.cases import Case, call_text
from csmscheck.fuzz.link import Link, LinkFailed
from csmscheck.fuzz.oracle import RESULT, Expectation
from csmscheck.fuzz.schema import timestamp
from csmscheck.wire.errors import ErrorCode, error_code
from csmscheck.wire.versions import OcppVersion

if TYPE_CHECKING:
    from csmscheck.fuzz.runner import Fuzzer


def _now(rng: random.Random) -> str:
    return timestamp(rng)


def _v201(rng: random.Random) -> list[tuple[str, str, dict[str, Any]]]:
    tx = f"fuzz-{rng.getrandbits(32):08x}"

    def event(kind: str, seq: int, reason: str = "Authorized") -> dict[str, Any]:
        return {"eventType": kind, "timestamp": _now(rng), "triggerReason": reason, "seqNo": seq,
                "transactionInfo": {"transactionId": tx}, "evse": {"id": 1, "connectorId": 1}}

    unknown = {**event("Updated", 3, "MeterValuePeriodic"), "transactionInfo": {"transactionId": tx + "-none"}}
    return [("updated-without-started", "TransactionEvent", unknown),
            ("ended-without-started", "TransactionEvent", {**event("Ended", 9, "StopAuthorized"),
                                                           "transactionInfo": {"transactionId": tx + "-x"}}),
            ("seqno-start", "TransactionEvent", event("Started", 0)),
            ("seqno-gap", "TransactionEvent", event("Updated", 7, "MeterValuePeriodic")),
            ("seqno-repeat", "TransactionEvent", event("Updated", 7, "MeterValuePeriodic")),
            ("seqno-backwards", "TransactionEvent", event("Updated", 2, "MeterValuePeriodic")),
            ("ended", "TransactionEvent", event("Ended", 8, "StopAuthorized")),
            ("ended-twice", "TransactionEvent", event("Ended", 9, "StopAuthorized")),
            ("updated-after-ended", "TransactionEvent", event("Updated", 10, "MeterValuePeriodic"))]


def _v16(rng: random.Random) -> list[tuple[str, str, dict[str, Any]]]:
    unknown = rng.randint(10**8, 2**31 - 1)
    return [("stop-unknown-transaction", "StopTransaction",
             {"transactionId": unknown, "meterStop": 10, "timestamp": _now(rng)}),
            ("meter-values-unknown-transaction", "MeterValues",
             {"connectorId": 1, "transactionId": unknown,
              "meterValue": [{"timestamp": _now(rng), "sampledValue": [{"value": "10"}]}]}),
            ("stop-twice", "StopTransaction", {"transactionId": unknown, "meterStop": 10, "timestamp": _now(rng)})]


BEFORE_BOOT: dict[OcppVersion, list[tuple[str, dict[str, Any]]]] = {
    "2.0.1": [("Heartbeat", {}), ("StatusNotification", {"timestamp": "2025-01-01T00:00:00Z",
                                                        "connectorStatus": "Available", "evseId": 1,
                                                        "connectorId": 1}),
              ("Authorize", {"idToken": {"idToken": "FUZZ", "type": "ISO14443"}})],
    "1.6": [("Heartbeat", {}), ("StatusNotification", {"connectorId": 1, "errorCode": "NoError",
                                                      "status": "Available"}), ("Authorize", {"idTag": "FUZZ"})],
}


async def run_sequences(fuzzer: Fuzzer, link: Link) -> None:
    """Every sequence once, on ``link`` (booted) and on a connection of the same station that never booted."""
    version = fuzzer.options.version
    rng = random.Random(f"{fuzzer.options.seed}:{version}:sequences")
    steps = _v201(rng) if version == "2.0.1" else _v16(rng)
    security = frozenset({error_code(ErrorCode.SECURITY_ERROR, version)})
    for n, (name, action, payload) in enumerate(steps):
        await _step(fuzzer, link, -(n + 1), f"sequence:{name}", action, payload,
                    Expectation(RESULT, fuzzer.rules.valid, ids=(f"s{n}",)))
    fresh = Link(link.url, link.station_id, version, link.password, link.timeout)
    await link.close()  # one connection per station id: the booted one makes way
    try:
        await fresh.open(boot=False)
        for n, (action, payload) in enumerate(BEFORE_BOOT[version]):
            uid = f"b{n}"
            await _step(fuzzer, fresh, -(100 + n), "sequence:before-boot", action, payload,
                        Expectation(RESULT, fuzzer.rules.valid, security, (uid,), result_ok=True), uid)
    except LinkFailed:
        pass
    finally:
        await fresh.close()
    await link.open()
    if fuzzer.options.trigger:
        await _answers_to_csms(fuzzer, link)


async def _step(fuzzer: Fuzzer, link: Link, index: int, category: str, action: str, payload: dict[str, Any],
                expect: Expectation, uid: str | None = None) -> None:
    uid = uid or expect.ids[0]
    case = Case(index, category, action, call_text(uid, action, payload), uid, expect, payload)
    verdict, got = await fuzzer.exchange(link, case)
    fuzzer.stats.frames += 1
    if expect.codes:  # before boot: SecurityError is a right answer to a valid frame
        verdict.breaches = [(r, m) for r, m in verdict.breaches if not any(f"CALLERROR {c}" in m for c in expect.codes)]
    if verdict.breaches:
        await fuzzer._record(link, case, verdict, got)
    await fuzzer.probe(link, case)


# -- the station's answers to calls of the CSMS ---------------------------------------------


async def _answers_to_csms(fuzzer: Fuzzer, link: Link) -> None:
    """ClearCache through the trigger API, answered malformed, with a wrong payload, twice and late: the
    CSMS must stay up and answer none of these answers (an answer is never answered)."""
    version = fuzzer.options.version
    url = f"{fuzzer.options.trigger}/api/octt/{version}/{link.station_id}/clear-cache"
    answers: tuple[tuple[str, Callable[[str], list[str]]], ...] = (
        ("malformed-answer", lambda uid: [f'[3,"{uid}","Accepted"]']),
        ("answer-with-wrong-payload", lambda uid: [orjson.dumps([3, uid, {"status": "Exploded"}]).decode()]),
        ("duplicated-answer", lambda uid: [orjson.dumps([3, uid, {"status": "Accepted"}]).decode()] * 2),
        ("late-answer", lambda uid: [orjson.dumps([3, uid, {"status": "Accepted"}]).decode()]))
    async with httpx.AsyncClient(timeout=fuzzer.options.timeout * 3) as client:
        for n, (name, frames) in enumerate(answers):
            request = asyncio.create_task(client.post(url, json={}))
            uid = await _csms_call(link)
            case = Case(-(200 + n), f"sequence:{name}", "ClearCache", "", uid or "", Expectation(RESULT))
            if uid is None:
                request.cancel()
                return  # the CSMS under test did not send the call: nothing to answer
            if name == "late-answer":  # after the CSMS gave up waiting (the trigger API answered 504)
                with contextlib.suppress(httpx.HTTPError):
                    await request
            for text in frames(uid):
                case.text = text
                await link.send(text)
            with contextlib.suppress(httpx.HTTPError):
                await request
            fuzzer.stats.frames += len(frames(uid))
            fence = f"fence{n}"
            await link.send(f'[2,"{fence}","Heartbeat",{{}}]')
            got = await link.collect((fence,))
            stray = [f for f in got.frames if fence not in str(f)[:40]]
            fuzzer.verdicts.checked(fuzzer.rules.no_answer)
            if stray:
                fuzzer._add(fuzzer.rules.no_answer, case, "the CSMS answered the station's answer", "\n".join(
                    map(str, stray)))
            await fuzzer.probe(link, case)


async def _csms_call(link: Link) -> str | None:
    """The message id of the next CALL the CSMS sends (None when none comes in time)."""
    assert link.ws is not None
    try:
        async with asyncio.timeout(link.timeout):
            while True:
                text = await link.ws.recv()
                frame = orjson.loads(text)
                if isinstance(frame, list) and len(frame) > 2 and frame[0] == 2:
                    return str(frame[1])
    except (TimeoutError, orjson.JSONDecodeError, websockets.ConnectionClosed):
        return None
