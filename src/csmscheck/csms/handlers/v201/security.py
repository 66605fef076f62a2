"""Block A (security), OCPP 2.0.1: the station's basic-auth password (A01)."""

from __future__ import annotations

import logging

from csmscheck.csms.connection import StationConnection
from csmscheck.csms.passwords import remember_password
from csmscheck.csms.router import Payload, on_response

log = logging.getLogger("csmscheck.csms")

# SetVariables results under which the station takes the new value.
_TAKEN = ("Accepted", "RebootRequired")


def _is_password(data: Payload) -> bool:
    return bool(data["component"]["name"] == "SecurityCtrlr" and data["variable"]["name"] == "BasicAuthPassword")


@on_response("2.0.1", "SetVariables")
async def password_changed(connection: StationConnection, request: Payload, response: Payload) -> None:
    """A01.FR.03: a BasicAuthPassword the station accepted is its password from its next connection."""
    for data, result in zip(request["setVariableData"], response["setVariableResult"], strict=False):
        if _is_password(data) and result["attributeStatus"] in _TAKEN:
            await remember_password(connection.csms.store, connection.station_id, str(data["attributeValue"]))
            log.info("%s: basic-auth password changed (BasicAuthPassword)", connection.station_id)
