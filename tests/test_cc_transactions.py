"""Proof that transactions, meter values and cost are checked: realistic CSMS bugs, one at a time.

Each test breaks the in-process reference CSMS the way a CSMS team might (monkeypatch, never a
product flag), runs the case that should notice and checks what it reports: a csmscheck
finding beside a passing OCTT verdict (failing with ``--strict``) for the read-back checks of
OCTT cases, a failure naming the step for csmscheck's own cases (run ``--strict``: without
it their failure is a finding too). The healthy CSMS passes every one of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from decimal import ROUND_DOWN, ROUND_UP
from pathlib import Path
from typing import Any

import pytest
from faults import assert_failed, assert_finding, patch_handler, run_case, run_cases
from faults201 import finding_not_failure
from sqlalchemy import select, update

from csmscheck.bundled import BundledCsms
from csmscheck.csms import meter, tariff, transaction_events
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.handlers.v201 import cost, remote_control
from csmscheck.csms.handlers.v201 import transactions as v201_transactions
from csmscheck.csms.models import Transaction
from csmscheck.csms.router import ROUTES, Observer, OcppError, Payload
from csmscheck.csms.store import now
from csmscheck.settings import load_settings
from csmscheck.wire.errors import ErrorCode

CC_201 = ["CC_E_01", "CC_E_02", "CC_E_03", "CC_E_04", "CC_E_05", "CC_E_06", "CC_E_07", "CC_E_08", "CC_I_01", "CC_J_01",
          "CC_J_02", "CC_J_03", "CC_J_04", "CC_J_05", "CC_J_06"]
CC_16 = ["CC16_40", "CC16_41", "CC16_42", "CC16_43", "CC16_44", "CC16_45", "CC16_46", "CC16_47"]
READ_BACK_CASES = ["TC_E_21", "TC_E_39", "TC_I_02", "TC_J_10", "TC_005_1", "TC_039"]
FEE = "0.50"

Handler = Callable[[StationConnection, Payload], Awaitable[Payload]]


# -- breaking the CSMS -------------------------------------------------------------------------


def wrap_handler(monkeypatch: pytest.MonkeyPatch, version: str, action: str,
                 broken: Callable[[Handler, StationConnection, Payload], Awaitable[Payload]]) -> None:
    """Put ``broken(real, connection, request)`` in place of the handler of ``action``."""
    real = ROUTES[version].handlers[action]  # type: ignore[index]

    async def handler(connection: StationConnection, request: Payload) -> Payload:
        return await broken(real, connection, request)

    monkeypatch.setitem(ROUTES[version].handlers, action, handler)  # type: ignore[index]


async def change_stored(connection: StationConnection, transaction_id: str, **values: Any) -> None:
    """What a bug leaves in the database: the station's transaction ``transaction_id`` gets ``values``."""
    async with connection.csms.store.session() as db:
        await db.execute(update(Transaction).filter_by(station_id=connection.station_id,
                                                       transaction_id=transaction_id).values(**values))


def patch_observer(monkeypatch: pytest.MonkeyPatch, observer: Observer,
                   change: Callable[[Payload, Payload], Any]) -> None:
    """Replace a TransactionEvent observer by one whose additions are altered by ``change(request, response)``."""

    async def broken(connection: StationConnection, request: Payload, response: Payload) -> None:
        await observer(connection, request, response)
        change(request, response)

    observers = ROUTES["2.0.1"].observers["TransactionEvent"]
    monkeypatch.setitem(ROUTES["2.0.1"].observers, "TransactionEvent",
                        [broken if o is observer else o for o in observers])


def break_apply(monkeypatch: pytest.MonkeyPatch, after: Callable[[Transaction, Payload], None]) -> None:
    """The CSMS applies each new TransactionEvent to its transaction, then ``after(tx, request)`` does the bug."""
    real = transaction_events._apply

    def applied(tx: Transaction, request: Payload, stamp: datetime, verdict: Any) -> None:
        real(tx, request, stamp, verdict)
        after(tx, request)

    monkeypatch.setattr(transaction_events, "_apply", applied)


# -- the healthy CSMS passes -------------------------------------------------------------------


def test_healthy_csms_passes_every_case_with_strict(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    entries = run_cases(pytester, bundled, *CC_201, *CC_16, *READ_BACK_CASES, "CC_I_02", strict=True)
    outcomes = {entry["id"]: entry["outcome"] for entry in entries}
    # CC_I_02 needs a session fee (see the CSMS configured with one below).
    assert outcomes == dict.fromkeys([*CC_201, *CC_16, *READ_BACK_CASES], "passed") | {"CC_I_02": "skipped"}
    assert next(e for e in entries if e["id"] == "CC_I_02")["message"] == (
        "not applicable: the configured tariff has no session fee (tariff_session_fee = 0)")


@pytest.fixture(scope="module")
def bundled_with_fee() -> Iterator[BundledCsms]:
    """A reference CSMS whose tariff has a session fee; the suite runs with the same tariff."""
    csms = BundledCsms(load_settings(environ={"CSMSCHECK_TARIFF_SESSION_FEE": FEE}))
    yield csms
    csms.stop()


def test_healthy_csms_with_a_session_fee_passes(pytester: pytest.Pytester, bundled_with_fee: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSMSCHECK_TARIFF_SESSION_FEE", FEE)
    entries = run_cases(pytester, bundled_with_fee, "CC_I_01", "CC_I_02", "TC_I_01", "TC_I_02", strict=True)
    assert {entry["id"]: entry["outcome"] for entry in entries} == dict.fromkeys(
        ["CC_I_01", "CC_I_02", "TC_I_01", "TC_I_02"], "passed")


# -- what the CSMS stored: after the OCTT cases (findings) ----------------------------------------


def test_stop_reason_always_local_is_a_finding_of_tc_e_21(pytester: pytest.Pytester, bundled: BundledCsms,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS keeps every stop as Local (it never reads stoppedReason)."""
    break_apply(monkeypatch, lambda tx, request: request["eventType"] == "Ended"
                and setattr(tx, "stopped_reason", "Local"))
    finding_not_failure(pytester, bundled, "TC_E_21", "CSC-TX-02", "Read back transaction",
                        'stoppedReason: expected "Remote" (the station\'s reason), got "Local"')


def test_meter_start_and_stop_swapped_is_a_finding_of_tc_i_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    real = transaction_events._follow

    def swapped(tx: Transaction, *args: Any) -> None:
        real(tx, *args)
        if tx.stopped_at is not None:
            tx.meter_start_wh, tx.meter_stop_wh = tx.meter_stop_wh, tx.meter_start_wh

    monkeypatch.setattr(transaction_events, "_follow", swapped)
    finding_not_failure(pytester, bundled, "TC_I_02", "CSC-TX-03", "meterStartWh: expected 1000 Wh (the register "
                        "the station reported), got 6000", "meterStopWh: expected 6000 Wh (the register the station "
                        "reported), got 1000")


def test_final_cost_left_out_without_readings_is_a_finding_of_tc_e_39(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS costs only transactions with meter values: an authorized one ended without any gets no totalCost."""
    patch_observer(monkeypatch, cost.transaction_cost,
                   lambda request, response: "meterValue" not in request and response.pop("totalCost", None))
    finding_not_failure(pytester, bundled, "TC_E_39", "CSC-201-I-02", "TransactionEventResponse to the Ended event",
                        "totalCost: expected the final cost (the CSMS declares tariff_cost), got none")


def test_stored_cost_not_the_final_one_is_a_finding_of_tc_i_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS tells the station the final cost but keeps the running cost it had before the Ended event."""
    async def keep_running_cost(connection: StationConnection, request: Payload, response: Payload) -> None:
        if request["eventType"] != "Ended":
            await cost.transaction_cost(connection, request, response)
            return
        async with connection.csms.store.session() as db:
            tx = await db.scalar(select(Transaction).filter_by(
                station_id=connection.station_id, transaction_id=request["transactionInfo"]["transactionId"]))
            kept = tx.total_cost if tx is not None else None
        await cost.transaction_cost(connection, request, response)
        await change_stored(connection, request["transactionInfo"]["transactionId"], total_cost=kept)

    observers = ROUTES["2.0.1"].observers["TransactionEvent"]
    monkeypatch.setitem(ROUTES["2.0.1"].observers, "TransactionEvent",
                        [keep_running_cost if o is cost.transaction_cost else o for o in observers])
    finding_not_failure(pytester, bundled, "TC_I_02", "CSC-TX-06",
                        "totalCost: expected 1.25 (the final cost the CSMS sent the station), got 0.25")


def test_latest_token_kept_is_a_finding_of_tc_c_47(pytester: pytest.Pytester, bundled: BundledCsms,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS keeps the idToken of the latest event: the master pass that stopped the transaction replaces the
    driver who started it."""
    break_apply(monkeypatch, lambda tx, request: "idToken" in request
                and setattr(tx, "id_token", request["idToken"]["idToken"]))
    defaults = load_settings(environ={})
    finding_not_failure(pytester, bundled, "TC_C_47", "CSC-TX-01", f'idToken: expected "{defaults.valid_id_token}" '
                        f'(as the station reported it), got "{defaults.masterpass_id_token}"')


def test_1_6_stop_time_of_arrival_is_a_finding_of_tc_039(pytester: pytest.Pytester, bundled: BundledCsms,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS keeps when the StopTransaction.req arrived, not when the offline transaction stopped."""
    async def arrival_time(real: Handler, connection: StationConnection, request: Payload) -> Payload:
        response = await real(connection, request)
        await change_stored(connection, str(request["transactionId"]), stopped_at=now())
        return response

    wrap_handler(monkeypatch, "1.6", "StopTransaction", arrival_time)
    finding_not_failure(pytester, bundled, "TC_039", "CSC-TX-04", "stoppedAt: expected", "(when the station "
                        "stopped it), got")


def test_1_6_stop_reason_ignored_is_a_finding_of_tc_005_1(pytester: pytest.Pytester, bundled: BundledCsms,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_reason(real: Handler, connection: StationConnection, request: Payload) -> Payload:
        return await real(connection, {k: v for k, v in request.items() if k != "reason"})

    wrap_handler(monkeypatch, "1.6", "StopTransaction", no_reason)
    finding_not_failure(pytester, bundled, "TC_005_1", "CSC-TX-02",
                        'stoppedReason: expected "EVDisconnected" (the station\'s reason), got "Local"')


def test_1_6_ids_counted_per_connection_are_a_finding_of_the_next_case(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS numbers transactions per WebSocket connection, from 1: the next case's charge point gets an id
    it was given before."""
    async def per_connection(real: Handler, connection: StationConnection, request: Payload) -> Payload:
        response = await real(connection, request)
        counted = connection.__dict__.get("transactions_counted", 0) + 1
        connection.__dict__["transactions_counted"] = counted
        return response | {"transactionId": counted}

    wrap_handler(monkeypatch, "1.6", "StartTransaction", per_connection)
    first, second = run_cases(pytester, bundled, "TC_003", "TC_004_1")
    assert first["outcome"] == "passed"
    assert_finding(second, "CSC-16-TX-01", "Charging state: StartTransaction.conf: transactionId: expected an id no "
                   "other transaction of CP16_SP1 has, got 1, already given to the transaction started on connector 1")


def test_1_6_id_zero_is_a_finding_of_tc_003(pytester: pytest.Pytester, bundled: BundledCsms,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "1.6", "StartTransaction", lambda _req, resp: resp.update(transactionId=0))
    finding_not_failure(pytester, bundled, "TC_003", "CSC-16-TX-01", "Step 6: StartTransaction.conf: transactionId: "
                        "expected a positive id of the Central System's own, got 0")


def test_off_by_one_1_6_id_is_a_finding_of_tc_039(pytester: pytest.Pytester, bundled: BundledCsms,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS answers with an id one above the one it stored: the stop names a transaction it does not have."""
    patch_handler(monkeypatch, "1.6", "StartTransaction",
                  lambda _req, resp: resp.update(transactionId=resp["transactionId"] + 1))
    finding_not_failure(pytester, bundled, "TC_039", "CSC-TX-01", "Read back transaction", "the CSMS has no "
                        "transaction")


# -- csmscheck's own cases: E -------------------------------------------------------------------


def test_replay_detection_lost_fails_cc_e_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS refuses an event it has applied before, so the station that lost the answer retries forever."""
    async def refuse_replay(store: Any, station_id: str, request: Payload, verdict: Any = None) -> Any:
        recorded = await transaction_events.record_event(store, station_id, request, verdict)
        if recorded.replay:
            raise OcppError(ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, f"seqNo {request['seqNo']} already received")
        return recorded

    monkeypatch.setattr(v201_transactions, "record_event", refuse_replay)
    assert_failed(run_case(pytester, bundled, "CC_E_01", strict=True),
                  "Step 3 (Step 2's event sent again): TransactionEvent: the CSMS answered CALLERROR "
                  "PropertyConstraintViolation")


def test_late_event_reopening_the_transaction_fails_cc_e_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """An Updated event means the transaction runs, whatever arrived before it."""
    break_apply(monkeypatch, lambda tx, request: request["eventType"] == "Updated"
                and setattr(tx, "stopped_at", None))
    assert_failed(run_case(pytester, bundled, "CC_E_02", strict=True), "Step 5: read back transaction",
                  "stoppedAt: expected", "(when the station stopped it), got none")


def test_meter_stop_from_the_last_arrival_fails_cc_e_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS takes the register reading that arrived last as the meter stop (not the Transaction.End one)."""
    real = transaction_events._follow
    arrived_last: dict[int, float] = {}

    def last_arrival(tx: Transaction, request: Payload, stamp: datetime, rows: list[Any]) -> None:
        real(tx, request, stamp, rows)
        registers = [row.value for row in rows if meter.is_energy_register(row)]
        if registers:
            arrived_last[tx.pk] = registers[-1]
        if tx.stopped_at is not None and tx.pk in arrived_last:
            tx.meter_stop_wh = arrived_last[tx.pk]

    monkeypatch.setattr(transaction_events, "_follow", last_arrival)
    assert_failed(run_case(pytester, bundled, "CC_E_02", strict=True), "Step 5: read back transaction",
                  "meterStopWh: expected 14000 Wh (the register the station reported), got 13500")


def test_offset_dropped_fails_cc_e_03(pytester: pytest.Pytester, bundled: BundledCsms,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS reads the wall-clock time and drops the UTC offset."""
    def wall_clock(value: str) -> datetime:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=UTC)

    monkeypatch.setattr(transaction_events, "parse_time", wall_clock)
    assert_failed(run_case(pytester, bundled, "CC_E_03", strict=True), "Step 4: read back transaction",
                  "startedAt: expected", "(when the station started it), got")


def test_events_after_a_seq_no_gap_dropped_fails_cc_e_04(pytester: pytest.Pytester, bundled: BundledCsms,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS answers an event that skips a seqNo but waits for the missing one before applying it."""
    last: dict[str, int] = {}

    async def in_sequence_only(store: Any, station_id: str, request: Payload, verdict: Any = None) -> Any:
        tx_id = request["transactionInfo"]["transactionId"]
        if request["seqNo"] > last.get(tx_id, -1) + 1:
            return None
        last[tx_id] = max(last.get(tx_id, -1), request["seqNo"])
        return await transaction_events.record_event(store, station_id, request, verdict)

    monkeypatch.setattr(v201_transactions, "record_event", in_sequence_only)
    assert_failed(run_case(pytester, bundled, "CC_E_04", strict=True), "Step 5: read back transaction",
                  "stoppedReason: expected \"EVDisconnected\" (the station's reason), got none",
                  "events: expected seqNo 3, 5 applied (the CSMS answered them), got none")


def test_start_time_of_arrival_fails_cc_e_05(pytester: pytest.Pytester, bundled: BundledCsms,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS starts a transaction when its Started event arrives, also one queued offline."""
    break_apply(monkeypatch, lambda tx, request: request["eventType"] == "Started"
                and setattr(tx, "started_at", now()))
    assert_failed(run_case(pytester, bundled, "CC_E_05", strict=True), "Step 5: read back transaction",
                  "startedAt: expected")


def test_offline_events_not_applied_fails_cc_e_05(pytester: pytest.Pytester, bundled: BundledCsms,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS answers events queued offline but does not apply them (it thinks them stale)."""
    async def live_only(store: Any, station_id: str, request: Payload, verdict: Any = None) -> Any:
        if request.get("offline"):
            return None
        return await transaction_events.record_event(store, station_id, request, verdict)

    monkeypatch.setattr(v201_transactions, "record_event", live_only)
    assert_failed(run_case(pytester, bundled, "CC_E_05", strict=True), "Step 5: read back transaction",
                  "the CSMS has no transaction")


def test_remote_start_linked_only_once_answered_fails_cc_e_06(pytester: pytest.Pytester, bundled: BundledCsms,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS records a remote start only when the station's answer arrives, and links a transaction to it
    through that record alone (not through the remoteStartId the event names): the transaction the station
    reported first is never linked."""
    monkeypatch.setitem(ROUTES["2.0.1"].before_calls, "RequestStartTransaction", [])
    break_apply(monkeypatch, lambda tx, _request: setattr(tx, "remote_start_id", None))

    async def record_without_link(connection: StationConnection, request: Payload, response: Payload) -> None:
        await remote_control.remote_start_requested(connection, request)
        await remote_control.remote_start_answered(connection, request, {"status": response["status"]})

    monkeypatch.setitem(ROUTES["2.0.1"].response_hooks, "RequestStartTransaction", [record_without_link])
    assert_failed(run_case(pytester, bundled, "CC_E_06", strict=True), "Step 5: read back transaction",
                  "the remote start that caused it", "remoteStartId: expected", "got null")


def test_remote_start_event_refused_before_the_answer_fails_cc_e_06(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS refuses a TransactionEvent naming a remoteStartId it has no answer for yet."""
    answered: set[tuple[str, int]] = set()

    async def remember(connection: StationConnection, request: Payload, response: Payload) -> None:
        answered.add((connection.station_id, request["remoteStartId"]))

    monkeypatch.setitem(ROUTES["2.0.1"].response_hooks, "RequestStartTransaction",
                        [*ROUTES["2.0.1"].response_hooks["RequestStartTransaction"], remember])

    async def refuse_unanswered(real: Handler, connection: StationConnection, request: Payload) -> Payload:
        remote = request["transactionInfo"].get("remoteStartId")
        if remote is not None and (connection.station_id, remote) not in answered:
            raise OcppError(ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, f"unknown remoteStartId {remote}")
        return await real(connection, request)

    wrap_handler(monkeypatch, "2.0.1", "TransactionEvent", refuse_unanswered)
    assert_failed(run_case(pytester, bundled, "CC_E_06", strict=True),
                  "Step 2 (TransactionEvent Started, before the answer): TransactionEvent: the CSMS answered "
                  "CALLERROR PropertyConstraintViolation")


def test_missing_stop_reason_not_local_fails_cc_e_07(pytester: pytest.Pytester, bundled: BundledCsms,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    break_apply(monkeypatch, lambda tx, request: request["eventType"] == "Ended"
                and setattr(tx, "stopped_reason", request["transactionInfo"].get("stoppedReason")))
    assert_failed(run_case(pytester, bundled, "CC_E_07", strict=True), "Step 3: read back transaction",
                  'stoppedReason: expected "Local" (the station\'s reason), got none')


def test_evse_and_connector_swapped_fail_cc_e_05(pytester: pytest.Pytester, bundled: BundledCsms,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def swapped(tx: Transaction, request: Payload) -> None:
        if "evse" in request:
            tx.evse_id, tx.connector_id = request["evse"].get("connectorId"), request["evse"]["id"]

    break_apply(monkeypatch, swapped)
    assert_failed(run_case(pytester, bundled, "CC_E_05", strict=True), "Step 5: read back transaction",
                  "evseId: expected 2 (as the station reported it), got 1",
                  "connectorId: expected 1 (as the station reported it), got 2")


def test_transactions_only_from_started_events_fail_cc_e_08(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS answers events of a transaction it has no Started event for, but drops them."""
    started: set[str] = set()

    async def started_only(store: Any, station_id: str, request: Payload, verdict: Any = None) -> Any:
        tx_id = request["transactionInfo"]["transactionId"]
        if request["eventType"] == "Started":
            started.add(tx_id)
        if tx_id not in started:
            return None
        return await transaction_events.record_event(store, station_id, request, verdict)

    monkeypatch.setattr(v201_transactions, "record_event", started_only)
    assert_failed(run_case(pytester, bundled, "CC_E_08", strict=True), "Step 3: read back transaction",
                  "the CSMS has no transaction")


def test_charging_state_by_arrival_fails_cc_e_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS takes the chargingState of the event that arrived last, not of the latest one."""
    break_apply(monkeypatch, lambda tx, request: "chargingState" in request["transactionInfo"]
                and setattr(tx, "charging_state", request["transactionInfo"]["chargingState"]))
    real = transaction_events._follow

    def keep_arrival_order(tx: Transaction, *args: Any) -> None:
        arrived = tx.charging_state
        real(tx, *args)
        tx.charging_state = arrived

    monkeypatch.setattr(transaction_events, "_follow", keep_arrival_order)
    assert_failed(run_case(pytester, bundled, "CC_E_02", strict=True), "Step 5: read back transaction",
                  'chargingState: expected "Idle" (the latest the station reported, by event time), got "SuspendedEV"')


# -- csmscheck's own cases: I ---------------------------------------------------------------------


@pytest.mark.parametrize(("rounding", "fragment"), [
    (ROUND_DOWN, "Step 1 (transaction 1): Ended: TransactionEventResponse: totalCost: expected 1.01 (the tariff "
                 "for 4024 Wh is 1.006, to the cent), got 1.0"),
    (ROUND_UP, "Step 2 (transaction 2): Ended: TransactionEventResponse: totalCost: expected 1.50 (the tariff for "
               "6004 Wh is 1.501, to the cent), got 1.51"),
])
def test_cost_not_rounded_to_the_nearest_cent_fails_cc_i_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch, rounding: str,
                                                            fragment: str) -> None:
    def rounded(self: tariff.Tariff, energy_wh: float, seconds: float | None = 0.0) -> Any:
        return self.exact_cost(energy_wh, seconds).quantize(tariff.CENT, rounding=rounding)

    monkeypatch.setattr(tariff.Tariff, "cost", rounded)
    assert_failed(run_case(pytester, bundled, "CC_I_01", strict=True), fragment)


def test_session_fee_not_charged_fails_cc_i_02(pytester: pytest.Pytester, bundled_with_fee: BundledCsms,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSMSCHECK_TARIFF_SESSION_FEE", FEE)

    def without_fee(self: tariff.Tariff, energy_wh: float, seconds: float | None = 0.0) -> Any:
        return (self.exact_cost(energy_wh, seconds) - self.session_fee).quantize(tariff.CENT)

    monkeypatch.setattr(tariff.Tariff, "cost", without_fee)
    assert_failed(run_case(pytester, bundled_with_fee, "CC_I_02", strict=True),
                  "Step 1 (no energy): Ended: TransactionEventResponse: totalCost: expected 0.50", "got 0.0")


def test_session_fee_charged_per_event_fails_cc_i_02(pytester: pytest.Pytester, bundled_with_fee: BundledCsms,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS adds the fee to the running total at every costed event."""
    totals: dict[str, float] = {}

    def fee_each_time(request: Payload, response: Payload) -> None:
        if "totalCost" in response:
            tx_id = request["transactionInfo"]["transactionId"]
            totals[tx_id] = totals.get(tx_id, 0.0) + float(FEE)
            response["totalCost"] = round(response["totalCost"] + totals[tx_id] - float(FEE), 2)

    monkeypatch.setenv("CSMSCHECK_TARIFF_SESSION_FEE", FEE)
    patch_observer(monkeypatch, cost.transaction_cost, fee_each_time)
    assert_failed(run_case(pytester, bundled_with_fee, "CC_I_02", strict=True),
                  "Step 2 (3.3 kWh): Updated (2) running cost: TransactionEventResponse: totalCost: expected 1.00")


# -- csmscheck's own cases: J (and the 1.6 readings) ------------------------------------------------


def test_phase_rows_taken_for_the_register_fail_cc_j_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS drops the phase of a sampled value: each phase's row looks like the total register."""
    real = meter.sample_row
    monkeypatch.setattr(meter, "sample_row", lambda *args: real(*args[:-1], {
        k: v for k, v in args[-1].items() if k != "phase"}))
    assert_failed(run_case(pytester, bundled, "CC_J_01", strict=True), "Step 2: TransactionEventRequest (Updated, "
                  "readings 1) running cost: TransactionEventResponse: totalCost: expected 0.38 (the tariff for 1500 "
                  "Wh is 0.375, to the cent), got 0.13")


def test_phase_rows_taken_for_the_register_fail_cc16_45(pytester: pytest.Pytester, bundled: BundledCsms,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    real = meter.sample_row
    monkeypatch.setattr(meter, "sample_row", lambda *args: real(*args[:-1], {
        k: v for k, v in args[-1].items() if k != "phase"}))
    assert_failed(run_case(pytester, bundled, "CC16_45", strict=True), "Step 3 (after readings 1): read back "
                  "transaction", "energyWh: expected 2300 (the register the charge point reported minus meterStart), "
                  "got -25900")


def test_measurand_left_out_not_the_register_fails_cc_j_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS stores a sampled value without a measurand as an empty measurand, not as the register."""
    real = meter.sample_row
    monkeypatch.setattr(meter, "sample_row", lambda *args: real(*args[:-1], {"measurand": ""} | args[-1]))
    assert_failed(run_case(pytester, bundled, "CC_J_02", strict=True), "Step 4: read back transaction",
                  "energyWh: expected 1200 (the station metered 3000 Wh at the start and 4200 Wh at the stop), "
                  "got none")


def test_1_6_meter_values_not_attached_fail_cc16_44(pytester: pytest.Pytester, bundled: BundledCsms,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS looks the transaction of a MeterValues.req up by the integer id, which it keeps as text: the
    readings are never the transaction's."""
    async def integer_lookup(real: Handler, connection: StationConnection, request: Payload) -> Payload:
        return await real(connection, {k: v for k, v in request.items() if k != "transactionId"})

    wrap_handler(monkeypatch, "1.6", "MeterValues", integer_lookup)
    assert_failed(run_case(pytester, bundled, "CC16_44", strict=True), "Step 3 (after readings 1): read back "
                  "transaction", "energyWh: expected 1500 (the register the charge point reported minus meterStart), "
                  "got none")


def test_measurand_left_out_not_the_register_fails_cc16_44(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    real = meter.sample_row
    monkeypatch.setattr(meter, "sample_row", lambda *args: real(*args[:-1], {"measurand": ""} | args[-1]))
    assert_failed(run_case(pytester, bundled, "CC16_44", strict=True), "Step 3 (after readings 2): read back "
                  "transaction", "energyWh: expected 2600 (the register the charge point reported minus meterStart), "
                  "got 1500")


def test_first_sampled_value_taken_for_the_register_fails_cc_j_03(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS reads the first sampledValue of a meterValue as its energy register."""
    real = meter.sampled_rows

    def first_only(station_id: str, transaction_pk: Any, evse_id: Any, meter_values: list[Payload]) -> Any:
        firsts = [m | {"sampledValue": [m["sampledValue"][0] | {"measurand": meter.ENERGY_REGISTER}]}
                  for m in meter_values]
        return real(station_id, transaction_pk, evse_id, firsts)

    monkeypatch.setattr(transaction_events, "sampled_rows", first_only)
    assert_failed(run_case(pytester, bundled, "CC_J_03", strict=True), "Step 2: TransactionEventRequest (Updated, "
                  "readings 1) running cost: TransactionEventResponse: totalCost: expected 0.28 (the tariff for 1100 "
                  "Wh is 0.275, to the cent), got 0.0")


def test_multiplier_ignored_fails_cc_j_04(pytester: pytest.Pytester, bundled: BundledCsms,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    real = meter.normalise
    monkeypatch.setattr(meter, "normalise", lambda value, unit, multiplier=0: real(value, unit))
    assert_failed(run_case(pytester, bundled, "CC_J_04", strict=True), "Step 2: TransactionEventRequest (Updated, "
                  "readings 1) running cost: TransactionEventResponse: totalCost: expected 0.34 (the tariff for 1355 "
                  "Wh is 0.33875, to the cent), got 34.25")


def test_kwh_taken_as_wh_fails_cc_j_05_and_cc16_44(pytester: pytest.Pytester, bundled: BundledCsms,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(meter.SCALED_UNITS, "kWh")
    assert_failed(run_case(pytester, bundled, "CC_J_05", strict=True), "Step 2: TransactionEventRequest (Updated, "
                  "readings 1) running cost: TransactionEventResponse: totalCost: expected 0.38 (the tariff for 1500 "
                  "Wh is 0.375, to the cent), got 0.0")
    assert_failed(run_case(pytester, bundled, "CC16_44", strict=True), "Step 3 (after readings 1): read back "
                  "transaction", "energyWh: expected 1500 (the register the charge point reported minus meterStart), "
                  "got -19978.5")


def test_running_cost_of_the_register_itself_fails_cc_j_05(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS costs the register reading of an Updated event as it is, not minus the register at the start."""
    def whole_register(request: Payload, response: Payload) -> None:
        if request["eventType"] == "Updated" and "totalCost" in response:
            rows = meter.sampled_rows("", None, None, request["meterValue"])
            response["totalCost"] = float(tariff.Tariff.from_settings(load_settings(environ={})).cost(rows[-1].value))

    patch_observer(monkeypatch, cost.transaction_cost, whole_register)
    assert_failed(run_case(pytester, bundled, "CC_J_05", strict=True),
                  "Step 2: TransactionEventRequest (Updated, readings 1) running cost: TransactionEventResponse: "
                  "totalCost: expected 0.38 (the tariff for 1500 Wh is 0.375, to the cent), got 5.63")


def test_negative_values_refused_fail_cc_j_06_and_cc16_46(pytester: pytest.Pytester, bundled: BundledCsms,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS parses readings as unsigned numbers and fails on a negative one."""
    real = meter._number

    def unsigned(raw: Any) -> float | None:
        number = real(raw)
        if number is not None and number < 0:
            raise ValueError(f"meter reading {raw} is negative")
        return number

    monkeypatch.setattr(meter, "_number", unsigned)
    assert_failed(run_case(pytester, bundled, "CC_J_06", strict=True),
                  "Step 1: TransactionEventRequest (Started, Transaction.Begin readings): TransactionEvent: the CSMS "
                  "answered CALLERROR InternalError")
    assert_failed(run_case(pytester, bundled, "CC16_46", strict=True),
                  "Step 2: MeterValues.conf (readings 1): the CSMS answered CALLERROR InternalError")


def test_signed_data_taken_for_a_reading_fails_cc16_46(pytester: pytest.Pytester, bundled: BundledCsms,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    real = meter.sample_row
    monkeypatch.setattr(meter, "sample_row", lambda *args: real(*args[:-1], {
        k: v for k, v in args[-1].items() if k != "format"}))
    assert_failed(run_case(pytester, bundled, "CC16_46", strict=True), "Step 3 (after readings 1): read back "
                  "transaction", "energyWh: expected 1750 (the register the charge point reported minus meterStart), "
                  "got 3.045")


# -- csmscheck's own cases: 1.6 ------------------------------------------------------------------


def test_stop_of_an_unknown_transaction_refused_fails_cc16_40(pytester: pytest.Pytester, bundled: BundledCsms,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    async def refuse_unknown(real: Handler, connection: StationConnection, request: Payload) -> Payload:
        async with connection.csms.store.session() as db:
            known = await db.scalar(select(Transaction.pk).filter_by(
                station_id=connection.station_id, transaction_id=str(request["transactionId"])))
        if known is None:
            raise OcppError(ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, "unknown transactionId")
        return await real(connection, request)

    wrap_handler(monkeypatch, "1.6", "StopTransaction", refuse_unknown)
    assert_failed(run_case(pytester, bundled, "CC16_40", strict=True),
                  "Step 1: StopTransaction.conf (unknown transactionId): the CSMS answered CALLERROR "
                  "PropertyConstraintViolation")


def test_meter_values_of_an_unknown_transaction_refused_fail_cc16_41(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    async def refuse_unknown(real: Handler, connection: StationConnection, request: Payload) -> Payload:
        async with connection.csms.store.session() as db:
            known = await db.scalar(select(Transaction.pk).filter_by(
                station_id=connection.station_id, transaction_id=str(request.get("transactionId"))))
        if "transactionId" in request and known is None:
            raise OcppError(ErrorCode.GENERIC_ERROR, "no such transaction")
        return await real(connection, request)

    wrap_handler(monkeypatch, "1.6", "MeterValues", refuse_unknown)
    assert_failed(run_case(pytester, bundled, "CC16_41", strict=True),
                  "Step 1: MeterValues.conf (unknown transactionId): the CSMS answered CALLERROR GenericError")


def test_connector_reuse_taken_for_a_repeat_fails_cc16_42(pytester: pytest.Pytester, bundled: BundledCsms,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS takes any StartTransaction.req on a connector that had a transaction for a repeat of it."""
    given: dict[tuple[str, int], int] = {}

    def same_id_per_connector(request: Payload, response: Payload) -> None:
        key = (str(request["idTag"]), request["connectorId"])
        response["transactionId"] = given.setdefault(key, response["transactionId"])

    patch_handler(monkeypatch, "1.6", "StartTransaction", same_id_per_connector)
    assert_failed(run_case(pytester, bundled, "CC16_42", strict=True),
                  "StartTransaction.conf: transactionId: expected an id of its own for each transaction, got")


def test_stop_reason_default_lost_fails_cc16_43(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    async def reason_as_sent(real: Handler, connection: StationConnection, request: Payload) -> Payload:
        response = await real(connection, request)
        await change_stored(connection, str(request["transactionId"]), stopped_reason=request.get("reason"))
        return response

    wrap_handler(monkeypatch, "1.6", "StopTransaction", reason_as_sent)
    assert_failed(run_case(pytester, bundled, "CC16_43", strict=True), "Step 3: read back transaction",
                  'stoppedReason: expected "Local" (the station\'s reason), got none')


def test_1_6_offset_dropped_fails_cc16_43(pytester: pytest.Pytester, bundled: BundledCsms,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The Central System keeps the wall-clock time of the charge point's timestamp, not the instant."""
    import csmscheck.csms.handlers.v16.core as core

    monkeypatch.setattr(core, "_utc", lambda value: datetime.fromisoformat(value).replace(tzinfo=None))
    assert_failed(run_case(pytester, bundled, "CC16_43", strict=True), "Step 3: read back transaction",
                  "startedAt: expected", "stoppedAt: expected")


def test_late_meter_values_taken_for_the_stop_fail_cc16_47(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS takes the last reading it received for a transaction as its meter stop, even after the stop."""
    async def latest_is_stop(real: Handler, connection: StationConnection, request: Payload) -> Payload:
        response = await real(connection, request)
        wh = float(request["meterValue"][-1]["sampledValue"][-1]["value"])
        await change_stored(connection, str(request.get("transactionId")), meter_stop_wh=wh)
        return response

    wrap_handler(monkeypatch, "1.6", "MeterValues", latest_is_stop)
    assert_failed(run_case(pytester, bundled, "CC16_47", strict=True), "Step 5: read back transaction",
                  "meterStopWh: expected 73000 Wh (the register the station reported), got 71500")


# -- where nothing can be read back ----------------------------------------------------------------


def test_readback_not_declared_is_not_applicable(pytester: pytest.Pytester, bundled: BundledCsms,
                                                 monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without transaction_readback the read-back cases are not applicable and the OCTT cases read nothing back."""
    capabilities = tmp_path / "capabilities.toml"
    capabilities.write_text("[features]\ntariff_cost = true\n")
    monkeypatch.setenv("CSMSCHECK_CAPABILITIES", str(capabilities))
    break_apply(monkeypatch, lambda tx, request: request["eventType"] == "Ended"
                and setattr(tx, "stopped_reason", "Local"))
    entries = {e["id"]: e for e in run_cases(pytester, bundled, "CC_E_01", "CC_E_06", "TC_E_21", strict=True)}
    assert entries["CC_E_01"]["outcome"] == "skipped"
    assert entries["CC_E_01"]["message"] == ("not applicable: the CSMS does not declare transaction_readback "
                                             "(Transaction read-back, csmscheck trigger API, read-back)")
    assert entries["CC_E_06"]["outcome"] == "passed"  # its read-back step is left out
    assert entries["TC_E_21"]["outcome"] == "passed"


def test_route_not_served_is_not_applicable(pytester: pytest.Pytester, bundled: BundledCsms,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A CSMS whose trigger API has no read-back route: its cases are not applicable, with the reason."""
    router = bundled.csms._api.config.app.router  # type: ignore[attr-defined]
    monkeypatch.setattr(router, "routes", [r for r in router.routes if "/transactions/" not in getattr(r, "path", "")])
    break_apply(monkeypatch, lambda tx, request: request["eventType"] == "Ended"
                and setattr(tx, "stopped_reason", "Local"))
    entries = {e["id"]: e for e in run_cases(pytester, bundled, "CC_E_07", "TC_E_21", strict=True)}
    assert entries["CC_E_07"]["outcome"] == "skipped"
    assert entries["CC_E_07"]["message"].startswith("not applicable: the trigger API does not serve GET "
                                                    "/api/octt/2.0.1/CP201_SP1/transactions/")
    assert entries["TC_E_21"]["outcome"] == "passed"
