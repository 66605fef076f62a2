"""One charging station's live WebSocket session on the reference CSMS."""

from __future__ import annotations

import asyncio
import logging
import operator
from contextlib import suppress
from functools import partial
from typing import TYPE_CHECKING, Any

import websockets
from websockets.asyncio.server import ServerConnection

from csmscheck.csms.router import ROUTES, OcppError, Payload
from csmscheck.timestamps import UnrepresentableTime
from csmscheck.wire import Call, CallError, CallResult, FrameError, encode, new_message_id, parse, validators
from csmscheck.wire.documents import path_of
from csmscheck.wire.errors import ErrorCode, cut, error_code
from csmscheck.wire.versions import OcppVersion

if TYPE_CHECKING:
    from csmscheck.csms.app import CsmsContext

log = logging.getLogger("csmscheck.csms")

# While a station's boot is Pending it may still send these (B02.FR.09).
_ALLOWED_WHILE_PENDING = {"BootNotification", "NotifyReport"}
_TRIGGERED_ACTION = {
    "SignChargingStationCertificate": "SignCertificate",
    "SignV2GCertificate": "SignCertificate",
    "SignCombinedCertificate": "SignCertificate",
    "SignChargePointCertificate": "SignCertificate",
}


class NoAnswer(Exception):
    """The station gave no answer to a CSMS call."""


class StationTimeout(NoAnswer):
    """The station did not answer a CSMS call in time."""


class MalformedAnswer(NoAnswer):
    """The station answered a CSMS call with a frame that is no valid CALLRESULT or CALLERROR."""


class StationDisconnected(NoAnswer):
    """The station closed its connection before answering a CSMS call."""


class StationConnection:
    """Routes the station's CALLs to handlers and carries the CSMS's own CALLs to it."""

    def __init__(self, ws: ServerConnection, station_id: str, version: OcppVersion, csms: CsmsContext) -> None:
        self.ws = ws
        self.station_id = station_id
        self.version = version
        self.csms = csms
        self.routes = ROUTES[version]
        self.validators = validators(version)
        self.boot_status: str | None = None
        self.triggered: set[str] = set()
        self._pending: dict[str, tuple[str, asyncio.Future[CallResult | CallError]]] = {}

    # -- station → CSMS ---------------------------------------------------------------

    async def serve(self) -> None:
        try:
            async for message in self.ws:
                text = message if isinstance(message, str) else message.decode(errors="replace")
                await self._receive(text)
        except websockets.ConnectionClosed:
            pass
        finally:
            for action, future in self._pending.values():
                if not future.done():
                    future.set_exception(StationDisconnected(
                        f"{self.station_id} closed the connection before answering {action}"))

    async def _receive(self, text: str) -> None:
        try:
            frame = parse(text)
        except FrameError as exc:
            if exc.is_answer:  # OCPP-J: an answer is never answered, a malformed one neither
                log.warning("%s: malformed answer ignored: %s", self.station_id, exc.description)
                entry = self._pending.get(exc.unique_id or "")
                if entry is not None and not entry[1].done():  # the call waiting for it fails now, not at its timeout
                    entry[1].set_exception(MalformedAnswer(
                        f"{self.station_id} answered {entry[0]} with a malformed frame: {exc.description}"))
            elif exc.code is ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED and self.version == "1.6":
                # OCPP-J 1.6 §4.1.3: a message of an unknown type number is ignored (2.0.1 answers it).
                log.warning("%s: frame ignored: %s", self.station_id, exc.description)
            else:
                # 2.0.1 (4.2.3): a CALLERROR with messageId "-1" when the id cannot be read.
                await self._send(self._error(exc.unique_id or "-1", exc.code, exc.description))
            return
        if isinstance(frame, Call):
            await self._send(await self._answer(frame))
        else:
            entry = self._pending.get(frame.unique_id)
            if entry is not None and not entry[1].done():
                entry[1].set_result(frame)

    async def _answer(self, call: Call) -> CallResult | CallError:
        try:
            if not self.validators.knows(call.action):
                raise OcppError(ErrorCode.NOT_IMPLEMENTED, f"{_shown(call.action)} is not implemented")
            handler = self.routes.handlers.get(call.action)
            if handler is None:  # an OCPP action, but none this CSMS takes from a station (or at all)
                raise OcppError(ErrorCode.NOT_SUPPORTED, f"{call.action} is not supported")
            problems = self.validators.check(call.action, call.payload, response=False)
            if problems:
                raise OcppError(problems[0].code, "; ".join(map(str, problems)))
            self._check_registration(call.action)
            # One database transaction per message, committed before the answer is sent.
            async with self.csms.store.unit_of_work():
                response = await handler(self, call.payload)
                for observer in self.routes.observers.get(call.action, ()):
                    await observer(self, call.payload, response)
            return CallResult(call.unique_id, response)
        except OcppError as exc:
            return self._error(call.unique_id, exc.code, exc.description)
        except UnrepresentableTime as exc:  # schema-valid, but no datetime can hold it (year 0000)
            field = path_of(call.payload, partial(operator.eq, exc.value)) or "timestamp"
            return self._error(call.unique_id, ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, f"{field}: {exc}")
        except Exception:
            log.exception("%s: handler for %s failed", self.station_id, call.action)
            return self._error(call.unique_id, ErrorCode.INTERNAL_ERROR, "internal error")

    def _error(self, unique_id: str, code: ErrorCode, description: str) -> CallError:
        """A CALLERROR in this station's OCPP version, its description within string[255]."""
        return CallError(unique_id, error_code(code, self.version), cut(description))

    def _check_registration(self, action: str) -> None:
        """Only an Accepted station may send anything but a BootNotification (B02/B03)."""
        if self.boot_status == "Accepted" or action == "BootNotification":
            return
        if self.boot_status == "Pending" and (action in _ALLOWED_WHILE_PENDING or action in self.triggered):
            self.triggered.discard(action)
            return
        raise OcppError(ErrorCode.SECURITY_ERROR, f"station is not accepted (boot status {self.boot_status})")

    # -- CSMS → station ---------------------------------------------------------------

    async def call(self, action: str, payload: Payload, timeout: float) -> CallResult | CallError:
        """Send one CALL and wait for the answer; record what the answer tells."""
        for hook in self.routes.before_calls.get(action, ()):
            await hook(self, payload)
        unique_id = new_message_id()
        future: asyncio.Future[CallResult | CallError] = asyncio.get_running_loop().create_future()
        self._pending[unique_id] = (action, future)

        async def exchange() -> CallResult | CallError:
            await self.ws.send(encode(Call(unique_id, action, payload)))
            return await future

        try:
            # The send counts against the timeout too: a station that stops reading its socket holds the
            # send in flow control (drain) with no end of its own. wait_for, not asyncio.timeout: on 3.11 a
            # timeout that fires as the answer arrives can leave a stray cancellation in the caller's task.
            answer = await asyncio.wait_for(exchange(), timeout)
        except TimeoutError:
            raise StationTimeout(f"{self.station_id} did not answer {action} within {timeout:g}s") from None
        except websockets.ConnectionClosed:
            raise StationDisconnected(f"{self.station_id} closed the connection before answering {action}") from None
        finally:
            self._pending.pop(unique_id, None)
        if isinstance(answer, CallResult):
            await self._after_response(action, payload, answer.payload)
        return answer

    async def request(self, action: str, payload: Payload, timeout: float) -> CallResult | CallError:
        """An operator's request: shaped into one or more CALLs (e.g. split by
        ItemsPerMessage), whose answers are merged into one."""
        shaper = self.routes.shapers.get(action)
        parts = await shaper(self, payload) if shaper else [payload]
        answers = [await self.call(action, part, timeout) for part in parts]
        errors = [a for a in answers if isinstance(a, CallError)]
        if errors or len(answers) == 1:
            return errors[0] if errors else answers[0]
        return CallResult(answers[0].unique_id, _merge([a.payload for a in answers if isinstance(a, CallResult)]))

    async def _after_response(self, action: str, request: Payload, response: Payload) -> None:
        if action in ("TriggerMessage", "ExtendedTriggerMessage") and response.get("status") == "Accepted":
            message = str(request["requestedMessage"])
            self.triggered.add(_TRIGGERED_ACTION.get(message, message))
        for hook in self.routes.response_hooks.get(action, ()):
            try:
                await hook(self, request, response)
            except Exception:
                log.exception("%s: recording the %s answer failed", self.station_id, action)

    async def _send(self, frame: Call | CallResult | CallError) -> None:
        with suppress(websockets.ConnectionClosed):
            await self.ws.send(encode(frame))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the WebSocket; a peer that has not let it close within ``close_timeout`` (one that does not
        read its socket never does) is cut off."""
        try:
            async with asyncio.timeout(self.csms.config.close_timeout):
                await self.ws.close(code, reason)
        except TimeoutError:
            self.ws.transport.abort()


def _shown(action: str) -> str:
    """An action name fit for a description or a log line (a station may send one of a megabyte)."""
    return cut(action, 40)


def _merge(payloads: list[Payload]) -> Payload:
    """Concatenate list fields of several answers to one request (GetVariables results)."""
    merged: dict[str, Any] = dict(payloads[0])
    for payload in payloads[1:]:
        for key, value in payload.items():
            if isinstance(value, list):
                merged[key] = list(merged.get(key) or []) + value
    return merged
