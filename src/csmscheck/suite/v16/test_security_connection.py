"""Chapter 3.21 (security), connection set-up: basic-auth password change, basic auth, TLS and mutual TLS."""

from __future__ import annotations

from contextlib import suppress

from csmscheck.checks import v16 as checks
from csmscheck.errors import NotApplicable, StepFailed
from csmscheck.expect import assert_matches, step
from csmscheck.pki.probe import host_and_port, server_certificate_problems, tls_endpoint_problems
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v16 as core
from csmscheck.station.states import v16_security as security
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.plugin import StationFactory
from csmscheck.suite.v16.csms_calls import check_relayed, csms_sends


@octt("TC_073", chapter="3.21")
async def test_tc_073(station: Station, csms: Csms, cfg: Settings, make_station: StationFactory) -> None:
    """Update Charge Point Password for HTTP Basic Authentication."""
    old_password = station.endpoint.password or cfg.basic_auth_password

    async def restore_password() -> None:
        with step("Clean-up: the station's basic-auth password set back"):
            await csms.set_basic_auth_password(station, cfg.basic_auth_password)

    try:
        sent = await csms_sends(station, csms, "ChangeConfiguration",
                                {"key": "AuthorizationKey", "value": security.new_password()},
                                "Step 1: ChangeConfiguration.req", reply={"status": "Accepted"})
        assert_matches(sent.payload, {"key": "AuthorizationKey"}, "Step 1: ChangeConfiguration.req")
        check_relayed(station, sent, "Step 2: ChangeConfiguration.conf")
        # Step 3: the charge point drops the connection and comes back with the password it was sent
        # (a reconnection, not a reboot: the OCTT sends no BootNotification).
        await security.reconnect_with(station, security.password_endpoint(station, str(sent.payload["value"])),
                                      "Step 3: reconnecting with the new password")
        # Beyond the OCTT: the old password no longer opens a connection.
        stale = await make_station("1.6", station.id, connect=False,
                                   endpoint=security.password_endpoint(station, old_password))
        station.findings.check(checks.OLD_PASSWORD_REFUSED, await security.refused(stale) is not None,
                               "After step 3: the Central System still accepts the old password after it changed "
                               "AuthorizationKey")
    except BaseException:
        with suppress(Exception):  # the case's own failure is the one to report
            await restore_password()
        raise
    await restore_password()


@octt("TC_085", chapter="3.21")
async def test_tc_085(make_station: StationFactory, cfg: Settings) -> None:
    """Basic Authentication - Valid username/password combination."""
    station = await make_station("1.6", cfg.cp16_sp1, connect=False)
    await security.reconnect_with(station, station.endpoint, "Step 2: HTTP upgrade with basic authentication")
    _check_subprotocol(station, "Step 2: HTTP upgrade with basic authentication")
    # The OCTT validates nothing of this case but that it runs: the boot's status is a csmscheck check.
    boot = await core.boot(station, step="Step 4: BootNotification.conf", expect_status=None)
    core.check_boot_accepted(station, boot, "Step 4: BootNotification.conf")
    await core.notify_connectors(station, step="Step 6: StatusNotification.conf")


def _check_subprotocol(station: Station, step: str) -> None:
    """csmscheck check CSC-16-SEC-02: the upgraded connection speaks ocpp1.6."""
    chosen = station.session.subprotocol
    station.findings.check(checks.SUBPROTOCOL_SELECTED, chosen == "ocpp1.6",
                           f"{step}: expected the Central System to select the subprotocol ocpp1.6, "
                           f"got {chosen or 'none'}")


async def _profile3_station(make_station: StationFactory, cfg: Settings) -> Station:
    if cfg.target_sp3 is None or cfg.pki_dir is None:
        raise NotApplicable("needs security profile 3: CSMS_SP3_ADDRESS and CSMSCHECK_PKI_DIR")
    return await make_station("1.6", cfg.cp16_sp3, 3, connect=False)


async def _tls_session(station: Station, step: str, problems: list[str]) -> None:
    """The secured WebSocket, BootNotification and StatusNotifications; then any TLS problem fails ``step``.

    As in the OCTT, the scenario goes on after a failed TLS check (as far as it can) and the case
    fails with the TLS check's reason.
    """
    tls_failure = f"{step}: " + "; ".join(dict.fromkeys(problems))
    try:
        await security.reconnect_with(station, station.endpoint, "Step 6: secured WebSocket upgrade")
        boot = await core.boot(station, step="Step 8: BootNotification.conf", expect_status=None)
        core.check_boot_accepted(station, boot, "Step 8: BootNotification.conf")
        await core.notify_connectors(station, step="Step 10: StatusNotification.conf")
    except StepFailed as exc:
        if problems:
            raise StepFailed(f"{tls_failure}\n(then {exc})") from None
        raise
    if problems:
        raise StepFailed(tls_failure)


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
