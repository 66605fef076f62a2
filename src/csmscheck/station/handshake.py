"""Opening handshakes a CSMS must refuse, and what counts as refusing — for the cases of both versions.

OCPP lets a CSMS refuse a station's connection in more than one way: an HTTP error status
instead of the upgrade (401 bad credentials, 403 wrong profile or certificate, 404 unknown
station, 400 no agreed subprotocol: any 4xx), a TLS handshake it fails (security profile
3), a connection it drops, or an upgrade it closes at once without serving (what OCPP-J
prescribes when no subprotocol is agreed). Whichever way, nothing may be served: no CALL
of the station is answered, and the station's own, authenticated connection is not
disturbed. :func:`expect_refused` judges an :class:`Attempt` by exactly that.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import websockets

from csmscheck.errors import ConnectionLost, NotApplicable, StepFailed
from csmscheck.pki.ca import Pki
from csmscheck.pki.tls import client_ssl_context
from csmscheck.settings import Settings
from csmscheck.station import v16, v201
from csmscheck.station.session import connect_failure
from csmscheck.station.station import Station
from csmscheck.wire import CallError, CallResult

REFUSALS = ("an HTTP 4xx answer to the upgrade, a failed TLS handshake, a dropped connection, or an upgrade closed "
            "at once without serving")
"""The refusals OCPP allows, for failure messages."""


@dataclass(frozen=True)
class Attempt:
    """One opening handshake: where, as whom, with which TLS credentials and subprotocols."""

    url: str
    password: str | None = None  # None: no Authorization header
    username: str | None = None  # the user the Authorization header names; None: the station id
    ssl_context: ssl.SSLContext | None = None
    subprotocols: list[str] | None = None  # None: the station's own version; []: no subprotocol at all


@dataclass(frozen=True)
class Outcome:
    """How the CSMS met an attempt: ``refused`` in a way OCPP allows (nothing served), and how, in plain words."""

    refused: bool
    how: str
    upgraded: bool = False  # the WebSocket opened (and, when refused, the CSMS closed it at once)
    status: int | None = None  # the HTTP status of a refused upgrade
    challenge: str | None = None  # its WWW-Authenticate header


async def knock(station: Station, attempt: Attempt) -> Outcome:
    """Open the WebSocket as ``attempt`` says and report how the opening handshake ended.

    An upgrade that completes leaves the station connected (``upgraded``, not yet judged).
    The attempt is recorded in the station's transcript.
    """
    session = station.session
    try:
        await session.connect(attempt.url, password=attempt.password, ssl_context=attempt.ssl_context,
                              subprotocols=attempt.subprotocols, username=attempt.username)
    except websockets.InvalidStatus as exc:
        code = exc.response.status_code
        if 400 <= code < 500:
            return Outcome(True, connect_failure(exc, session.timeout), status=code,
                           challenge=exc.response.headers.get("WWW-Authenticate"))
        status = f"HTTP {code} {exc.response.reason_phrase}".rstrip()
        kind = "a server error" if code >= 500 else "neither an upgrade nor a refusal"
        return Outcome(False, f"the CSMS answered the upgrade with {status}, {kind} (a refusal is a 4xx status)")
    except websockets.NegotiationError as exc:
        return Outcome(False, f"the CSMS upgraded the connection with a subprotocol the station did not offer "
                              f"({exc})")
    except ssl.SSLCertVerificationError as exc:
        raise StepFailed(f"the station could not verify the CSMS's server certificate at {attempt.url} "
                         f"({exc.verify_message}): check the PKI (CSMSCHECK_PKI_DIR)") from None
    except ConnectionRefusedError:
        raise StepFailed(f"nothing accepts connections at {attempt.url} (connection refused)") from None
    except TimeoutError:
        return Outcome(False, f"no answer to the opening handshake within {session.timeout:g}s")
    except ssl.SSLError as exc:
        return Outcome(True, f"the TLS handshake failed ({exc.reason or exc})")
    except (websockets.InvalidHandshake, OSError) as exc:
        cause = exc.__cause__ or exc
        detail = f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__
        return Outcome(True, f"the CSMS dropped the connection during the opening handshake ({detail})")
    return Outcome(False, f"the CSMS upgraded the connection (subprotocol {session.subprotocol or 'none'})",
                   upgraded=True)


def boot_payload(station: Station) -> dict[str, Any]:
    """The BootNotification the station sends to see whether a connection serves it."""
    return v16.boot_notification(station.cfg) if station.version == "1.6" else v201.boot_notification(station.cfg)


async def served_after_upgrade(station: Station) -> str | None:
    """After an upgrade it should have refused, the CSMS must close the connection at once and answer nothing.

    The station sends a BootNotification: None when the CSMS closed the connection without a
    CALLRESULT, else what it did. The connection is closed afterwards either way.
    """
    session = station.session
    try:
        answer: CallResult | CallError | None = await session.send("BootNotification", boot_payload(station))
    except ConnectionLost:
        return None
    except StepFailed:  # no answer in time
        answer = None
    if isinstance(answer, CallResult):
        await station.close()
        return f"answered its BootNotification with a CALLRESULT {orjson.dumps(answer.payload).decode()}"
    try:
        await session.wait_closed(session.timeout)
    except StepFailed:
        await station.close()
        said = f"answered CALLERROR {answer.code}" if isinstance(answer, CallError) else "did not answer"
        return f"{said} to its BootNotification and kept the connection open for {session.timeout:g}s"
    return None


async def try_handshake(station: Station, attempt: Attempt) -> Outcome:
    """:func:`knock`, and when the CSMS upgraded, whether it then closed at once without serving."""
    outcome = await knock(station, attempt)
    if not outcome.upgraded:
        return outcome
    served = await served_after_upgrade(station)
    if served is None:
        return Outcome(True, f"{outcome.how} and closed it at once ({station.session.closed_how})", upgraded=True)
    return Outcome(False, f"{outcome.how} and {served}", upgraded=True)


async def expect_refused(station: Station, attempt: Attempt, label: str, what: str) -> Outcome:
    """The CSMS must refuse ``attempt`` (``what`` says what is wrong with it) in a way OCPP allows."""
    outcome = await try_handshake(station, attempt)
    if not outcome.refused:
        raise StepFailed(f"{label}: expected the CSMS to refuse {what} ({REFUSALS}), but {outcome.how}")
    if outcome.status == 401 and not outcome.challenge:
        raise StepFailed(f"{label}: the CSMS refused {what} with HTTP 401 but without a WWW-Authenticate challenge, "
                         f"which a 401 answer must carry (RFC 7235 §3.1; OCPP's basic authentication is RFC 7617)")
    return outcome


async def still_served(station: Station, label: str) -> None:
    """The station's own connection goes on serving it: its Heartbeat gets a CALLRESULT."""
    try:
        answer = await station.session.send("Heartbeat", {})
    except StepFailed as exc:
        raise StepFailed(f"{label}: expected the station's own connection to go on serving it, but {exc}") from None
    if isinstance(answer, CallError):
        raise StepFailed(f"{label}: expected the station's own connection to go on serving it, but its Heartbeat "
                         f"got CALLERROR {answer.code} ({answer.description!r})")


# -- where and with what a station connects -------------------------------------------------


def listener(cfg: Settings, profile: int) -> str:
    """The CSMS's base URL for security ``profile``; a profile it has no endpoint for is not applicable."""
    url = {1: cfg.target, 2: cfg.target_sp2, 3: cfg.target_sp3}[profile]
    if url is None:
        names = {1: "CSMS_ADDRESS", 2: "CSMS_SP2_ADDRESS", 3: "CSMS_SP3_ADDRESS"}
        raise NotApplicable(f"needs the CSMS's security profile {profile} endpoint ({names[profile]})")
    return url


def trusted_ca(cfg: Settings) -> Path:
    """The CA of the run's PKI (it signs the CSMS's server certificate and the stations' client certificates)."""
    if cfg.pki_dir is None or not (cfg.pki_dir / "ca.pem").is_file():
        raise NotApplicable("needs the PKI the CSMS uses (CSMSCHECK_PKI_DIR, written by 'csmscheck certs')")
    return cfg.pki_dir / "ca.pem"


def tls_context(cfg: Settings, certificate_of: str | None = None) -> ssl.SSLContext:
    """A client TLS context trusting the run's CA, presenting the client certificate of ``certificate_of``."""
    ca = trusted_ca(cfg)
    if certificate_of is None:
        return client_ssl_context(ca)
    try:
        pki = Pki.load(ca.parent, [certificate_of])
    except FileNotFoundError as exc:
        raise NotApplicable(f"needs a client certificate of {certificate_of} in the PKI ({exc.filename})") from None
    cert, key = pki.clients[certificate_of]
    return client_ssl_context(ca, cert, key)
