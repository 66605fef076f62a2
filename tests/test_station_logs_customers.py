"""The virtual 2.0.1 station's log uploads (N01) and customer data (N09, N10) as data, without a CSMS."""

from __future__ import annotations

from typing import Any

import pytest

from csmscheck.station.customer_information import PART_LENGTH, CustomerData
from csmscheck.station.logs import LogPolicy, StationLogs
from csmscheck.wire import CallError, CallResult

Payload = dict[str, Any]
TOKEN = {"idToken": "tag-001", "type": "ISO14443"}


class Recorder:
    """A session stand-in: records what the station sends and answers each with ``answer``."""

    def __init__(self, answer: Payload | None = None, error: bool = False) -> None:
        self.sent: list[tuple[str, Payload]] = []
        self.answer = answer if answer is not None else {}
        self.error = error

    async def send(self, action: str, payload: Payload) -> CallResult | CallError:
        self.sent.append((action, payload))
        if self.error:
            return CallError("1", "InternalError", "broken")
        return CallResult("1", dict(self.answer))


def _get_log(request_id: int, log_type: str = "DiagnosticsLog") -> Payload:
    return {"logType": log_type, "requestId": request_id, "log": {"remoteLocation": "ftp://x/"}}


async def test_an_accepted_request_reports_uploading_then_uploaded() -> None:
    logs, session = StationLogs(), Recorder()
    answer = logs.get_log(_get_log(7, "SecurityLog"))
    assert answer == {"status": "Accepted", "filename": "security.log"}
    await logs.follow_up(session, _get_log(7, "SecurityLog"), answer)  # type: ignore[arg-type]
    assert session.sent == [("LogStatusNotification", {"status": "Uploading", "requestId": 7}),
                            ("LogStatusNotification", {"status": "Uploaded", "requestId": 7})]
    assert logs.running is None
    assert await logs.reported(7, "Uploaded", 0.1) == {}


async def test_a_rejecting_station_reports_nothing() -> None:
    logs, session = StationLogs(LogPolicy(answer="Rejected")), Recorder()
    answer = logs.get_log(_get_log(1))
    assert answer == {"status": "Rejected"}
    await logs.follow_up(session, _get_log(1), answer)  # type: ignore[arg-type]
    assert session.sent == []


async def test_a_second_request_cancels_a_stalled_upload() -> None:
    logs, session = StationLogs(LogPolicy(stall_after="Uploading")), Recorder()
    await logs.follow_up(session, _get_log(1), logs.get_log(_get_log(1)))  # type: ignore[arg-type]
    assert logs.running is not None and logs.running.request_id == 1
    logs.policy = LogPolicy()
    answer = logs.get_log(_get_log(2))
    assert answer["status"] == "AcceptedCanceled"
    await logs.follow_up(session, _get_log(2), answer)  # type: ignore[arg-type]
    assert [(p["status"], p["requestId"]) for _, p in session.sent] == [
        ("Uploading", 1), ("AcceptedCanceled", 1), ("Uploading", 2), ("Uploaded", 2)]
    assert logs.running is None


async def test_a_callerror_to_a_notification_is_recorded_and_raised() -> None:
    logs, session = StationLogs(), Recorder(error=True)
    with pytest.raises(RuntimeError, match="CALLERROR"):
        await logs.follow_up(session, _get_log(3), logs.get_log(_get_log(3)))  # type: ignore[arg-type]
    answer = await logs.reported(3, "Uploading", 0.1)
    assert isinstance(answer, CallError)


async def test_waiting_for_a_status_never_sent_times_out() -> None:
    with pytest.raises(TimeoutError):
        await StationLogs().reported(5, "Uploaded", 0.05)


# -- customer information --------------------------------------------------------------------


def _request(report: bool, clear: bool, **reference: Any) -> Payload:
    return {"requestId": 11, "report": report, "clear": clear, **reference}


async def test_a_report_comes_in_parts_of_at_most_512_characters() -> None:
    customers, session = CustomerData(), Recorder()
    customers.hold({"idToken": TOKEN}, "x" * 700)
    customers.hold({"customerIdentifier": "bob"}, "not this customer")
    request = _request(True, False, idToken={"idToken": "TAG-001", "type": "ISO14443"})  # tokens: any case
    answer = customers.customer_information(request)
    assert answer == {"status": "Accepted"}
    await customers.follow_up(session, request, answer)  # type: ignore[arg-type]
    parts = [p for _, p in session.sent]
    assert [(p["seqNo"], p["tbc"], len(p["data"])) for p in parts] == [(0, True, PART_LENGTH), (1, False, 188)]
    assert all(p["requestId"] == 11 for p in parts)
    assert len(customers.records) == 2  # reporting keeps the data
    assert len(await customers.notified(11, 0.1)) == 2


async def test_no_data_is_one_empty_part() -> None:
    customers, session = CustomerData(), Recorder()
    request = _request(True, False, customerIdentifier="nobody")
    await customers.follow_up(session, request, customers.customer_information(request))  # type: ignore[arg-type]
    assert [p["data"] for _, p in session.sent] == [""]


async def test_a_clear_forgets_the_customer_and_unlists_the_token() -> None:
    customers, session = CustomerData(), Recorder()
    customers.send_local_list({"versionNumber": 3, "updateType": "Full", "localAuthorizationList": [
        {"idToken": TOKEN, "idTokenInfo": {"status": "Accepted"}},
        {"idToken": {"idToken": "other", "type": "ISO14443"}, "idTokenInfo": {"status": "Accepted"}}]})
    customers.hold({"idToken": TOKEN}, "sessions")
    request = _request(False, True, idToken=TOKEN)
    await customers.follow_up(session, request, customers.customer_information(request))  # type: ignore[arg-type]
    assert [p["data"] for _, p in session.sent] == [""]  # no report asked: nothing of the data
    assert customers.records == [] and not customers.listed(TOKEN)
    assert customers.listed({"idToken": "OTHER", "type": "ISO14443"}) and customers.list_version == 3


async def test_a_certificate_reference_matches_hex_in_any_case() -> None:
    customers = CustomerData()
    hashed = {"hashAlgorithm": "SHA256", "issuerNameHash": "ab", "issuerKeyHash": "cd", "serialNumber": "01"}
    customers.hold({"customerCertificate": hashed}, "data")
    assert customers.about({"customerCertificate": hashed | {"issuerNameHash": "AB", "serialNumber": "1"}})


def test_requests_naming_no_customer_or_two_are_invalid() -> None:
    customers = CustomerData()
    assert customers.customer_information(_request(True, False))["status"] == "Invalid"
    assert customers.customer_information(_request(False, True, idToken=TOKEN,
                                                   customerIdentifier="x"))["status"] == "Invalid"
    customers.status = "Rejected"
    assert customers.customer_information(_request(True, False, idToken=TOKEN)) == {"status": "Rejected"}


def test_differential_updates_add_and_remove() -> None:
    customers = CustomerData()
    customers.send_local_list({"versionNumber": 1, "updateType": "Differential", "localAuthorizationList": [
        {"idToken": TOKEN, "idTokenInfo": {"status": "Accepted"}}]})
    assert customers.listed(TOKEN)
    assert customers.send_local_list({"versionNumber": 2, "updateType": "Differential",
                                      "localAuthorizationList": [{"idToken": TOKEN}]}) == {"status": "Accepted"}
    assert not customers.listed(TOKEN) and customers.list_version == 2
