"""Block N, logs (N01): the CSMS has the station upload its diagnostics or security log.

The operator has the CSMS send GetLog (the trigger API) with the configured log location
(CONFIGURED_LOG_LOCATION). The virtual station answers from ``station.logs``: Accepted with
a file name, then LogStatusNotifications of the upload with the request's requestId, which
the CSMS must answer; Rejected where a case says; a request while an upload runs cancels
it (AcceptedCanceled, TC_N_36).
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlparse

from csmscheck.checks import customer_data as checks
from csmscheck.errors import StepFailed
from csmscheck.expect import assert_matches, step
from csmscheck.station import Station
from csmscheck.station.logs import LogPolicy
from csmscheck.station.replies import Reply
from csmscheck.station.session import ReceivedCall
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v201.operations_steps import check_reported, shown
from csmscheck.wire import CallError

Payload = dict[str, Any]


def _request(station: Station, log_type: str = "DiagnosticsLog") -> Payload:
    """The GetLogRequest the operator asks for: a fresh requestId and the configured location."""
    return {"logType": log_type, "requestId": secrets.randbelow(2**31 - 2) + 1,
            "log": {"remoteLocation": station.cfg.log_location}}


async def get_log(station: Station, csms: Csms, request: Payload, label: str, reply: Reply | None = None) -> Payload:
    """The CSMS sends GetLog (step ``label``); the station answers by its policy (or ``reply``). Returns what the
    CSMS sent."""
    with step(label):
        async with station.expect("GetLog", reply=reply) as got:
            reported = await csms.request(station, "GetLog", request)
    _check_request(station, got, label)
    check_reported(station, reported, got.answer, f"{label}: GetLogResponse")
    return got.payload


def _check_request(station: Station, got: ReceivedCall, label: str) -> None:
    log = got.payload.get("log", {})
    location = urlparse(str(log.get("remoteLocation", "")))
    station.findings.check(checks.LOG_LOCATION_URL, bool(location.scheme and location.netloc),
                           f"{label}: GetLogRequest log.remoteLocation {shown(log.get('remoteLocation'))} is not an "
                           "absolute URL")
    oldest, latest = log.get("oldestTimestamp"), log.get("latestTimestamp")
    station.findings.check(checks.LOG_PERIOD_ORDERED, oldest is None or latest is None or oldest <= latest,
                           f"{label}: GetLogRequest log.oldestTimestamp {oldest} is after latestTimestamp {latest}")


async def upload_reported(station: Station, request_id: int, status: str, label: str) -> None:
    """The station reported ``status`` of the upload of ``request_id``; the CSMS answered it (step ``label``)."""
    timeout = station.cfg.csms_action_timeout
    try:
        answer = await station.logs.reported(request_id, status, timeout)
    except TimeoutError:
        problems = "; ".join(station.session.violations) or "the CSMS did not answer"
        raise StepFailed(f"{label}: LogStatusNotificationResponse: no answer to LogStatusNotification "
                         f"(status {status}, requestId {request_id}) within {timeout:g}s: {problems}") from None
    if isinstance(answer, CallError):
        raise StepFailed(f"{label}: LogStatusNotificationResponse: the CSMS answered LogStatusNotification "
                         f"(status {status}, requestId {request_id}) with CALLERROR {answer.code} "
                         f"({answer.description})")


async def _successful_upload(station: Station, csms: Csms, log_type: str) -> None:
    """Steps 1-6 of TC_N_25 and TC_N_35: an accepted request, then Uploading and Uploaded."""
    sent = await get_log(station, csms, _request(station, log_type), "Step 1")
    assert_matches(sent, {"logType": log_type}, "Step 1: GetLogRequest")
    request_id = sent["requestId"]
    await upload_reported(station, request_id, "Uploading", "Step 4")
    await upload_reported(station, request_id, "Uploaded", "Step 6")


@octt("TC_N_25")
async def test_tc_n_25(station: Station, csms: Csms) -> None:
    """Retrieve Log Information - Diagnostics Log - Success."""
    await _successful_upload(station, csms, "DiagnosticsLog")


@octt("TC_N_34")
async def test_tc_n_34(station: Station, csms: Csms) -> None:
    """Retrieve Log Information - Rejected."""
    station.logs.policy = LogPolicy(answer="Rejected")
    await get_log(station, csms, _request(station), "Step 1")


@octt("TC_N_35")
async def test_tc_n_35(station: Station, csms: Csms) -> None:
    """Retrieve Log Information - Security Log - Success."""
    await _successful_upload(station, csms, "SecurityLog")


@octt("TC_N_36")
async def test_tc_n_36(station: Station, csms: Csms) -> None:
    """Retrieve Log Information - Second Request."""
    station.logs.policy = LogPolicy(stall_after="Uploading")  # the first upload is still under way at step 5
    first = await get_log(station, csms, _request(station), "Step 1")
    await upload_reported(station, first["requestId"], "Uploading", "Step 4")
    station.logs.policy = LogPolicy()
    second = await get_log(station, csms, _request(station), "Step 5")
    station.findings.check(checks.LOG_REQUEST_IDS_DISTINCT, second["requestId"] != first["requestId"],
                           f"Step 5: GetLogRequest: requestId {second['requestId']} is that of the upload under way")
    await upload_reported(station, first["requestId"], "AcceptedCanceled", "Step 8")
    await upload_reported(station, second["requestId"], "Uploading", "Step 10")
    await upload_reported(station, second["requestId"], "Uploaded", "Step 12")
