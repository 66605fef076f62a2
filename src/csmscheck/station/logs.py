"""The log uploads of a virtual OCPP 2.0.1 station (N01): how it answers GetLog and what it reports after.

A station that accepts a GetLogRequest answers with the name of the file it will upload,
then reports the upload with LogStatusNotifications carrying the request's requestId
(Uploading, then Uploaded or a failure). A GetLogRequest that arrives while an upload is
still under way cancels it: the answer is AcceptedCanceled and the cancelled upload is
reported AcceptedCanceled (with its own requestId) before the new one starts.

The behaviour is data (:class:`LogPolicy`): the answer to a request when no upload runs and
the statuses reported after an accepted one. ``stall_after`` keeps an upload running after
that status (a long upload, for a case that sends a second request). The virtual station
uploads nothing: no case of the OCTT needs the file to arrive. :func:`serve_logs` makes a
session answer by policy; a case that gives its own ``reply`` takes over that answer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from csmscheck.station.session import StationSession
from csmscheck.wire import CallError, CallResult

Payload = dict[str, Any]

ACCEPTED, REJECTED, CANCELED = "Accepted", "Rejected", "AcceptedCanceled"
FILENAMES = {"DiagnosticsLog": "diagnostics.log", "SecurityLog": "security.log"}


@dataclass(slots=True)
class LogPolicy:
    """What the station answers (``answer``) and, after an accepted request, reports (``script``)."""

    answer: str = ACCEPTED  # Accepted or Rejected
    script: tuple[str, ...] = ("Uploading", "Uploaded")
    stall_after: str | None = None  # the status after which the upload stays running


@dataclass(slots=True)
class Upload:
    """One accepted request and the notifications sent for it, each with the CSMS's answer."""

    request_id: int
    log_type: str
    reported: list[tuple[str, Payload | CallError]] = field(default_factory=list)


class StationLogs:
    """The station's uploads by requestId; ``running`` is the one under way, if any."""

    __slots__ = ("_progress", "policy", "running", "uploads")

    def __init__(self, policy: LogPolicy | None = None) -> None:
        self.policy = policy or LogPolicy()
        self.uploads: dict[int, Upload] = {}
        self.running: Upload | None = None
        self._progress = asyncio.Event()  # set (and replaced) whenever the CSMS answered a notification

    def get_log(self, request: Payload) -> Payload:
        """The answer to a GetLogRequest: AcceptedCanceled while another upload runs."""
        if self.policy.answer != ACCEPTED:
            return {"status": self.policy.answer}
        status = CANCELED if self.running is not None else ACCEPTED
        return {"status": status, "filename": FILENAMES.get(request["logType"], "csmscheck.log")}

    async def follow_up(self, session: StationSession, request: Payload, answer: Payload | CallError) -> None:
        """After an accepted request: report the cancelled upload, then the new one's script."""
        if not isinstance(answer, dict) or answer.get("status") not in (ACCEPTED, CANCELED):
            return
        cancelled, self.running = self.running, None
        if cancelled is not None and answer["status"] == CANCELED:
            await self._notify(session, cancelled, CANCELED)
        upload = Upload(request["requestId"], request["logType"])
        self.uploads[upload.request_id] = upload
        self.running = upload
        for status in self.policy.script:
            await self._notify(session, upload, status)
            if status == self.policy.stall_after:
                return  # still uploading: the next request cancels it
        if self.running is upload:
            self.running = None

    async def _notify(self, session: StationSession, upload: Upload, status: str) -> None:
        sent = await session.send("LogStatusNotification", {"status": status, "requestId": upload.request_id})
        answer = sent.payload if isinstance(sent, CallResult) else sent
        upload.reported.append((status, answer))
        self._progress.set()
        self._progress = asyncio.Event()
        if isinstance(answer, CallError):
            raise RuntimeError(f"the CSMS answered LogStatusNotification ({status}, requestId {upload.request_id}) "
                               f"with CALLERROR {answer.code}")

    async def reported(self, request_id: int, status: str, timeout: float) -> Payload | CallError:
        """The CSMS's answer to the notification of ``status`` for ``request_id``, once sent (TimeoutError after
        ``timeout`` seconds)."""
        async with asyncio.timeout(timeout):
            while True:
                upload = self.uploads.get(request_id)
                for sent, answer in upload.reported if upload else ():
                    if sent == status:
                        return answer
                await self._progress.wait()


def serve_logs(session: StationSession, logs: StationLogs) -> None:
    """Make ``session`` answer GetLog from ``logs`` and report the uploads it accepted."""

    async def follow_up(request: Payload, answer: Payload | CallError) -> None:
        await logs.follow_up(session, request, answer)

    session.replies["GetLog"] = logs.get_log
    session.follow_ups["GetLog"] = follow_up
