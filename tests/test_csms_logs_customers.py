"""The reference CSMS's OCPP 2.0.1 log uploads, customer information and data transfer (blocks N and P),
driven by a raw station session and the trigger API.

What it records of GetLog requests and their LogStatusNotifications (a cancelled upload included), what it
refuses to send (400 with reasons, nothing on the wire), how it assembles NotifyCustomerInformation parts,
what a clear erases and the local list update it sends (N10.FR.02), and its DataTransfer answers.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from conftest import DEFAULTS, RunningCsms, StationOpener
from trigger_calls import refused, relayed

from csmscheck.station.session import StationSession
from csmscheck.timestamps import rfc3339

STATION = "CP201_SP1"
TOKEN = {"idToken": DEFAULTS.valid_id_token, "type": DEFAULTS.valid_id_token_type}
Payload = dict[str, Any]


def _id() -> int:
    return secrets.randbelow(2**30) + 1


@pytest.fixture
async def api(reference_csms: RunningCsms) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=reference_csms.api, timeout=10.0) as client:
        yield client


async def _detail(api: httpx.AsyncClient, key: str) -> list[Payload]:
    response = await api.get(f"/api/stations/{STATION}")
    assert response.status_code == 200, response.text
    rows: list[Payload] = response.json()[key]
    return rows


def _log_request(request_id: int, log_type: str = "DiagnosticsLog", **log: Any) -> Payload:
    return {"logType": log_type, "requestId": request_id, "log": {"remoteLocation": "ftp://logs.example/up/", **log}}


async def _log_status(station: StationSession, status: str, request_id: int) -> None:
    assert await station.call("LogStatusNotification", {"status": status, "requestId": request_id}) == {}


# -- logs ------------------------------------------------------------------------------------


async def test_an_upload_is_recorded_with_its_history(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                      open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    request_id = _id()
    body = await relayed(api, station, "GetLog", _log_request(request_id, "SecurityLog"),
                         {"status": "Accepted", "filename": "security.log"})
    assert body == {"response": {"status": "Accepted", "filename": "security.log"}}
    await _log_status(station, "Uploading", request_id)
    await _log_status(station, "UploadFailure", request_id)
    (row,) = [r for r in await _detail(api, "logRequests") if r["requestId"] == request_id]
    assert row["logType"] == "SecurityLog" and row["filename"] == "security.log"
    assert [h["status"] for h in row["history"]] == ["Uploading", "UploadFailure"]
    assert row["status"] == "UploadFailure"  # a failure stays a failure


async def test_a_second_request_cancels_the_running_upload(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                           open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    first, second = _id(), _id()
    await relayed(api, station, "GetLog", _log_request(first), {"status": "Accepted", "filename": "a.log"})
    await _log_status(station, "Uploading", first)
    await relayed(api, station, "GetLog", _log_request(second), {"status": "AcceptedCanceled", "filename": "b.log"})
    await _log_status(station, "AcceptedCanceled", first)
    await _log_status(station, "Uploaded", second)
    rows = {r["requestId"]: r for r in await _detail(api, "logRequests")}
    assert rows[first]["canceledBy"] == second and rows[first]["status"] == "AcceptedCanceled"
    assert rows[second]["canceledBy"] is None and rows[second]["status"] == "Uploaded"


async def test_get_log_is_vetted(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                 open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    reasons = await refused(api, station, "get-log", {"logType": "DiagnosticsLog", "requestId": 1,
                                                      "log": {"remoteLocation": "not a url"}})
    assert any("not an absolute URL" in r for r in reasons), reasons
    reasons = await refused(api, station, "get-log", _log_request(
        1, oldestTimestamp="2026-01-02T00:00:00Z", latestTimestamp="2026-01-01T00:00:00Z"))
    assert any("oldestTimestamp" in r for r in reasons), reasons


# -- customer information --------------------------------------------------------------------


async def test_customer_information_is_vetted(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                              open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    both = {"requestId": 1, "report": True, "clear": False, "idToken": TOKEN, "customerIdentifier": "x"}
    assert any("exactly one" in r for r in await refused(api, station, "customer-information", both))
    none = {"requestId": 1, "report": True, "clear": True}
    assert any("exactly one" in r for r in await refused(api, station, "customer-information", none))
    nothing = {"requestId": 1, "report": False, "clear": False, "customerIdentifier": "x"}
    assert any("asks the station for nothing" in r for r in await refused(api, station, "customer-information",
                                                                            nothing))


async def _notify(station: StationSession, request_id: int, seq_no: int, data: str, tbc: bool) -> None:
    assert await station.call("NotifyCustomerInformation", {
        "data": data, "tbc": tbc, "seqNo": seq_no, "generatedAt": rfc3339(), "requestId": request_id}) == {}


async def test_parts_are_assembled_in_seq_no_order(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                   open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    request_id = _id()
    await relayed(api, station, "CustomerInformation", {"requestId": request_id, "report": True, "clear": False,
                                                        "customerIdentifier": "alice"})
    await _notify(station, request_id, 1, "second ", True)
    await _notify(station, request_id, 2, "third", False)
    (row,) = [r for r in await _detail(api, "customerReports") if r["requestId"] == request_id]
    assert not row["complete"] and row["data"] is None  # part 0 is still missing
    await _notify(station, request_id, 0, "first ", True)
    (row,) = [r for r in await _detail(api, "customerReports") if r["requestId"] == request_id]
    assert row["complete"] and row["data"] == "first second third" and row["parts"] == 3
    assert row["status"] == "Accepted" and row["customer"] == {"customerIdentifier": "alice"}


async def test_a_clear_erases_earlier_reports_and_unlists_the_token(
        reference_csms: RunningCsms, api: httpx.AsyncClient, open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    await relayed(api, station, "GetLocalListVersion", {}, {"versionNumber": 0})
    await relayed(api, station, "SendLocalList", {"versionNumber": 4, "updateType": "Full", "localAuthorizationList": [
        {"idToken": TOKEN, "idTokenInfo": {"status": "Accepted"}}]})
    earlier = _id()
    await relayed(api, station, "CustomerInformation", {"requestId": earlier, "report": True, "clear": False,
                                                        "idToken": TOKEN})
    await _notify(station, earlier, 0, "three sessions", False)
    cleared = _id()
    async with station.expect("SendLocalList", reply={"status": "Accepted"}) as update:
        await relayed(api, station, "CustomerInformation", {"requestId": cleared, "report": True, "clear": True,
                                                            "idToken": TOKEN})
        await _notify(station, cleared, 0, "three sessions", False)
    assert update.payload == {"versionNumber": 5, "updateType": "Differential",
                              "localAuthorizationList": [{"idToken": TOKEN}]}
    for _ in range(50):  # the answer to the update is recorded after the station's reply
        rows = {r["requestId"]: r for r in await _detail(api, "customerReports")}
        if rows[cleared]["localListUpdate"] == "Accepted":
            break
        await asyncio.sleep(0.05)
    assert rows[cleared]["localListUpdate"] == "Accepted" and rows[cleared]["data"] == "three sessions"
    assert rows[earlier]["data"] is None  # what the station reported before the clear is erased


async def test_a_clear_of_an_unlisted_token_sends_no_update(reference_csms: RunningCsms, api: httpx.AsyncClient,
                                                            open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)
    await relayed(api, station, "SendLocalList", {"versionNumber": 1, "updateType": "Full"})
    request_id = _id()
    await relayed(api, station, "CustomerInformation", {"requestId": request_id, "report": False, "clear": True,
                                                        "idToken": TOKEN})
    for _ in range(50):
        (row,) = [r for r in await _detail(api, "customerReports") if r["requestId"] == request_id]
        if row["localListUpdate"] is not None:
            break
        await asyncio.sleep(0.05)
    assert row["localListUpdate"] == "NotListed"
    assert not [c for c in station.calls if c.action == "SendLocalList"][1:]


# -- data transfer ---------------------------------------------------------------------------


async def test_data_transfer_answers_by_vendor_and_message(reference_csms: RunningCsms,
                                                           open_station: StationOpener) -> None:
    station = await open_station(reference_csms, STATION)

    async def answer(vendor: str, message: str | None = None, **extra: Any) -> Payload:
        request: Payload = {"vendorId": vendor, **extra} | ({"messageId": message} if message else {})
        return await station.call("DataTransfer", request)

    assert await answer("tzi.app", "TestMessage") == {"status": "UnknownVendorId"}
    assert await answer("org.csmscheck", "Echo", data={"a": 1}) == {"status": "Accepted", "data": {"a": 1}}
    assert await answer("org.csmscheck", "Ping") == {"status": "Accepted"}
    assert (await answer("org.csmscheck", "Reject"))["status"] == "Rejected"
    assert await answer("org.csmscheck", "Nope") == {"status": "UnknownMessageId"}
    assert await answer("org.csmscheck") == {"status": "UnknownMessageId"}
    custom = {"customData": {"vendorId": "com.example", "x": 1}}
    assert await answer("org.csmscheck", "Ping", **custom) == {"status": "Accepted"}
