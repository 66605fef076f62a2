"""Proof that the OCPP 1.6 end-to-end sessions (E2E16_nn) fail against a Central System that bills or stores wrongly.

Each test breaks one behaviour of the in-process reference CSMS with ``monkeypatch`` (never
a product flag), runs the matching case and checks that the results.json message names the
step, what was expected and what came.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_DOWN, ROUND_HALF_EVEN

import pytest
from faults import assert_failed, run_case, run_cases, time_of_day_difference

from csmscheck.bundled import BundledCsms
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.handlers.v16 import core
from csmscheck.csms.models import Transaction
from csmscheck.csms.router import ROUTES, Payload
from csmscheck.csms.tariff import CENT, Tariff

CASES = [f"E2E16_{n:02d}" for n in range(1, 11)]


def test_healthy_csms_passes(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    """Without the faults every case passes, on a fresh CSMS and again on the same one (holding the first run's
    sessions): the fault is what fails them."""
    for run in ("fresh", "again"):
        entries = {entry["id"]: entry for entry in run_cases(pytester, bundled, *CASES)}
        assert sorted(entries) == CASES, run
        failed = {case: entry["message"] for case, entry in entries.items() if entry["outcome"] != "passed"}
        assert not failed, (run, failed)


@pytest.mark.parametrize("rounding", [ROUND_HALF_EVEN, ROUND_DOWN])
def test_a_bill_rounded_the_wrong_way_fails_e2e16_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                     monkeypatch: pytest.MonkeyPatch, rounding: str) -> None:
    """The CSMS rounds the half cent to even (banker's rounding) or down: 12,020 Wh at 0.25 is 3.005, billed 3.00."""
    def wrongly_rounded(connection: StationConnection, tx: Transaction) -> float:
        exact = Tariff.from_settings(connection.csms.config.seed).exact_cost(tx.meter_stop_wh - tx.meter_start_wh)
        return float(exact.quantize(CENT, rounding=rounding))

    monkeypatch.setattr(core, "_bill", wrongly_rounded)
    assert_failed(run_case(pytester, bundled, "E2E16_01"), "Step 11: what the Central System stored: read back",
                  "totalCost: expected a cost of 3.01 (the tariff for 12020 Wh is 3.005, rounded half up to the "
                  "cent), got 3.0")


def drop_the_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS keeps the charge point's wall-clock time and drops its UTC offset (02:30+02:00 becomes 02:30Z)."""
    monkeypatch.setattr(core, "_utc", lambda timestamp: datetime.fromisoformat(timestamp).replace(tzinfo=UTC))


def test_times_kept_in_local_wall_clock_fail_the_fall_back_case(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Across the fall-back change the wall clock runs backwards: 50 minutes become minus ten."""
    drop_the_offset(monkeypatch)
    assert_failed(run_case(pytester, bundled, "E2E16_04"), "Step 5: what the Central System stored: read back",
                  "startedAt: expected 2026-10-25T00:30:00.000Z (2026-10-25T02:30:00.000+02:00 on the station's "
                  "clock), got 2026-10-25T02:30:00.000Z", "stoppedAt: expected 2026-10-25T01:20:00.000Z "
                  "(2026-10-25T02:20:00.000+01:00 on the station's clock), got 2026-10-25T02:20:00.000Z",
                  "durationS: expected 3000 s (the time that passed from start to stop), got -600")


def test_times_kept_in_local_wall_clock_fail_the_spring_forward_case(pytester: pytest.Pytester,
                                                                     bundled: BundledCsms,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    drop_the_offset(monkeypatch)
    assert_failed(run_case(pytester, bundled, "E2E16_03"), "Step 5: what the Central System stored: read back",
                  "durationS: expected 3600 s (the time that passed from start to stop), got 7200",
                  "startedAt: expected 2026-03-29T00:30:00.000Z (2026-03-29T01:30:00.000+01:00 on the station's "
                  "clock), got 2026-03-29T01:30:00.000Z")


def test_a_stop_arriving_on_a_new_connection_dropped_fails_e2e16_07(pytester: pytest.Pytester,
                                                                    bundled: BundledCsms,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS keeps its sessions per WebSocket connection: a queued StopTransaction.req delivered after the
    reconnect is acknowledged but never recorded, so the session stays open and unbilled."""
    started_on: dict[int, StationConnection] = {}
    handlers = ROUTES["1.6"].handlers
    real_start, real_stop = handlers["StartTransaction"], handlers["StopTransaction"]

    async def start(connection: StationConnection, request: Payload) -> Payload:
        response = await real_start(connection, request)
        started_on[response["transactionId"]] = connection
        return response

    async def stop(connection: StationConnection, request: Payload) -> Payload:
        if started_on.get(request["transactionId"], connection) is not connection:
            return {}
        return await real_stop(connection, request)

    monkeypatch.setitem(handlers, "StartTransaction", start)
    monkeypatch.setitem(handlers, "StopTransaction", stop)
    assert_failed(run_case(pytester, bundled, "E2E16_07"), "Step 13: what the Central System stored: read back",
                  'stoppedReason: expected "EVDisconnected", got none', "stoppedAt: expected", "got none",
                  "energyWh: expected 14020", "got 11000", "totalCost: expected a cost of 3.51 (the tariff for "
                  "14020 Wh), got none")


def test_a_bill_from_the_last_meter_value_fails_e2e16_09(pytester: pytest.Pytester, bundled: BundledCsms,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS bills the last MeterValues.req's register instead of the StopTransaction.req's meterStop."""
    def billed_from_readings(connection: StationConnection, tx: Transaction) -> float:
        last = tx.meter_last_wh if tx.meter_last_wh is not None else tx.meter_start_wh
        return float(Tariff.from_settings(connection.csms.config.seed).cost(last - tx.meter_start_wh))

    monkeypatch.setattr(core, "_bill", billed_from_readings)
    assert_failed(run_case(pytester, bundled, "E2E16_09"), "Step 11: what the Central System stored: read back",
                  "totalCost: expected a cost of 4.51 (the tariff for 18020 Wh is 4.505, rounded half up to the "
                  "cent), got 4.05")


# With the hourly tariff (a 0.50 fee, 0.25 per kWh, 1.20 per hour) the bill includes the time that passed.
@pytest.mark.parametrize(("case", "times_of_day", "fragment"), [
    # Spring forward: 01:30 to 03:30 on the wall clock is two hours, one passed.
    ("E2E16_03", False, "totalCost: expected a cost of 4.47 (the tariff for 11060 Wh over 60 min is 4.465, rounded "
                        "half up to the cent), got 5.67"),
    # Fall back: 02:30 to 02:20 on the wall clock is minus ten minutes (no time billed), 50 passed.
    ("E2E16_04", False, "totalCost: expected a cost of 3.27 (the tariff for 7060 Wh over 50 min is 3.265, rounded "
                        "half up to the cent), got 2.27"),
    # Across local midnight, 00:25 minus 23:35 is negative: no time billed.
    ("E2E16_02", True, "totalCost: expected a cost of 3.51 (the tariff for 8020 Wh over 50 min is 3.505, rounded "
                       "half up to the cent), got 2.51"),
])
def test_times_kept_in_local_wall_clock_bill_the_wrong_time(
        pytester: pytest.Pytester, bundled_hourly: BundledCsms, monkeypatch: pytest.MonkeyPatch, case: str,
        times_of_day: bool, fragment: str) -> None:
    """With a price per hour, a Central System that keeps wall-clock time bills an hour too much or too little
    across a DST change, and one that also takes the duration as the difference of the times of day bills no
    time across midnight: the read-back's totalCost fails, naming the expected and the wrong cost."""
    drop_the_offset(monkeypatch)
    if times_of_day:
        monkeypatch.setattr(core, "seconds_between", time_of_day_difference)
    assert_failed(run_case(pytester, bundled_hourly, case), "Step 5: what the Central System stored: read back",
                  fragment)
