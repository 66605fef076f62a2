"""The reference CSMS bills OCPP 1.6 sessions: the tariff for meterStop - meterStart, kept on the transaction.

Seen from a station and read back through the trigger API (``totalCost``) and the database:
a cost at half a cent rounds up, a stop sent twice is billed once, a register that went
backwards costs the session fee alone, a session started and stopped offline (its
StartTransaction arriving after the session ended) is billed all the same, and the bill
survives a restart.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import DEFAULTS, CsmsStarter, RunningCsms, StationOpener

from csmscheck.settings import Settings
from csmscheck.station.v16 import start_transaction, stop_transaction

VALID = DEFAULTS.valid_id_token
TARIFF = Settings(tariff_price_per_kwh=0.25, tariff_session_fee=0.5)  # 20 Wh cost half a cent


@pytest.fixture
def billing_csms(start_csms: CsmsStarter) -> RunningCsms:
    return start_csms(seed=TARIFF)


def ago(minutes: float) -> datetime:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).replace(microsecond=0)


async def read_back(csms: RunningCsms, transaction_id: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=csms.api, timeout=10.0) as client:
        response = await client.get(f"/api/octt/1.6/CP16_SP1/transactions/{transaction_id}")
    assert response.status_code == 200, response.text
    stored: dict[str, Any] = response.json()
    return stored


async def session(csms: RunningCsms, open_station: StationOpener, meter_start: int, meter_stop: int,
                  *, stops: int = 1) -> int:
    """A session of CP16_SP1 on connector 1 that ended ten minutes ago; returns its transaction id."""
    station = await open_station(csms, "CP16_SP1")
    started = await station.call("StartTransaction", start_transaction(1, VALID, meter_start, timestamp=ago(40)))
    transaction_id: int = started["transactionId"]
    for _ in range(stops):
        await station.call("StopTransaction", stop_transaction(transaction_id, meter_stop, "Local",
                                                               timestamp=ago(10)))
    return transaction_id


async def test_a_stop_bills_the_tariff_rounded_half_up(billing_csms: RunningCsms,
                                                       open_station: StationOpener) -> None:
    """12,020 Wh at 0.25 per kWh plus 0.50 is 3.505: billed 3.51 (half up), never 3.50."""
    transaction_id = await session(billing_csms, open_station, 1_000_000, 1_012_020)
    stored = await read_back(billing_csms, transaction_id)
    assert stored["energyWh"] == 12_020
    assert stored["totalCost"] == pytest.approx(3.51, abs=1e-9)


async def test_a_stop_sent_twice_is_billed_once(billing_csms: RunningCsms, open_station: StationOpener) -> None:
    station = await open_station(billing_csms, "CP16_SP1")
    started = await station.call("StartTransaction", start_transaction(1, VALID, 5_000, timestamp=ago(30)))
    transaction_id = started["transactionId"]
    await station.call("StopTransaction", stop_transaction(transaction_id, 9_000, "Local", timestamp=ago(5)))
    # The same transaction stopped again, later and with more energy (a confused charge point): nothing changes.
    await station.call("StopTransaction", stop_transaction(transaction_id, 99_000, "Remote", timestamp=ago(1)))
    stored = await read_back(billing_csms, transaction_id)
    assert (stored["totalCost"], stored["meterStopWh"], stored["stoppedReason"]) == (pytest.approx(1.5), 9_000,
                                                                                       "Local")


async def test_a_register_that_went_backwards_costs_the_session_fee(billing_csms: RunningCsms,
                                                                      open_station: StationOpener) -> None:
    transaction_id = await session(billing_csms, open_station, 80_000, 70_000)
    assert (await read_back(billing_csms, transaction_id))["totalCost"] == pytest.approx(0.5)


async def test_a_zero_energy_session_costs_the_session_fee(billing_csms: RunningCsms,
                                                           open_station: StationOpener) -> None:
    transaction_id = await session(billing_csms, open_station, 42_000, 42_000)
    assert (await read_back(billing_csms, transaction_id))["totalCost"] == pytest.approx(0.5)


async def test_a_session_whose_start_arrives_after_it_ended_is_billed(billing_csms: RunningCsms,
                                                                      open_station: StationOpener) -> None:
    """Started and stopped offline: the StartTransaction.req arrives after the session ended, the stop after it."""
    station = await open_station(billing_csms, "CP16_SP1")
    started = await station.call("StartTransaction", start_transaction(1, VALID, 300, timestamp=ago(90)))
    assert (await read_back(billing_csms, started["transactionId"]))["totalCost"] is None  # running: no bill yet
    await station.call("StopTransaction", stop_transaction(started["transactionId"], 4_300, "Local",
                                                           timestamp=ago(60)))
    stored = await read_back(billing_csms, started["transactionId"])
    assert stored["totalCost"] == pytest.approx(1.5)  # 4 kWh at 0.25 + 0.50


async def test_the_bill_survives_a_restart(start_csms: CsmsStarter, open_station: StationOpener) -> None:
    first = start_csms(seed=TARIFF)
    transaction_id = await session(first, open_station, 10_000, 10_020)  # 0.505 → 0.51
    first.stop()
    again = start_csms(db_path=first.db_path, seed=TARIFF)
    assert (await read_back(again, transaction_id))["totalCost"] == pytest.approx(0.51)
