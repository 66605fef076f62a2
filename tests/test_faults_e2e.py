"""Proof that the OCPP 2.0.1 end-to-end sessions fail against a deliberately broken CSMS.

Each test breaks the in-process reference CSMS in one way real CSMSs get wrong (patched here
with monkeypatch, never a product flag): a bill rounded the wrong way at half a cent, times
kept as wall-clock time without their UTC offset, events a station queued offline thrown
away, a session without energy billed nothing at all. The e2e case that covers it fails (it
is no finding: e2e failures fail the run) naming the step, what was expected and what came.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

import pytest
from faults import assert_failed, run_case, run_cases, time_of_day_difference

from csmscheck.bundled import BundledCsms
from csmscheck.csms import tariff, transaction_events
from csmscheck.csms.authorization import TokenVerdict
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.handlers.v201 import cost
from csmscheck.csms.handlers.v201 import transactions as transaction_handler
from csmscheck.csms.router import ROUTES, Payload
from csmscheck.csms.store import Store

E2E_201 = [f"E2E_0{n}" for n in range(1, 10)]
# E2E_01 bills 17060 Wh at the default 0.25 per kWh: 4.265, which is 4.27 rounded half up and 4.26 any other way.
FULL_LIFECYCLE_BILL = "Step 10: TransactionEvent (Ended, stopped by the driver): TransactionEventResponse: totalCost"


def test_healthy_csms_passes_every_e2e_session(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    """Against a fresh CSMS, then again against the same one holding the first run's sessions; the last cases
    alone."""
    for _run in range(2):
        entries = run_cases(pytester, bundled, "2.0.1/e2e")
        assert sorted(e["id"] for e in entries) == E2E_201
        assert all(e["outcome"] == "passed" and not e.get("findings") for e in entries), entries
    for case in ("E2E_09", "E2E_05"):
        assert run_case(pytester, bundled, case)["outcome"] == "passed", case


@pytest.mark.parametrize("rounding", [ROUND_DOWN, ROUND_HALF_EVEN])
def test_a_bill_rounded_the_wrong_way_fails_e2e_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                   monkeypatch: pytest.MonkeyPatch, rounding: str) -> None:
    def rounded_wrongly(self: tariff.Tariff, energy_wh: float, seconds: float | None = 0.0) -> Decimal:
        return self.exact_cost(energy_wh, seconds).quantize(tariff.CENT, rounding=rounding)

    monkeypatch.setattr(tariff.Tariff, "cost", rounded_wrongly)
    assert_failed(run_case(pytester, bundled, "E2E_01"), FULL_LIFECYCLE_BILL,
                  "expected a cost of 4.27 (the tariff for 17060 Wh is 4.265, rounded half up to the cent), got 4.26")


def _wall_clock(value: str) -> datetime:
    """A naive CSMS's reading of a timestamp: the station's wall-clock time, its UTC offset dropped."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=UTC)


@pytest.mark.parametrize(("case", "step", "fragments"), [
    ("E2E_03", "Step 5: read back transaction", [
        "startedAt: expected 2026-03-29T00:40:00.000Z (2026-03-29T01:40:00.000+01:00 on the station's clock), got "
        "2026-03-29T01:40:00.000Z",
        "stoppedAt: expected 2026-03-29T01:25:00.000Z (2026-03-29T03:25:00.000+02:00 on the station's clock), got "
        "2026-03-29T03:25:00.000Z",
        "durationS: expected 2700 s (the time that passed from start to stop), got 6300"]),
    # Read as wall-clock time, the reading at 02:05+01:00 (after the clocks went back) comes before the start at
    # 02:20+02:00: the naive CSMS starts the session there.
    ("E2E_04", "Step 7: read back transaction", [
        "startedAt: expected 2026-10-25T00:20:00.000Z (2026-10-25T02:20:00.000+02:00 on the station's clock), got "
        "2026-10-25T02:05:00.000Z",
        "stoppedAt: expected 2026-10-25T01:40:00.000Z (2026-10-25T02:40:00.000+01:00 on the station's clock), got "
        "2026-10-25T02:40:00.000Z",
        "durationS: expected 4800 s (the time that passed from start to stop), got 2100"]),
])
def test_times_kept_in_local_wall_clock_time_fail_the_dst_sessions(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch, case: str, step: str,
        fragments: list[str]) -> None:
    monkeypatch.setattr(transaction_events, "parse_time", _wall_clock)
    assert_failed(run_case(pytester, bundled, case), step, *fragments)


def test_offline_events_thrown_away_fail_e2e_07(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS acknowledges the events a station queued offline but never applies them."""
    real = transaction_handler.record_event

    async def live_only(store: Store, station_id: str, request: Payload,
                        verdict: TokenVerdict | None = None) -> transaction_events.Recorded:
        if request.get("offline"):
            return transaction_events.Recorded(0, replay=True)
        return await real(store, station_id, request, verdict)

    monkeypatch.setattr(transaction_handler, "record_event", live_only)
    # What it bills is the energy of the live events alone: 2804 of the 14020 Wh.
    assert_failed(run_case(pytester, bundled, "E2E_07"),
                  "Step 9: queued TransactionEvent (Ended, seqNo 5): TransactionEventResponse: totalCost: expected a "
                  "cost of 3.51 (the tariff for 14020 Wh is 3.505, rounded half up to the cent), got 0.7")


def test_a_session_without_energy_billed_nothing_fails_e2e_06(pytester: pytest.Pytester, bundled: BundledCsms,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS leaves the final cost out when nothing was charged (I03 asks for it all the same)."""
    observers = ROUTES["2.0.1"].observers["TransactionEvent"]

    async def no_cost_for_nothing(connection: StationConnection, request: Payload, response: Payload) -> None:
        await cost.transaction_cost(connection, request, response)
        if response.get("totalCost") == 0:
            del response["totalCost"]

    monkeypatch.setitem(ROUTES["2.0.1"].observers, "TransactionEvent",
                        [no_cost_for_nothing if o is cost.transaction_cost else o for o in observers])
    assert_failed(run_case(pytester, bundled, "E2E_06"),
                  "Step 4: TransactionEvent (Ended, cable unplugged): TransactionEventResponse: totalCost: expected a "
                  "cost of 0.00 (the tariff for 0 Wh), got none")


# With the hourly tariff (a 0.50 fee, 0.25 per kWh, 1.20 per hour) the bill includes the time that passed.
@pytest.mark.parametrize(("case", "times_of_day", "fragment"), [
    # Spring forward: 01:40 to 03:25 on the wall clock is 1 h 45, 45 minutes passed.
    ("E2E_03", False, "Step 4: TransactionEvent (Ended): TransactionEventResponse: totalCost: expected a cost of "
                      "2.91 (the tariff for 6020 Wh over 45 min is 2.905, rounded half up to the cent), got 4.11"),
    # Fall back: the naive CSMS starts the session at 02:05 (a reading after the clocks went back), stops at 02:40.
    ("E2E_04", False, "Step 6: TransactionEvent (Ended): TransactionEventResponse: totalCost: expected a cost of "
                      "3.61 (the tariff for 6020 Wh over 80 min is 3.605, rounded half up to the cent), got 2.71"),
    # Across local midnight, 00:55 minus 23:20 is negative: no time billed.
    ("E2E_02", True, "Step 1 (America/Bogota, across local midnight): TransactionEvent (Ended): "
                     "TransactionEventResponse: totalCost: expected a cost of 4.83 (the tariff for 9700 Wh over 95 min "
                     "is 4.825, rounded half up to the cent), got 2.93"),
])
def test_times_kept_in_local_wall_clock_time_bill_the_wrong_time(
        pytester: pytest.Pytester, bundled_hourly: BundledCsms, monkeypatch: pytest.MonkeyPatch, case: str,
        times_of_day: bool, fragment: str) -> None:
    """With a price per hour, a CSMS that keeps wall-clock time bills an hour too much or too little across a DST
    change, and one that also takes the duration as the difference of the times of day bills no time across
    midnight: the Ended event's bill fails, naming the expected and the wrong cost."""
    monkeypatch.setattr(transaction_events, "parse_time", _wall_clock)
    if times_of_day:
        monkeypatch.setattr(cost, "seconds_between", time_of_day_difference)
    assert_failed(run_case(pytester, bundled_hourly, case), fragment)
