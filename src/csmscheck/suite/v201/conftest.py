"""Stations for the OCPP 2.0.1 cases: CP201_SP1 over security profile 1 unless a case says otherwise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import suppress

import pytest_asyncio

from csmscheck.errors import StepFailed
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v201 as states
from csmscheck.suite import stored as _stored  # noqa: F401  (reads back what the CSMS stored after a transaction)
from csmscheck.suite.plugin import StationFactory


@pytest_asyncio.fixture
async def unbooted_station(make_station: StationFactory, cfg: Settings) -> AsyncIterator[Station]:
    """Connected, nothing sent yet.

    Afterwards a transaction the case left running is ended, so a long-running CSMS is
    left with none open for the next case.
    """
    station = await make_station("2.0.1", cfg.cp201_sp1)
    yield station
    tx = station.model.transaction
    if tx is not None and tx.started and station.model.booted and station.session.connected:
        with suppress(StepFailed):
            await states.send_event(station, "Ended", "EVCommunicationLost", charging_state="Idle",
                                    stopped_reason="EVDisconnected", meter_context="Transaction.End")


@pytest_asyncio.fixture
async def station(unbooted_station: Station) -> Station:
    """Connected and in the reusable state Booted (the OCTT's general precondition)."""
    await states.booted(unbooted_station)
    return unbooted_station


@pytest_asyncio.fixture
async def held(unbooted_station: Station) -> AsyncIterator[list[int]]:
    """Ids of the reservations the station holds; those still held when the case ends, the
    station drops (ReservationStatusUpdate Removed), so no reservation outlives its case."""
    ids: list[int] = []
    yield ids
    for reservation_id in ids:
        if unbooted_station.session.connected:
            with suppress(StepFailed):
                await unbooted_station.call("ReservationStatusUpdate", {
                    "reservationId": reservation_id, "reservationUpdateStatus": "Removed"})
