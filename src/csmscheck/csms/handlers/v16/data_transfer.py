"""OCPP 1.6 DataTransfer: the vendor extensions the reference CSMS understands.

Core answers every DataTransfer with UnknownVendorId; this block takes the messages of
the CSMS's own vendor id. ``Echo`` is Accepted with the data sent back, any other
messageId gets UnknownMessageId. Other vendors keep UnknownVendorId.
"""

from __future__ import annotations

from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import Payload, observes

VENDOR_ID = "org.csmscheck"


@observes("1.6", "DataTransfer")
async def own_vendor(connection: StationConnection, request: Payload, response: Payload) -> None:
    if request["vendorId"] != VENDOR_ID:
        return
    response.clear()
    if request.get("messageId") == "Echo":
        response["status"] = "Accepted"
        if "data" in request:
            response["data"] = request["data"]
    else:
        response["status"] = "UnknownMessageId"
