"""The short 2.0.1 session the record/replay tests put through the proxy (boot, status, Authorize, Heartbeat)."""

from __future__ import annotations

from datetime import UTC, datetime

from csmscheck.station.session import StationSession


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def short_session(session: StationSession) -> None:
    """Play the session on a connected station, then close it."""
    await session.call("BootNotification", {"reason": "PowerUp",
                                            "chargingStation": {"model": "Virtual", "vendorName": "csmscheck"}})
    await session.call("StatusNotification", {"timestamp": now(), "connectorStatus": "Available", "evseId": 1,
                                              "connectorId": 1})
    await session.call("Authorize", {"idToken": {"idToken": "A0000001", "type": "ISO14443"}})
    await session.call("Heartbeat", {})
    await session.close()
