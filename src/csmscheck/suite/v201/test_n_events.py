"""Block N, events: the station's NotifyEvents of its monitors, answered by the CSMS (N07, N08).

The station sends each event from a monitor it holds (``station.monitoring``): hard-wired,
pre-configured or periodic. The CSMS answers every NotifyEventRequest with an empty
NotifyEventResponse: the OCTT verdict where the definition validates it, csmscheck check
CSC-201-N-03 where it validates nothing.
"""

from __future__ import annotations

from csmscheck.expect import step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v201 as states
from csmscheck.suite.marks import octt
from csmscheck.suite.v201.monitoring_steps import (
    CHARGING_STATION,
    POWER,
    answered_empty,
    monitor,
    over_power,
)


@octt("TC_N_21", reqs=["N07.FR.03"])
async def test_tc_n_21(station: Station) -> None:
    """Alert Event - HardWiredMonitor."""
    alarm = over_power()
    station.monitoring.hold(alarm)
    event = station.monitoring.event(alarm, "Alerting", "23000")
    await answered_empty(station, event, "Step 1/2", verdict=True)


@octt("TC_N_24", reqs=["N08.FR.02"])
async def test_tc_n_24(station: Station, cfg: Settings) -> None:
    """Set Variable Monitoring - Periodic event."""
    reading = monitor(3, CHARGING_STATION, POWER, "Periodic", 60.0, severity=8)
    station.monitoring.hold(reading)
    for n in range(cfg.periodic_events):  # steps 1 and 2, n times
        event = station.monitoring.event(reading, "Periodic", str(7400 + n))
        await answered_empty(station, event, f"Step 1/2 (event {n + 1} of {cfg.periodic_events})", verdict=True)


@octt("TC_N_48")
async def test_tc_n_48(station: Station) -> None:
    """Alert Event - Variable monitoring on write only."""
    # A write-only variable (the basic-auth password) changed: its value is never told, so actualValue is empty.
    watch = monitor(4, {"name": "SecurityCtrlr"}, {"name": "BasicAuthPassword"}, "Delta", severity=3)
    station.monitoring.hold(watch)
    await answered_empty(station, station.monitoring.event(watch, "Delta", ""), "Step 1/2", verdict=False)


@octt("TC_N_49")
async def test_tc_n_49(station: Station) -> None:
    """Alert Event - LowerThreshold/UpperThreshold cleared after reboot."""
    alarm = over_power()
    station.monitoring.hold(alarm)
    # The threshold was exceeded before the station rebooted; after the reboot the power is back below it.
    with step("Before step 1: the station reboots"):
        await station.reconnect()
    await states.booted(station, "PowerUp")
    event = station.monitoring.event(alarm, "Alerting", "0", cleared=True)
    await answered_empty(station, event, "Step 1/2", verdict=False)


@octt("TC_N_50")
async def test_tc_n_50(station: Station) -> None:
    """Alert Event - Periodic Triggered."""
    reading = monitor(3, CHARGING_STATION, POWER, "Periodic", 60.0, severity=8)
    station.monitoring.hold(reading)
    await answered_empty(station, station.monitoring.event(reading, "Periodic", "7400"), "Step 1/2", verdict=False)
