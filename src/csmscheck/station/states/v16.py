"""OCPP 1.6J reusable states (Booted, Authorized, Charging), idempotent, and the steps they share with the cases."""

from __future__ import annotations

from csmscheck.expect import assert_matches
from csmscheck.station import v16
from csmscheck.station.station import Station
from csmscheck.station.v16 import Payload

ACCEPTED_TAG: Payload = {"idTagInfo": {"status": "Accepted"}}
"""What Authorize.conf and StartTransaction.conf carry for a tag the Central System accepts."""


async def boot(station: Station, *, expect_status: str | None = "Accepted",
               step: str = "BootNotification.conf") -> Payload:
    response = await station.call("BootNotification", v16.boot_notification(station.cfg))
    if expect_status is not None:
        assert_matches(response, {"status": expect_status}, step)
    station.model.booted = response["status"] == "Accepted"
    return response


async def set_status(station: Station, connector_id: int, status: str) -> None:
    await station.call("StatusNotification", v16.status_notification(connector_id, status))
    station.model.connector_status[(connector_id, connector_id)] = status


async def notify_connectors(station: Station, status: str = "Available") -> None:
    """A StatusNotification for connector 0 (the charge point) and for every connector."""
    for connector_id in range(station.cfg.number_of_evses + 1):
        await set_status(station, connector_id, status)


async def booted(station: Station) -> None:
    """Reusable state Booted: BootNotification Accepted; connector 0 and each connector Available."""
    if station.model.booted:
        return
    await boot(station)
    await notify_connectors(station)


async def authorize(station: Station, id_tag: str | None = None) -> Payload:
    return await station.call("Authorize", {"idTag": id_tag or station.cfg.valid_id_token})


async def present_id_tag(station: Station, step: str, id_tag: str | None = None) -> Payload:
    """The driver presents ``id_tag`` (the configured valid one by default): Authorize, answered Accepted."""
    response = await authorize(station, id_tag)
    assert_matches(response, ACCEPTED_TAG, step)
    station.model.authorized = True
    return response


async def authorized(station: Station) -> None:
    """Reusable state Authorized: Authorize with the valid idTag, answered Accepted."""
    if station.model.authorized:
        return
    await booted(station)
    await present_id_tag(station, "Authorized state: Authorize.conf")


async def plug_in(station: Station) -> None:
    """The EV driver plugs the cable in: the configured connector goes Preparing."""
    await set_status(station, station.cfg.connector_id, "Preparing")
    station.model.ev_connected = True


async def connection_timeout(station: Station) -> None:
    """ConnectionTimeOut passes without a transaction (at once: the suite never sleeps).

    The configured connector goes back to Available and the pending authorization lapses.
    """
    await set_status(station, station.cfg.connector_id, "Available")
    station.model.authorized = station.model.ev_connected = False


async def start_transaction(station: Station, id_tag: str | None = None) -> Payload:
    """StartTransaction on the configured connector; remembers the id the CSMS gives."""
    connector_id = station.cfg.connector_id
    response = await station.call(
        "StartTransaction", v16.start_transaction(connector_id, id_tag or station.cfg.valid_id_token,
                                                  station.model.meter_wh))
    tx = station.model.new_transaction(connector_id, connector_id, str(response["transactionId"]))
    tx.started = True
    return response


async def start_charging(station: Station, step: str, id_tag: str | None = None) -> Payload:
    """StartTransaction answered Accepted (checked as ``step``), then the connector goes Charging."""
    response = await start_transaction(station, id_tag)
    assert_matches(response, ACCEPTED_TAG, step)
    await set_status(station, station.cfg.connector_id, "Charging")
    station.model.authorized = station.model.charging = station.model.ev_connected = True
    return response


async def stop_transaction(station: Station, reason: str | None = None, id_tag: str | None = None) -> Payload:
    tx = station.model.transaction
    assert tx is not None, "no transaction to stop"
    meter = station.model.add_energy(1500.0)
    response = await station.call("StopTransaction", v16.stop_transaction(int(tx.id), meter, reason, id_tag))
    station.model.end_transaction()
    return response


async def stop_and_unplug(station: Station, reason: str) -> Payload:
    """StopTransaction with ``reason``, the connector Finishing, then (the cable unplugged) Available.

    Returns the StopTransaction.conf.
    """
    connector_id = station.cfg.connector_id
    response = await stop_transaction(station, reason)
    await set_status(station, connector_id, "Finishing")
    await set_status(station, connector_id, "Available")
    station.model.ev_connected = False
    return response


async def charging(station: Station) -> None:
    """Reusable state Charging: Preparing, StartTransaction Accepted, Charging."""
    if station.model.charging:
        return
    await authorized(station)
    await plug_in(station)
    await start_charging(station, "Charging state: StartTransaction.conf")
