"""The display messages a virtual OCPP 2.0.1 station holds, and how it answers the CSMS about them (block O).

A station keeps what SetDisplayMessage installed (the same id replaces it, O06) until it is
cleared (O05), its endDateTime passes, or (a message bound to a transaction, O02) its
transaction ends. What it can show is in its device model (``DisplayMessageCtrlr``): a
message of a format, priority or state it does not support is refused with the matching
status. GetDisplayMessages is answered Accepted with NotifyDisplayMessages parts (``tbc`` on
all but the last) when a held message matches every filter it names, else Unknown (O03/O04).
:func:`serve_display_messages` makes a session answer so by policy; a case that gives its own
``reply`` takes over that answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from csmscheck.station.device_model import DeviceModel
from csmscheck.station.model import StationModel
from csmscheck.station.reports import send_parts
from csmscheck.station.session import StationSession
from csmscheck.timestamps import parse_time
from csmscheck.wire import CallError

Payload = dict[str, Any]
CTRLR = "DisplayMessageCtrlr"
PER_PART = 4  # messages per NotifyDisplayMessages part

# What the station cannot show, in the order it checks: (request field, DisplayMessageCtrlr variable, status).
_SUPPORT: tuple[tuple[str, str, str], ...] = (
    ("format", "SupportedFormats", "NotSupportedMessageFormat"),
    ("priority", "SupportedPriorities", "NotSupportedPriority"),
    ("state", "SupportedStates", "NotSupportedState"),
)


class DisplayMessages:
    """The messages of one station by id."""

    __slots__ = ("_device_model", "_model", "held")

    def __init__(self, model: StationModel, device_model: DeviceModel) -> None:
        self._model = model
        self._device_model = device_model
        self.held: dict[int, Payload] = {}  # id -> MessageInfo as the CSMS sent it

    # -- what the station holds ------------------------------------------------------------

    def install(self, message: Payload) -> None:
        """Hold ``message``, replacing the one of its id; no checks (what a station that accepted it does)."""
        self.held[message["id"]] = message

    def messages(self) -> list[Payload]:
        """What is held, in id order: a message whose transaction is over or whose end has passed is gone."""
        tx = self._model.transaction
        running = tx.id if tx is not None and tx.started else None
        now = datetime.now(UTC)
        for message_id, message in list(self.held.items()):
            bound = message.get("transactionId")
            ended = "endDateTime" in message and parse_time(message["endDateTime"]) <= now
            if (bound is not None and bound != running) or ended:
                del self.held[message_id]
        return [message for _, message in sorted(self.held.items())]

    def supported(self, variable: str) -> set[str] | None:
        """The values a DisplayMessageCtrlr list variable names; None: the station does not say (all)."""
        value = self._device_model.values.get((CTRLR, "", variable, ""))
        return None if value is None else {item.strip() for item in value.split(",") if item.strip()}

    # -- answers ---------------------------------------------------------------------------

    def refusal(self, message: Payload) -> str | None:
        """The status a station that cannot take ``message`` answers; None: it can."""
        if self._device_model.values.get((CTRLR, "", "Enabled", ""), "true").lower() != "true":
            return "Rejected"  # its display messages are switched off
        values = {"format": message["message"]["format"], "priority": message["priority"],
                  "state": message.get("state")}
        for field, variable, status in _SUPPORT:
            allowed = self.supported(variable)
            if values[field] is not None and allowed is not None and values[field] not in allowed:
                return status
        bound = message.get("transactionId")
        tx = self._model.transaction
        if bound is not None and (tx is None or not tx.started or tx.id != bound):
            return "UnknownTransaction"
        return None

    def set_display_message(self, request: Payload) -> Payload:
        """Accepted, and held, unless the station cannot take it (O01, O02, O06)."""
        message = request["message"]
        status = self.refusal(message)
        if status is not None:
            return {"status": status}
        self.install(message)
        return {"status": "Accepted"}

    def matching(self, request: Payload) -> list[Payload]:
        """The held messages a GetDisplayMessagesRequest asks for: every filter it names must hold."""
        ids = request.get("id")
        return [m for m in self.messages()
                if (not ids or m["id"] in ids)
                and request.get("priority", m["priority"]) == m["priority"]
                and ("state" not in request or m.get("state") == request["state"])]

    def get_display_messages(self, request: Payload) -> Payload:
        return {"status": "Accepted" if self.matching(request) else "Unknown"}

    def reports(self, request: Payload) -> list[Payload]:
        """The NotifyDisplayMessages parts answering ``request``: ``PER_PART`` messages each, ``tbc`` on all but
        the last (none when nothing matches)."""
        found = self.matching(request)
        chunks = [found[n:n + PER_PART] for n in range(0, len(found), PER_PART)]
        return [{"requestId": request["requestId"], "messageInfo": chunk, "tbc": n < len(chunks) - 1}
                for n, chunk in enumerate(chunks)]

    def clear_display_message(self, request: Payload) -> Payload:
        """Accepted when a message of that id was held (and is gone), else Unknown."""
        self.messages()  # what is already gone is not there to clear
        return {"status": "Accepted" if self.held.pop(request["id"], None) is not None else "Unknown"}


def serve_display_messages(session: StationSession, messages: DisplayMessages) -> None:
    """Make ``session`` answer the display message calls from ``messages`` and report what it accepts to get."""

    async def report(request: Payload, answer: Payload | CallError) -> None:
        if isinstance(answer, dict) and answer.get("status") == "Accepted":
            await send_parts(session, "NotifyDisplayMessages", messages.reports(request))

    session.replies["SetDisplayMessage"] = messages.set_display_message
    session.replies["GetDisplayMessages"] = messages.get_display_messages
    session.replies["ClearDisplayMessage"] = messages.clear_display_message
    session.follow_ups["GetDisplayMessages"] = report
