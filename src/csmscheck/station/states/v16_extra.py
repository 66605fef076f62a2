"""Steps and test data the OCPP 1.6J feature-profile cases share (chapters 3.14–3.20).

The OCTT leaves some values to its configuration ("<Configured Stack Level>", "<Firmware
Download URL from test data>", ...). The settings have no fields for them yet, so they
are fixed here, as test data, in one place.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from csmscheck.expect import Matcher, assert_matches
from csmscheck.settings import Settings
from csmscheck.station import v16
from csmscheck.station.states import v16 as states
from csmscheck.station.station import Station
from csmscheck.station.v16 import Payload
from csmscheck.timestamps import parse_time, rfc3339

# -- test data -----------------------------------------------------------------------------

DIAGNOSTICS_FILE = "diagnostics-csmscheck.zip"
# A second idTag in the valid idTag's group (TC_053); the suite creates it through the trigger API,
# as an ISO14443 UID (8 hex digits; A: accepted, like the default valid tokens).
GROUP_MEMBER_ID_TAG = "A0000053"
# A vendor the CSMS is not expected to support (TC_064).
UNKNOWN_VENDOR_ID = "com.example.csmscheck-unsupported"


def fresh_id() -> int:
    """An id for a reservation or charging profile no earlier run is likely to have used."""
    return 1 + secrets.randbelow(2**31 - 2)


def about(moment: datetime, tolerance_s: float = 120.0) -> Any:
    """An RFC 3339 timestamp within ``tolerance_s`` of ``moment``."""

    def near(value: Any) -> bool:
        return isinstance(value, str) and abs(parse_time(value) - moment) <= timedelta(seconds=tolerance_s)

    return Matcher(f"<a timestamp within {tolerance_s:g}s of {rfc3339(moment)}>", near)


# -- steps ---------------------------------------------------------------------------------


@asynccontextmanager
async def restoring(station: Station, clean_up: Callable[[], Awaitable[None]]) -> AsyncIterator[None]:
    """Run ``clean_up`` after the block while the station is connected, so later cases find the CSMS as before.

    When the block failed, a failing clean-up does not hide the block's failure.
    """
    try:
        yield
    except BaseException:
        if station.session.connected:
            with suppress(Exception):
                await clean_up()
        raise
    if station.session.connected:
        await clean_up()


async def confirm(station: Station, action: str, payload: Payload, step: str) -> Payload:
    """Send a CALL; a CALLERROR, a schema-invalid answer or no answer fails ``step``. Returns the answer."""
    return await states.checked_call(station, action, payload, step)


async def notify(station: Station, action: str, status: str, step: str) -> None:
    """A FirmwareStatusNotification or DiagnosticsStatusNotification, answered with an empty .conf."""
    assert_matches(await confirm(station, action, {"status": status}, step), {}, step)


async def report_connectors(station: Station, status: str, step: str) -> None:
    """A StatusNotification with ``status`` for connector 0 and every connector, each answered."""
    for connector_id in range(station.cfg.number_of_evses + 1):
        await report_connector(station, connector_id, status, step)


async def report_connector(station: Station, connector_id: int, status: str, step: str) -> None:
    assert_matches(await confirm(station, "StatusNotification", v16.status_notification(connector_id, status),
                                 step), {}, step)
    station.model.connector_status[(connector_id, connector_id)] = status


async def charging_on_reservation(station: Station, reservation_id: int, step: str) -> Payload:
    """Reusable state Charging, its StartTransaction naming ``reservation_id`` (answered Accepted, checked
    as ``step``). Returns the StartTransaction.conf."""
    await states.authorized(station)
    await states.plug_in(station, "Charging state: StatusNotification.conf (Preparing)")
    response = await states.start_transaction(station, reservation_id=reservation_id, step=step)
    assert_matches(response, states.ACCEPTED_TAG, step)
    await states.set_status(station, station.cfg.connector_id, "Charging",
                            step="Charging state: StatusNotification.conf (Charging)")
    station.model.authorized = station.model.charging = station.model.ev_connected = True
    return response


# -- payloads the operator has the CSMS send -----------------------------------------------


def reservation(station: Station, connector_id: int, **extra: Any) -> Payload:
    """ReserveNow for the valid idTag, expiring <Expiry Date Offset> from now, with a fresh reservationId."""
    expiry = datetime.now(UTC) + timedelta(seconds=station.cfg.expiry_date_offset)
    return {"connectorId": connector_id, "expiryDate": rfc3339(expiry), "idTag": station.cfg.valid_id_token,
            "reservationId": fresh_id()} | extra


def charging_schedule(cfg: Settings, **extra: Any) -> Payload:
    """The configured schedule: one period from <startPeriod> at 6 A (or 6000 W) on <numberPhases>."""
    limit = 6.0 if cfg.charging_rate_unit == "A" else 6000.0
    return {"duration": cfg.schedule_duration, "chargingRateUnit": cfg.charging_rate_unit,
            "chargingSchedulePeriod": [{"startPeriod": cfg.start_period, "limit": limit,
                                        "numberPhases": cfg.number_phases}]} | extra


def charging_profile(cfg: Settings, purpose: str, kind: str, *, stack_level: int | None = None,
                     profile_id: int | None = None, schedule: Payload | None = None, **extra: Any) -> Payload:
    """A csChargingProfiles object (the configured stack level and schedule unless given), with a
    fresh chargingProfileId unless one is given."""
    return {"chargingProfileId": profile_id or fresh_id(),
            "stackLevel": cfg.stack_level if stack_level is None else stack_level,
            "chargingProfilePurpose": purpose, "chargingProfileKind": kind,
            "chargingSchedule": schedule or charging_schedule(cfg)} | extra
