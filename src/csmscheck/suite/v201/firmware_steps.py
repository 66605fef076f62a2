"""Steps of the OCPP 2.0.1 firmware cases (block L): the operator's requests, the station's notifications, the reboot.

The virtual station runs an update or a publication as a real one does (``station.firmware``, scripted per
case) and really downloads the image from the case's loopback server (``FirmwareServer``); these steps wait
for each notification it sends and name the step when one is missing or the CSMS answered it with a CALLERROR.
What the OCTT's station does not check of the CSMS's requests (the signature verifies, the checksum is the
image's) are csmscheck checks CSC-201-L-xx.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from csmscheck.checks import firmware as checks
from csmscheck.errors import StepFailed
from csmscheck.expect import Matcher, step
from csmscheck.pki.firmware import firmware_signature_valid
from csmscheck.station import Station
from csmscheck.station.firmware_server import FirmwareServer
from csmscheck.station.session import ReceivedCall
from csmscheck.station.states import v201 as states
from csmscheck.suite.operator import Csms
from csmscheck.suite.v201.operations_steps import check_reported, fresh_id
from csmscheck.timestamps import parse_time, rfc3339
from csmscheck.wire import CallError

Payload = dict[str, Any]
UPDATE, PUBLISH = "FirmwareStatusNotification", "PublishFirmwareStatusNotification"
PRESENT: Any = Matcher("<present>", lambda v: v is not None and v != "")


def in_future() -> Any:
    """A date-time after the moment the CALL arrived."""
    arrived = datetime.now(UTC)

    def later(value: Any) -> bool:
        try:
            return isinstance(value, str) and parse_time(value) > arrived
        except ValueError:
            return False

    return Matcher("<a date-time in the future>", later)


def update_request(station: Station, server: FirmwareServer, *, retrieve_in: float = 0.0,
                   install_in: float | None = None) -> Payload:
    """What the operator asks the CSMS to send: the firmware on the case's server, no signature (the CSMS signs)."""
    now = datetime.now(UTC)
    firmware: Payload = {"location": server.url, "retrieveDateTime": rfc3339(now + timedelta(seconds=retrieve_in))}
    if install_in is not None:
        firmware["installDateTime"] = rfc3339(now + timedelta(seconds=install_in))
    cfg = station.cfg
    return {"requestId": fresh_id(), "retries": cfg.firmware_retries, "retryInterval": cfg.firmware_retry_interval,
            "firmware": firmware}


def publish_request(station: Station, server: FirmwareServer) -> Payload:
    cfg = station.cfg
    return {"location": server.url, "checksum": server.md5, "requestId": fresh_id(), "retries": cfg.firmware_retries,
            "retryInterval": cfg.firmware_retry_interval}


async def csms_sends(station: Station, csms: Csms, action: str, payload: Payload, step_no: int) -> ReceivedCall:
    """Steps ``step_no`` and the next: the operator has the CSMS send ``action``; the station answers by its script."""
    label = f"Step {step_no}: {action}Request"
    with step(label):
        async with station.expect(action) as got:
            reported = await csms.request(station, action, payload)
    check_reported(station, reported, got.answer, f"Step {step_no + 1}: {action}Response")
    return got


def answered(got: ReceivedCall, status: str, step_no: int) -> None:
    """The station's own answer was ``status`` (its script); anything else is a defect of the case's station."""
    if not isinstance(got.answer, dict) or got.answer.get("status") != status:
        raise StepFailed(f"Step {step_no}: {got.action}Response: the station answered {got.answer}, not {status}")


def check_signed_update(station: Station, got: ReceivedCall, server: FirmwareServer, label: str) -> None:
    """csmscheck checks CSC-201-L-01, -02, -03 and -06 of an UpdateFirmwareRequest."""
    firmware = got.payload["firmware"]
    certificate, signature = firmware.get("signingCertificate"), firmware.get("signature")
    findings = station.findings
    if not (isinstance(certificate, str) and isinstance(signature, str)):
        findings.check(checks.SIGNATURE_VERIFIES, False,
                       f"{label}: no signingCertificate and signature: a station cannot verify the firmware")
    else:
        findings.check(checks.SIGNATURE_VERIFIES, firmware_signature_valid(certificate, server.image, signature),
                       f"{label}: the signature does not verify over the firmware at {server.url} with the key of "
                       "the signingCertificate sent")
        problem = checks.signing_certificate_problem(certificate)
        findings.check(checks.SIGNING_CERTIFICATE_USABLE, problem is None, f"{label}: signingCertificate: {problem}")
        findings.check(checks.SIGNING_CERTIFICATE_ISSUED, not checks.self_signed(certificate),
                       f"{label}: the signingCertificate is self-signed: it chains to no manufacturer root")
    if "installDateTime" in firmware:
        try:
            ordered = parse_time(firmware["installDateTime"]) >= parse_time(firmware["retrieveDateTime"])
        except ValueError:
            ordered = False
        findings.check(checks.INSTALL_AFTER_RETRIEVE, ordered,
                       f"{label}: installDateTime {firmware['installDateTime']} is before retrieveDateTime "
                       f"{firmware['retrieveDateTime']}")


def _wait(station: Station) -> float:
    return station.cfg.csms_action_timeout + station.cfg.firmware_schedule_delay


async def notifications(station: Station, request_id: int | None, steps: list[tuple[int, str]],
                        action: str = UPDATE) -> None:
    """The station sends ``action`` with each (step, status), in order, and the CSMS answers each."""
    for step_no, status in steps:
        try:
            await station.firmware.notified(action, status, request_id, _wait(station))
        except LookupError as exc:
            raise StepFailed(f"Step {step_no}: {action}Request ({status}): {exc}") from None


async def security_event(station: Station, kind: str, step_no: int) -> None:
    """The station reports the security event ``kind`` (it does so by itself after refusing the firmware)."""
    try:
        await station.firmware.notified("SecurityEventNotification", kind, None, _wait(station))
    except LookupError as exc:
        raise StepFailed(f"Step {step_no}: SecurityEventNotificationRequest ({kind}): {exc}") from None


async def reboot_and_report(station: Station, boot_step: int) -> None:
    """After InstallRebooting: the station reboots (BootNotification FirmwareUpdate, response step ``boot_step``,
    validated Accepted), reports its connectors Available, then Installed or InstallationFailed."""
    with step(f"Step {boot_step - 1}: the station reboots"):
        await station.reconnect()
    await states.boot(station, "FirmwareUpdate", label=f"Step {boot_step}")
    with step(f"Step {boot_step + 1}: StatusNotificationRequest"):
        await states.notify_connectors(station)
    with step(f"Step {boot_step + 3}: {UPDATE}Request"):
        sent = await station.firmware.after_reboot(station.session)
    if isinstance(sent.answer, CallError):
        raise StepFailed(f"Step {boot_step + 4}: {UPDATE}Response ({sent.status}): the CSMS answered CALLERROR "
                         f"{sent.answer.code} ({sent.answer.description})")


def check_checksum(station: Station, got: ReceivedCall, server: FirmwareServer, label: str) -> None:
    """csmscheck check CSC-201-L-05: the checksum is the MD5 of the firmware at the location."""
    checksum = str(got.payload.get("checksum", ""))
    station.findings.check(checks.CHECKSUM_MATCHES, checksum.lower() == server.md5,
                           f"{label}: checksum {checksum} is not the MD5 of the firmware at {server.url} "
                           f"({server.md5})")
