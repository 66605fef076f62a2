"""One opening handshake of a scan check, judged: refused (and with which status) or served."""

from __future__ import annotations

from csmscheck.errors import StepFailed
from csmscheck.station.handshake import Attempt, Outcome, try_handshake
from csmscheck.station.station import Station


def describe(attempt: Attempt, station_id: str) -> str:
    """The attempt in words, for the report's ``sent``."""
    parts = [f"WebSocket upgrade to {attempt.url.rstrip('/')}/{station_id}"]
    if attempt.password is None:
        parts.append("no Authorization header")
    else:
        parts.append(f"basic auth as {attempt.username or station_id!r} with a {len(attempt.password)}-character "
                     f"password")
    if attempt.subprotocols is not None:
        parts.append(f"subprotocols {attempt.subprotocols}")
    if attempt.ssl_context is not None:
        parts.append("TLS")
    return ", ".join(parts)


def received(outcome: Outcome) -> str:
    """How the CSMS met the attempt, for the report's ``received``."""
    status = f"HTTP {outcome.status}" if outcome.status is not None else "no HTTP status"
    challenge = f", WWW-Authenticate: {outcome.challenge}" if outcome.challenge else ""
    return f"{status}{challenge}: {outcome.how}"


async def attempt(station: Station, how: Attempt) -> Outcome | str:
    """The outcome of ``how``, or why the check cannot run (the server certificate does not verify, nothing
    listens): a failure of the setup, not of the rule."""
    try:
        return await try_handshake(station, how)
    except StepFailed as exc:
        return str(exc)
