"""The original OCTT pytest suite's trigger routes, served as aliases of the canonical ones.

A CSMS set up for that suite works with csmscheck, and the reference CSMS runs that suite,
because the routes its client calls are here, over the same operations as the canonical
routes (:mod:`csmscheck.csms.operations`):

- ``POST /api/octt/{version}/{station_id}/call/{Action}``: the PascalCase OCPP action. The
  answer is the station's reply at the top level (``{"status": "Accepted"}``), ``{"error":
  {...}}`` for a CALLERROR, and, because that client treats any HTTP error as a failure
  of the test, ``200 {"result": "timeout", "message": ...}`` when the station gave no
  answer. Invalid input still gets 400 (with the reasons), an unknown station 404.
- ``…/set-pending-boot``, ``…/set-security-profile``, ``…/set-items-per-message``: set-up an
  operator does in the CSMS's database.
- ``…/update-basic-auth-password``: the CSMS makes up a new password and sends it.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import Body, FastAPI
from fastapi.params import Depends

from csmscheck.csms import operations
from csmscheck.csms.app import CsmsContext
from csmscheck.csms.connection import NoAnswer
from csmscheck.csms.trigger_models import (
    Done,
    ItemsPerMessageSpec,
    PasswordUpdate,
    PendingBoot,
    SecurityProfileSpec,
)
from csmscheck.wire import CallError, CallResult

Payload = dict[str, Any]
TAGS: list[str | Enum] = ["original OCTT suite"]
_STATION = "/api/octt/{version}/{station_id}"
_SETUP_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "invalid body (with the reasons)"},
    404: {"description": "unknown version or station"},
    409: {"description": "the station speaks the other OCPP version"},
}
_CALL_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "the station's CALLRESULT payload at the top level; {\"error\": {\"code\", "
                         "\"description\", \"details\"}} for a CALLERROR; {\"result\": \"timeout\", \"message\"} "
                         "when the station gave no answer"},
    400: {"description": "invalid payload (with the schema errors)"},
    404: {"description": "unknown version or action, or the station is not connected"},
    409: {"description": "the station speaks the other OCPP version, or its state forbids the call (a 1.6 "
                        "RemoteStartTransaction or RemoteStopTransaction while it is Pending)"},
}


def station_reply(answer: CallResult | CallError) -> Payload:
    """The station's answer as the original suite's client reads it: the payload itself."""
    if isinstance(answer, CallError):
        return {"error": {"code": answer.code, "description": answer.description, "details": answer.details}}
    return dict(answer.payload)


def no_answer(exc: NoAnswer) -> Payload:
    return {"result": "timeout", "message": str(exc)}


def _statuses(action: str, answer: CallResult) -> list[Payload]:
    """What the original answered update-basic-auth-password with: one status per variable set."""
    if action == "SetVariables":
        return [{"status": r["attributeStatus"]} for r in answer.payload["setVariableResult"]]
    return [{"status": answer.payload["status"]}]


def add_dialect_routes(api: FastAPI, csms: CsmsContext, guarded: list[Depends]) -> None:
    """Register the aliases on ``api`` (before the canonical ``{action}`` route, which would shadow them)."""

    @api.post(f"{_STATION}/set-pending-boot", dependencies=guarded, tags=TAGS, responses=_SETUP_RESPONSES)
    async def set_pending_boot(version: str, station_id: str, spec: PendingBoot) -> Done:
        """Answer every BootNotification of the station Pending until cleared (``{"pending": false}``).

        Alias of ``set-registration-status`` with status Pending (no boot count) or Accepted."""
        status = "Pending" if spec.pending else "Accepted"
        await operations.set_registration_status(csms, station_id, status, None, operations.ocpp_version(version))
        return Done()

    @api.post(f"{_STATION}/set-security-profile", dependencies=guarded, tags=TAGS, responses=_SETUP_RESPONSES)
    async def set_security_profile(version: str, station_id: str, spec: SecurityProfileSpec) -> Done:
        """The security profile (1-3) the CSMS admits the station with, from its next connection.

        Body ``{"security_profile": n}`` (or ``securityProfile``)."""
        ocpp = operations.ocpp_version(version)
        await operations.set_security_profile(csms, ocpp, station_id, spec.securityProfile)
        return Done()

    @api.post(f"{_STATION}/set-items-per-message", dependencies=guarded, tags=TAGS, responses=_SETUP_RESPONSES)
    async def set_items_per_message(version: str, station_id: str, spec: ItemsPerMessageSpec) -> Done:
        """The station's ItemsPerMessage per request kind, as the operator knows it (OCPP 2.0.1).

        Body ``{"get_variables", "set_variables", "get_report"}`` (or camelCase), each optional: the
        body replaces the whole configuration. The CSMS never puts more items in one message than
        the lower of this and what the station reports as DeviceDataCtrlr.ItemsPerMessage."""
        ocpp = operations.ocpp_version(version)
        await operations.set_items_per_message(csms, ocpp, station_id, spec.limits())
        return Done()

    @api.post(f"{_STATION}/update-basic-auth-password", dependencies=guarded, tags=TAGS,
              responses=_CALL_RESPONSES)
    async def update_basic_auth_password(version: str, station_id: str,
                                         _spec: Annotated[PasswordUpdate | None, Body()] = None) -> Payload:
        """Send the station a new basic-auth password the CSMS makes up (2.0.1: SetVariables
        SecurityCtrlr.BasicAuthPassword; 1.6: ChangeConfiguration AuthorizationKey, 40 hex digits);
        it is the station's password from its next connection once the station accepts it.

        Answer: the station's reply at the top level plus ``"result": [{"status"}]``, one per variable."""
        ocpp = operations.ocpp_version(version)
        try:
            action, answer = await operations.update_basic_auth_password(csms, ocpp, station_id)
        except NoAnswer as exc:
            return no_answer(exc)
        if isinstance(answer, CallError):
            return station_reply(answer)
        return station_reply(answer) | {"result": _statuses(action, answer)}

    @api.post(f"{_STATION}/call/{{action}}", dependencies=guarded, tags=TAGS, responses=_CALL_RESPONSES)
    async def call_action(version: str, station_id: str, action: str,
                          payload: Annotated[dict[str, Any], Body()]) -> Payload:
        """Send the OCPP request ``payload`` as ``action`` (PascalCase: ``Reset``, ``GetBaseReport``)
        to the station; the same call as ``…/{station_id}/{kebab-action}``, answered the original's way."""
        ocpp = operations.ocpp_version(version)
        try:
            answer = await operations.relay(csms, ocpp, station_id, action, payload)
        except NoAnswer as exc:
            return no_answer(exc)
        return station_reply(answer)
