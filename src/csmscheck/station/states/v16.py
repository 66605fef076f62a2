"""OCPP 1.6J reusable states (Booted, Authorized, Charging), idempotent."""

from __future__ import annotations

from csmscheck.expect import assert_matches
from csmscheck.station import v16
from csmscheck.station.station import Station
from csmscheck.station.v16 import Payload


async def boot(station: Station, *, expect_status: str | None = "Accepted") -> Payload:
    response = await station.call("BootNotification", v16.boot_notification(station.cfg))
    if expect_status is not None:
        assert_matches(response, {"status": expect_status}, "BootNotification.conf")
    station.model.booted = response["status"] == "Accepted"
    return response


async def set_status(station: Station, connector_id: int, status: str) -> None:
    await station.call("StatusNotification", v16.status_notification(connector_id, status))
    station.model.connector_status[(connector_id, connector_id)] = status


async def booted(station: Station) -> None:
    """Reusable state Booted: BootNotification Accepted; connector 0 and each connector Available."""
    if station.model.booted:
        return
    await boot(station)
    for connector_id in range(station.cfg.number_of_evses + 1):
        await set_status(station, connector_id, "Available")


async def authorize(station: Station, id_tag: str | None = None) -> Payload:
    return await station.call("Authorize", {"idTag": id_tag or station.cfg.valid_id_token})


async def authorized(station: Station) -> None:
    """Reusable state Authorized: Authorize with the valid idTag, answered Accepted."""
    if station.model.authorized:
        return
    await booted(station)
    response = await authorize(station)
    assert_matches(response, {"idTagInfo": {"status": "Accepted"}}, "Authorized state: Authorize.conf")
    station.model.authorized = True


async def start_transaction(station: Station, id_tag: str | None = None) -> Payload:
    """StartTransaction on the configured connector; remembers the id the CSMS gives."""
    connector_id = station.cfg.connector_id
    response = await station.call(
        "StartTransaction", v16.start_transaction(connector_id, id_tag or station.cfg.valid_id_token,
                                                  station.model.meter_wh))
    tx = station.model.new_transaction(connector_id, connector_id, str(response["transactionId"]))
    tx.started = True
    return response


async def stop_transaction(station: Station, reason: str | None = None, id_tag: str | None = None) -> Payload:
    tx = station.model.transaction
    assert tx is not None, "no transaction to stop"
    meter = station.model.add_energy(1500.0)
    response = await station.call("StopTransaction", v16.stop_transaction(int(tx.id), meter, reason, id_tag))
    station.model.end_transaction()
    return response


async def charging(station: Station) -> None:
    """Reusable state Charging: Preparing, StartTransaction Accepted, Charging."""
    if station.model.charging:
        return
    await authorized(station)
    connector_id = station.cfg.connector_id
    await set_status(station, connector_id, "Preparing")
    response = await start_transaction(station)
    assert_matches(response, {"idTagInfo": {"status": "Accepted"}}, "Charging state: StartTransaction.conf")
    await set_status(station, connector_id, "Charging")
    station.model.charging = station.model.ev_connected = True
