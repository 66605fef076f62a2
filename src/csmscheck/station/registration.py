"""What a station checks in every BootNotificationResponse, beside the status its step expects.

Both versions' boot steps call :func:`check_boot_response`, so the csmscheck checks of
registration (``CSC-BOOT-nn``) run in every case that boots: the interval is the one the
CSMS is configured with for that status, and currentTime is now.
"""

from __future__ import annotations

from typing import Any

import orjson

from csmscheck.checks import connection as checks
from csmscheck.expect import about_now, mismatches, same
from csmscheck.station.station import Station

Payload = dict[str, Any]


def _shown(response: Payload, key: str) -> str:
    return orjson.dumps(response[key]).decode() if key in response else "none"


def check_boot_response(station: Station, response: Payload, label: str) -> None:
    """CSC-BOOT-01/02: the interval is the configured one for the status; CSC-BOOT-03: currentTime is now.

    ``label`` names the step and the message (``"Step 2: BootNotificationResponse"``).
    """
    cfg = station.cfg
    status = response.get("status")
    interval = response.get("interval")
    if status == "Accepted":
        station.findings.check(
            checks.HEARTBEAT_INTERVAL_AS_CONFIGURED, same(interval, cfg.heartbeat_interval),
            f"{label}: expected interval {cfg.heartbeat_interval} with status Accepted (the configured heartbeat "
            f"interval, CONFIGURED_HEARTBEAT_INTERVAL), got {_shown(response, 'interval')}")
    elif status in ("Pending", "Rejected") and cfg.pending_interval is not None:
        station.findings.check(
            checks.RETRY_INTERVAL_AS_CONFIGURED, same(interval, cfg.pending_interval),
            f"{label}: expected interval {cfg.pending_interval} with status {status} (the configured retry "
            f"interval, CSMSCHECK_PENDING_INTERVAL), got {_shown(response, 'interval')}")
    station.findings.check(
        checks.BOOT_TIME_IS_NOW, not mismatches(response, {"currentTime": about_now()}),
        f"{label}: expected currentTime within 2 minutes of now, got {_shown(response, 'currentTime')}")
