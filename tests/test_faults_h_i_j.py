"""Proof that blocks H, I and J catch faults: a deliberately broken reference CSMS fails the matching case.

Each test breaks one piece of the in-process reference CSMS inside the test (monkeypatch,
never a product flag), runs one conformance case through pytest and checks the
results.json message names the step and the difference.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import orjson
import pytest
from faults import assert_failed, patch_handler, run_case

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
    path = Path(bundled.csms.config.db.removeprefix("sqlite:///"))  # type: ignore[attr-defined]
    with closing(sqlite3.connect(path)) as db:
        db.execute("UPDATE reservations SET status = 'Removed' WHERE status = 'Active'")
        db.commit()


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
    assert len(tests) == 20
    assert {t["id"]: t["outcome"] for t in tests if t["outcome"] != "passed"} == {}


# -- block H ------------------------------------------------------------------------------


def test_reservation_never_used_up_fails_tc_h_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reservation, "use", lambda _reservation, _tx: None)
    assert_failed(run_case(pytester, bundled, "TC_H_01"),
                  "Post scenario: TransactionEventResponse for another driver on EVSE 1 (the reservation was used",
                  OTHER_DRIVER_REFUSED)


def test_cancellation_not_recorded_fails_tc_h_17(pytester: pytest.Pytester, bundled: BundledCsms,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES["2.0.1"].response_hooks, "CancelReservation")
    assert_failed(run_case(pytester, bundled, "TC_H_17"), "(the reservation was cancelled: the EVSE is no longer held)",
                  OTHER_DRIVER_REFUSED)


def test_removed_reservation_still_held_fails_tc_h_20(pytester: pytest.Pytester, bundled: BundledCsms,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    async def ignore(_connection: StationConnection, _reservation_id: int, _status: str) -> None:
        return None

    monkeypatch.setattr(reservation, "end_reservation", ignore)
    assert_failed(run_case(pytester, bundled, "TC_H_20"), "(the station removed the reservation", OTHER_DRIVER_REFUSED)


def test_refused_reservation_taken_as_made_fails_tc_h_22(pytester: pytest.Pytester, bundled: BundledCsms,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    (real,) = ROUTES["2.0.1"].response_hooks["ReserveNow"]

    async def misread(connection: StationConnection, request: Payload, response: Payload) -> None:
        await real(connection, request, response | {"status": "Accepted"})

    monkeypatch.setitem(ROUTES["2.0.1"].response_hooks, "ReserveNow", [misread])
    assert_failed(run_case(pytester, bundled, "TC_H_22"), "(the station refused the reservation", OTHER_DRIVER_REFUSED)


def test_group_reservation_for_the_token_only_fails_tc_h_19(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reservation, "holds", lambda r, id_token, _group: r.id_token == id_token)
    assert_failed(run_case(pytester, bundled, "TC_H_19"),
           "Post scenario (H03): TransactionEventResponse for a driver of the reserved group", OTHER_DRIVER_REFUSED)


def test_authorize_without_group_fails_tc_h_19(pytester: pytest.Pytester, bundled: BundledCsms,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "2.0.1", "Authorize", lambda _req, resp: resp["idTokenInfo"].pop("groupIdToken", None))
    assert_failed(run_case(pytester, bundled, "TC_H_19"),
                  "Post scenario (H03): AuthorizeResponse for a driver of the reserved group",
                  "idTokenInfo.groupIdToken: missing")


def test_status_update_not_implemented_fails_tc_h_07(pytester: pytest.Pytester, bundled: BundledCsms,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES["2.0.1"].handlers, "ReservationStatusUpdate")
    assert_failed(run_case(pytester, bundled, "TC_H_07"),
                  "Step 7: ReservationStatusUpdate: the CSMS answered CALLERROR "
                                                   "NotImplemented")


# -- block I ------------------------------------------------------------------------------


def test_final_cost_a_cent_off_fails_tc_i_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def a_cent_more(_request: Payload, response: Payload) -> None:
        if "totalCost" in response:
            response["totalCost"] = round(response["totalCost"] + 0.01, 2)

    patch_observer(monkeypatch, "TransactionEvent", cost.transaction_cost, a_cent_more)
    assert_failed(run_case(pytester, bundled, "TC_I_02"), "Step 8: TransactionEventResponse (final)",
                  "totalCost: expected <1.25 to the cent: the tariff for 5000 Wh>, got 1.26")


def test_final_cost_omitted_fails_tc_i_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    patch_observer(monkeypatch, "TransactionEvent", cost.transaction_cost,
                   lambda request, response: request["eventType"] == "Ended" and response.pop("totalCost"))
    assert_failed(run_case(pytester, bundled, "TC_I_02"), "Step 8: TransactionEventResponse (final)",
                  "totalCost: missing (expected <1.25 to the cent")


def test_kwh_taken_as_wh_fails_tc_i_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(meter.SCALED_UNITS, "kWh")
    assert_failed(run_case(pytester, bundled, "TC_I_01"),
                  "Step 8 (meter value 2, in kWh): TransactionEventResponse running cost",
                  "totalCost: expected <0.81 to the cent: the tariff for 3244.9 Wh>, got 0.0")


def test_cost_updated_instead_of_running_cost_passes_tc_i_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """I02.FR.01 allows either: a CSMS that sends CostUpdated (asked through the trigger) passes too."""
    patch_observer(monkeypatch, "TransactionEvent", cost.transaction_cost,
                   lambda request, response: request["eventType"] == "Updated" and response.pop("totalCost", None))
    assert run_case(pytester, bundled, "TC_I_01")["outcome"] == "passed"


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
