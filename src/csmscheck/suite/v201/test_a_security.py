"""Block A (security): basic authentication, TLS and mutual TLS, the basic-auth password, the profile upgrade.

The cases connect over the run's real listeners (security profile 1: ws:// with basic auth; 2:
wss:// with basic auth; 3: wss:// with a client certificate of the run's PKI). A refusal is any
way OCPP allows (:data:`csmscheck.station.handshake.REFUSALS`). The basic-auth cases use the
station of the configured security profile (1 or 2; CP201_SP1 by default), the TLS cases that
of profile 2 or 3.
"""

from __future__ import annotations

import secrets
from contextlib import suppress
from urllib.parse import urlparse

from csmscheck.checks import security_connection as checks
from csmscheck.errors import NotApplicable, StepFailed
from csmscheck.expect import assert_matches, step
from csmscheck.pki.legacy_tls import offer_legacy_tls
from csmscheck.pki.probe import host_and_port, server_certificate_problems, tls_endpoint_problems
from csmscheck.pki.untrusted import invalid_issued_client_context, untrusted_client_context
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.handshake import (
    Attempt,
    Outcome,
    expect_refused,
    knock,
    listener,
    trusted_ca,
    try_handshake,
)
from csmscheck.station.network_profiles import keep_network_profiles
from csmscheck.station.states import v201 as states
from csmscheck.station.states.v16_security import tls_client_contexts
from csmscheck.station.states.v201_security import certificate_endpoint, renew_charging_station_certificate
from csmscheck.station.station import Endpoint
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.plugin import StationFactory
from csmscheck.suite.security_setup import set_security_profile

_RATE_LIMITED = 429


# -- which station, and how it connects --------------------------------------------------------------


def basic_auth_profile(cfg: Settings) -> int:
    """The basic-auth profile of the cases: the configured one if it is 1 or 2, else 1."""
    return cfg.security_profile if cfg.security_profile in (1, 2) else 1


def tls_profile(cfg: Settings) -> int:
    """The TLS profile of the cases: the configured one if it is 2 or 3, else 2 (3 without a profile 2 endpoint)."""
    if cfg.security_profile in (2, 3):
        return cfg.security_profile
    return 2 if cfg.target_sp2 is not None else 3


def station_of(cfg: Settings, profile: int) -> str:
    return {1: cfg.cp201_sp1, 2: cfg.cp201_sp2, 3: cfg.cp201_sp3}[profile]


async def connect_as(station: Station, endpoint: Endpoint, label: str) -> None:
    """The station opens its connection with ``endpoint``, which the CSMS must accept (else ``label`` fails)."""
    station.endpoint = endpoint
    with step(label):
        outcome = await knock(station, Attempt(endpoint.url, endpoint.password, ssl_context=endpoint.ssl_context))
        if not outcome.upgraded:
            raise StepFailed(f"expected the CSMS to accept the connection, but {outcome.how}")


def check_subprotocol(station: Station, label: str) -> None:
    """csmscheck check CSC-201-A-02: the upgraded connection speaks ocpp2.0.1."""
    chosen = station.session.subprotocol
    station.findings.check(checks.SUBPROTOCOL_SELECTED, chosen == "ocpp2.0.1",
                           f"{label}: expected the CSMS to select the subprotocol ocpp2.0.1, got {chosen or 'none'}")


async def report_connectors(station: Station, label: str) -> None:
    """The state of every connector: StatusNotification Available and NotifyEvent AvailabilityState."""
    with step(label):
        for evse_id in range(1, station.cfg.number_of_evses + 1):
            await states.connector_event(station, "Available", evse_id, 1)


def _check_challenged(station: Station, outcome: Outcome, label: str) -> None:
    """csmscheck check CSC-201-A-03: wrong basic-auth credentials are answered 401 (429 while rate-limiting)."""
    station.findings.check(checks.CREDENTIALS_CHALLENGED, outcome.status in (401, _RATE_LIMITED),
                           f"{label}: expected the CSMS to answer wrong basic-auth credentials with HTTP 401 and a "
                           f"challenge, but {outcome.how}")


# -- basic authentication ----------------------------------------------------------------------------


@octt("TC_A_01", reqs=["A00.FR.204", "B01.FR.02"])
async def test_tc_a_01(make_station: StationFactory, cfg: Settings) -> None:
    """Basic Authentication - Valid username/password combination."""
    profile = basic_auth_profile(cfg)
    station = await make_station("2.0.1", station_of(cfg, profile), profile, connect=False)
    await connect_as(station, station.endpoint, "Step 2: HTTP upgrade with basic authentication")
    check_subprotocol(station, "Step 2")
    response = await states.boot(station, expect_status=None, label="Step 4")
    station.findings.check(checks.KNOWN_STATION_ACCEPTED, response.get("status") == "Accepted",
                           f"Step 4: BootNotificationResponse: expected status Accepted for a known station with "
                           f"valid credentials, got {response.get('status')}")
    await report_connectors(station, "Step 6")


@octt("TC_A_02", reqs=["A00.FR.204"])
async def test_tc_a_02(make_station: StationFactory, cfg: Settings) -> None:
    """Basic Authentication - Username does not equal ChargingStationId."""
    profile = basic_auth_profile(cfg)
    station = await make_station("2.0.1", station_of(cfg, profile), profile, connect=False)
    other = f"{station.id}X"
    attempt = Attempt(station.endpoint.url, station.endpoint.password, username=other,
                      ssl_context=station.endpoint.ssl_context)
    outcome = await expect_refused(station, attempt, "Step 2",
                                   f"basic authentication as {other!r}, which is not the station id {station.id!r} "
                                   f"(with the station's password)")
    _check_challenged(station, outcome, "Step 2")


@octt("TC_A_03", reqs=["A00.FR.204"])
async def test_tc_a_03(make_station: StationFactory, cfg: Settings) -> None:
    """Basic Authentication - Invalid password."""
    profile = basic_auth_profile(cfg)
    station = await make_station("2.0.1", station_of(cfg, profile), profile, connect=False)
    url, context = station.endpoint.url, station.endpoint.ssl_context
    outcome = await expect_refused(station, Attempt(url, None, ssl_context=context), "Step 2",
                                   "an upgrade without an Authorization header")
    _check_challenged(station, outcome, "Step 2")
    wrong = secrets.token_hex(16)
    outcome = await expect_refused(station, Attempt(url, wrong, ssl_context=context), "Step 4",
                                   f"basic authentication of {station.id} with a wrong password")
    _check_challenged(station, outcome, "Step 4")


# -- TLS ---------------------------------------------------------------------------------------------


async def _secured_session(station: Station, labels: tuple[str, str, str], problems: list[str] | None = None,
                           tls_step: str = "") -> None:
    """Upgrade over TLS, BootNotification (status Accepted validated), connector states; then any TLS problem
    fails ``tls_step``. As in the OCTT, the scenario goes on after a failed TLS check as far as it can."""
    upgrade, boot, notify = labels
    problems = list(dict.fromkeys(problems or []))
    try:
        await connect_as(station, station.endpoint, f"{upgrade}: secured WebSocket upgrade")
        check_subprotocol(station, upgrade)
        await states.boot(station, "PowerUp", expect_status="Accepted", label=boot)
        await report_connectors(station, notify)
    except StepFailed as exc:
        if problems:
            raise StepFailed(f"{tls_step}: {'; '.join(problems)}\n(then {exc})") from None
        raise
    if problems:
        raise StepFailed(f"{tls_step}: {'; '.join(problems)}")


@octt("TC_A_04", reqs=["A00.FR.306", "A00.FR.307", "A00.FR.312", "A00.FR.318", "A00.FR.321", "A00.FR.502",
                       "A00.FR.503", "A00.FR.507", "A00.FR.508", "A00.FR.510"])
async def test_tc_a_04(make_station: StationFactory, cfg: Settings) -> None:
    """TLS - server-side certificate - Valid certificate."""
    profile = tls_profile(cfg)
    station = await make_station("2.0.1", station_of(cfg, profile), profile, connect=False)
    url = station.endpoint.url
    problems, handshakes = await tls_endpoint_problems(url, tls_client_contexts(station, profile), cfg.message_wait)
    for handshake in handshakes:
        if handshake.server_certificate is None:
            problems.append("the CSMS sent no server certificate")
        else:
            problems += server_certificate_problems(handshake.server_certificate, host_and_port(url)[0])
    await _secured_session(station, ("Step 6", "Step 8", "Step 10"), problems, "Step 3: TLS handshake")


@octt("TC_A_06", reqs=["A00.FR.314", "A00.FR.315", "A00.FR.409", "A00.FR.416", "A00.FR.417", "A00.FR.418"])
async def test_tc_a_06(make_station: StationFactory, cfg: Settings) -> None:
    """TLS - server-side certificate - TLS version too low."""
    profile = tls_profile(cfg)
    station = await make_station("2.0.1", station_of(cfg, profile), profile, connect=False)
    host, port = host_and_port(station.endpoint.url)
    with step("Step 2"):
        try:
            old = await offer_legacy_tls(host, port, cfg.message_wait)
        except ConnectionError as exc:
            raise StepFailed(str(exc)) from None
        if not old.refused:
            raise StepFailed(f"expected the CSMS to terminate a TLS handshake whose ClientHello offers TLS 1.1 and "
                             f"1.0 only (TLS 1.2 or above required), but {old.how}")
    await _secured_session(station, ("Step 8", "Step 10", "Step 12"))


@octt("TC_A_07", reqs=["A00.FR.409", "A00.FR.410", "A00.FR.415", "A00.FR.416", "A00.FR.421"])
async def test_tc_a_07(make_station: StationFactory, cfg: Settings) -> None:
    """TLS - Client-side certificate - valid certificate."""
    station = await make_station("2.0.1", cfg.cp201_sp3, 3, connect=False)
    problems, _ = await tls_endpoint_problems(station.endpoint.url, tls_client_contexts(station, 3), cfg.message_wait)
    await _secured_session(station, ("Step 6", "Step 8", "Step 10"), problems,
                           "Step 3: TLS handshake with a client certificate")


@octt("TC_A_08", reqs=["A00.FR.405", "A00.FR.407", "A00.FR.409", "A00.FR.410"])
async def test_tc_a_08(make_station: StationFactory, cfg: Settings) -> None:
    """TLS - Client-side certificate - Invalid certificate."""
    station = await make_station("2.0.1", cfg.cp201_sp3, 3, connect=False)
    ca = trusted_ca(cfg)
    # The kinds of invalid certificate the definition names; the two the run's CA issues need its key.
    invalid = {"unknown": (untrusted_client_context(ca, station.id),
                           "a client certificate for it from a CA the CSMS does not trust")}
    if (ca.parent / "ca.key").is_file():
        invalid["expired"] = (invalid_issued_client_context(ca, ca.parent / "ca.key", station.id, expired=True),
                              "a client certificate for it that expired yesterday")
        invalid["other commonName"] = (invalid_issued_client_context(ca, ca.parent / "ca.key", f"{station.id}X"),
                                       f"a client certificate whose commonName is {station.id}X, not its id")
    for kind, (context, what) in invalid.items():
        await expect_refused(station, Attempt(listener(cfg, 3), ssl_context=context), f"Step 4 ({kind} certificate)",
                             f"the connection of {station.id} presenting {what}")
    await _secured_session(station, ("Step 10", "Step 12", "Step 14"))


# -- the basic-auth password -------------------------------------------------------------------------


def _password_change(password: str) -> dict[str, object]:
    return {"setVariableData": [{"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"},
                                 "attributeValue": password}]}


async def _change_password(station: Station, csms: Csms, answer: str) -> str:
    """Steps 1-2: the CSMS sends SetVariables SecurityCtrlr.BasicAuthPassword, the station answers ``answer``;
    returns the password it sent."""
    reply = {"setVariableResult": [{"attributeStatus": answer, "component": {"name": "SecurityCtrlr"},
                                    "variable": {"name": "BasicAuthPassword"}}]}
    with step("Step 1"):
        async with station.expect("SetVariables", reply=reply) as got:
            await csms.request(station, "SetVariables", _password_change(secrets.token_hex(16)))
    assert_matches(got.payload, {"setVariableData": [{"variable": {"name": "BasicAuthPassword"},
                                                      "component": {"name": "SecurityCtrlr"}}]},
                   "Step 1: SetVariablesRequest")
    return str(got.payload["setVariableData"][0]["attributeValue"])


async def _refused_password(make_station: StationFactory, station: Station, password: str) -> Outcome:
    """Another connection of the station with ``password`` (the station's own connection stays)."""
    other = await make_station("2.0.1", station.id, connect=False, endpoint=station.endpoint)
    return await try_handshake(other, Attempt(station.endpoint.url, password,
                                              ssl_context=station.endpoint.ssl_context))


@octt("TC_A_09", reqs=["A01.FR.02", "A01.FR.03"])
async def test_tc_a_09(make_station: StationFactory, csms: Csms, cfg: Settings) -> None:
    """Update Charging Station Password for HTTP Basic Authentication - Accepted."""
    profile = basic_auth_profile(cfg)
    station = await make_station("2.0.1", station_of(cfg, profile), profile)
    await states.booted(station)
    old_password = station.endpoint.password or cfg.basic_auth_password
    try:
        password = await _change_password(station, csms, "Accepted")
        # Step 3: the station drops the connection and comes back with the new password (no reboot: Accepted).
        await station.close()
        new = Endpoint(station.endpoint.url, password, station.endpoint.ssl_context)
        await connect_as(station, new, "Step 4: HTTP upgrade with the new password")
        stale = await _refused_password(make_station, station, old_password)
        station.findings.check(checks.OLD_PASSWORD_REFUSED, stale.refused,
                               f"After step 4: expected the CSMS to refuse the old password once the station "
                               f"accepted and used the new one, but {stale.how}")
    finally:
        with suppress(Exception), step("Clean-up: the station's basic-auth password set back"):
            await csms.set_basic_auth_password(station, cfg.basic_auth_password)


@octt("TC_A_10", reqs=["A01.FR.02", "A01.FR.04", "A01.FR.05"])
async def test_tc_a_10(make_station: StationFactory, csms: Csms, cfg: Settings) -> None:
    """Update Charging Station Password for HTTP Basic Authentication - Rejected."""
    profile = basic_auth_profile(cfg)
    station = await make_station("2.0.1", station_of(cfg, profile), profile)
    await states.booted(station)
    try:
        password = await _change_password(station, csms, "Rejected")
        await station.close()
        await connect_as(station, station.endpoint, "Step 4: HTTP upgrade with the old password")
        await states.boot(station, "PowerUp", expect_status="Accepted", label="Step 6")
        await report_connectors(station, "Step 8")
        taken = await _refused_password(make_station, station, password)
        station.findings.check(checks.REJECTED_PASSWORD_NOT_TAKEN, taken.refused,
                               f"After step 8: expected the CSMS to refuse the password the station rejected, "
                               f"but {taken.how}")
    finally:
        with suppress(Exception):  # a CSMS that took the rejected password must not break the next case
            await csms.set_basic_auth_password(station, cfg.basic_auth_password)


# -- upgrading the security profile ------------------------------------------------------------------


def _network_profile(cfg: Settings, url: str, profile: int) -> dict[str, object]:
    return {"configurationSlot": cfg.configuration_slot, "connectionData": {
        "messageTimeout": cfg.message_timeout, "ocppCsmsUrl": url, "ocppInterface": cfg.ocpp_interface,
        "ocppTransport": "JSON", "ocppVersion": "OCPP20", "securityProfile": profile}}


def _contains_slot(value: object, slot: int) -> bool:
    return str(slot) in [part.strip() for part in str(value).split(",")]


@octt("TC_A_19", reqs=["A05.FR.04", "A05.FR.07"])
async def test_tc_a_19(make_station: StationFactory, csms: Csms, cfg: Settings) -> None:
    """Upgrade Charging Station Security Profile - Accepted."""
    current = cfg.security_profile
    if current == 3:
        raise NotApplicable("the configured security profile (CONFIGURED_SECURITY_PROFILE) is 3: none is higher")
    higher = current + 1
    url = cfg.ocpp_csms_url
    if url is None or urlparse(url).scheme != "wss":
        raise NotApplicable(f"needs the wss:// URL of the CSMS's security profile {higher} endpoint "
                            f"(CONFIGURED_OCPP_CSMS_URL, or CSMS_SP{higher}_ADDRESS)")
    station_id = station_of(cfg, current)
    if cfg.manual or await set_security_profile(cfg, station_id, current, "2.0.1") != 200:
        raise NotApplicable("the case needs the trigger API to set a station's security profile back "
                            "(POST …/set-security-profile), which this CSMS does not offer")
    station = await make_station("2.0.1", station_id, current)
    former = station.endpoint
    certificate = None
    try:
        await states.booted(station)
        if higher == 3:  # memory state: the station gets a client certificate from the CSMS first
            renewed = await renew_charging_station_certificate(station, csms)
            certificate = certificate_endpoint(station, renewed).ssl_context
        profiles = keep_network_profiles(station, current)
        request = _network_profile(cfg, url, higher)
        with step("Step 1"):
            async with station.expect("SetNetworkProfile") as got:
                await csms.request(station, "SetNetworkProfile", request)
        assert_matches(got.payload, {"connectionData": request["connectionData"]}, "Step 1: SetNetworkProfileRequest")
        with step("Step 3"):
            async with station.expect("SetVariables") as sent:
                await csms.request(station, "SetVariables", {"setVariableData": [{
                    "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NetworkConfigurationPriority"},
                    "attributeValue": str(cfg.configuration_slot)}]})
        slot, sent_data = got.payload["configurationSlot"], sent.payload["setVariableData"]
        priority = [d["attributeValue"] for d in sent_data if (d["component"]["name"], d["variable"]["name"])
                    == ("OCPPCommCtrlr", "NetworkConfigurationPriority")]
        if not priority or not _contains_slot(priority[0], slot):
            raise StepFailed(f"Step 3: SetVariablesRequest: expected OCPPCommCtrlr.NetworkConfigurationPriority "
                             f"containing slot {slot}, got {sent_data}")
        with step("Step 5"):
            async with station.expect("Reset", reply={"status": "Accepted"}):
                await csms.request(station, "Reset", {"type": "Immediate"})
        await station.close()  # Step 6-7: the station reboots and connects with the first slot of its priority
        station.model.booted = False
        upgraded = profiles.endpoint(cfg, station.id, former.password, certificate)
        await connect_as(station, upgraded, f"Step 8: connecting with security profile {higher}")
        with step("Step 9"):
            await states.booted(station, "RemoteReset")
        await station.close()
        await expect_refused(station, Attempt(former.url, former.password, ssl_context=former.ssl_context),
                             "Step 11", f"{station.id} on its former security profile {current} after it connected "
                                        f"with security profile {higher} (no downgrade)")
        await connect_as(station, upgraded, f"Step 13: connecting with security profile {higher}")
        with step("Post scenario: the station and the CSMS are connected"):
            await station.call("Heartbeat", {})
    finally:
        await station.close()
        station.endpoint = former
        if await set_security_profile(cfg, station_id, current, "2.0.1") != 200:
            raise StepFailed(f"Clean-up: the trigger API did not set the security profile of {station_id} back "
                             f"to {current}")

