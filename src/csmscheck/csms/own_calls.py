"""Calls the CSMS sends on its own, right after answering a station: CertificateSigned after a
SignCertificate it accepted, a TxProfile after EV charging needs it accepted.

The call runs as a task started after the handler returned, so the answer it follows is on
its way first (nothing awaits between a handler returning and its answer being written).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from csmscheck.wire import CallError, CallResult

if TYPE_CHECKING:
    from csmscheck.csms.connection import StationConnection

log = logging.getLogger("csmscheck.csms")

_running: set[asyncio.Task[None]] = set()  # keeps the calls under way referenced until they end


def start(call: Coroutine[Any, Any, None]) -> None:
    """Run ``call`` (a coroutine that sends the CSMS's own CALL) once the current answer is on its way."""
    task = asyncio.get_running_loop().create_task(call)
    _running.add(task)
    task.add_done_callback(_running.discard)


async def call_or_none(connection: StationConnection, action: str, payload: dict[str, Any],
                       what: str) -> CallResult | CallError | None:
    """Send ``action`` and return the station's answer; None (logged, naming ``what``) when it never got there:
    a timeout or a closed connection."""
    try:
        return await connection.call(action, payload, connection.csms.config.call_timeout)
    except Exception as exc:  # whatever stopped it, the station did not take the call
        log.warning("%s: %s not delivered: %s", connection.station_id, what, exc)
        return None
