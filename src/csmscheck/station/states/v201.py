"""OCPP 2.0.1 reusable states (Booted, Authorized, EnergyTransferStarted, ...).

Each helper checks the station's model first and runs only the steps still missing,
asserting the tool validations of the state as it goes.
"""

from __future__ import annotations

from csmscheck.expect import assert_matches
from csmscheck.station import v201
from csmscheck.station.station import Station
from csmscheck.station.v201 import Payload


async def boot(station: Station, reason: str = "PowerUp", *, expect_status: str | None = "Accepted") -> Payload:
    """Send a BootNotification; check its status unless ``expect_status`` is None."""
    response = await station.call("BootNotification", v201.boot_notification(station.cfg, reason))
    if expect_status is not None:
        assert_matches(response, {"status": expect_status}, "BootNotificationResponse")
    station.model.booted = response["status"] == "Accepted"
    return response


async def notify_connectors(station: Station, status: str = "Available") -> None:
    """Report the status of every connector (one connector per EVSE)."""
    for evse_id in range(1, station.cfg.number_of_evses + 1):
        await set_connector_status(station, evse_id, 1, status)


async def set_connector_status(station: Station, evse_id: int, connector_id: int, status: str) -> None:
    await station.call("StatusNotification", v201.status_notification(evse_id, connector_id, status))
    station.model.connector_status[(evse_id, connector_id)] = status


async def booted(station: Station, reason: str = "PowerUp") -> None:
    """Reusable state Booted: BootNotification Accepted, then every connector Available."""
    if station.model.booted:
        return
    await boot(station, reason)
    await notify_connectors(station)


async def connector_event(station: Station, status: str) -> None:
    """StatusNotification plus the NotifyEvent(AvailabilityState) of the configured connector."""
    evse_id, connector_id = station.cfg.evse_id, station.cfg.connector_id
    await set_connector_status(station, evse_id, connector_id, status)
    await station.call("NotifyEvent", v201.availability_event(evse_id, connector_id, status))


def _token(station: Station) -> Payload:
    return v201.id_token(station.cfg.valid_id_token, station.cfg.valid_id_token_type)


async def send_event(station: Station, event_type: str, trigger_reason: str, **fields: object) -> Payload:
    """Send a TransactionEvent for the current transaction (starting one if needed)."""
    model = station.model
    tx = model.transaction or model.new_transaction(station.cfg.evse_id, station.cfg.connector_id)
    payload = v201.transaction_event(tx, event_type, trigger_reason, **fields)  # type: ignore[arg-type]
    response = await station.call("TransactionEvent", payload)
    tx.started = True
    if event_type == "Ended":
        model.end_transaction()
    return response


async def authorized(station: Station) -> None:
    """Reusable state Authorized: Authorize, then TransactionEvent(Authorized)."""
    if station.model.authorized:
        return
    await booted(station)
    response = await station.call("Authorize", v201.authorize(station.cfg.valid_id_token,
                                                             station.cfg.valid_id_token_type))
    assert_matches(response, {"idTokenInfo": {"status": "Accepted"}}, "Authorized state: AuthorizeResponse")
    event_type = "Updated" if station.model.ev_connected else "Started"
    response = await send_event(station, event_type, "Authorized", token=_token(station))
    assert_matches(response, {"idTokenInfo": {"status": "Accepted"}}, "Authorized state: TransactionEventResponse")
    station.model.authorized = True


async def energy_transfer_started(station: Station) -> None:
    """Reusable state EnergyTransferStarted: authorized, EV plugged in, charging."""
    if station.model.charging:
        return
    await authorized(station)
    if not station.model.ev_connected:
        await connector_event(station, "Occupied")
        await send_event(station, "Updated", "CablePluggedIn", charging_state="EVConnected")
        station.model.ev_connected = True
    await send_event(station, "Updated", "ChargingStateChanged", charging_state="Charging")
    station.model.charging = True
