"""What a CSMS does with a station's connections beyond the handshake: an oversized frame, a second
connection with the same id, a burst of wrong passwords.

The burst runs last in a scan: a CSMS that limits failed logins may refuse the station for a
while afterwards (the scan reports whether its right password still gets in).
"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter

from csmscheck.errors import ConnectionLost, StepFailed
from csmscheck.scan import rules
from csmscheck.scan.attempts import received
from csmscheck.scan.handshakes import RATE_LIMITED, BasicAuthScan
from csmscheck.station.handshake import Attempt, boot_payload, knock
from csmscheck.station.station import Station
from csmscheck.wire import CallError, CallResult

OVERSIZED_BYTES = 8 * 2**20  # over every size limit seen in CSMSs (the reference CSMS: 1 MiB)
MESSAGE_TOO_BIG = 1009
BURST = 20  # wrong passwords in a row


async def _open(target: BasicAuthScan, station: Station) -> str | None:
    """Connect ``station`` with the right credentials; None when connected, else why not."""
    try:
        outcome = await knock(station, Attempt(target.url, target.password, ssl_context=target.context))
    except StepFailed as exc:
        return str(exc)
    return None if outcome.upgraded else outcome.how


async def oversized_frame(target: BasicAuthScan) -> None:
    """A Heartbeat CALL padded past the size limit: closed with 1009, or answered with a CALLERROR, in time."""
    record, where, rule = target.scan.record, target.where, rules.OVERSIZED_FRAME
    deadline = 2 * target.scan.cfg.message_wait
    async with target.scan.station(target.station_id, target.url, target.password, target.context) as station:
        failed = await _open(target, station)
        if failed is not None:
            record.skip(rule, where, f"the station could not connect: {failed}")
            return
        session = station.session
        unique_id = f"scan-oversized-{secrets.token_hex(4)}"
        frame = f'[2,"{unique_id}","Heartbeat",{{"padding":"{"x" * OVERSIZED_BYTES}"}}]'
        sent = f'[2,"{unique_id}","Heartbeat",{{"padding":"x…"}}] padded to {len(frame):,} bytes'
        answer = session.track(unique_id)
        try:
            await session.send_raw(frame)
            result: CallResult | CallError | None = await _within(answer, deadline)
            hung = result is None
        except ConnectionLost:
            result, hung = None, False
            if answer.done():
                answer.exception()  # retrieved: the close is what is judged
        if result is None:
            try:  # a connection lost while sending is recorded as closed by the reader a moment later
                await session.wait_closed(deadline if not hung else 0.1)
            except StepFailed:
                record.finding(rule, where, sent, f"no answer within {deadline:g}s, connection still open",
                               f"neither answered nor closed the connection within {deadline:g}s: it hangs")
                return
            code = session.close_code
            if code == MESSAGE_TOO_BIG:
                record.passed(rule, where, f"closed with 1009 ({session.closed_how})")
            else:
                record.finding(rule, where, sent, session.closed_how,
                               f"closed the connection with {code} instead of 1009 (message too big): "
                               f"{session.closed_how}")
        elif isinstance(result, CallError):
            record.passed(rule, where, f"answered CALLERROR {result.code}")
        else:
            record.finding(rule, where, sent, f"CALLRESULT {result.payload}",
                           "answered an oversized Heartbeat with a CALLRESULT, as if the frame were within limits")


async def _within(answer: asyncio.Future[CallResult | CallError], deadline: float) -> CallResult | CallError | None:
    try:
        return await asyncio.wait_for(answer, deadline)
    except TimeoutError:
        return None


async def _served(station: Station) -> str:
    """Whether the connection serves the station: its BootNotification gets a CALLRESULT."""
    try:
        answer = await station.session.send("BootNotification", boot_payload(station))
    except (ConnectionLost, StepFailed) as exc:
        return f"not served ({exc})"
    if isinstance(answer, CallError):
        return f"answered CALLERROR {answer.code}"
    return "served"


async def duplicate_connection(target: BasicAuthScan) -> None:
    """Two connections of one station, one after the other: which one the CSMS keeps serving."""
    record, where, rule = target.scan.record, target.where, rules.DUPLICATE_CONNECTION
    scan, sid = target.scan, target.station_id
    async with (scan.station(sid, target.url, target.password, target.context) as first,
                scan.station(sid, target.url, target.password, target.context) as second):
        failed = await _open(target, first)
        if failed is not None:
            record.skip(rule, where, f"the station could not connect: {failed}")
            return
        first_before = await _served(first)
        failed = await _open(target, second)
        if failed is not None:
            record.note(rule, where, f"the second connection was refused ({failed}); the first: "
                                     f"{await _served(first)}")
            return
        try:
            await first.session.wait_closed(scan.cfg.message_wait)
            old = f"the first was closed ({first.session.closed_how})"
        except StepFailed:
            old = f"the first stayed open and is {await _served(first)}"
        record.note(rule, where, f"first connection {first_before}; the second connection was accepted and is "
                                 f"{await _served(second)}; {old}")


async def password_burst(target: BasicAuthScan) -> None:
    """``BURST`` wrong passwords in a row, then the right one: is there rate limiting, does it lock the station out?"""
    record, where, rule = target.scan.record, target.where, rules.PASSWORD_BURST
    seen: Counter[str] = Counter()
    limited_from: int | None = None
    for n in range(1, BURST + 1):
        _how, outcome = await target.try_as(target.station_id, password=secrets.token_hex(16))
        if isinstance(outcome, str):
            record.skip(rule, where, outcome)
            return
        seen[f"HTTP {outcome.status}" if outcome.status else outcome.how] += 1
        if limited_from is None and outcome.status != 401:
            limited_from = n
    answers = ", ".join(f"{what} ×{count}" for what, count in seen.items())
    limited = (f"rate limited (an answer other than 401) from attempt {limited_from}" if limited_from is not None
               else f"no rate limiting seen in {BURST} attempts")
    _how, right = await target.try_as(target.station_id, password=target.password)
    after = right if isinstance(right, str) else (
        "admitted" if right.upgraded and not right.refused else f"refused ({received(right)})")
    extra = " (429 with Retry-After)" if seen.get(f"HTTP {RATE_LIMITED}") else ""
    record.note(rule, where, f"{BURST} wrong passwords for {target.station_id}: {answers}; {limited}{extra}; the "
                             f"right password right after: {after}")
