"""Reports a 2.0.1 station sends after it accepted a report request, as a real station does.

A station that answers GetBaseReport or GetReport with Accepted owes the CSMS the report:
NotifyReport messages (``tbc`` on all but the last, at most ``ItemsPerMessage.GetReport``
items each). A CSMS may wait for that report before it accepts the station, so the
virtual station sends it whenever its policy accepted the request; a case that plays
the report itself (giving its own ``reply``) takes over.
"""

from __future__ import annotations

from csmscheck.station.device_model import DeviceModel, Payload
from csmscheck.station.session import StationSession
from csmscheck.timestamps import rfc3339
from csmscheck.wire import CallError


def send_reports(session: StationSession, device_model: DeviceModel) -> None:
    """Make ``session`` answer report requests from ``device_model`` and send the reports it accepts."""

    def get_report(request: Payload) -> Payload:
        return {"status": "Accepted" if _requested(device_model, request) else "EmptyResultSet"}

    async def notify(request: Payload, answer: Payload | CallError) -> None:
        if isinstance(answer, dict) and answer.get("status") == "Accepted":
            await _notify_report(session, request["requestId"], _requested(device_model, request),
                                 _items_per_message(device_model))

    session.replies["GetReport"] = get_report
    session.follow_ups["GetBaseReport"] = notify
    session.follow_ups["GetReport"] = notify


def _requested(device_model: DeviceModel, request: Payload) -> list[Payload]:
    """The report data a GetBaseReport or GetReport asks for."""
    data = device_model.report_data()
    if "componentCriteria" in request and request["componentCriteria"] == ["Problem"]:
        return []  # nothing of the virtual station is in a problem state
    wanted = request.get("componentVariable")
    if not wanted:
        return data
    return [item for item in data if any(_selects(selector, item) for selector in wanted)]


def _selects(selector: Payload, item: Payload) -> bool:
    component, variable = selector["component"], selector.get("variable")
    if component["name"] != item["component"]["name"]:
        return False
    if "instance" in component and component["instance"] != item["component"].get("instance"):
        return False
    if variable is None:
        return True
    if variable["name"] != item["variable"]["name"]:
        return False
    return "instance" not in variable or variable["instance"] == item["variable"].get("instance")


def _items_per_message(device_model: DeviceModel) -> int:
    value = device_model.values.get(("DeviceDataCtrlr", "", "ItemsPerMessage", "GetReport"), "")
    return int(value) if value.isdigit() and int(value) > 0 else 10


async def _notify_report(session: StationSession, request_id: int, data: list[Payload], per_message: int) -> None:
    chunks = [data[i:i + per_message] for i in range(0, len(data), per_message)] or [[]]
    parts: list[Payload] = []
    for seq_no, chunk in enumerate(chunks):
        parts.append({"requestId": request_id, "generatedAt": rfc3339(), "seqNo": seq_no,
                      "tbc": seq_no < len(chunks) - 1} | ({"reportData": chunk} if chunk else {}))
    await send_parts(session, "NotifyReport", parts)


async def send_parts(session: StationSession, action: str, parts: list[Payload]) -> list[Payload]:
    """Send the parts of a report (``action`` requests) in order; returns the CSMS's answers. A CALLERROR ends the
    report: the station's follow-up fails, naming the part (its requestId, seqNo or evseId)."""
    answers = []
    for part in parts:
        answer = await session.send(action, part)
        if isinstance(answer, CallError):
            which = ", ".join(f"{key} {part[key]}" for key in ("requestId", "seqNo", "evseId") if key in part)
            raise RuntimeError(f"the CSMS answered {action} ({which}) with CALLERROR {answer.code}")
        answers.append(answer.payload)
    return answers
