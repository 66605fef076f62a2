"""Proof that the 1.6 chapters 3.14–3.20 catch a broken CSMS.

Each test breaks one behaviour of the in-process reference CSMS (a handler, its relay of
an operator's request, or its reservation logic), runs the matching conformance case
and checks that it failed with a message naming the step and the difference.
"""

from __future__ import annotations

import pytest
from faults import alter_sent, assert_failed, assert_finding, misreport_answer, patch_handler, run_case

from csmscheck.bundled import BundledCsms
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.handlers.v16 import reservation
from csmscheck.csms.router import ROUTES, Payload
from csmscheck.settings import load_settings
from csmscheck.station.states.v16_extra import UNKNOWN_VENDOR_ID


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


def test_differential_list_without_version_request_passes_tc_043_5(pytester: pytest.Pytester,
                                                                   bundled: BundledCsms,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Steps 1-2 (GetLocalListVersion) are optional: a CSMS that cannot send it passes."""
    def cannot(_payload: Payload) -> None:
        raise RuntimeError("this CSMS does not send GetLocalListVersion")

    alter_sent(monkeypatch, "GetLocalListVersion", cannot)
    entry = run_case(pytester, bundled, "TC_043_5")
    assert entry["outcome"] == "passed" and not entry.get("findings"), entry


def test_empty_full_list_passes_tc_043_4_with_a_finding(pytester: pytest.Pytester, bundled: BundledCsms,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every entry of an empty list has an idTagInfo (the OCTT's check); the list asked for had one."""
    alter_sent(monkeypatch, "SendLocalList", lambda p: p.update(localAuthorizationList=[]))
    message = ("SendLocalList.req, as asked through the trigger API: localAuthorizationList: "
               f'{{"idTag":"{load_settings(environ={}).valid_id_token}"')
    assert_finding(run_case(pytester, bundled, "TC_043_4"), "CSC-REQ-01", message)
    assert_failed(run_case(pytester, bundled, "TC_043_4", strict=True), "--strict", "CSC-REQ-01", message)


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
                  "CALLERROR NotSupported")


def test_boot_after_firmware_update_pending_is_a_finding_of_tc_044_1(pytester: pytest.Pytester,
                                                                     bundled: BundledCsms,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_044_1 does not validate the status of the boot after installing: Pending (from a CSMS that
    still answers the requests that follow) is a finding."""
    monkeypatch.setattr(StationConnection, "_check_registration", lambda _self, _action: None)
    installing: set[str] = set()
    patch_handler(monkeypatch, "1.6", "FirmwareStatusNotification",
                  lambda req, _resp: installing.add("yes") if req["status"] == "Installing" else None)
    patch_handler(monkeypatch, "1.6", "BootNotification",
                  lambda _req, resp: resp.update(status="Pending") if installing else None)
    message = ('Step 12: BootNotification.conf: expected status Accepted for a charge point the Central System '
               'accepted before, got "Pending"')
    assert_finding(run_case(pytester, bundled, "TC_044_1"), "CSC-16-CORE-03", message)
    installing.clear()
    assert_failed(run_case(pytester, bundled, "TC_044_1", strict=True), "--strict", "CSC-16-CORE-03", message)


def test_wrong_firmware_location_fails_tc_044_1(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "UpdateFirmware", lambda p: p.update(location="https://elsewhere.test/fw.bin"))
    assert_failed(run_case(pytester, bundled, "TC_044_1"), "Step 1: UpdateFirmware.req",
                  'location: expected "https://firmware.csmscheck.test/')


def test_wrong_firmware_location_is_a_finding_of_tc_044_2(pytester: pytest.Pytester, bundled: BundledCsms,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_044_2 (unlike TC_044_1) validates nothing of UpdateFirmware.req: another location is a finding."""
    alter_sent(monkeypatch, "UpdateFirmware", lambda p: p.update(location="https://elsewhere.test/fw.bin"))
    message = ('UpdateFirmware.req, as asked through the trigger API: location: expected '
               '"https://firmware.csmscheck.test/')
    assert_finding(run_case(pytester, bundled, "TC_044_2"), "CSC-REQ-01", message)
    assert_failed(run_case(pytester, bundled, "TC_044_2", strict=True), "--strict", "CSC-REQ-01", message)


# 3.16 Diagnostics
def test_other_upload_location_is_a_finding_of_tc_045_1(pytester: pytest.Pytester, bundled: BundledCsms,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The OCTT validates nothing of GetDiagnostics.req: another location than asked is a finding."""
    alter_sent(monkeypatch, "GetDiagnostics", lambda p: p.update(location="ftp://elsewhere.test/"))
    message = ('GetDiagnostics.req, as asked through the trigger API: location: expected '
               '"ftp://diagnostics.csmscheck.test/uploads/", got "ftp://elsewhere.test/"')
    assert_finding(run_case(pytester, bundled, "TC_045_1"), "CSC-REQ-01", message)
    assert_failed(run_case(pytester, bundled, "TC_045_1", strict=True), "--strict", "CSC-REQ-01", message)


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


def test_reservation_refused_to_its_holder_is_a_finding_of_tc_049(pytester: pytest.Pytester,
                                                                  bundled: BundledCsms,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_049's steps end at the Reserved status: the transaction on the reservation is a csmscheck check."""
    monkeypatch.setattr(reservation, "holds_reservation", lambda *_args: False)
    message = ('After step 4 (the reservation used): StartTransaction.conf: idTagInfo.status: expected "Accepted" '
               'for the idTag the reservation is for, got "Invalid"')
    assert_finding(run_case(pytester, bundled, "TC_049"), "CSC-16-RES-01", message)
    assert_failed(run_case(pytester, bundled, "TC_049", strict=True), "--strict", "CSC-16-RES-01", message)


def test_reservation_without_parent_fails_tc_053_at_step_7(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The OCTT validates no parentIdTag in ReserveNow.req (step 1); it compares it at step 7."""
    alter_sent(monkeypatch, "ReserveNow", lambda p: p.pop("parentIdTag", None))
    assert_failed(run_case(pytester, bundled, "TC_053"),
                  "Step 7: Authorize.conf: idTagInfo.parentIdTag cannot match the parentIdTag of step 1: "
                  "the ReserveNow.req of step 1 carried none")


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


def test_lost_composite_schedule_is_a_finding_of_tc_066(pytester: pytest.Pytester, bundled: BundledCsms,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """What the CSMS reports it retrieved is the OCTT's expected result, not a validation: a finding."""
    misreport_answer(monkeypatch, "GetCompositeSchedule", lambda answer: answer.pop("chargingSchedule", None))
    fragments = ("Step 2: GetCompositeSchedule.conf: the Central System reported the charge point's answer as",
                 "but the charge point answered")
    assert_finding(run_case(pytester, bundled, "TC_066"), "CSC-16-RELAY-01", *fragments)
    assert_failed(run_case(pytester, bundled, "TC_066", strict=True), "--strict", "CSC-16-RELAY-01", *fragments)


def test_second_period_passes_tc_056_with_a_finding(pytester: pytest.Pytester, bundled: BundledCsms,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The OCTT checks the fields of the (first) period: a further period is not an OCTT failure."""
    def second_period(payload: Payload) -> None:
        periods = payload["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"]
        periods.append(periods[0] | {"startPeriod": periods[0]["startPeriod"] + 600})

    alter_sent(monkeypatch, "SetChargingProfile", second_period)
    message = ("SetChargingProfile.req, as asked through the trigger API: "
               "csChargingProfiles.chargingSchedule.chargingSchedulePeriod: expected [{\"startPeriod\":0,")
    assert_finding(run_case(pytester, bundled, "TC_056"), "CSC-REQ-01", message)
    assert_failed(run_case(pytester, bundled, "TC_056", strict=True), "--strict", "CSC-REQ-01", message)


def test_wrong_first_period_limit_fails_tc_056(pytester: pytest.Pytester, bundled: BundledCsms,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "SetChargingProfile", lambda p: p["csChargingProfiles"]["chargingSchedule"][
        "chargingSchedulePeriod"][0].update(limit=16.0))
    assert_failed(run_case(pytester, bundled, "TC_056"),
                  "Step 1: SetChargingProfile.req: csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0]",
                  "limit: expected <one of 6.0, 6000.0>, got 16.0")


# 3.20 DataTransfer
def test_data_transfer_not_implemented_fails_tc_064(pytester: pytest.Pytester, bundled: BundledCsms,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES["1.6"].handlers, "DataTransfer")
    assert_failed(run_case(pytester, bundled, "TC_064"), "Step 2: DataTransfer.conf", "CALLERROR NotSupported")


@pytest.mark.parametrize("status", ["Accepted", "Rejected"])
def test_unknown_vendor_not_reported_is_a_finding_of_tc_064(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch, status: str) -> None:
    """The OCTT lets both pass (Accepted with a warning to the vendor); the specification says UnknownVendorId."""
    patch_handler(monkeypatch, "1.6", "DataTransfer", lambda _req, resp: resp.update(status=status))
    message = f'Step 2: DataTransfer.conf: expected status UnknownVendorId for vendorId {UNKNOWN_VENDOR_ID}'
    entry = run_case(pytester, bundled, "TC_064")
    assert_finding(entry, "CSC-16-DT-01", message, f'got "{status}"')
    assert_failed(run_case(pytester, bundled, "TC_064", strict=True), "--strict", "CSC-16-DT-01", message)
