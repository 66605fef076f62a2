"""Proof that blocks H, I and J catch faults: a deliberately broken reference CSMS fails the matching case.

Each test breaks one piece of the in-process reference CSMS inside the test (monkeypatch,
never a product flag), runs one conformance case through pytest and checks the
results.json message names the step and the difference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from faults import alter_sent, assert_failed, end_reservations, patch_handler, run_case
from faults201 import finding_not_failure

from csmscheck.bundled import BundledCsms
from csmscheck.csms import meter
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.handlers.v201 import cost, reservation
from csmscheck.csms.router import ROUTES, Observer, OcppError, Payload
from csmscheck.wire.errors import ErrorCode

OTHER_DRIVER_REFUSED = 'idTokenInfo.status: expected "Accepted", got "NotAtThisTime"'


@pytest.fixture(autouse=True)
def no_reservation_outlives_a_test(bundled: BundledCsms) -> Iterator[None]:
    """A broken CSMS may keep a reservation active: end them all, so the next test starts clean."""
    yield
    end_reservations(bundled)


def patch_observer(monkeypatch: pytest.MonkeyPatch, action: str, observer: Observer,
                   change: Callable[[Payload, Payload], Any]) -> None:
    """Replace ``observer`` of ``action`` by one whose additions are altered by ``change(request, response)``."""

    async def broken(connection: StationConnection, request: Payload, response: Payload) -> None:
        await observer(connection, request, response)
        change(request, response)

    observers = ROUTES["2.0.1"].observers[action]
    monkeypatch.setitem(ROUTES["2.0.1"].observers, action, [broken if o is observer else o for o in observers])




def test_healthy_csms_passes_h_i_j(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    endpoints = bundled.endpoints
    report = pytester.path / "report"
    pytester.runpytest_inprocess(
        "--pyargs", "csmscheck.suite", "-p", "no:cacheprovider", "--csms-select", "H", "--csms-select", "I",
        "--csms-select", "J", "--csms-target", endpoints.ws, "--csms-trigger", endpoints.api,
        "--csms-report-dir", str(report), "-o", "asyncio_default_fixture_loop_scope=function")
    tests = orjson.loads((report / "results.json").read_bytes())["tests"]
    assert len([t for t in tests if t["id"].startswith("TC_")]) == 20
    # CC_I_02 needs a session fee, which the default tariff has not.
    assert {t["id"]: t["outcome"] for t in tests if t["outcome"] != "passed"} == {"CC_I_02": "skipped"}
    assert {t["id"]: t["findings"] for t in tests if t.get("findings")} == {}


# -- block H ------------------------------------------------------------------------------


# The H cases' post scenarios (the holder charges, another driver charges once the reservation is over) are
# beyond the OCTT's steps: what goes wrong there is a finding, a failure only with --strict.

RELEASED = "CSC-201-H-03"
HOLDER_SERVED = "CSC-201-H-02"


def test_reservation_never_used_up_is_a_finding_of_tc_h_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reservation, "use", lambda _reservation, _tx: None)
    finding_not_failure(pytester, bundled, "TC_H_01", RELEASED,
                        "Post scenario: TransactionEventResponse for another driver on EVSE 1 (the reservation was "
                        "used", OTHER_DRIVER_REFUSED)


def test_cancellation_not_recorded_is_a_finding_of_tc_h_17(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES["2.0.1"].response_hooks, "CancelReservation")
    finding_not_failure(pytester, bundled, "TC_H_17", RELEASED,
                        "(the reservation was cancelled: the EVSE is no longer held)", OTHER_DRIVER_REFUSED)


def test_removed_reservation_still_held_is_a_finding_of_tc_h_20(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    async def ignore(_connection: StationConnection, _reservation_id: int, _status: str) -> None:
        return None

    monkeypatch.setattr(reservation, "end_reservation", ignore)
    finding_not_failure(pytester, bundled, "TC_H_20", RELEASED, "(the station removed the reservation",
                        OTHER_DRIVER_REFUSED)


def test_refused_reservation_taken_as_made_is_a_finding_of_tc_h_22(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (real,) = ROUTES["2.0.1"].response_hooks["ReserveNow"]

    async def misread(connection: StationConnection, request: Payload, response: Payload) -> None:
        await real(connection, request, response | {"status": "Accepted"})

    monkeypatch.setitem(ROUTES["2.0.1"].response_hooks, "ReserveNow", [misread])
    finding_not_failure(pytester, bundled, "TC_H_22", RELEASED, "(the station refused the reservation",
                        OTHER_DRIVER_REFUSED)


def test_group_reservation_for_the_token_only_is_a_finding_of_tc_h_19(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reservation, "holds", lambda r, id_token, _group: r.id_token == id_token)
    finding_not_failure(pytester, bundled, "TC_H_19", HOLDER_SERVED,
                        "Post scenario (H03): TransactionEventResponse for the holder", OTHER_DRIVER_REFUSED)


def test_authorize_without_group_is_a_finding_of_tc_h_19(pytester: pytest.Pytester, bundled: BundledCsms,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "2.0.1", "Authorize", lambda _req, resp: resp["idTokenInfo"].pop("groupIdToken", None))
    finding_not_failure(pytester, bundled, "TC_H_19", HOLDER_SERVED,
                        "Post scenario (H03): AuthorizeResponse for the reservation's holder",
                        "idTokenInfo.groupIdToken: missing")


def test_group_reservation_without_group_fails_tc_h_19(pytester: pytest.Pytester, bundled: BundledCsms,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_H_19's step 1: groupIdToken must be provided."""
    alter_sent(monkeypatch, "ReserveNow", lambda request: request.pop("groupIdToken", None))
    assert_failed(run_case(pytester, bundled, "TC_H_19"), "Step 1: ReserveNowRequest",
                  "groupIdToken: missing (expected <any value>)")


def test_group_reservation_for_another_group_passes_tc_h_19(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_H_19 validates that a groupIdToken is provided, not which group it names."""
    alter_sent(monkeypatch, "ReserveNow", lambda request: request.update(
        groupIdToken={"idToken": "ANOTHER-GROUP", "type": "Central"}))
    assert run_case(pytester, bundled, "TC_H_19")["outcome"] == "passed"


def test_reservation_without_evse_is_a_finding_of_tc_h_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_H_01 validates nothing of the ReserveNowRequest (tool validations: N/a): its content is a csmscheck
    check."""
    alter_sent(monkeypatch, "ReserveNow", lambda request: request.pop("evseId", None))
    finding_not_failure(pytester, bundled, "TC_H_01", "CSC-201-H-01",
                        "Reserved state: Step 1: ReserveNowRequest: evseId: missing")


def test_status_update_not_implemented_fails_tc_h_07(pytester: pytest.Pytester, bundled: BundledCsms,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES["2.0.1"].handlers, "ReservationStatusUpdate")
    assert_failed(run_case(pytester, bundled, "TC_H_07"),
                  "Step 7: ReservationStatusUpdate: the CSMS answered CALLERROR "
                                                   "NotSupported")


# -- block I ------------------------------------------------------------------------------


def test_final_cost_a_cent_off_is_a_finding_of_tc_i_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_I_02 validates that the total cost is there; its amount is a csmscheck check."""
    def a_cent_more(_request: Payload, response: Payload) -> None:
        if "totalCost" in response:
            response["totalCost"] = round(response["totalCost"] + 0.01, 2)

    patch_observer(monkeypatch, "TransactionEvent", cost.transaction_cost, a_cent_more)
    finding_not_failure(pytester, bundled, "TC_I_02", "CSC-201-I-01",
                        "Step 8: TransactionEventResponse (final): totalCost: expected <1.25 to the cent: the tariff "
                        "for 5000 Wh>, got 1.26")


def test_final_cost_omitted_fails_tc_i_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    patch_observer(monkeypatch, "TransactionEvent", cost.transaction_cost,
                   lambda request, response: request["eventType"] == "Ended" and response.pop("totalCost"))
    assert_failed(run_case(pytester, bundled, "TC_I_02"), "Step 8: TransactionEventResponse (final)",
                  "totalCost: missing (expected <any value>)")


def test_kwh_taken_as_wh_is_a_finding_of_tc_i_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(meter.SCALED_UNITS, "kWh")
    finding_not_failure(pytester, bundled, "TC_I_01", "CSC-201-I-01",
                        "Step 8 (meter value 2, in kWh): TransactionEventResponse running cost: totalCost: expected "
                        "<0.81 to the cent: the tariff for 3244.9 Wh>, got 0.0")


def test_cost_updated_instead_of_running_cost_passes_tc_i_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """I02.FR.01 allows either: a CSMS that sends CostUpdated (asked through the trigger) passes too."""
    patch_observer(monkeypatch, "TransactionEvent", cost.transaction_cost,
                   lambda request, response: request["eventType"] == "Updated" and response.pop("totalCost", None))
    assert run_case(pytester, bundled, "TC_I_01")["outcome"] == "passed"


def test_cost_updated_off_the_tariff_is_a_finding_of_tc_i_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """TC_I_01 validates the CostUpdatedRequest's transactionId; its cost is a csmscheck check."""
    patch_observer(monkeypatch, "TransactionEvent", cost.transaction_cost,
                   lambda request, response: request["eventType"] == "Updated" and response.pop("totalCost", None))
    alter_sent(monkeypatch, "CostUpdated", lambda request: request.update(totalCost=request["totalCost"] + 1))
    finding_not_failure(pytester, bundled, "TC_I_01", "CSC-201-I-01",
                        "Step 9 (meter value 1, in Wh): CostUpdatedRequest: totalCost: expected <0.31 to the cent")


def test_cost_updated_for_another_transaction_fails_tc_i_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    patch_observer(monkeypatch, "TransactionEvent", cost.transaction_cost,
                   lambda request, response: request["eventType"] == "Updated" and response.pop("totalCost", None))
    real = StationConnection.request

    async def confused(self: StationConnection, action: str, payload: Payload, timeout: float) -> Any:
        if action == "CostUpdated":
            payload = payload | {"transactionId": "another-transaction"}
        return await real(self, action, payload, timeout)

    monkeypatch.setattr(StationConnection, "request", confused)
    assert_failed(run_case(pytester, bundled, "TC_I_01"), "Step 9 (meter value 1, in Wh): CostUpdatedRequest",
                  'transactionId: expected "')


# -- block J ------------------------------------------------------------------------------


def test_main_meter_values_refused_fail_tc_j_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    real = ROUTES["2.0.1"].handlers["MeterValues"]

    async def evse_only(connection: StationConnection, request: Payload) -> Payload:
        if request["evseId"] == 0:
            raise OcppError(ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, "evseId must be an EVSE")
        return await real(connection, request)

    monkeypatch.setitem(ROUTES["2.0.1"].handlers, "MeterValues", evse_only)
    assert_failed(run_case(pytester, bundled, "TC_J_01"),
                  "Step 1 (EVSE 0, message 1): MeterValues: the CSMS answered CALLERROR PropertyConstraintViolation")


def test_signed_readings_crash_fails_tc_j_11(pytester: pytest.Pytester, bundled: BundledCsms,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    real = meter.sample_row

    def unsigned_only(*args: Any) -> Any:
        if "signedMeterValue" in args[-1]:
            raise ValueError("cannot store a signed meter value")
        return real(*args)

    monkeypatch.setattr(meter, "sample_row", unsigned_only)
    assert_failed(run_case(pytester, bundled, "TC_J_11"),
           "Step 1 (EVDisconnected, eventType Ended): TransactionEvent: the CSMS answered CALLERROR InternalError")


def test_invalid_transaction_event_response_fails_tc_j_09(pytester: pytest.Pytester, bundled: BundledCsms,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "2.0.1", "TransactionEvent",
                  lambda request, response: request["triggerReason"] == "MeterValuePeriodic"
                  and response.update(chargingPriority="high"))
    assert_failed(run_case(pytester, bundled, "TC_J_09"),
                  "Step 1 (meter value 1): TransactionEventResponse from the CSMS "
                                                   "violates the OCPP 2.0.1 schema")
