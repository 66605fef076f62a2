"""What a virtual OCPP 2.0.1 station holds about its customers, and how it answers CustomerInformation (N09, N10).

The station keeps customer data by reference: an idToken, a customerIdentifier or the hash
data of a customer's certificate. A CustomerInformationRequest it accepts is followed by
NotifyCustomerInformation parts (``tbc`` on all but the last, seqNo from 0, at most 512
characters of data each), sent even when there is nothing to report or ``report`` is false,
as the OCTT's station does. ``clear`` removes what the station holds of the customer and, for
an idToken, the token from its local authorization list, which the station keeps from the
SendLocalList updates it accepted (D01).

The answer is data: ``status`` (Accepted, Rejected, Invalid); a request with ``report`` or
``clear`` that names no customer, or more than one kind of reference, is Invalid.
:func:`serve_customers` makes a session answer by policy; a case giving its own ``reply``
takes over that answer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from csmscheck.station.session import StationSession
from csmscheck.timestamps import rfc3339
from csmscheck.wire import CallError, CallResult

Payload = dict[str, Any]

REFERENCES = ("idToken", "customerIdentifier", "customerCertificate")
PART_LENGTH = 512  # NotifyCustomerInformationRequest.data: maxLength


@dataclass(slots=True)
class CustomerRecord:
    """Data held about one customer, named by one reference (a dict with one key of ``REFERENCES``)."""

    reference: Payload
    data: str


def _key(reference: Payload) -> tuple[str, ...]:
    """A reference compared as OCPP compares it: tokens case-insensitively with their type, hex in any case."""
    if "idToken" in reference:
        token = reference["idToken"]
        return "idToken", str(token["idToken"]).upper(), str(token["type"])
    if "customerIdentifier" in reference:
        return "customerIdentifier", str(reference["customerIdentifier"])
    hashed = reference["customerCertificate"]
    return ("customerCertificate", str(hashed["hashAlgorithm"]), str(hashed["issuerNameHash"]).lower(),
            str(hashed["issuerKeyHash"]).lower(), str(hashed["serialNumber"]).lower().lstrip("0"))


@dataclass(slots=True)
class CustomerData:
    """The station's customer records, its local list and what it sent and was answered."""

    status: str = "Accepted"
    records: list[CustomerRecord] = field(default_factory=list)
    local_list: dict[tuple[str, ...], Payload] = field(default_factory=dict)  # by _key of the idToken
    list_version: int = 0
    sent: list[tuple[Payload, Payload | CallError]] = field(default_factory=list)  # NotifyCustomerInformation
    _progress: asyncio.Event = field(default_factory=asyncio.Event)  # set (and replaced) on each answer

    def hold(self, reference: Payload, data: str) -> None:
        """Keep ``data`` about the customer ``reference`` names."""
        self.records.append(CustomerRecord(reference, data))

    def about(self, reference: Payload) -> list[CustomerRecord]:
        return [r for r in self.records if _key(r.reference) == _key(reference)]

    def listed(self, id_token: Payload) -> bool:
        return _key({"idToken": id_token}) in self.local_list

    # -- CustomerInformation ---------------------------------------------------------------

    def customer_information(self, request: Payload) -> Payload:
        if self.status != "Accepted":
            return {"status": self.status}
        named = [key for key in REFERENCES if key in request]
        if (request["report"] or request["clear"]) and len(named) != 1:
            return {"status": "Invalid",
                    "statusInfo": {"reasonCode": "InvalidValue",
                                   "additionalInfo": "name one of idToken, customerIdentifier, customerCertificate"}}
        return {"status": "Accepted"}

    def report_for(self, request: Payload) -> str:
        """What the station reports, and (``clear``) forgets, of the customer the request names."""
        named = next(({key: request[key]} for key in REFERENCES if key in request), None)
        records = self.about(named) if named is not None else []
        text = "\n".join(r.data for r in records) if request["report"] else ""
        if request["clear"] and named is not None:
            self.records = [r for r in self.records if r not in records]
            if "idToken" in named:
                self.local_list.pop(_key(named), None)
        return text

    async def follow_up(self, session: StationSession, request: Payload, answer: Payload | CallError) -> None:
        if not isinstance(answer, dict) or answer.get("status") != "Accepted":
            return
        text = self.report_for(request)
        parts = [text[i:i + PART_LENGTH] for i in range(0, len(text), PART_LENGTH)] or [""]
        for seq_no, part in enumerate(parts):
            payload: Payload = {"data": part, "tbc": seq_no < len(parts) - 1, "seqNo": seq_no,
                                "generatedAt": rfc3339(), "requestId": request["requestId"]}
            sent = await session.send("NotifyCustomerInformation", payload)
            reply = sent.payload if isinstance(sent, CallResult) else sent
            self.sent.append((payload, reply))
            self._progress.set()
            self._progress = asyncio.Event()
            if isinstance(reply, CallError):
                raise RuntimeError(f"the CSMS answered NotifyCustomerInformation (requestId {request['requestId']}, "
                                   f"seqNo {seq_no}) with CALLERROR {reply.code}")

    async def notified(self, request_id: int, timeout: float) -> list[tuple[Payload, Payload | CallError]]:
        """The parts sent for ``request_id`` with the CSMS's answers, once the last was answered (TimeoutError
        after ``timeout`` seconds)."""
        async with asyncio.timeout(timeout):
            while True:
                parts = [(p, a) for p, a in self.sent if p["requestId"] == request_id]
                if parts and not parts[-1][0]["tbc"]:
                    return parts
                await self._progress.wait()

    # -- the local authorization list --------------------------------------------------------

    def send_local_list(self, request: Payload) -> Payload:
        """Accept an update and hold what it says (D01): Full replaces, an entry without idTokenInfo removes."""
        if request["updateType"] == "Full":
            self.local_list.clear()
        for entry in request.get("localAuthorizationList", []):
            key = _key({"idToken": entry["idToken"]})
            if "idTokenInfo" in entry:
                self.local_list[key] = entry
            else:
                self.local_list.pop(key, None)
        self.list_version = request["versionNumber"]
        return {"status": "Accepted"}


def serve_customers(session: StationSession, customers: CustomerData) -> None:
    """Make ``session`` answer CustomerInformation, SendLocalList and GetLocalListVersion from ``customers``."""

    async def follow_up(request: Payload, answer: Payload | CallError) -> None:
        await customers.follow_up(session, request, answer)

    session.replies["CustomerInformation"] = customers.customer_information
    session.follow_ups["CustomerInformation"] = follow_up
    session.replies["SendLocalList"] = customers.send_local_list
    session.replies["GetLocalListVersion"] = lambda _request: {"versionNumber": customers.list_version}
