"""Block G: availability — ChangeAvailability of the station, an EVSE or a connector, and status reports.

Cases that leave something Inoperative have the CSMS set it Operative again when they
end (a clean-up, not an OCTT step and never part of the verdict), so later cases find a
usable station and a CSMS whose record agrees.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from csmscheck.errors import StepFailed
from csmscheck.expect import ABSENT, assert_matches, step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.model import next_event_id
from csmscheck.station.states import v201 as states
from csmscheck.station.v201 import Payload
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.timestamps import rfc3339

Scope = dict[str, int] | None  # the ChangeAvailability evse field: None is the whole station
UNAVAILABLE_STEP = "Unavailable state: Step 1"


def _expected_evse(scope: Scope) -> object:
    """What the request's evse field must be: absent for the station, no connectorId for a whole EVSE."""
    if scope is None:
        return ABSENT
    return {"id": scope["id"], "connectorId": scope.get("connectorId", ABSENT)}


async def _change_availability(station: Station, csms: Csms, operational_status: str, scope: Scope,
                               answer: str, label: str = "Step 1") -> Payload:
    """The CSMS sends ChangeAvailability for ``scope`` (step ``label``, whose request is validated); the station
    answers ``answer``."""
    payload: Payload = {"operationalStatus": operational_status}
    if scope is not None:
        payload["evse"] = scope
    with step(label):
        async with station.expect("ChangeAvailability", reply={"status": answer}) as got:
            await csms.request(station, "ChangeAvailability", payload)
    assert_matches(got.payload, {"operationalStatus": operational_status, "evse": _expected_evse(scope)},
                   f"{label}: ChangeAvailabilityRequest")
    return got.payload


def _connectors(station: Station, scope: Scope) -> list[tuple[int, int]]:
    """The connectors a scope covers (one connector per EVSE)."""
    if scope is None:
        return [(evse_id, 1) for evse_id in range(1, station.cfg.number_of_evses + 1)]
    return [(scope["id"], scope.get("connectorId", 1))]


async def _report(station: Station, status: str, connectors: list[tuple[int, int]], label: str) -> None:
    """StatusNotification + NotifyEvent(AvailabilityState) per connector; each must be answered."""
    for evse_id, connector_id in connectors:
        with step(f"{label}: connector {connector_id} of EVSE {evse_id}"):
            await states.connector_event(station, status, evse_id, connector_id)


async def _make_operative(station: Station, csms: Csms, scope: Scope) -> None:
    """Clean-up, not an OCTT step: whatever goes wrong here does not change the case's verdict."""
    with suppress(StepFailed):
        await _change_availability(station, csms, "Operative", scope, "Accepted", "Clean-up")
        await _report(station, "Available", _connectors(station, scope), "Clean-up")


@asynccontextmanager
async def _restored(station: Station, csms: Csms, scope: Scope, *, after_success: bool = True) -> AsyncIterator[None]:
    """Have the CSMS set ``scope`` Operative again when the case ends (only if it failed, unless ``after_success``)."""
    try:
        yield
    except Exception:
        with suppress(Exception):  # the case's own failure is what the report must show
            await _make_operative(station, csms, scope)
        raise
    if after_success:
        await _make_operative(station, csms, scope)


def _evse(cfg: Settings) -> Scope:
    return {"id": cfg.evse_id}


def _connector(cfg: Settings) -> Scope:
    return {"id": cfg.evse_id, "connectorId": cfg.connector_id}


@octt("TC_G_03")
async def test_tc_g_03(station: Station, csms: Csms, cfg: Settings) -> None:
    """Change Availability EVSE - Operative to inoperative."""
    async with _restored(station, csms, _evse(cfg)):
        # The reusable state Unavailable, with its tool validation in full (connectorId omitted).
        await _change_availability(station, csms, "Inoperative", _evse(cfg), "Accepted", UNAVAILABLE_STEP)
        await _report(station, "Unavailable", _connectors(station, _evse(cfg)), "Unavailable state: Step 4")


@octt("TC_G_04")
async def test_tc_g_04(station: Station, csms: Csms, cfg: Settings) -> None:
    """Change Availability EVSE - Inoperative to operative."""
    # Memory state: the station holds the EVSE Unavailable (and says so).
    await _report(station, "Unavailable", _connectors(station, _evse(cfg)), "Memory state")
    await _change_availability(station, csms, "Operative", _evse(cfg), "Accepted")
    await _report(station, "Available", _connectors(station, _evse(cfg)), "Step 4")


@octt("TC_G_05")
async def test_tc_g_05(station: Station, csms: Csms) -> None:
    """Change Availability Charging Station - Operative to inoperative."""
    async with _restored(station, csms, None):
        await _change_availability(station, csms, "Inoperative", None, "Accepted")
        await _report(station, "Unavailable", _connectors(station, None), "Step 4")


@octt("TC_G_06")
async def test_tc_g_06(station: Station, csms: Csms) -> None:
    """Change Availability Charging Station - Inoperative to operative."""
    async with _restored(station, csms, None, after_success=False):
        await _change_availability(station, csms, "Inoperative", None, "Accepted", UNAVAILABLE_STEP)
        await _report(station, "Unavailable", _connectors(station, None), "Unavailable state: Step 4")
        await _change_availability(station, csms, "Operative", None, "Accepted")
        await _report(station, "Available", _connectors(station, None), "Step 4")


@octt("TC_G_07")
async def test_tc_g_07(station: Station, csms: Csms, cfg: Settings) -> None:
    """Change Availability Connector - Operative to inoperative."""
    async with _restored(station, csms, _connector(cfg)):
        await _change_availability(station, csms, "Inoperative", _connector(cfg), "Accepted")
        await _report(station, "Unavailable", _connectors(station, _connector(cfg)), "Step 4")


@octt("TC_G_08")
async def test_tc_g_08(station: Station, csms: Csms, cfg: Settings) -> None:
    """Change Availability Connector - Inoperative to operative."""
    await _report(station, "Unavailable", _connectors(station, _connector(cfg)), "Memory state")
    await _change_availability(station, csms, "Operative", _connector(cfg), "Accepted")
    await _report(station, "Available", _connectors(station, _connector(cfg)), "Step 4")


async def _finish_transaction(station: Station) -> None:
    """StopAuthorized, EVConnectedPostSession and EVDisconnected (the OCTT waits the transaction duration first)."""
    await states.stop_authorized(station)
    await states.ev_disconnected(station)


@octt("TC_G_11")
async def test_tc_g_11(station: Station, csms: Csms, cfg: Settings) -> None:
    """Change Availability EVSE - With ongoing transaction."""
    await states.energy_transfer_started(station)
    async with _restored(station, csms, _evse(cfg)):
        await _change_availability(station, csms, "Inoperative", _evse(cfg), "Scheduled")
        await _finish_transaction(station)
        await _report(station, "Unavailable", _connectors(station, _evse(cfg)), "Step 7")


@octt("TC_G_14")
async def test_tc_g_14(station: Station, csms: Csms, cfg: Settings) -> None:
    """Change Availability Charging Station - With ongoing transaction."""
    await states.energy_transfer_started(station)
    async with _restored(station, csms, None):
        await _change_availability(station, csms, "Inoperative", None, "Scheduled")
        busy = (cfg.evse_id, cfg.connector_id)
        await _report(station, "Unavailable", [c for c in _connectors(station, None) if c != busy], "Step 4")
        await _finish_transaction(station)
        await _report(station, "Unavailable", [busy], "Step 9")


@octt("TC_G_17")
async def test_tc_g_17(station: Station, csms: Csms, cfg: Settings) -> None:
    """Change Availability Connector - With ongoing transaction."""
    await states.energy_transfer_started(station)
    async with _restored(station, csms, _connector(cfg)):
        await _change_availability(station, csms, "Inoperative", _connector(cfg), "Scheduled")
        await _finish_transaction(station)
        await _report(station, "Unavailable", _connectors(station, _connector(cfg)), "Step 7")


@octt("TC_G_20", reqs=["G05.FR.03"])
async def test_tc_g_20(station: Station, cfg: Settings) -> None:
    """Connector status Notification - Lock Failure."""
    event = {
        "eventId": next_event_id(), "timestamp": rfc3339(), "trigger": "Delta", "actualValue": "true",
        "eventNotificationType": "HardWiredNotification",
        "component": {"name": "ConnectorPlugRetentionLock",
                      "evse": {"id": cfg.evse_id, "connectorId": cfg.connector_id}},
        "variable": {"name": "Problem"},
    }
    with step("Step 2: NotifyEventResponse"):
        await station.call("NotifyEvent", {"generatedAt": rfc3339(), "seqNo": 0, "eventData": [event]})
