"""Proof that the handshake cases (CC_B_07-12, CC16_05-13) catch a CSMS that lets the wrong connections in.

Each test breaks the reference CSMS's listener the way CSMS teams do (a check skipped, a
status wrong, a refusal with side effects), runs the case that must catch it with
``--strict`` and checks its message.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any

import pytest
from faults import assert_all_pass_strictly, assert_finding, caught, run_case
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request
from websockets.typing import Subprotocol

import csmscheck.csms.app as app_module
import csmscheck.csms.security_profile as security_profile
import csmscheck.csms.server as server
from csmscheck.bundled import BundledCsms
from csmscheck.csms.security_profile import Admission
from csmscheck.csms.server import Listener
from csmscheck.pki import Pki
from csmscheck.settings import load_settings
from csmscheck.station.session import StationSession
from csmscheck.wire.versions import OcppVersion, subprotocol_of

CASES = ["CC_B_07", "CC_B_08", "CC_B_09", "CC_B_10", "CC_B_11", "CC_B_12", "CC16_05", "CC16_06", "CC16_07",
         "CC16_08", "CC16_09", "CC16_10", "CC16_11", "CC16_12", "CC16_13"]
PROFILE3 = {"CC_B_12": "CP202_SP3", "CC16_12": "CP16_SP3"}




def test_healthy_csms_passes_strictly(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    assert_all_pass_strictly(pytester, bundled, CASES)


def _wrap_authenticate(monkeypatch: pytest.MonkeyPatch, lax: Any) -> None:
    """Replace the listener's authentication by ``lax(real, listener, connection, headers, station)``."""
    real = Listener._authenticate

    async def authenticate(self: Listener, connection: Any, headers: Any, station: Admission) -> Any:
        return await lax(real, self, connection, headers, station)

    monkeypatch.setattr(Listener, "_authenticate", authenticate)


# -- basic authentication (1.6: no OCTT case refuses credentials) ----------------------------------


def test_password_not_checked_fails_cc16_06(pytester: pytest.Pytester, bundled: BundledCsms,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "check_password", lambda _password, _hash: True)
    caught(pytester, bundled, "CC16_06", "Step 2: expected the CSMS to refuse a connection of CP16_SP1 with a wrong "
           "password", "but the CSMS upgraded the connection (subprotocol ocpp1.6) and answered its BootNotification "
           "with a CALLRESULT")


def test_missing_authorization_header_accepted_fails_cc16_05(pytester: pytest.Pytester, bundled: BundledCsms,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: no Authorization header at all is taken as "nothing to check"."""
    async def lax(real: Any, listener: Listener, connection: Any, headers: Any, station: Admission) -> Any:
        if headers.get("Authorization") is None:
            return None
        return await real(listener, connection, headers, station)

    _wrap_authenticate(monkeypatch, lax)
    caught(pytester, bundled, "CC16_05", "Step 2: expected the CSMS to refuse a connection of CP16_SP1 without an "
           "Authorization header", "answered its BootNotification with a CALLRESULT")


def test_user_name_not_compared_fails_cc16_07(pytester: pytest.Pytester, bundled: BundledCsms,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the password is checked, the user name is not compared with the station id of the URL."""
    async def password_only(real: Any, listener: Listener, connection: Any, headers: Any, station: Admission) -> Any:
        credentials = server._basic_credentials(headers.get("Authorization"))
        if credentials is not None and await asyncio.to_thread(server.check_password, credentials[1],
                                                               station.password_hash):
            return None
        return await real(listener, connection, headers, station)

    _wrap_authenticate(monkeypatch, password_only)
    caught(pytester, bundled, "CC16_07", "Step 2: expected the CSMS to refuse a connection to CP16_SP1's URL whose "
           "Authorization header names another station (CP201_SP1)", "answered its BootNotification with a CALLRESULT")


@pytest.mark.parametrize("case", ["CC16_05", "CC16_06"])
def test_refusal_that_drops_the_stations_own_connection_fails(pytester: pytest.Pytester, bundled: BundledCsms,
                                                              monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    """Bug: a failed login closes the station's live session (anyone can knock a station off line)."""
    async def disturbing(real: Any, listener: Listener, connection: Any, headers: Any, station: Admission) -> Any:
        refusal = await real(listener, connection, headers, station)
        live = listener.csms.connections.get(station.id)
        if refusal is not None and live is not None:
            await live.close(1008, "authentication failed for this station")
        return refusal

    _wrap_authenticate(monkeypatch, disturbing)
    caught(pytester, bundled, case, "Step 3: expected the station's own connection to go on serving it, but",
           "the CSMS closed the connection (code 1008")


def test_401_without_a_challenge_fails_cc16_06(pytester: pytest.Pytester, bundled: BundledCsms,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the 401 answer to a wrong password carries no WWW-Authenticate challenge."""
    real = Listener._refuse

    def bare(self: Listener, connection: Any, status: HTTPStatus, reason: str,
             headers: dict[str, str] | None = None) -> Any:
        return real(self, connection, status, reason)

    monkeypatch.setattr(Listener, "_refuse", bare)
    caught(pytester, bundled, "CC16_06", "Step 2: the CSMS refused a connection of CP16_SP1 with a wrong password "
           "with HTTP 401 but without a WWW-Authenticate challenge")


# -- unknown station and subprotocols ------------------------------------------------------------


@pytest.fixture
def started_now() -> Iterator[Callable[[], BundledCsms]]:
    """Start a bundled CSMS after the test patched its listener (the listener binds its handshake hooks at start)."""
    started: list[BundledCsms] = []

    def start() -> BundledCsms:
        started.append(BundledCsms(load_settings(environ={})))
        return started[-1]

    yield start
    for csms in started:
        csms.stop()


@pytest.mark.parametrize("case", ["CC_B_07", "CC16_08"])
def test_unknown_station_crashes_the_handshake(pytester: pytest.Pytester, bundled: BundledCsms,
                                               monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    """Bug: the station look-up's None is used as a station: HTTP 500 instead of a refusal."""
    real = Listener._refuse

    def careless(self: Listener, connection: Any, status: HTTPStatus, reason: str,
                 headers: dict[str, str] | None = None) -> Any:
        if status == HTTPStatus.NOT_FOUND:
            raise AttributeError("'NoneType' object has no attribute 'ocpp_version'")
        return real(self, connection, status, reason, headers)

    monkeypatch.setattr(Listener, "_refuse", careless)
    caught(pytester, bundled, case, "Step 2: expected the CSMS to refuse the connection of a", "it does not know",
           "but the CSMS answered the upgrade with HTTP 500 Internal Server Error, a server error (a refusal is a "
           "4xx status)")


def _any_offer_admitted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the listener admits a station whatever subprotocols it offers."""
    monkeypatch.setattr(server, "offered_subprotocols", lambda _request: ["ocpp1.6", "ocpp2.0.1"])


@pytest.mark.parametrize(("case", "offered"), [("CC_B_08", "ocpp1.6"), ("CC16_09", "ocpp2.0.1")])
def test_own_version_forced_on_another_offer_fails(pytester: pytest.Pytester, started_now: Callable[[], BundledCsms],
                                                   monkeypatch: pytest.MonkeyPatch, case: str, offered: str) -> None:
    """Bug: the CSMS answers with the station's configured version, which the station did not offer."""
    _any_offer_admitted(monkeypatch)

    def own_version(self: Listener, connection: Any, _offered: Any) -> Any:
        admitted = self._admitted.get(id(connection))
        return None if admitted is None else Subprotocol(subprotocol_of(admitted.version))

    monkeypatch.setattr(Listener, "_select", own_version)
    caught(pytester, started_now(), case, f"offering only {offered}", "but the CSMS upgraded the connection with a "
           "subprotocol the station did not offer")


@pytest.mark.parametrize(("case", "spoken", "code"), [("CC_B_08", "2.0.1", "an OCPP 2.0.1 code"),
                                                      ("CC16_09", "1.6", "an OCPP 1.6 code")])
def test_offered_version_selected_but_other_spoken_fails(pytester: pytest.Pytester,
                                                         started_now: Callable[[], BundledCsms],
                                                         monkeypatch: pytest.MonkeyPatch, case: str, spoken: str,
                                                         code: str) -> None:
    """Bug: the CSMS selects the subprotocol the station offered but goes on speaking the station's configured
    version on that connection."""
    _any_offer_admitted(monkeypatch)
    monkeypatch.setattr(Listener, "_select", lambda _self, _connection, offered: offered[0] if offered else None)
    monkeypatch.setattr(server, "version_of_subprotocol", lambda _subprotocol: spoken)
    other = "1.6" if spoken == "2.0.1" else "2.0.1"
    caught(pytester, started_now(), case, f"but it selected ocpp{other} and answered an OCPP {other} "
           f"BootNotification with CALLERROR", code)


@pytest.mark.parametrize(("case", "version"), [("CC_B_09", "2.0.1"), ("CC16_10", "1.6")])
def test_connection_without_subprotocol_served_fails(pytester: pytest.Pytester, bundled: BundledCsms,
                                                     monkeypatch: pytest.MonkeyPatch, case: str,
                                                     version: OcppVersion) -> None:
    """Bug: a station that offers no subprotocol is served in its configured version."""
    _any_offer_admitted(monkeypatch)
    monkeypatch.setattr(server, "version_of_subprotocol", lambda _subprotocol: version)
    caught(pytester, bundled, case, "Step 2: expected the CSMS to refuse a connection that offers no OCPP "
           "subprotocol", "but the CSMS upgraded the connection (subprotocol none) and answered its "
           "BootNotification with a CALLRESULT")


# -- security profiles and client certificates ---------------------------------------------------


@pytest.mark.parametrize(("case", "endpoint"), [("CC_B_10", "profile 1 endpoint (no TLS)"),
                                               ("CC_B_11", "profile 2 endpoint (TLS with basic auth"),
                                               ("CC16_11", "profile 1 endpoint (no TLS)")])
def test_security_profile_not_enforced_fails(pytester: pytest.Pytester, bundled: BundledCsms,
                                             monkeypatch: pytest.MonkeyPatch, case: str, endpoint: str) -> None:
    """Bug: every listener admits a station of any security profile (a downgrade to basic auth)."""
    def every_profile(_station: Any) -> set[int]:
        return {1, 2, 3}

    monkeypatch.setattr(security_profile, "admitted_profiles", every_profile)
    caught(pytester, bundled, case, "Step 2: expected the CSMS to refuse security profile 3 ",
           f"on its {endpoint}", "answered its BootNotification with a CALLRESULT")


def _certificate_name_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the profile-3 listener trusts any certificate of its CA, whoever it names."""
    async def any_station(real: Any, listener: Listener, connection: Any, headers: Any, station: Admission) -> Any:
        return None if listener.profile == 3 else await real(listener, connection, headers, station)

    _wrap_authenticate(monkeypatch, any_station)


@pytest.mark.parametrize("case", ["CC_B_12", "CC16_12"])
def test_certificate_of_another_station_accepted_fails(pytester: pytest.Pytester, bundled: BundledCsms,
                                                       monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    _certificate_name_ignored(monkeypatch)
    kind = "station" if case == "CC_B_12" else "charge point"
    caught(pytester, bundled, case, f"Step 2: expected the CSMS to refuse {kind} {PROFILE3[case]} presenting the "
           "client certificate of", "answered its BootNotification with a CALLRESULT")


@pytest.fixture
def unverifying_csms(monkeypatch: pytest.MonkeyPatch) -> Iterator[BundledCsms]:
    """A CSMS whose profile-3 endpoint asks for no client certificate and lets every TLS client in."""
    real = app_module.server_ssl_context

    def no_client_certificates(pki: Pki, *, require_client_cert: bool) -> ssl.SSLContext:
        return real(pki, require_client_cert=False)

    monkeypatch.setattr(app_module, "server_ssl_context", no_client_certificates)
    csms = BundledCsms(load_settings(environ={}))
    monkeypatch.undo()
    yield csms
    csms.stop()


def test_certificate_of_an_unknown_ca_accepted_fails_cc16_13(pytester: pytest.Pytester,
                                                             unverifying_csms: BundledCsms,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _certificate_name_ignored(monkeypatch)
    caught(pytester, unverifying_csms, "CC16_13", "Step 2: expected the CSMS to refuse charge point CP16_SP3 "
           "presenting a certificate in its name from a CA the Central System does not trust",
           "answered its BootNotification with a CALLRESULT")
    assert_finding(run_case(pytester, unverifying_csms, "CC16_13"), "CC16_13", "Step 2: expected the CSMS to refuse")


# -- the station side: an attempt offering no subprotocol sends no Sec-WebSocket-Protocol header -------------


async def test_an_empty_offer_sends_no_subprotocol_header() -> None:
    seen: list[list[str]] = []

    def record(_connection: ServerConnection, request: Request) -> None:
        seen.append(request.headers.get_all("Sec-WebSocket-Protocol"))

    async def idle(ws: ServerConnection) -> None:
        await ws.wait_closed()

    async with serve(idle, "127.0.0.1", 0, process_request=record) as listening:
        url = f"ws://127.0.0.1:{listening.sockets[0].getsockname()[1]}"
        session = StationSession("CS1", "2.0.1", timeout=5.0)
        await session.connect(url, subprotocols=[])
        await session.close()
        await session.connect(url)
        await session.close()
    assert seen == [[], ["ocpp2.0.1"]]
    assert "offering no subprotocol" in session.transcript.frames[0].text
