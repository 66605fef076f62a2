"""The generic csmscheck check CSC-REQ-01: a requested call carries what was asked for, field by field."""

from __future__ import annotations

from typing import Any

import pytest
from faults import alter_sent
from faults201 import finding_not_failure

from csmscheck.bundled import BundledCsms
from csmscheck.settings import load_settings
from csmscheck.station.session import ReceivedCall
from csmscheck.station.station import Endpoint, Station
from csmscheck.suite.requested import check_as_requested

PEM = "-----BEGIN CERTIFICATE-----\nMIIBYjCC\nAQmgAw==\n-----END CERTIFICATE-----\n"


def _findings(action: str, requested: dict[str, Any], *sent: dict[str, Any], version: str = "2.0.1") -> list[str]:
    station = Station("CS1", version, load_settings(environ={}), Endpoint("ws://127.0.0.1:1"))  # type: ignore[arg-type]
    check_as_requested(station, action, requested, [ReceivedCall(action, payload) for payload in sent])
    return [f.message for f in station.findings.items]


def test_every_requested_field_must_come_with_its_value() -> None:
    asked = {"idToken": {"idToken": "A0000001", "type": "ISO14443"}, "remoteStartId": 7, "evseId": 1}
    assert _findings("RequestStartTransaction", asked, asked | {"chargingProfile": {"id": 1}}) == []
    assert _findings("RequestStartTransaction", asked, {"idToken": asked["idToken"], "remoteStartId": 8}) == [
        "RequestStartTransactionRequest, as asked through the trigger API: remoteStartId: expected 7, got 8",
        "RequestStartTransactionRequest, as asked through the trigger API: evseId: missing (asked for 1)"]


def test_a_list_may_come_split_and_in_any_order() -> None:
    items = [{"component": {"name": f"C{i}"}, "variable": {"name": "V"}} for i in range(5)]
    asked = {"getVariableData": items}
    assert _findings("GetVariables", asked, {"getVariableData": items[3:]}, {"getVariableData": items[:3]}) == []
    assert _findings("GetVariables", asked, {"getVariableData": items[:4]}) == [
        'GetVariablesRequest, as asked through the trigger API: getVariableData: '
        '{"component":{"name":"C4"},"variable":{"name":"V"}} was asked for but not sent']


def test_ids_the_csms_owns_are_its_own_to_choose() -> None:
    asked = {"requestId": 1, "reportBase": "FullInventory"}
    assert _findings("GetBaseReport", asked, {"requestId": 42, "reportBase": "FullInventory"}) == []
    reservation = {"id": 5, "expiryDateTime": "2030-01-01T00:00:00Z", "idToken": {"idToken": "A", "type": "Central"}}
    assert _findings("ReserveNow", reservation, reservation | {"id": 9}) == []
    assert _findings("SendLocalList", {"listVersion": 3, "updateType": "Full"},
                     {"listVersion": 4, "updateType": "Full"}, version="1.6") == []


def test_a_certificate_may_be_rewrapped_and_is_shown_by_its_digest() -> None:
    asked = {"certificateType": "CSMSRootCertificate", "certificate": PEM}
    assert _findings("InstallCertificate", asked, asked | {"certificate": PEM.replace("\n", "\r\n")}) == []
    [message] = _findings("InstallCertificate", asked, asked | {"certificate": PEM.replace("AQmg", "BQmg")})
    assert message.startswith('InstallCertificateRequest, as asked through the trigger API: certificate: '
                              'expected "<PEM, SHA-256 ')


def test_a_timestamp_may_be_written_another_way() -> None:
    asked = {"expiryDateTime": "2030-01-01T12:00:00.000Z", "idToken": {"idToken": "A", "type": "Central"}}
    assert _findings("ReserveNow", asked, asked | {"expiryDateTime": "2030-01-01T13:00:00+01:00"}) == []
    assert _findings("ReserveNow", asked, asked | {"expiryDateTime": "2030-01-01T12:00:00Z"}) == []
    assert _findings("ReserveNow", asked, asked | {"expiryDateTime": "2030-01-01T12:05:00Z"}) == [
        'ReserveNowRequest, as asked through the trigger API: expiryDateTime: expected "2030-01-01T12:00:00Z", '
        'got "2030-01-01T12:05:00Z"']


def test_1_6_names_the_request_the_1_6_way() -> None:
    assert _findings("UnlockConnector", {"connectorId": 1}, {"connectorId": 2}, version="1.6") == [
        "UnlockConnector.req, as asked through the trigger API: connectorId: expected 1, got 2"]


def test_no_call_at_all_is_left_to_the_case() -> None:
    assert _findings("Reset", {"type": "Immediate"}) == []


def test_another_remote_start_id_is_a_finding_of_tc_f_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSMS that numbers remote starts itself instead of using the operator's remoteStartId."""
    alter_sent(monkeypatch, "RequestStartTransaction", lambda payload: payload.update(remoteStartId=999))
    finding_not_failure(pytester, bundled, "TC_F_01", "CSC-REQ-01",
                        "RequestStartTransactionRequest, as asked through the trigger API: remoteStartId: expected")

