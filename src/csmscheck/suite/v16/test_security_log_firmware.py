"""Chapter 3.21 (security), security log and secure firmware update."""

from __future__ import annotations

import secrets
from typing import Any

from csmscheck.errors import StepFailed
from csmscheck.expect import Matcher, assert_matches
from csmscheck.pki.certificates import load_pem_chain, same_certificate
from csmscheck.pki.firmware import FirmwareSigner, firmware_signature_valid, new_firmware_signer
from csmscheck.station import Station
from csmscheck.station import v16 as msg
from csmscheck.station.states import v16 as core
from csmscheck.station.states import v16_security as security
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v16.csms_calls import check_relayed, csms_sends
from csmscheck.timestamps import rfc3339

# Where the CSMS tells the charge point to upload its log, and the firmware it points it to.
FIRMWARE_VERSION = "1.0.1"
# What the charge point finds at the configured firmware location (the virtual one never downloads).
FIRMWARE_IMAGE = b"csmscheck virtual charge point firmware 1.0.1\n"


def _request_id() -> int:
    return secrets.randbelow(2**31 - 1) + 1


@octt("TC_079", chapter="3.21")
async def test_tc_079(station: Station, csms: Csms) -> None:
    """Get Security Log."""
    sent = await csms_sends(station, csms, "GetLog", {"logType": "SecurityLog", "requestId": _request_id(),
                                                      "log": {"remoteLocation": station.cfg.log_location}},
                            "Step 1: GetLog.req", reply={"status": "Accepted", "filename": "security.log"})
    assert_matches(sent.payload, {"logType": "SecurityLog", "log": {"remoteLocation": station.cfg.log_location}},
                   "Step 1: GetLog.req")
    check_relayed(station, sent, "Step 2: GetLog.conf")
    request_id = sent.payload["requestId"]
    await security.log_status(station, "Uploading", request_id, "Step 4: LogStatusNotification.conf")
    await security.log_status(station, "Uploaded", request_id, "Step 6: LogStatusNotification.conf")


async def _signed_update(station: Station, csms: Csms, signer: FirmwareSigner, signature: str, *,
                         certificate_validated: bool) -> dict[str, Any]:
    """Steps 1-2: the CSMS sends SignedUpdateFirmware with the configured firmware; the station accepts.

    The OCTT checks the location and signature, and the signing certificate in TC_080 only
    (``certificate_validated``); in TC_081 the certificate asked for is a csmscheck check.
    """
    certificate = load_pem_chain(signer.certificate_pem)[0]
    firmware = {"location": station.cfg.firmware_location, "retrieveDateTime": rfc3339(),
                "signingCertificate": signer.certificate_pem, "signature": signature}
    sent = await csms_sends(station, csms, "SignedUpdateFirmware", {"requestId": _request_id(), "firmware": firmware},
                            "Step 1: SignedUpdateFirmware.req", reply={"status": "Accepted"})
    configured = {"signingCertificate": Matcher("<the configured signing certificate>",
                                                lambda v: isinstance(v, str) and same_certificate(v, certificate))}
    validated = {"location": station.cfg.firmware_location, "signature": signature}
    assert_matches(sent.payload, {"firmware": validated | (configured if certificate_validated else {})},
                   "Step 1: SignedUpdateFirmware.req")
    check_relayed(station, sent, "Step 2: SignedUpdateFirmware.conf")
    return sent.payload


async def _download_and_verify(station: Station, request: dict[str, Any]) -> str:
    """Steps 3-7: download, then check the signature; returns the status the station reports."""
    request_id = request["requestId"]
    await security.firmware_status(station, "Downloading", request_id, "Step 4: SignedFirmwareStatusNotification.conf")
    await security.firmware_status(station, "Downloaded", request_id, "Step 6: SignedFirmwareStatusNotification.conf")
    firmware = request["firmware"]
    valid = firmware_signature_valid(firmware["signingCertificate"], FIRMWARE_IMAGE, firmware["signature"])
    status = "SignatureVerified" if valid else "InvalidSignature"
    await security.firmware_status(station, status, request_id, "Step 8: SignedFirmwareStatusNotification.conf")
    return status


@octt("TC_080", chapter="3.21")
async def test_tc_080(station: Station, csms: Csms) -> None:
    """Secure Firmware Update."""
    signer = new_firmware_signer()
    request = await _signed_update(station, csms, signer, signer.sign(FIRMWARE_IMAGE), certificate_validated=True)
    request_id = request["requestId"]
    if await _download_and_verify(station, request) != "SignatureVerified":
        raise StepFailed("Step 7: the firmware signature the Central System sent does not verify "
                         "with its signing certificate")
    for connector_id in range(1, station.cfg.number_of_evses + 1):
        await core.set_status(station, connector_id, "Unavailable",
                              step="Before step 9: StatusNotification.conf (Unavailable)")
    await security.firmware_status(station, "Installing", request_id, "Step 10: SignedFirmwareStatusNotification.conf")
    await security.firmware_status(station, "InstallRebooting", request_id,
                                   "Step 12: SignedFirmwareStatusNotification.conf")
    await core.reconnect(station, "Step 13: BootNotification.req (the charge point reconnects after rebooting)")
    boot = await core.checked_call(station, "BootNotification", msg.boot_notification(station.cfg) |
                                   {"firmwareVersion": FIRMWARE_VERSION}, "Step 14: BootNotification.conf")
    # The OCTT does not validate the boot's status: a csmscheck check.
    core.check_boot_accepted(station, boot, "Step 14: BootNotification.conf")
    station.model.booted = boot["status"] == "Accepted"
    await security.security_event(station, "FirmwareUpdated", "Step 16: SecurityEventNotification.conf")
    await core.notify_connectors(station, "Available", step="Step 18: StatusNotification.conf")
    await security.firmware_status(station, "Installed", request_id, "Step 20: SignedFirmwareStatusNotification.conf")


@octt("TC_081", chapter="3.21")
async def test_tc_081(station: Station, csms: Csms) -> None:
    """Secure Firmware Update - Invalid Signature."""
    signer = new_firmware_signer()
    # A well-formed signature, but of another image: it cannot verify.
    invalid = signer.sign(FIRMWARE_IMAGE + b"tampered")
    request = await _signed_update(station, csms, signer, invalid, certificate_validated=False)
    status = await _download_and_verify(station, request)
    if status != "InvalidSignature":
        raise StepFailed(f"Step 7: the charge point verified a signature that must be invalid ({status})")
