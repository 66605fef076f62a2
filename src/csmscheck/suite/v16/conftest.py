"""Stations for the OCPP 1.6J cases: CP16_SP1 over security profile 1 unless a case says otherwise."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v16 as states
from csmscheck.suite import stored as _stored  # noqa: F401  (reads back what the CSMS stored after a transaction)
from csmscheck.suite.plugin import StationFactory


@pytest_asyncio.fixture
async def unbooted_station(make_station: StationFactory, cfg: Settings) -> AsyncIterator[Station]:
    """Connected, nothing sent yet; its configuration keys answer GetConfiguration/ChangeConfiguration.

    Afterwards a transaction the case left running is stopped (reason Local) and the
    connector freed (back online first if the case left the station offline), so the next
    case finds the Central System with no open transaction.
    """
    station = await make_station("1.6", cfg.cp16_sp1)
    states.configuration(station)
    yield station
    if station.model.transaction is not None and station.model.booted:
        if not station.session.connected:
            await states.restore_connection(station)
        await states.stop_and_unplug(station, "Local", steps=(
            "Clean-up: StopTransaction.conf", "Clean-up: StatusNotification.conf (Finishing)",
            "Clean-up: StatusNotification.conf (Available)"))


@pytest_asyncio.fixture
async def station(unbooted_station: Station) -> Station:
    """Connected and in the reusable state Booted (the OCTT's general precondition)."""
    await states.booted(unbooted_station)
    return unbooted_station
