"""Chapter 3.21 (security), connection set-up: basic-auth password change, basic auth, TLS and mutual TLS."""

from __future__ import annotations

import pytest

from csmscheck.checks import v16 as checks
from csmscheck.errors import StepFailed
from csmscheck.expect import ANY_STR, assert_matches
from csmscheck.pki.probe import host_and_port, server_certificate_problems, tls_endpoint_problems
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v16 as core
from csmscheck.station.states import v16_security as security
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms, relayed_answer
from csmscheck.suite.plugin import StationFactory


@octt("TC_073", chapter="3.21")
async def test_tc_073(station: Station, csms: Csms, cfg: Settings, make_station: StationFactory) -> None:
    """Update Charge Point Password for HTTP Basic Authentication."""
    old_password = station.endpoint.password or cfg.basic_auth_password
    try:
        async with station.expect("ChangeConfiguration", reply={"status": "Accepted"}) as got:
            reply = await csms.request(station, "ChangeConfiguration",
                                       {"key": "AuthorizationKey", "value": security.new_password()})
        assert_matches(got.payload, {"key": "AuthorizationKey", "value": ANY_STR}, "Step 1: ChangeConfiguration.req")
        answer = relayed_answer(reply, "Step 2")
        if answer is not None:
            assert_matches(answer, {"status": "Accepted"}, "Step 2: the CSMS's record of ChangeConfiguration.conf")
        # Step 3: the charge point drops the connection and comes back with the password it was sent.
        await security.reconnect_with(station, security.password_endpoint(station, got.payload["value"]),
                                      "Step 3: reconnecting with the new password")
        await core.booted(station)
        # Beyond the OCTT: the old password no longer opens a connection.
        stale = await make_station("1.6", station.id, connect=False,
                                   endpoint=security.password_endpoint(station, old_password))
        station.findings.check(checks.OLD_PASSWORD_REFUSED, await security.refused(stale) is not None,
                               "the Central System still accepts the old password after it changed AuthorizationKey")
    finally:
        await csms.set_basic_auth_password(station, cfg.basic_auth_password)


@octt("TC_085", chapter="3.21")
async def test_tc_085(make_station: StationFactory, cfg: Settings) -> None:
    """Basic Authentication - Valid username/password combination."""
    station = await make_station("1.6", cfg.cp16_sp1, connect=False)
    await security.reconnect_with(station, station.endpoint, "Step 2: HTTP upgrade with basic authentication")
    if station.session.subprotocol != "ocpp1.6":
        raise StepFailed(f"Step 2: the upgraded connection speaks {station.session.subprotocol!r}, not ocpp1.6")
    await core.boot(station, step="Step 4: BootNotification.conf")
    await core.notify_connectors(station)


async def _profile3_station(make_station: StationFactory, cfg: Settings) -> Station:
    if cfg.target_sp3 is None or cfg.pki_dir is None:
        pytest.skip("needs security profile 3: CSMS_SP3_ADDRESS and CSMSCHECK_PKI_DIR")
    return await make_station("1.6", cfg.cp16_sp3, 3, connect=False)


async def _tls_session(station: Station, step: str, problems: list[str]) -> None:
    """The secured WebSocket, BootNotification and StatusNotifications; then any TLS problem fails ``step``.

    As in the OCTT, the scenario goes on after a failed TLS check and the case fails at the end.
    """
    await security.reconnect_with(station, station.endpoint, "Step 6: secured WebSocket upgrade")
    await core.boot(station, step="Step 8: BootNotification.conf")
    await core.notify_connectors(station)
    if problems:
        raise StepFailed(f"{step}: " + "; ".join(dict.fromkeys(problems)))


@octt("TC_086", chapter="3.21")
async def test_tc_086(make_station: StationFactory, cfg: Settings) -> None:
    """TLS - server-side certificate - Valid certificate."""
    station = await _profile3_station(make_station, cfg)
    url = station.endpoint.url
    problems, handshakes = await tls_endpoint_problems(url, security.tls_client_contexts(station, 3),
                                                       cfg.message_wait)
    hostname = host_and_port(url)[0]
    for handshake in handshakes:
        if handshake.server_certificate is None:
            problems.append("the Central System sent no server certificate")
        else:
            problems += server_certificate_problems(handshake.server_certificate, hostname)
    await _tls_session(station, "Step 2: TLS handshake", problems)


@octt("TC_087", chapter="3.21")
async def test_tc_087(make_station: StationFactory, cfg: Settings) -> None:
    """TLS - Client-side certificate - valid certificate."""
    station = await _profile3_station(make_station, cfg)
    problems, _ = await tls_endpoint_problems(station.endpoint.url, security.tls_client_contexts(station, 3),
                                              cfg.message_wait)
    await _tls_session(station, "Step 3: TLS handshake with a client certificate", problems)
