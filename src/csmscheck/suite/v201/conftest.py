"""Stations for the OCPP 2.0.1 cases: CP201_SP1 over security profile 1 unless a case says otherwise."""

from __future__ import annotations

import pytest_asyncio

from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v201 as states
from csmscheck.suite.plugin import StationFactory


@pytest_asyncio.fixture
async def unbooted_station(make_station: StationFactory, cfg: Settings) -> Station:
    """Connected, nothing sent yet."""
    return await make_station("2.0.1", cfg.cp201_sp1)


@pytest_asyncio.fixture
async def station(unbooted_station: Station) -> Station:
    """Connected and in the reusable state Booted (the OCTT's general precondition)."""
    await states.booted(unbooted_station)
    return unbooted_station
