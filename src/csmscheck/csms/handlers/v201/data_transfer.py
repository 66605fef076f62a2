"""DataTransfer from a station (block P, P02), OCPP 2.0.1: the vendor extensions the reference CSMS implements.

The CSMS implements one small extension of its own, vendorId ``org.csmscheck``: messageId ``Echo``
is Accepted with the data sent back, ``Ping`` is Accepted (no data) and ``Reject`` is Rejected,
which lets a station's integrator try all three answers. Any other messageId of that vendor is
UnknownMessageId (P02.FR.07); any other vendor UnknownVendorId (P02.FR.06). ``customData`` in a
request, like in any message, is taken and ignored.
"""

from __future__ import annotations

from collections.abc import Callable

from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import Payload, handles

VENDOR_ID = "org.csmscheck"

# messageId -> the response to a request of it
MESSAGES: dict[str, Callable[[Payload], Payload]] = {
    "Echo": lambda request: {"status": "Accepted"} | ({"data": request["data"]} if "data" in request else {}),
    "Ping": lambda _request: {"status": "Accepted"},
    "Reject": lambda _request: {"status": "Rejected",
                                "statusInfo": {"reasonCode": "Rejected", "additionalInfo": "rejected as asked"}},
}


@handles("2.0.1", "DataTransfer")
async def data_transfer(connection: StationConnection, request: Payload) -> Payload:
    if request["vendorId"] != VENDOR_ID:
        return {"status": "UnknownVendorId"}
    answer = MESSAGES.get(request.get("messageId", ""))
    return answer(request) if answer is not None else {"status": "UnknownMessageId"}
