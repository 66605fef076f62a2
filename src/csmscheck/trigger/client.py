"""How the suite makes a CSMS act: over the trigger API, or by asking an operator.

Both adapters share one interface. ``request`` asks the CSMS to send an OCPP call to a
station; the test then checks the frame the station receives. Setup actions (tokens,
registration status, passwords) are configuration an operator would do by hand.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Protocol

import httpx

from csmscheck.errors import StepFailed
from csmscheck.trigger.actions import action_to_kebab
from csmscheck.wire.versions import OcppVersion

Payload = dict[str, Any]


class Trigger(Protocol):
    async def request(self, version: OcppVersion, station_id: str, action: str, payload: Payload) -> Payload | None:
        """Make the CSMS send ``action`` with ``payload``; the station's reply when known."""

    async def set_registration_status(self, station_id: str, status: str, boots: int | None = None) -> None:
        """Make the CSMS answer the station's next BootNotification(s) with ``status``."""

    async def create_token(self, id_token: str, type_: str, status: str, group_id: str | None = None) -> None: ...

    async def set_basic_auth_password(self, station_id: str, password: str) -> None: ...

    async def close(self) -> None: ...


class HttpTrigger:
    """The trigger API client (see the README's "Trigger API")."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.AsyncClient(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)

    async def _post(self, path: str, body: Payload, what: str) -> Payload:
        try:
            response = await self._client.post(path, json=body)
        except httpx.HTTPError as exc:
            raise StepFailed(f"trigger API unreachable at {self._client.base_url} ({what}): {exc}") from None
        if response.status_code >= 400:
            raise StepFailed(f"trigger API refused {what}: HTTP {response.status_code} {response.text[:500]}")
        result: Payload = response.json()
        return result

    async def request(self, version: OcppVersion, station_id: str, action: str, payload: Payload) -> Payload | None:
        path = f"/api/octt/{version}/{station_id}/{action_to_kebab(action)}"
        return await self._post(path, payload, f"{action} for {station_id}")

    async def set_registration_status(self, station_id: str, status: str, boots: int | None = None) -> None:
        body: Payload = {"stationId": station_id, "status": status}
        if boots is not None:
            body["boots"] = boots
        await self._post("/api/octt/set-registration-status", body, f"registration status {status}")

    async def create_token(self, id_token: str, type_: str, status: str, group_id: str | None = None) -> None:
        body: Payload = {"idToken": id_token, "type": type_, "status": status}
        if group_id is not None:
            body["groupId"] = group_id
        await self._post("/api/octt/create-token", body, f"token {id_token}")

    async def set_basic_auth_password(self, station_id: str, password: str) -> None:
        await self._post("/api/octt/set-basic-auth-password", {"stationId": station_id, "password": password},
                         "basic auth password")

    async def close(self) -> None:
        await self._client.aclose()


class ManualTrigger:
    """Prompts an operator to make the CSMS act; the suite waits for the frame itself."""

    def __init__(self, say: Any = print, confirm: bool = True) -> None:
        self._say = say
        self._confirm = confirm

    async def request(self, version: OcppVersion, station_id: str, action: str, payload: Payload) -> Payload | None:
        self._say(f"\n>>> Make the CSMS send {action} (OCPP {version}) to {station_id} with:\n"
                  f"{json.dumps(payload, indent=2)}\n    waiting for the frame...")
        return None

    async def _setup(self, text: str) -> None:
        self._say(f"\n>>> {text}")
        if self._confirm:
            await asyncio.to_thread(input, "    press Enter when done ")

    async def set_registration_status(self, station_id: str, status: str, boots: int | None = None) -> None:
        times = f"the next {boots}" if boots else "every"
        await self._setup(f"Configure the CSMS to answer {times} BootNotification of {station_id} with {status}.")

    async def create_token(self, id_token: str, type_: str, status: str, group_id: str | None = None) -> None:
        group = f" in group {group_id}" if group_id else ""
        await self._setup(f"Make sure the CSMS knows ID token {id_token} ({type_}) with status {status}{group}.")

    async def set_basic_auth_password(self, station_id: str, password: str) -> None:
        await self._setup(f"Set the basic auth password of {station_id} to {password!r} in the CSMS.")

    async def close(self) -> None:
        return None
