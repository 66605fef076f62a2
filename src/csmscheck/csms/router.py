"""Action → handler routing for the reference CSMS, per OCPP version.

Handlers take the request payload (camelCase, already schema-valid) and a context, and
return the response payload. They raise :class:`OcppError` to answer with a CALLERROR.
Hooks registered with :func:`on_response` see the station's answers to CSMS calls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from csmscheck.wire.errors import ErrorCode
from csmscheck.wire.versions import OcppVersion

if TYPE_CHECKING:
    from csmscheck.csms.app import CsmsContext
    from csmscheck.csms.connection import StationConnection

Payload = dict[str, Any]
Handler = Callable[["StationConnection", Payload], Awaitable[Payload]]
ResponseHook = Callable[["StationConnection", Payload, Payload], Awaitable[None]]
RequestShaper = Callable[["StationConnection", Payload], Awaitable[list[Payload]]]
# Runs just before the CSMS sends one of its own CALLs (e.g. to record it first).
BeforeCall = Callable[["StationConnection", Payload], Awaitable[None]]
# Runs after the handler of a station's CALL; may add to the response (e.g. totalCost).
Observer = Callable[["StationConnection", Payload, Payload], Awaitable[None]]
# Checks an operator's request against what the CSMS knows before it is sent: (csms, station id, payload) → reasons.
Vetter = Callable[["CsmsContext", str, Payload], Awaitable[list[str]]]


class OcppError(Exception):
    """Answer the current CALL with a CALLERROR."""

    def __init__(self, code: ErrorCode, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


@dataclass
class Routes:
    handlers: dict[str, Handler] = field(default_factory=dict)
    response_hooks: dict[str, list[ResponseHook]] = field(default_factory=dict)
    shapers: dict[str, RequestShaper] = field(default_factory=dict)
    observers: dict[str, list[Observer]] = field(default_factory=dict)
    before_calls: dict[str, list[BeforeCall]] = field(default_factory=dict)
    vetters: dict[str, list[Vetter]] = field(default_factory=dict)


ROUTES: dict[OcppVersion, Routes] = {v: Routes() for v in ("1.6", "2.0.1")}


def handles(version: OcppVersion, action: str) -> Callable[[Handler], Handler]:
    """Register the one handler of a station's ``action`` CALL (a second one is a mistake, refused at import)."""

    def register(handler: Handler) -> Handler:
        existing = ROUTES[version].handlers.get(action)
        if existing is not None and existing is not handler:
            raise ValueError(f"OCPP {version} {action} is handled by {existing.__module__}.{existing.__name__} "
                             f"already; {handler.__module__}.{handler.__name__} would replace it")
        ROUTES[version].handlers[action] = handler
        return handler

    return register


def on_response(version: OcppVersion, action: str) -> Callable[[ResponseHook], ResponseHook]:
    """Register what the CSMS records from a station's answer to its ``action`` CALL.

    Several blocks may record from the same answer; their hooks run in registration order.
    """

    def register(hook: ResponseHook) -> ResponseHook:
        ROUTES[version].response_hooks.setdefault(action, []).append(hook)
        return hook

    return register


def shapes(version: OcppVersion, action: str) -> Callable[[RequestShaper], RequestShaper]:
    """Register how one requested CSMS call is split into the CALLs actually sent."""

    def register(shaper: RequestShaper) -> RequestShaper:
        ROUTES[version].shapers[action] = shaper
        return shaper

    return register


def observes(version: OcppVersion, action: str) -> Callable[[Observer], Observer]:
    """Register logic of another block that runs after ``action``'s handler, in registration order.

    An observer sees the request and the response being built and may add to the response;
    an OcppError it raises turns the answer into a CALLERROR.
    """

    def register(observer: Observer) -> Observer:
        ROUTES[version].observers.setdefault(action, []).append(observer)
        return observer

    return register


def before_call(version: OcppVersion, action: str) -> Callable[[BeforeCall], BeforeCall]:
    """Register what the CSMS records before sending its ``action`` CALL (the answer may race it)."""

    def register(hook: BeforeCall) -> BeforeCall:
        ROUTES[version].before_calls.setdefault(action, []).append(hook)
        return hook

    return register


def vets(version: OcppVersion, action: str) -> Callable[[Vetter], Vetter]:
    """Register a check of an operator's ``action`` request: any reason it returns refuses the request (400)."""

    def register(vetter: Vetter) -> Vetter:
        ROUTES[version].vetters.setdefault(action, []).append(vetter)
        return vetter

    return register
