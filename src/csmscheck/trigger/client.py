"""How the suite makes a CSMS act: over the trigger API, or by asking an operator.

Both adapters share one interface. ``request`` asks the CSMS to send an OCPP call to a
station; the test then checks the frame the station receives. Setup actions (tokens,
registration status, passwords) are configuration an operator would do by hand.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Literal, Protocol

import httpx
from pydantic import ValidationError

from csmscheck.errors import NotApplicable, StepFailed
from csmscheck.trigger.actions import action_to_kebab
from csmscheck.trigger.answers import station_answer
from csmscheck.trigger.stored import StoredTransaction, UnknownTransaction
from csmscheck.wire.versions import OcppVersion

Payload = dict[str, Any]
# Which routes and body names the client uses: csmscheck's (DESIGN §2.5) or the original
# OCTT pytest suite's (call/{Action}, set-pending-boot, snake_case bodies).
Dialect = Literal["csmscheck", "octt"]
DIALECTS: tuple[Dialect, ...] = ("csmscheck", "octt")
# 2.0.1 calls the original suite's CSMS serves on kebab-case routes (split by its ItemsPerMessage setting).
_OCTT_KEBAB_CALLS = {"GetVariables", "SetVariables"}


class Trigger(Protocol):
    async def request(self, version: OcppVersion, station_id: str, action: str, payload: Payload) -> Payload | None:
        """Make the CSMS send ``action`` with ``payload``; the station's reply when known."""

    async def set_registration_status(self, station_id: str, status: str, boots: int | None = None,
                                      version: OcppVersion = "2.0.1") -> None:
        """Make the CSMS answer the station's next BootNotification(s) with ``status``."""

    async def create_token(self, id_token: str, type_: str, status: str, group_id: str | None = None,
                           cache_expiry: str | None = None) -> None:
        """Make the CSMS know ``id_token`` with ``status`` (in ``group_id``, valid until ``cache_expiry``)."""

    async def set_basic_auth_password(self, station_id: str, password: str) -> None: ...

    async def transaction(self, version: OcppVersion, station_id: str,
                          transaction_id: str) -> StoredTransaction | None:
        """What the CSMS stored about the transaction (None when nobody can read it back: manual mode)."""

    async def close(self) -> None: ...


class TransactionNotStored(StepFailed):
    """The CSMS answered that it knows no such transaction of the station."""


def _detail(response: httpx.Response) -> str:
    """What the trigger API said about a refusal, in one line."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300]
    if not isinstance(body, dict):
        return json.dumps(body)[:300]
    detail = body.get("detail") or body.get("error") or body.get("message") or ""
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        detail = f"{detail}: {'; '.join(map(str, errors))}" if detail else "; ".join(map(str, errors))
    return (str(detail) if detail else json.dumps(body))[:500]


def refusal(response: httpx.Response, what: str, action: str | None) -> StepFailed:
    """A plain sentence for a trigger API answer of HTTP 4xx/5xx."""
    status = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    detail = _detail(response)
    said = f"{status}: {detail}" if detail else status
    if response.status_code == 504 and action is not None:
        return StepFailed(f"the CSMS did not get an answer from the station to {action} in time "
                          f"(trigger API: {said})")
    return StepFailed(f"the trigger API could not {what}: {said}")


class HttpTrigger:
    """The trigger API client (see the README's "The trigger API").

    It reads the station's reply wrapped (``{"response": …}``, ``{"error": …}``) or at the top
    level, as the original suite's CSMSs answer; ``dialect="octt"`` also makes it *call* the
    original's routes, for a CSMS that serves only those.
    """

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30.0,
                 dialect: str = "csmscheck") -> None:
        if dialect not in DIALECTS:
            raise ValueError(f"unknown trigger dialect {dialect!r}: use one of {', '.join(DIALECTS)}")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.AsyncClient(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)
        self.dialect: Dialect = "octt" if dialect == "octt" else "csmscheck"

    async def _post(self, path: str, body: Payload, what: str, action: str | None = None) -> httpx.Response:
        try:
            response = await self._client.post(path, json=body)
        except httpx.HTTPError as exc:
            raise StepFailed(f"the trigger API at {self._client.base_url} is unreachable, so it could not {what}: "
                             f"{exc or type(exc).__name__}") from None
        if response.status_code >= 400:
            raise refusal(response, what, action)
        return response

    def _call_path(self, version: OcppVersion, station_id: str, action: str) -> str:
        if self.dialect == "octt" and version == "2.0.1" and action not in _OCTT_KEBAB_CALLS:
            return f"/api/octt/{version}/{station_id}/call/{action}"
        return f"/api/octt/{version}/{station_id}/{action_to_kebab(action)}"

    async def request(self, version: OcppVersion, station_id: str, action: str, payload: Payload) -> Payload | None:
        """The station's reply as ``{"response": …}`` or ``{"error": …}``, however the CSMS put it."""
        response = await self._post(self._call_path(version, station_id, action), payload,
                                    f"make the CSMS send {action} to {station_id}", action)
        return station_answer(version, action, response.content)

    async def set_registration_status(self, station_id: str, status: str, boots: int | None = None,
                                      version: OcppVersion = "2.0.1") -> None:
        what = f"set the registration status of {station_id} to {status}"
        if self.dialect == "octt" and boots is None and status in ("Pending", "Accepted"):
            await self._post(f"/api/octt/{version}/{station_id}/set-pending-boot", {"pending": status == "Pending"},
                             what)
            return
        body: Payload = {"stationId": station_id, "status": status}
        if boots is not None:
            body["boots"] = boots
        await self._post("/api/octt/set-registration-status", body, what)

    async def create_token(self, id_token: str, type_: str, status: str, group_id: str | None = None,
                           cache_expiry: str | None = None) -> None:
        octt = self.dialect == "octt"
        body: Payload = {"token_id" if octt else "idToken": id_token, "type": type_, "status": status}
        if group_id is not None:
            body["group_id" if octt else "groupId"] = group_id
        if cache_expiry is not None:
            body["cache_expiry_date_time" if octt else "cacheExpiryDateTime"] = cache_expiry
        await self._post("/api/octt/create-token", body, f"create ID token {id_token} ({status})")

    async def set_basic_auth_password(self, station_id: str, password: str) -> None:
        key = "station_id" if self.dialect == "octt" else "stationId"
        await self._post("/api/octt/set-basic-auth-password", {key: station_id, "password": password},
                         f"set the basic-auth password of {station_id}")

    async def transaction(self, version: OcppVersion, station_id: str,
                          transaction_id: str) -> StoredTransaction | None:
        """``GET …/transactions/{id}``: the CSMS's stored view of the transaction.

        Raises :class:`TransactionNotStored` when the CSMS answers that it has no such
        transaction, NotApplicable when it does not serve the route at all (any other 404,
        405 or 501), StepFailed for other refusals and answers that are not the documented shape.
        """
        path = f"/api/octt/{version}/{station_id}/transactions/{transaction_id}"
        what = f"read back transaction {transaction_id} of {station_id}"
        try:
            response = await self._client.get(path)
        except httpx.HTTPError as exc:
            raise StepFailed(f"the trigger API at {self._client.base_url} is unreachable, so it could not {what}: "
                             f"{exc or type(exc).__name__}") from None
        if response.status_code == 404:
            try:
                unknown = UnknownTransaction.model_validate_json(response.content)
            except ValidationError:
                unknown = None
            if unknown is not None and unknown.transactionId == str(transaction_id):
                raise TransactionNotStored(f"the CSMS has no transaction {transaction_id} of {station_id} "
                                           f"(trigger API: {unknown.detail})")
        if response.status_code in (404, 405, 501):
            raise NotApplicable(f"the trigger API does not serve GET {path} (HTTP {response.status_code}), so "
                                f"what the CSMS stored cannot be read back")
        if response.status_code >= 400:
            raise refusal(response, what, None)
        try:
            return StoredTransaction.model_validate_json(response.content)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
            raise StepFailed(f"the trigger API's read-back of transaction {transaction_id} is not the documented "
                             f"shape: {problems}") from None

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

    async def set_registration_status(self, station_id: str, status: str, boots: int | None = None,
                                      version: OcppVersion = "2.0.1") -> None:
        times = f"the next {boots}" if boots else "every"
        await self._setup(f"Configure the CSMS to answer {times} BootNotification of {station_id} with {status}.")

    async def create_token(self, id_token: str, type_: str, status: str, group_id: str | None = None,
                           cache_expiry: str | None = None) -> None:
        group = f" in group {group_id}" if group_id else ""
        until = f", valid until {cache_expiry}" if cache_expiry else ""
        await self._setup(f"Make sure the CSMS knows ID token {id_token} ({type_}) with status {status}{group}{until}.")

    async def set_basic_auth_password(self, station_id: str, password: str) -> None:
        await self._setup(f"Set the basic auth password of {station_id} to {password!r} in the CSMS.")

    async def transaction(self, version: OcppVersion, station_id: str,
                          transaction_id: str) -> StoredTransaction | None:
        return None  # an operator cannot be asked to type in a database record

    async def close(self) -> None:
        return None
