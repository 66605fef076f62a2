"""The CSMS as a test sees it: a trigger adapter bound to the test's stations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from csmscheck.errors import StepFailed
from csmscheck.station.station import Station
from csmscheck.suite.requested import Asked
from csmscheck.trigger.client import Trigger

Payload = dict[str, Any]


class Csms:
    """Ask the CSMS to act (the OCTT's "manual actions"), through the configured trigger."""

    def __init__(self, trigger: Trigger) -> None:
        self.trigger = trigger
        self._asked: list[Asked] = []

    async def request(self, station: Station, action: str, payload: Payload) -> Payload | None:
        """Make the CSMS send ``action``; returns the station's reply the API relayed (None in manual mode).

        Call it inside ``station.expect(action)``: the station answers as the CALL arrives. What
        arrives is checked field by field against ``payload`` (csmscheck check CSC-REQ-01): once
        the trigger API relayed the answer, or at the end of the case in manual mode.
        """
        asked = Asked(station, action, payload, len(station.session.calls))
        for earlier in self._asked:
            if earlier.station is station and earlier.action == action:
                earlier.close()  # a later request of the same action starts a new window
        self._asked.append(asked)
        reply = await self.trigger.request(station.version, station.id, action, payload)
        if reply is not None and "response" not in reply and "error" not in reply:
            raise StepFailed(f"the trigger API relayed no answer of the station to {action}: {reply}")
        if reply is not None:
            asked.close()
        return reply

    def finish(self) -> None:
        """Check the requests whose CALLs were still awaited (manual mode) with what arrived by now."""
        for asked in self._asked:
            asked.close()

    async def set_registration_status(self, station: Station, status: str, boots: int | None = None) -> None:
        await self.trigger.set_registration_status(station.id, status, boots, station.version)

    @asynccontextmanager
    async def registration(self, station: Station, status: str, boots: int = 1) -> AsyncIterator[None]:
        """Have the CSMS answer the next ``boots`` boots with ``status``; back to Accepted afterwards."""
        await self.set_registration_status(station, status, boots)
        try:
            yield
        finally:
            await self.set_registration_status(station, "Accepted")

    async def create_token(self, id_token: str, type_: str, status: str, group_id: str | None = None,
                           cache_expiry: str | None = None) -> None:
        """The CSMS knows ``id_token`` with ``status`` (in ``group_id``; valid until ``cache_expiry``, RFC 3339)."""
        await self.trigger.create_token(id_token, type_, status, group_id, cache_expiry)

    async def set_basic_auth_password(self, station: Station, password: str) -> None:
        await self.trigger.set_basic_auth_password(station.id, password)


def relayed_answer(reply: Payload | None, step: str) -> Payload | None:
    """The station's answer as the trigger API relayed it (None in manual mode).

    The station answered with a CALLRESULT; a CSMS that reports an error instead lost it.
    """
    if reply is None:
        return None
    if "error" in reply:
        raise StepFailed(f"{step}: the CSMS reported a CALLERROR the station never sent: {reply['error']}")
    response: Payload = reply["response"]
    return response
