"""Proof that the 1.6 chapters 3.14–3.20 catch a broken CSMS.

Each test breaks one behaviour of the in-process reference CSMS (a handler, its relay of
an operator's request, or its reservation logic), runs the matching conformance case
and checks that it failed with a message naming the step and the difference.
"""

from __future__ import annotations

from typing import Any

import pytest
from faults import alter_sent, assert_failed, patch_handler, run_case

from csmscheck.bundled import BundledCsms
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.handlers.v16 import reservation
from csmscheck.csms.router import ROUTES, Payload
from csmscheck.wire import CallResult


def test_healthy_csms_passes_the_extended_chapters(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    for case in ("TC_043_4", "TC_046", "TC_054"):
        entry = run_case(pytester, bundled, case)
        assert entry["outcome"] == "passed", entry


# 3.14 Local Authorization List
def test_list_without_id_tag_info_fails_tc_043_4(pytester: pytest.Pytester, bundled: BundledCsms,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def strip(payload: Payload) -> None:
        payload["localAuthorizationList"] = [{"idTag": e["idTag"]} for e in payload["localAuthorizationList"]]

    alter_sent(monkeypatch, "SendLocalList", strip)
    assert_failed(run_case(pytester, bundled, "TC_043_4"), "Step 1: SendLocalList.req", "[0].idTagInfo: missing")


def test_full_sent_as_differential_fails_tc_043_1(pytester: pytest.Pytester, bundled: BundledCsms,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "SendLocalList", lambda p: p.update(updateType="Differential"))
    assert_failed(run_case(pytester, bundled, "TC_043_1"), "Step 1: SendLocalList.req",
                  'updateType: expected "Full", got "Differential"')


# 3.15 Firmware Management
def test_firmware_status_not_implemented_fails_tc_044_1(pytester: pytest.Pytester, bundled: BundledCsms,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES["1.6"].handlers, "FirmwareStatusNotification")
    assert_failed(run_case(pytester, bundled, "TC_044_1"), "Step 4: FirmwareStatusNotification.conf",
                  "CALLERROR NotImplemented")


def test_wrong_firmware_location_fails_tc_044_2(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "UpdateFirmware", lambda p: p.update(location="https://elsewhere.test/fw.bin"))
    assert_failed(run_case(pytester, bundled, "TC_044_2"), "Step 1: UpdateFirmware.req",
                  'location: expected "https://firmware.csmscheck.test/')


# 3.16 Diagnostics
def test_invalid_diagnostics_status_answer_fails_tc_045_1(pytester: pytest.Pytester, bundled: BundledCsms,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "1.6", "DiagnosticsStatusNotification", lambda _req, resp: resp.update(status="Ok"))
    assert_failed(run_case(pytester, bundled, "TC_045_1"), "Step 4: DiagnosticsStatusNotification.conf",
                  "DiagnosticsStatusNotificationResponse from the CSMS violates the OCPP 1.6 schema")


# 3.17 Reservation
def test_reservation_refused_to_its_holder_fails_tc_046(pytester: pytest.Pytester, bundled: BundledCsms,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reservation, "holds_reservation", lambda *_args: False)
    assert_failed(run_case(pytester, bundled, "TC_046"), "Step 5: Charging state: StartTransaction.conf",
                  'idTagInfo.status: expected "Accepted", got "Invalid"')


def test_authorize_without_parent_fails_tc_053(pytester: pytest.Pytester, bundled: BundledCsms,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "1.6", "Authorize", lambda _req, resp: resp["idTagInfo"].pop("parentIdTag", None))
    assert_failed(run_case(pytester, bundled, "TC_053"), "Step 7: Authorize.conf", "idTagInfo.parentIdTag: missing")


def test_reservation_on_wrong_connector_fails_tc_049(pytester: pytest.Pytester, bundled: BundledCsms,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "ReserveNow", lambda p: p.update(connectorId=1))
    assert_failed(run_case(pytester, bundled, "TC_049"), "Step 1: ReserveNow.req", "connectorId: expected 0, got 1")


# 3.18 Remote Trigger
def test_trigger_without_connector_fails_tc_054(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "TriggerMessage", lambda p: p.pop("connectorId", None))
    assert_failed(run_case(pytester, bundled, "TC_054"), "Step 1: TriggerMessage.req", "connectorId: missing")


def test_triggered_heartbeat_without_time_fails_tc_054(pytester: pytest.Pytester, bundled: BundledCsms,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "1.6", "Heartbeat", lambda _req, resp: resp.pop("currentTime"))
    assert_failed(run_case(pytester, bundled, "TC_054"), "Step 8: Heartbeat.conf",
                  "HeartbeatResponse from the CSMS violates the OCPP 1.6 schema")


# 3.19 Smart Charging
def test_tx_profile_without_transaction_fails_tc_057(pytester: pytest.Pytester, bundled: BundledCsms,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "SetChargingProfile", lambda p: p.update(
        csChargingProfiles={k: v for k, v in p["csChargingProfiles"].items() if k != "transactionId"}))
    assert_failed(run_case(pytester, bundled, "TC_057"), "Step 1: SetChargingProfile.req",
                  "csChargingProfiles.transactionId: missing")


def test_clear_by_id_with_criteria_fails_tc_067(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "ClearChargingProfile", lambda p: p.update(connectorId=1) if "id" in p else None)
    assert_failed(run_case(pytester, bundled, "TC_067"), "Step 3: ClearChargingProfile.req",
                  "connectorId: expected to be absent, got 1")


def test_lost_composite_schedule_fails_tc_066(pytester: pytest.Pytester, bundled: BundledCsms,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    real = StationConnection.request

    async def forgetful(self: StationConnection, action: str, payload: Payload, timeout: float) -> Any:
        answer = await real(self, action, payload, timeout)
        if action == "GetCompositeSchedule" and isinstance(answer, CallResult):
            answer.payload.pop("chargingSchedule", None)
        return answer

    monkeypatch.setattr(StationConnection, "request", forgetful)
    assert_failed(run_case(pytester, bundled, "TC_066"), "Step 2: the composite schedule the CSMS retrieved",
                  "chargingSchedule: missing")


# 3.20 DataTransfer
def test_data_transfer_not_implemented_fails_tc_064(pytester: pytest.Pytester, bundled: BundledCsms,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES["1.6"].handlers, "DataTransfer")
    assert_failed(run_case(pytester, bundled, "TC_064"), "Step 2: DataTransfer.conf", "CALLERROR NotImplemented")
