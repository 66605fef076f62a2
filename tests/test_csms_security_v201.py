"""The reference CSMS's OCPP 2.0.1 block A logic, driven by raw station sessions and the trigger API.

The basic-auth password changes only when the station accepted it; an accepted network profile
whose slot the station then puts first moves the station to its higher security profile (both
admitted until it first connects with the new one, then only that); operator requests that would
lower the profile or do not fit it are refused (400) and never sent; the TLS listeners refuse TLS 1.1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from conftest import PASSWORD, CsmsStarter, RunningCsms, StationOpener
from trigger_calls import refused, relayed

from csmscheck.csms.handlers.v201.security import connection_data_problems, priority_slots
from csmscheck.pki.legacy_tls import offer_legacy_tls
from csmscheck.pki.probe import host_and_port
from csmscheck.station.session import StationSession

STATION = "CP201_SP1"
NEW_PASSWORD = "fedcba9876543210fedcba9876543210"
Payload = dict[str, Any]


@pytest.fixture
async def csms(start_csms: CsmsStarter) -> RunningCsms:
    return start_csms()


@pytest.fixture
async def api(csms: RunningCsms) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=csms.api, timeout=10.0) as client:
        yield client


async def _refused(api: httpx.AsyncClient, station: StationSession, path: str, payload: Payload) -> str:
    """The reasons of the refusal, as one text."""
    return " ".join(await refused(api, station, path, payload))


async def _status_of(csms: RunningCsms, profile: int, password: str, station_id: str = STATION) -> int:
    """101 when the listener of ``profile`` upgrades the station's connection, else the HTTP status it answered."""
    session = StationSession(station_id, "2.0.1", timeout=5.0)
    try:
        await session.connect(csms.url_for(profile), password=password,
                              ssl_context=csms.client_tls() if profile >= 2 else None)
    except websockets.InvalidStatus as exc:
        return exc.response.status_code
    await session.close()
    return 101


def _password(value: str) -> Payload:
    return {"setVariableData": [{"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"},
                                 "attributeValue": value}]}


def _answer(status: str, component: str, variable: str) -> Payload:
    return {"setVariableResult": [{"attributeStatus": status, "component": {"name": component},
                                   "variable": {"name": variable}}]}


def _network_profile(csms: RunningCsms, slot: int, profile: int, **changes: Any) -> Payload:
    data = {"messageTimeout": 30, "ocppCsmsUrl": csms.url_for(profile) if profile > 1 else csms.url_for(1),
            "ocppInterface": "Wired0", "ocppTransport": "JSON", "ocppVersion": "OCPP20", "securityProfile": profile}
    return {"configurationSlot": slot, "connectionData": data | changes}


def _priority(value: str) -> Payload:
    return {"setVariableData": [{"component": {"name": "OCPPCommCtrlr"},
                                 "variable": {"name": "NetworkConfigurationPriority"}, "attributeValue": value}]}


# -- the basic-auth password ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["Accepted", "RebootRequired"])
async def test_a_password_the_station_takes_replaces_the_old_one(csms: RunningCsms, api: httpx.AsyncClient,
                                                                 open_station: StationOpener, status: str) -> None:
    station = await open_station(csms, STATION)
    await relayed(api, station, "SetVariables", _password(NEW_PASSWORD), _answer(status, "SecurityCtrlr",
                                                                                "BasicAuthPassword"))
    await station.close()
    assert await _status_of(csms, 1, NEW_PASSWORD) == 101
    assert await _status_of(csms, 1, PASSWORD) == 401


async def test_a_password_the_station_rejects_changes_nothing(csms: RunningCsms, api: httpx.AsyncClient,
                                                              open_station: StationOpener) -> None:
    station = await open_station(csms, STATION)
    await relayed(api, station, "SetVariables", _password(NEW_PASSWORD),
                _answer("Rejected", "SecurityCtrlr", "BasicAuthPassword"))
    await station.close()
    assert await _status_of(csms, 1, PASSWORD) == 101
    assert await _status_of(csms, 1, NEW_PASSWORD) == 401


async def test_the_dialects_password_update_takes_effect_only_when_accepted(
        csms: RunningCsms, api: httpx.AsyncClient, open_station: StationOpener) -> None:
    station = await open_station(csms, STATION)
    async with station.expect("SetVariables", reply=_answer("Rejected", "SecurityCtrlr", "BasicAuthPassword")):
        response = await api.post(f"/api/octt/2.0.1/{STATION}/update-basic-auth-password", json={})
    assert response.json()["result"] == [{"status": "Rejected"}]
    await station.close()
    assert await _status_of(csms, 1, PASSWORD) == 101


# -- the security profile upgrade ---------------------------------------------------------------------


async def _move_to_profile_2(csms: RunningCsms, api: httpx.AsyncClient, station: StationSession) -> None:
    await relayed(api, station, "SetNetworkProfile", _network_profile(csms, 1, 2), {"status": "Accepted"})
    await relayed(api, station, "SetVariables", _priority("1"),
                _answer("Accepted", "OCPPCommCtrlr", "NetworkConfigurationPriority"))


async def test_an_accepted_priority_of_a_higher_profile_moves_the_station_up(
        csms: RunningCsms, api: httpx.AsyncClient, open_station: StationOpener) -> None:
    station = await open_station(csms, STATION)
    assert await _status_of(csms, 2, PASSWORD) == 403  # not before the move
    await _move_to_profile_2(csms, api, station)
    await station.close()
    assert await _status_of(csms, 1, PASSWORD) == 101  # the old profile until it connects with the new one
    assert await _status_of(csms, 2, PASSWORD) == 101  # ... which makes the move final
    assert await _status_of(csms, 1, PASSWORD) == 403
    assert await _status_of(csms, 2, PASSWORD) == 101
    detail = (await api.get(f"/api/stations/{STATION}")).json()
    assert detail["securityProfile"] == 2


async def test_the_operator_sets_the_profile_back(csms: RunningCsms, api: httpx.AsyncClient,
                                                  open_station: StationOpener) -> None:
    station = await open_station(csms, STATION)
    await _move_to_profile_2(csms, api, station)
    await station.close()
    assert await _status_of(csms, 2, PASSWORD) == 101
    response = await api.post(f"/api/octt/2.0.1/{STATION}/set-security-profile", json={"security_profile": 1})
    assert response.status_code == 200, response.text
    assert await _status_of(csms, 1, PASSWORD) == 101
    assert await _status_of(csms, 2, PASSWORD) == 403


@pytest.mark.parametrize(("profile_answer", "priority", "priority_answer"), [
    ("Rejected", "1", "Accepted"),  # the station never held the profile
    ("Accepted", "1", "Rejected"),  # it kept its priority
    ("Accepted", "0,1", "Accepted"),  # the new slot is not first
    ("Accepted", "7", "Accepted"),  # a slot the CSMS set nothing in
])
async def test_no_move_without_the_new_slot_first(csms: RunningCsms, api: httpx.AsyncClient,
                                                  open_station: StationOpener, profile_answer: str, priority: str,
                                                  priority_answer: str) -> None:
    station = await open_station(csms, STATION)
    await relayed(api, station, "SetNetworkProfile", _network_profile(csms, 1, 2), {"status": profile_answer})
    await relayed(api, station, "SetVariables", _priority(priority),
                _answer(priority_answer, "OCPPCommCtrlr", "NetworkConfigurationPriority"))
    await station.close()
    assert await _status_of(csms, 2, PASSWORD) == 403
    assert await _status_of(csms, 1, PASSWORD) == 101


async def test_requests_that_would_lower_or_misfit_the_profile_are_refused(
        csms: RunningCsms, api: httpx.AsyncClient, open_station: StationOpener) -> None:
    station = await open_station(csms, "CP202_SP2")
    assert "lower than the station's security profile 2" in await _refused(
        api, station, "set-network-profile", _network_profile(csms, 1, 1))
    assert "runs over TLS" in await _refused(
        api, station, "set-network-profile", _network_profile(csms, 1, 2, ocppCsmsUrl="ws://127.0.0.1:1/ocpp"))
    assert "not a ws:// or wss:// URL" in await _refused(
        api, station, "set-network-profile", _network_profile(csms, 1, 2, ocppCsmsUrl="https://csms.test/ocpp"))
    assert "JSON" in await _refused(api, station, "set-network-profile",
                                    _network_profile(csms, 1, 2, ocppTransport="SOAP"))
    assert "OCPP 1.6 and 2.0.1 only" in await _refused(api, station, "set-network-profile",
                                                       _network_profile(csms, 1, 3, ocppVersion="OCPP15"))
    assert "not a comma-separated list" in await _refused(api, station, "set-variables", _priority("first"))
    await relayed(api, station, "SetNetworkProfile", _network_profile(csms, 2, 3), {"status": "Accepted"})


async def test_a_priority_putting_a_lower_profile_first_is_refused(csms: RunningCsms, api: httpx.AsyncClient,
                                                                   open_station: StationOpener) -> None:
    station = await open_station(csms, STATION)
    await relayed(api, station, "SetNetworkProfile", _network_profile(csms, 0, 1), {"status": "Accepted"})
    await _move_to_profile_2(csms, api, station)
    await station.close()
    assert await _status_of(csms, 2, PASSWORD) == 101
    upgraded = await open_station(csms, STATION, ssl_context=csms.client_tls(), url=csms.url_for(2))
    assert "slot 0 first, which holds security profile 1" in await _refused(
        api, upgraded, "set-variables", _priority("0,1"))
    await relayed(api, upgraded, "SetVariables", _priority("1,0"),
                _answer("Accepted", "OCPPCommCtrlr", "NetworkConfigurationPriority"))


# -- TLS version -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", [2, 3])
async def test_the_tls_listeners_refuse_tls_1_1(csms: RunningCsms, profile: int) -> None:
    host, port = host_and_port(csms.url_for(profile))
    hello = await offer_legacy_tls(host, port, 5.0)
    assert hello.refused, hello.how


# -- pure rules -------------------------------------------------------------------------------------------


def test_priority_slots() -> None:
    assert priority_slots("1") == [1]
    assert priority_slots("2,0,1") == [2, 0, 1]
    assert priority_slots("") is None
    assert priority_slots("1,x") is None
    assert priority_slots("-1") is None


def test_connection_data_problems() -> None:
    data = {"messageTimeout": 30, "ocppCsmsUrl": "wss://csms.test/ocpp", "ocppInterface": "Wired0",
            "ocppTransport": "JSON", "ocppVersion": "OCPP20", "securityProfile": 2}
    assert connection_data_problems(data, 1) == []
    assert connection_data_problems(data, 2) == []
    assert connection_data_problems(data, None) == []
    assert "lower than the station's security profile 3" in connection_data_problems(data, 3)[0]
    assert connection_data_problems(data | {"securityProfile": 1, "ocppCsmsUrl": "ws://csms.test/ocpp"}, 1) == []
    assert connection_data_problems(data | {"securityProfile": 0}, 1)[0].startswith("connectionData.securityProfile 0")
