"""How a virtual OCPP 2.0.1 station updates (L01) and publishes (L03, L04) firmware, as data.

UpdateFirmware: the station answers from its :class:`FirmwareScript` (Accepted, or Rejected /
InvalidCertificate / RevokedCertificate where the case has it refuse; a signing certificate that is
no certificate is always InvalidCertificate), and while an update runs, a second request cancels it
(AcceptedCanceled) or is Rejected. An accepted update then runs as a real station runs it, sending
a FirmwareStatusNotification with the requestId for every state it enters:

    [DownloadScheduled: retrieveDateTime ahead] → Downloading → Downloaded | DownloadFailed
    → SignatureVerified | InvalidSignature (+ SecurityEventNotification) → [InstallScheduled: installDateTime
    ahead] → Installing → InstallRebooting | InstallVerificationFailed

The image is really downloaded (from a loopback server, ``station.firmware_server``) and the
signature really verified with the signing certificate the CSMS sent. The update stops before the
reboot: the case reboots the station (BootNotification FirmwareUpdate) and calls
:meth:`StationFirmware.after_reboot` for Installed or InstallationFailed.

PublishFirmware (a Local Controller): download, MD5 checksum check, publish, with a
PublishFirmwareStatusNotification per state; UnpublishFirmware answers from what it publishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlparse

import httpx

from csmscheck.pki.certificates import load_pem_chain
from csmscheck.pki.firmware import firmware_signature_valid
from csmscheck.station.session import StationSession
from csmscheck.station.timing import scenario_wait
from csmscheck.timestamps import parse_time
from csmscheck.wire import CallError

Payload = dict[str, Any]

MAX_SCHEDULE_WAIT = 30.0  # seconds a scheduled download or install waits at most (cases schedule seconds ahead)
HOLD_LIMIT = 60.0  # seconds a held update waits for the case or a new request before it goes on
DOWNLOAD_TIMEOUT = 5.0


@dataclass(frozen=True)
class FirmwareScript:
    """What the station does with an UpdateFirmware; the defaults are a healthy station installing it.

    ``answer``: the answer to a request while no update runs; ``when_busy``: while one runs
    (AcceptedCanceled cancels it, Rejected lets it go on); ``hold_after``: the status after which the
    first update waits until the case calls :meth:`StationFirmware.resume` or a new request comes (a
    download still going on, a transaction still running); ``download_fails``: the download fails;
    ``tamper``: the image arrives altered, so its signature cannot verify; ``install_failure``:
    InstallVerificationFailed (before the reboot) or InstallationFailed (after it); ``download_scheduled``:
    DownloadScheduled even when the retrieve time has come (the station waits for something else, e.g. a
    transaction to end); ``accept_unverified``: report SignatureVerified even when the CSMS's signature does
    not verify, as the OCTT's station does (the case then reports the signature as a finding).
    """

    answer: str = "Accepted"
    when_busy: str = "AcceptedCanceled"
    hold_after: str | None = None
    download_fails: bool = False
    tamper: bool = False
    install_failure: str | None = None
    download_scheduled: bool = False
    accept_unverified: bool = False


@dataclass(frozen=True)
class PublishScript:
    """What the station does with a PublishFirmware: ``download_fails``, ``tamper`` (checksum mismatch),
    ``publish_fails`` (PublishFailed after the checksum verified), ``accept_any_checksum`` (ChecksumVerified
    whatever the checksum, as the OCTT's station does; the case reports a wrong one as a finding)."""

    answer: str = "Accepted"
    download_fails: bool = False
    tamper: bool = False
    publish_fails: bool = False
    accept_any_checksum: bool = False


@dataclass(slots=True)
class Notified:
    """A notification the station sent about an update or publication, and the CSMS's answer."""

    action: str
    payload: Payload
    answer: Payload | CallError | None = None

    @property
    def status(self) -> str:
        """The status it reported (a security event: its type)."""
        return str(self.payload.get("status", self.payload.get("type", "")))


class StationFirmware:
    """The firmware state of one station: scripts, what runs, what it publishes, what it told the CSMS."""

    def __init__(self) -> None:
        self.script = FirmwareScript()
        self.publish_script = PublishScript()
        self.version = "1.0.0"
        self.sent: list[Notified] = []
        self.published: dict[str, list[str]] = {}  # checksum → the locations it serves the firmware at
        self.publish_downloading: set[str] = set()  # checksums being downloaded to publish
        self.rebooting: Payload | None = None  # the UpdateFirmwareRequest waiting for the reboot
        self.problems: list[str] = []  # CALLERRORs of the CSMS, failed sends
        self.verified: dict[int, bool] = {}  # requestId → whether the CSMS's signature verified (image as served)
        self.checksums: dict[int, bool] = {}  # requestId → whether the publish checksum matched the image
        self.ended: set[int] = set()  # requestIds of updates and publications that will send no more
        self._running: asyncio.Task[None] | None = None
        self._running_request: int | None = None
        self._canceled: set[asyncio.Task[Any]] = set()  # runs of updates a newer request canceled
        self._hold_used = False
        self._sending = 0  # notifications awaiting the CSMS's answer
        self._resume = asyncio.Event()
        self._changed = asyncio.Condition()

    # -- the case's controls ----------------------------------------------------------------------

    def use(self, script: FirmwareScript | None = None, publish: PublishScript | None = None) -> None:
        if script is not None:
            self.script, self._hold_used = script, False
        if publish is not None:
            self.publish_script = publish

    def resume(self) -> None:
        """Let a held update go on (e.g. the transaction it waited for ended)."""
        self._resume.set()

    async def notified(self, action: str, status: str, request_id: int | None, timeout: float) -> Notified:
        """The notification of ``status`` (for ``request_id``), once the CSMS answered it."""
        key = "requestId"

        def found() -> Notified | None:
            return next((n for n in self.sent if n.action == action and n.status == status
                         and (request_id is None or n.payload.get(key) in (request_id, None))
                         and n.answer is not None), None)

        def over() -> bool:
            return found() is not None or bool(self.problems) or (request_id in self.ended and not self._sending)

        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait_for(over), timeout)
        got = found()
        if got is not None and isinstance(got.answer, CallError):
            raise LookupError(f"the CSMS answered it with CALLERROR {got.answer.code} ({got.answer.description})")
        if got is not None:
            return got
        if self.problems:
            raise LookupError(self.problems[-1])
        seen = ", ".join(n.status for n in self.sent if request_id is None
                         or n.payload.get(key) in (request_id, None)) or "nothing"
        ended = "and no more" if request_id in self.ended else f"within {timeout:g}s"
        raise LookupError(f"the station sent no {action} {status} (it sent {seen} {ended})")

    # -- UpdateFirmware ------------------------------------------------------------------------------

    def update_firmware(self, request: Payload) -> Payload:
        busy = self._running is not None and not self._running.done()
        if busy:
            if self.script.when_busy == "AcceptedCanceled" and self._running is not None:
                self._canceled.add(self._running)  # it stops at its next step
            self._resume.set()
            return {"status": self.script.when_busy}
        problem = _certificate_problem(request["firmware"].get("signingCertificate"))
        if problem is not None and self.script.answer == "Accepted":
            return {"status": "InvalidCertificate", "statusInfo": {"reasonCode": "InvalidCertificate",
                                                                   "additionalInfo": problem}}
        return {"status": self.script.answer}

    async def follow_update(self, session: StationSession, request: Payload, answer: Payload | CallError) -> None:
        status = answer.get("status") if isinstance(answer, dict) else None
        if status == "InvalidCertificate":
            await self._send(session, "SecurityEventNotification", _security_event("InvalidFirmwareSigningCertificate"))
        if status not in ("Accepted", "AcceptedCanceled"):
            return
        task = self._running = asyncio.current_task()
        self._running_request = request["requestId"]
        self._resume.clear()
        self.ended.discard(request["requestId"])
        try:
            await self._update(session, request)
        finally:
            if task is not None:
                self._canceled.discard(task)
            # A canceled run's end is not the end of the run that replaced it under the same requestId.
            if self._running is task or self._running_request != request["requestId"]:
                self.ended.add(request["requestId"])
            await self._notify()

    async def _update(self, session: StationSession, request: Payload) -> None:
        firmware, request_id = request["firmware"], request["requestId"]
        retrieve = parse_time(firmware["retrieveDateTime"])
        scheduled = retrieve > _now() or self.script.download_scheduled
        if not await self._status(session, "DownloadScheduled", request_id, when=scheduled):
            return
        await _until(retrieve)
        if not await self._status(session, "Downloading", request_id):
            return
        image = None if self.script.download_fails else await fetch(firmware["location"])
        if image is None:
            await self._status(session, "DownloadFailed", request_id)
            return
        if not await self._status(session, "Downloaded", request_id):
            return
        self.verified[request_id] = signature_verifies(firmware, image)
        if self.script.tamper:
            image = bytes([image[0] ^ 0xFF]) + image[1:]
        if self.script.tamper or not (self.verified[request_id] or self.script.accept_unverified):
            await self._status(session, "InvalidSignature", request_id)
            await self._send(session, "SecurityEventNotification", _security_event("InvalidFirmwareSignature"))
            return
        install = parse_time(firmware["installDateTime"]) if "installDateTime" in firmware else None
        if not await self._status(session, "SignatureVerified", request_id):
            return
        if install is not None and install > _now():
            if not await self._status(session, "InstallScheduled", request_id):
                return
            await _until(install)
        if not await self._status(session, "Installing", request_id):
            return
        if self.script.install_failure == "InstallVerificationFailed":
            await self._status(session, "InstallVerificationFailed", request_id)
            return
        self.rebooting = request
        await self._status(session, "InstallRebooting", request_id)

    async def after_reboot(self, session: StationSession) -> Notified:
        """After the reboot: Installed (the new version runs) or InstallationFailed; returns what was sent."""
        if self.rebooting is None:
            raise RuntimeError("no firmware update waits for a reboot")
        request, self.rebooting = self.rebooting, None
        failed = self.script.install_failure == "InstallationFailed"
        if not failed:
            self.version = _version_of(request["firmware"]["location"])
        await self._status(session, "InstallationFailed" if failed else "Installed", request["requestId"])
        return self.sent[-1]

    async def _status(self, session: StationSession, status: str, request_id: int, *, when: bool = True) -> bool:
        """Send FirmwareStatusNotification ``status``; hold after it if scripted. False: the CSMS refused it."""
        if not when:
            return True
        if self._was_canceled():
            return False
        if not await self._send(session, "FirmwareStatusNotification", {"status": status, "requestId": request_id}):
            return False
        if self.script.hold_after == status and not self._hold_used:
            self._hold_used = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._resume.wait(), HOLD_LIMIT)
        return not self._was_canceled()

    def _was_canceled(self) -> bool:
        task = asyncio.current_task()
        return task is not None and task in self._canceled

    # -- PublishFirmware / UnpublishFirmware ------------------------------------------------------------

    def publish_firmware(self, _request: Payload) -> Payload:
        return {"status": self.publish_script.answer}

    async def follow_publish(self, session: StationSession, request: Payload, answer: Payload | CallError) -> None:
        if not isinstance(answer, dict) or answer.get("status") != "Accepted":
            return
        try:
            await self._publish(session, request, request["checksum"].lower())
        finally:
            self.ended.add(request["requestId"])
            await self._notify()

    async def _publish(self, session: StationSession, request: Payload, checksum: str) -> None:
        request_id, script = request["requestId"], self.publish_script
        action = "PublishFirmwareStatusNotification"

        async def status(name: str, **fields: Any) -> bool:
            return await self._send(session, action, {"status": name, **fields, "requestId": request_id})

        self.publish_downloading.add(checksum)
        try:
            if not await status("Downloading"):
                return
            image = None if script.download_fails else await fetch(request["location"])
            if image is None:
                await status("DownloadFailed")
                return
            if not await status("Downloaded"):
                return
        finally:
            self.publish_downloading.discard(checksum)
        self.checksums[request_id] = hashlib.md5(image, usedforsecurity=False).hexdigest() == checksum
        if script.tamper or not (self.checksums[request_id] or script.accept_any_checksum):
            await status("InvalidChecksum")
            return
        if not await status("ChecksumVerified"):
            return
        if script.publish_fails:
            await status("PublishFailed")
            return
        locations = [f"http://{session.station_id.lower()}.local/firmware/{checksum}.bin"]
        self.published[checksum] = locations
        await status("Published", location=locations)

    def unpublish_firmware(self, request: Payload) -> Payload:
        checksum = request["checksum"].lower()
        if checksum in self.publish_downloading:
            return {"status": "DownloadOngoing"}
        if self.published.pop(checksum, None) is None:
            return {"status": "NoFirmware"}
        return {"status": "Unpublished"}

    # -- sending -----------------------------------------------------------------------------------------

    async def _send(self, session: StationSession, action: str, payload: Payload) -> bool:
        record = Notified(action, payload)
        self.sent.append(record)
        self._sending += 1
        try:
            answer = await session.send(action, payload)
        except Exception as exc:  # a lost connection or no answer: the case reads it as a problem
            record.answer = CallError("", "GenericError", str(exc))
            self.problems.append(f"{action} {payload.get('status', '')}: {exc}")
            await self._notify()
            raise
        finally:
            self._sending -= 1
        record.answer = answer if isinstance(answer, CallError) else answer.payload
        if isinstance(answer, CallError):
            self.problems.append(f"the CSMS answered {action} {payload.get('status', '')} with CALLERROR "
                                 f"{answer.code} ({answer.description})")
        await self._notify()
        return not isinstance(answer, CallError)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


def serve_firmware(session: StationSession, firmware: StationFirmware) -> None:
    """Make ``session`` answer the firmware calls from ``firmware`` and run what it accepts."""

    async def update(request: Payload, answer: Payload | CallError) -> None:
        await firmware.follow_update(session, request, answer)

    async def publish(request: Payload, answer: Payload | CallError) -> None:
        await firmware.follow_publish(session, request, answer)

    session.replies["UpdateFirmware"] = firmware.update_firmware
    session.replies["PublishFirmware"] = firmware.publish_firmware
    session.replies["UnpublishFirmware"] = firmware.unpublish_firmware
    session.follow_ups["UpdateFirmware"] = update
    session.follow_ups["PublishFirmware"] = publish


def signature_verifies(firmware: Payload, image: bytes) -> bool:
    """Whether the request's signature of ``image`` verifies with its signing certificate (both present)."""
    certificate, signature = firmware.get("signingCertificate"), firmware.get("signature")
    if not (isinstance(certificate, str) and isinstance(signature, str)):
        return False
    return firmware_signature_valid(certificate, image, signature)


async def fetch(location: str) -> bytes | None:
    """The image at ``location``; None when it cannot be had. Only loopback is reached: the virtual station has
    no other network, and a case that needs a download serves one there."""
    url = urlparse(location)
    try:
        loopback = url.hostname == "localhost" or ip_address(url.hostname or "").is_loopback
    except ValueError:
        loopback = False
    if url.scheme not in ("http", "https") or not loopback:
        return None
    try:
        async with httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT) as client:
            response = await client.get(location)
    except httpx.HTTPError:
        return None
    return response.content if response.status_code == 200 else None


def _certificate_problem(pem: str | None) -> str | None:
    if pem is None:
        return None
    try:
        certificate = load_pem_chain(pem)[0]
    except (ValueError, IndexError):
        return "the signing certificate is not a PEM encoded X.509 certificate"
    now = _now()
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        return "the signing certificate is not valid now"
    return None


def _security_event(kind: str) -> Payload:
    return {"type": kind, "timestamp": _now().isoformat(timespec="milliseconds").replace("+00:00", "Z")}


def _version_of(location: str) -> str:
    name = urlparse(location).path.rsplit("/", 1)[-1]
    return name.removesuffix(".bin") or "installed"


def _now() -> datetime:
    return datetime.now(UTC)


async def _until(moment: datetime) -> None:
    """Wait for a scheduled time (a real wait: the station acts at that time), at most MAX_SCHEDULE_WAIT."""
    await scenario_wait(min((moment - _now()).total_seconds(), MAX_SCHEDULE_WAIT))


__all__ = ["FirmwareScript", "Notified", "PublishScript", "StationFirmware", "serve_firmware"]
