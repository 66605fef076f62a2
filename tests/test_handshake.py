"""WebSocket handshake of the reference CSMS: stations, passwords, subprotocols, security profiles."""

from __future__ import annotations

import ssl

import httpx
import pytest
import websockets
from conftest import PASSWORD, RunningCsms, StationOpener

from csmscheck.station.session import StationSession


async def _refusal(station_id: str, version: str, url: str, *, password: str | None = PASSWORD,
                   ssl_context: ssl.SSLContext | None = None, subprotocols: list[str] | None = None,
                   username: str | None = None) -> websockets.InvalidStatus:
    session = StationSession(station_id, version, timeout=5.0)  # type: ignore[arg-type]
    with pytest.raises(websockets.InvalidStatus) as caught:
        await session.connect(url, password=password, ssl_context=ssl_context, subprotocols=subprotocols,
                              username=username)
    assert not session.connected
    return caught.value


async def _is_connected(csms: RunningCsms, station_id: str) -> bool:
    async with httpx.AsyncClient(base_url=csms.api, timeout=5.0, verify=False) as client:
        response = await client.get(f"/api/stations/{station_id}")
    assert response.status_code == 200, response.text
    connected = response.json()["connected"]
    assert isinstance(connected, bool)
    return connected


# -- security profile 1: ws:// + basic auth ---------------------------------------------


async def test_known_2_0_1_station_with_right_password_connects(reference_csms: RunningCsms,
                                                                open_station: StationOpener) -> None:
    session = await open_station(reference_csms, "CP201_SP1", boot=False)
    assert session.subprotocol == "ocpp2.0.1"
    assert session.connected
    answer = await session.call("BootNotification", {"reason": "PowerUp",
                                                     "chargingStation": {"vendorName": "v", "model": "m"}})
    assert answer["status"] == "Accepted"
    assert await _is_connected(reference_csms, "CP201_SP1")


async def test_known_1_6_station_with_right_password_connects(reference_csms: RunningCsms,
                                                              open_station: StationOpener) -> None:
    session = await open_station(reference_csms, "CP16_SP1", boot=False)
    assert session.subprotocol == "ocpp1.6"
    answer = await session.call("BootNotification", {"chargePointVendor": "v", "chargePointModel": "m"})
    assert answer["status"] == "Accepted"
    assert isinstance(answer["interval"], int) and answer["interval"] > 0


async def test_station_may_offer_several_subprotocols(reference_csms: RunningCsms,
                                                      open_station: StationOpener) -> None:
    session = await open_station(reference_csms, "CP201_SP1", boot=False,
                                 subprotocols=["ocpp0.1", "ocpp1.6", "ocpp2.0.1"])
    assert session.subprotocol == "ocpp2.0.1"


async def test_unknown_station_is_404(reference_csms: RunningCsms) -> None:
    refusal = await _refusal("NO_SUCH_STATION", "2.0.1", reference_csms.endpoints.ws)
    assert refusal.response.status_code == 404


async def test_wrong_password_is_401(reference_csms: RunningCsms) -> None:
    refusal = await _refusal("CP201_SP1", "2.0.1", reference_csms.endpoints.ws,
                             password="wrong-password")
    assert refusal.response.status_code == 401
    assert refusal.response.headers.get("WWW-Authenticate", "").startswith("Basic")
    assert not await _is_connected(reference_csms, "CP201_SP1")


async def test_password_of_another_station_id_is_401(reference_csms: RunningCsms) -> None:
    refusal = await _refusal("CP201_SP1", "2.0.1", reference_csms.endpoints.ws,
                             username="CP16_SP1")
    assert refusal.response.status_code == 401


async def test_no_authorization_header_is_401(reference_csms: RunningCsms) -> None:
    refusal = await _refusal("CP16_SP1", "1.6", reference_csms.endpoints.ws, password=None)
    assert refusal.response.status_code == 401


async def test_no_supported_subprotocol_is_400(reference_csms: RunningCsms) -> None:
    refusal = await _refusal("CP201_SP1", "2.0.1", reference_csms.endpoints.ws,
                             subprotocols=["ocpp0.1"])
    assert refusal.response.status_code == 400


async def test_subprotocol_of_the_other_version_is_400(reference_csms: RunningCsms) -> None:
    refusal = await _refusal("CP201_SP1", "2.0.1", reference_csms.endpoints.ws,
                             subprotocols=["ocpp1.6"])
    assert refusal.response.status_code == 400
    refusal16 = await _refusal("CP16_SP1", "1.6", reference_csms.endpoints.ws,
                               subprotocols=["ocpp2.0.1"])
    assert refusal16.response.status_code == 400


# -- security profile 2: wss:// + basic auth --------------------------------------------


async def test_profile_2_station_over_tls_with_password_connects(reference_csms: RunningCsms,
                                                                 open_station: StationOpener) -> None:
    session = await open_station(reference_csms, "CP202_SP2")
    assert session.subprotocol == "ocpp2.0.1"
    assert reference_csms.endpoints.wss_tls is not None
    assert reference_csms.endpoints.wss_tls.startswith("wss://")
    assert await _is_connected(reference_csms, "CP202_SP2")


async def test_profile_2_station_over_tls_with_wrong_password_is_401(reference_csms: RunningCsms) -> None:
    refusal = await _refusal("CP202_SP2", "2.0.1", reference_csms.url_for(2),
                             password="nope", ssl_context=reference_csms.client_tls())
    assert refusal.response.status_code == 401


async def test_profile_2_station_on_the_plain_listener_is_403(reference_csms: RunningCsms) -> None:
    refusal = await _refusal("CP202_SP2", "2.0.1", reference_csms.endpoints.ws)
    assert refusal.response.status_code == 403


async def test_profile_1_station_on_the_tls_listener_is_403(reference_csms: RunningCsms) -> None:
    refusal = await _refusal("CP201_SP1", "2.0.1", reference_csms.url_for(2),
                             ssl_context=reference_csms.client_tls())
    assert refusal.response.status_code == 403


# -- security profile 3: wss:// + client certificate ------------------------------------


async def test_profile_3_station_with_its_client_certificate_connects(reference_csms: RunningCsms,
                                                                      open_station: StationOpener) -> None:
    session = await open_station(reference_csms, "CP202_SP3")
    assert session.subprotocol == "ocpp2.0.1"
    assert await _is_connected(reference_csms, "CP202_SP3")


async def test_profile_3_1_6_station_with_its_client_certificate_connects(reference_csms: RunningCsms,
                                                                          open_station: StationOpener) -> None:
    session = await open_station(reference_csms, "CP16_SP3")
    assert session.subprotocol == "ocpp1.6"


async def test_profile_3_with_the_certificate_of_another_station_is_403(reference_csms: RunningCsms) -> None:
    refusal = await _refusal("CP202_SP3", "2.0.1", reference_csms.url_for(3), password=None,
                             ssl_context=reference_csms.client_tls("CP16_SP3"))
    assert refusal.response.status_code == 403


async def test_profile_3_station_on_the_profile_2_listener_is_403(reference_csms: RunningCsms) -> None:
    refusal = await _refusal("CP202_SP3", "2.0.1", reference_csms.url_for(2),
                             ssl_context=reference_csms.client_tls())
    assert refusal.response.status_code == 403


@pytest.mark.parametrize("certificate", ["invalid", "none"])
async def test_profile_3_without_a_valid_client_certificate_fails_the_tls_handshake(
        reference_csms: RunningCsms, certificate: str) -> None:
    context = reference_csms.client_tls(invalid_cert=True) if certificate == "invalid" else reference_csms.client_tls()
    session = StationSession("CP202_SP3", "2.0.1", timeout=5.0)
    with pytest.raises((websockets.InvalidHandshake, ssl.SSLError, OSError)) as caught:
        await session.connect(reference_csms.url_for(3), ssl_context=context)
    # the refusal comes from TLS, before any HTTP answer
    assert not isinstance(caught.value, websockets.InvalidStatus)
    assert not session.connected
    assert not await _is_connected(reference_csms, "CP202_SP3")


async def test_a_new_connection_replaces_the_old_one(reference_csms: RunningCsms,
                                                     open_station: StationOpener) -> None:
    first = await open_station(reference_csms, "CP16_SP1")
    second = await open_station(reference_csms, "CP16_SP1")
    assert await first.wait_closed(5.0) == 1000
    answer = await second.call("Heartbeat", {})
    assert "currentTime" in answer
    assert await _is_connected(reference_csms, "CP16_SP1")
