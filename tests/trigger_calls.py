"""Asking the in-process reference CSMS to send a call through its trigger API, as the CSMS tests do."""

from __future__ import annotations

from typing import Any

import httpx

from csmscheck.station.session import StationSession
from csmscheck.trigger.actions import action_to_kebab
from csmscheck.wire import CallError

Payload = dict[str, Any]
ACCEPTED: Payload = {"status": "Accepted"}


async def relayed(api: httpx.AsyncClient, station: StationSession, action: str, payload: Payload,
                  reply: Payload | CallError = ACCEPTED) -> Payload:
    """Have the CSMS send ``action`` and the station answer ``reply``; returns the API's JSON."""
    async with station.expect(action, reply=reply):
        response = await api.post(f"/api/octt/{station.version}/{station.station_id}/{action_to_kebab(action)}",
                                  json=payload)
        assert response.status_code == 200, response.text
    body: Payload = response.json()
    return body


async def refused(api: httpx.AsyncClient, station: StationSession, path: str, payload: Payload) -> list[str]:
    """The trigger API refuses the request at ``path`` (kebab-case action) with 400 and its reasons, and the
    station receives nothing; returns the reasons."""
    before = len(station.calls)
    response = await api.post(f"/api/octt/{station.version}/{station.station_id}/{path}", json=payload)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["detail"].startswith("invalid "), body
    assert len(station.calls) == before, "a refused request was sent to the station"
    return [str(e) for e in body["errors"]]
