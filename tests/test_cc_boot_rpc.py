"""Proof that the registration checks (CSC-BOOT-nn) and cases (CC_B_01-06, CC16_01-04) catch real CSMS bugs.

Each test breaks one behaviour of the in-process reference CSMS with ``monkeypatch`` (never
a product flag), the kind of bug a CSMS team ships, runs the case that must catch it and
checks the message; the healthy bundled CSMS passes them all with ``--strict``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from faults import assert_all_pass_strictly, assert_finding, caught, patch_handler, run_case
from faults201 import finding_not_failure

import csmscheck.csms.connection as connection_module
import csmscheck.csms.operations as operations
from csmscheck.bundled import BUNDLED_PENDING_INTERVAL, BundledCsms
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.router import ROUTES, OcppError, Payload
from csmscheck.settings import Settings
from csmscheck.station.session import StationSession
from csmscheck.timestamps import rfc3339
from csmscheck.wire.errors import ErrorCode

CASES = ["CC_B_01", "CC_B_02", "CC_B_03", "CC_B_04", "CC_B_05", "CC_B_06", "CC16_01", "CC16_02", "CC16_03",
         "CC16_04", "TC_B_01", "TC_B_30", "TC_001"]


@pytest.fixture(autouse=True)
def pending_interval_known(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runs know the bundled CSMS's retry interval, as ``csmscheck run`` does (CSC-BOOT-02)."""
    monkeypatch.setenv("CSMSCHECK_PENDING_INTERVAL", str(BUNDLED_PENDING_INTERVAL))




def test_healthy_csms_passes_strictly(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    assert_all_pass_strictly(pytester, bundled, CASES)


def test_a_failed_case_is_a_finding_of_its_own_id_without_strict(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _serve_rejected(monkeypatch)
    assert_finding(run_case(pytester, bundled, "CC_B_01"), "CC_B_01", "Step 4: expected CALLERROR SecurityError")


# -- CSC-BOOT-01/02/03: in every boot ----------------------------------------------------------------


def test_hard_coded_heartbeat_interval_is_a_finding_of_tc_b_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the interval of an Accepted boot is a constant, not the configured heartbeat interval."""
    patch_handler(monkeypatch, "2.0.1", "BootNotification", lambda _req, resp: resp.update(interval=60))
    finding_not_failure(pytester, bundled, "TC_B_01", "CSC-BOOT-01",
                        "Step 2: BootNotificationResponse: expected interval 300 with status Accepted (the "
                        "configured heartbeat interval, CONFIGURED_HEARTBEAT_INTERVAL), got 60")


def test_retry_interval_as_heartbeat_interval_is_a_finding_of_tc_001(pytester: pytest.Pytester,
                                                                     bundled: BundledCsms,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the 1.6 handler swaps the two intervals; the Accepted boot gets the retry interval."""
    patch_handler(monkeypatch, "1.6", "BootNotification", lambda _req, resp: resp.update(interval=1))
    finding_not_failure(pytester, bundled, "TC_001", "CSC-BOOT-01",
                        "Step 2: BootNotification.conf: expected interval 300 with status Accepted", "got 1")


def test_heartbeat_interval_on_a_pending_boot_is_a_finding_of_tc_b_30(pytester: pytest.Pytester,
                                                                       bundled: BundledCsms,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: every BootNotificationResponse carries the heartbeat interval, Pending ones too."""
    patch_handler(monkeypatch, "2.0.1", "BootNotification", lambda _req, resp: resp.update(interval=300))
    finding_not_failure(pytester, bundled, "TC_B_30", "CSC-BOOT-02",
                        "Step 2: BootNotificationResponse: expected interval 1 with status Pending (the configured "
                        "retry interval, CSMSCHECK_PENDING_INTERVAL), got 300")


def test_heartbeat_interval_on_a_rejected_boot_is_a_finding_of_cc_b_01(pytester: pytest.Pytester,
                                                                        bundled: BundledCsms,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The same bug on a Rejected boot; the case waits the declared retry interval, not the 300 s it was given."""
    patch_handler(monkeypatch, "2.0.1", "BootNotification",
                  lambda _req, resp: resp["status"] != "Accepted" and resp.update(interval=300))
    entry = run_case(pytester, bundled, "CC_B_01")
    assert_finding(entry, "CSC-BOOT-02", "Step 2: BootNotificationResponse: expected interval 1 with status Rejected",
                   "got 300")
    assert entry["duration_s"] < 30, entry


@pytest.mark.parametrize(("version", "case", "label"), [("2.0.1", "TC_B_01", "Step 2: BootNotificationResponse"),
                                                        ("1.6", "TC_001", "Step 2: BootNotification.conf")])
def test_stale_boot_time_is_a_finding(pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch,
                                      version: str, case: str, label: str) -> None:
    """Bug: currentTime from a clock that is an hour behind (local time written as UTC)."""
    hour_ago = rfc3339(datetime.now(UTC) - timedelta(hours=1))
    patch_handler(monkeypatch, version, "BootNotification", lambda _req, resp: resp.update(currentTime=hour_ago))
    finding_not_failure(pytester, bundled, case, "CSC-BOOT-03",
                        f"{label}: expected currentTime within 2 minutes of now, got \"{hour_ago}\"")


async def test_the_bundled_csms_answers_with_the_runs_heartbeat_interval() -> None:
    """CONFIGURED_HEARTBEAT_INTERVAL seeds the bundled CSMS: an Accepted boot carries it; Pending ones the retry
    interval, which the run's settings then know (CSC-BOOT-01/02 hold against it)."""
    csms = BundledCsms(Settings(heartbeat_interval=42))
    try:
        assert csms.settings_for(Settings()).pending_interval == BUNDLED_PENDING_INTERVAL
        session = StationSession("CP201_SP1", "2.0.1", timeout=5.0)
        await session.connect(csms.endpoints.ws, password=Settings().basic_auth_password)
        answer = await session.call("BootNotification", {"reason": "PowerUp",
                                                         "chargingStation": {"vendorName": "v", "model": "m"}})
        await session.close()
        assert (answer["status"], answer["interval"]) == ("Accepted", 42)
    finally:
        csms.stop()


# -- CC_B_01-04, CC16_01-02: stations the CSMS has not accepted ---------------------------------------


def _serve_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: only a Pending station is refused; a Rejected one is served like an accepted one."""
    real = StationConnection._check_registration

    def lax(self: StationConnection, action: str) -> None:
        if self.boot_status != "Rejected":
            real(self, action)

    monkeypatch.setattr(StationConnection, "_check_registration", lax)


def test_rejected_station_served_fails_cc_b_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _serve_rejected(monkeypatch)
    caught(pytester, bundled, "CC_B_01", "Step 4: expected CALLERROR SecurityError to a HeartbeatRequest of a "
           "station the CSMS Rejected, got a CALLRESULT")


def test_new_connection_forgets_the_rejection_fails_cc_b_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: a new connection starts out accepted, whatever the station's last boot was answered."""
    real = StationConnection.serve

    async def fresh(self: StationConnection) -> None:
        self.boot_status = "Accepted"
        await real(self)

    monkeypatch.setattr(StationConnection, "serve", fresh)
    caught(pytester, bundled, "CC_B_02", "Step 5: expected CALLERROR SecurityError to a HeartbeatRequest of a "
           "station the CSMS Rejected, on a new connection before it booted again, got a CALLRESULT")


def test_heartbeat_allowed_while_pending_fails_cc_b_03(pytester: pytest.Pytester, bundled: BundledCsms,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: heartbeats are let through while Pending ("they are harmless")."""
    monkeypatch.setattr(connection_module, "_ALLOWED_WHILE_PENDING", {"BootNotification", "NotifyReport", "Heartbeat"})
    caught(pytester, bundled, "CC_B_03", "Step 4: expected CALLERROR SecurityError to a HeartbeatRequest of a "
           "station whose boot is Pending, not triggered, got a CALLRESULT")


def test_triggered_message_allowed_for_good_fails_cc_b_03(pytester: pytest.Pytester, bundled: BundledCsms,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: once triggered, a message is allowed for the rest of the Pending state."""
    def sticky(self: StationConnection, action: str) -> None:
        if self.boot_status == "Accepted" or action == "BootNotification":
            return
        if self.boot_status == "Pending" and (action in {"NotifyReport"} or action in self.triggered):
            return
        raise OcppError(ErrorCode.SECURITY_ERROR, "not accepted")

    monkeypatch.setattr(StationConnection, "_check_registration", sticky)
    caught(pytester, bundled, "CC_B_03", "Step 10: expected CALLERROR SecurityError to a HeartbeatRequest of a "
           "station whose boot is Pending, after the one Heartbeat the CSMS triggered, got a CALLRESULT")


def test_triggered_message_refused_fails_cc_b_03(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the CSMS forgets what it triggered and refuses the triggered Heartbeat too."""
    real = StationConnection._after_response

    async def forgetful(self: StationConnection, action: str, request: Payload, response: Payload) -> None:
        await real(self, action, request, response)
        self.triggered.clear()

    monkeypatch.setattr(StationConnection, "_after_response", forgetful)
    caught(pytester, bundled, "CC_B_03", "Step 8: expected a CALLRESULT to the Heartbeat a Pending station sends "
           "because the CSMS triggered it (B02.FR.09), got CALLERROR SecurityError")


def test_report_refused_while_pending_fails_cc_b_04(pytester: pytest.Pytester, bundled: BundledCsms,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection_module, "_ALLOWED_WHILE_PENDING", {"BootNotification"})
    caught(pytester, bundled, "CC_B_04", "Step 6: expected a CALLRESULT to the NotifyReport a Pending station sends "
           "with the report the CSMS asked for (B02.FR.09), got CALLERROR SecurityError")


def _already_booted(version: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: a BootNotification on a connection whose station is already accepted is refused."""
    real = ROUTES[version].handlers["BootNotification"]  # type: ignore[index]

    async def once(connection: StationConnection, request: Payload) -> Payload:
        if connection.boot_status == "Accepted" and getattr(connection, "booted_here", False):
            raise OcppError(ErrorCode.PROTOCOL_ERROR, "already booted")
        connection.booted_here = True  # type: ignore[attr-defined]
        return await real(connection, request)

    monkeypatch.setitem(ROUTES[version].handlers, "BootNotification", once)  # type: ignore[index]


def test_second_boot_refused_fails_cc_b_05(pytester: pytest.Pytester, bundled: BundledCsms,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _already_booted("2.0.1", monkeypatch)
    caught(pytester, bundled, "CC_B_05", "Step 2: BootNotification: the CSMS answered CALLERROR ProtocolError")


def test_second_boot_refused_fails_cc16_03(pytester: pytest.Pytester, bundled: BundledCsms,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _already_booted("1.6", monkeypatch)
    caught(pytester, bundled, "CC16_03", "Step 2: BootNotification.conf: the CSMS answered CALLERROR ProtocolError")


def _alter_request(monkeypatch: pytest.MonkeyPatch, version: str, change: Callable[[Payload], Any]) -> None:
    """The CSMS reads the BootNotificationRequest wrongly before it stores it."""
    real = ROUTES[version].handlers["BootNotification"]  # type: ignore[index]

    async def misread(connection: StationConnection, request: Payload) -> Payload:
        request = dict(request)
        change(request)
        return await real(connection, request)

    monkeypatch.setitem(ROUTES[version].handlers, "BootNotification", misread)  # type: ignore[index]


def test_firmware_version_not_stored_fails_cc_b_06(pytester: pytest.Pytester, bundled: BundledCsms,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the firmware version is read from a field that does not exist, so none is stored."""
    _alter_request(monkeypatch, "2.0.1", lambda request: request.update(
        chargingStation={k: v for k, v in request["chargingStation"].items() if k != "firmwareVersion"}))
    caught(pytester, bundled, "CC_B_06", "Step 3: the station as the CSMS stored it", "firmwareVersion: expected")


def test_vendor_and_model_swapped_fails_cc16_04(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _alter_request(monkeypatch, "1.6", lambda request: request.update(
        chargePointVendor=request["chargePointModel"], chargePointModel=request["chargePointVendor"]))
    caught(pytester, bundled, "CC16_04", "Step 3: the charge point as the Central System stored it",
           'vendor: expected "csmscheck", got "VirtualStation"')


def test_registration_setting_ignored_fails_cc16_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the 1.6 boot handler accepts every charge point, whatever the operator configured."""
    patch_handler(monkeypatch, "1.6", "BootNotification", lambda _req, resp: resp.update(status="Accepted"))
    caught(pytester, bundled, "CC16_01", "Step 2: BootNotification.conf", 'status: expected "Rejected", got "Accepted"')


def test_remote_start_sent_while_pending_fails_cc16_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(operations, "_NOT_WHILE_PENDING_16", frozenset())
    caught(pytester, bundled, "CC16_02", "Step 3: expected the Central System to send no RemoteStartTransaction or "
           "RemoteStopTransaction to a charge point whose registration is Pending (OCPP 1.6 §4.2), but it sent "
           "RemoteStartTransaction.req and RemoteStopTransaction.req")


def test_pending_for_good_fails_cc16_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: a charge point once Pending stays Pending on its connection (the boot counter is never consumed)."""
    patch_handler(monkeypatch, "1.6", "BootNotification",
                  lambda _req, resp: resp["status"] == "Accepted" and resp.update(status="Pending"))
    caught(pytester, bundled, "CC16_02", "Step 5: BootNotification.conf", 'status: expected "Accepted", got "Pending"')


# -- the reference CSMS's own behaviour ------------------------------------------------------------


async def test_the_reference_csms_refuses_remote_start_to_a_pending_charge_point(bundled: BundledCsms) -> None:
    """OCPP 1.6 §4.2, through the trigger API: 409 while the charge point is Pending (no CALL goes out)."""
    api = bundled.endpoints.api
    async with httpx.AsyncClient(base_url=api, timeout=5.0) as client:
        assert (await client.post("/api/octt/set-registration-status",
                                  json={"stationId": "CP16_SP1", "status": "Pending", "boots": 1})).status_code == 200
        session = StationSession("CP16_SP1", "1.6", timeout=5.0)
        await session.connect(bundled.endpoints.ws, password=Settings().basic_auth_password)
        try:
            answer = await session.call("BootNotification", {"chargePointVendor": "v", "chargePointModel": "m"})
            assert answer["status"] == "Pending"
            refused = await client.post("/api/octt/1.6/CP16_SP1/remote-start-transaction", json={"idTag": "A0000001"})
            assert refused.status_code == 409 and "Pending" in refused.json()["detail"], refused.text
            assert not session.calls
            assert (await session.call("BootNotification", {"chargePointVendor": "v", "chargePointModel": "m"})
                    )["status"] == "Accepted"
            stopped = await client.post("/api/octt/1.6/CP16_SP1/remote-stop-transaction", json={"transactionId": 1})
            assert stopped.status_code == 200 and [c.action for c in session.calls] == ["RemoteStopTransaction"]
        finally:
            await session.close()
