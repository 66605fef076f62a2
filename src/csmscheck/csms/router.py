"""Action → handler routing for the reference CSMS, per OCPP version.

Handlers take the request payload (camelCase, already schema-valid) and a context, and
return the response payload. They raise :class:`OcppError` to answer with a CALLERROR.
Hooks registered with :func:`on_response` see the station's answers to CSMS calls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from csmscheck.wire.errors import ErrorCode
from csmscheck.wire.versions import OcppVersion

if TYPE_CHECKING:
    from csmscheck.csms.connection import StationConnection

Payload = dict[str, Any]
Handler = Callable[["StationConnection", Payload], Awaitable[Payload]]
ResponseHook = Callable[["StationConnection", Payload, Payload], Awaitable[None]]
RequestShaper = Callable[["StationConnection", Payload], Awaitable[list[Payload]]]


class OcppError(Exception):
    """Answer the current CALL with a CALLERROR."""

    def __init__(self, code: ErrorCode, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


@dataclass
class Routes:
    handlers: dict[str, Handler]
    response_hooks: dict[str, ResponseHook]
    shapers: dict[str, RequestShaper]


ROUTES: dict[OcppVersion, Routes] = {v: Routes({}, {}, {}) for v in ("1.6", "2.0.1")}


def handles(version: OcppVersion, action: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES[version].handlers[action] = handler
        return handler

    return register


def on_response(version: OcppVersion, action: str) -> Callable[[ResponseHook], ResponseHook]:
    """Register what the CSMS records from a station's answer to its ``action`` CALL."""

    def register(hook: ResponseHook) -> ResponseHook:
        ROUTES[version].response_hooks[action] = hook
        return hook

    return register


def shapes(version: OcppVersion, action: str) -> Callable[[RequestShaper], RequestShaper]:
    """Register how one requested CSMS call is split into the CALLs actually sent."""

    def register(shaper: RequestShaper) -> RequestShaper:
        ROUTES[version].shapers[action] = shaper
        return shaper

    return register
