"""OCPP 1.6J reusable states (Booted, Authorized, Charging), idempotent, and the steps they share with the cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from weakref import WeakKeyDictionary

from csmscheck.errors import StepFailed
from csmscheck.expect import assert_matches
from csmscheck.station import v16
from csmscheck.station.station import Station
from csmscheck.station.v16 import ChargePointConfiguration, Payload

ACCEPTED_TAG: Payload = {"idTagInfo": {"status": "Accepted"}}
"""What Authorize.conf and StartTransaction.conf carry for a tag the Central System accepts."""

_CONFIGURATIONS: WeakKeyDictionary[Station, ChargePointConfiguration] = WeakKeyDictionary()


def configuration(station: Station) -> ChargePointConfiguration:
    """The station's configuration keys; they answer GetConfiguration and ChangeConfiguration."""
    config = _CONFIGURATIONS.get(station)
    if config is None:
        config = _CONFIGURATIONS[station] = ChargePointConfiguration(station.cfg.number_of_evses)
        station.session.replies["GetConfiguration"] = config.get_configuration
        station.session.replies["ChangeConfiguration"] = config.change_configuration
    return config


async def checked_call(station: Station, action: str, payload: Payload, step: str | None) -> Payload:
    """``station.call``, with a CALLERROR or a missing answer reported as a failure of ``step``."""
    try:
        return await station.call(action, payload)
    except StepFailed as exc:
        raise StepFailed(f"{step}: {exc}" if step else str(exc)) from None


def moment_ago(minutes: float) -> datetime:
    """A moment in the past: when something happened while the station was offline."""
    return datetime.now(UTC) - timedelta(minutes=minutes)


async def boot(station: Station, *, expect_status: str | None = "Accepted",
               step: str = "BootNotification.conf") -> Payload:
    response = await checked_call(station, "BootNotification", v16.boot_notification(station.cfg), step)
    if expect_status is not None:
        assert_matches(response, {"status": expect_status}, step)
    station.model.booted = response["status"] == "Accepted"
    return response


async def set_status(station: Station, connector_id: int, status: str, *, error_code: str = "NoError",
                     step: str | None = None) -> Payload:
    """A StatusNotification; returns the StatusNotification.conf (``step`` names it in failures)."""
    response = await checked_call(station, "StatusNotification",
                                  v16.status_notification(connector_id, status, error_code), step)
    station.model.connector_status[(connector_id, connector_id)] = status
    return response


async def notify_connectors(station: Station, status: str = "Available",
                            overrides: dict[int, str] | None = None, step: str | None = None) -> None:
    """A StatusNotification for connector 0 (the charge point) and for every connector.

    ``overrides`` gives some connectors another status (e.g. Finishing after a power loss).
    """
    for connector_id in range(station.cfg.number_of_evses + 1):
        await set_status(station, connector_id, (overrides or {}).get(connector_id, status), step=step)


async def booted(station: Station) -> None:
    """Reusable state Booted: BootNotification Accepted; connector 0 and each connector Available."""
    if station.model.booted:
        return
    await boot(station)
    await notify_connectors(station)


async def reboot(station: Station, step: str, status_step: str | None = None,
                 overrides: dict[int, str] | None = None) -> Payload:
    """The charge point restarts (reset or power back): new connection, BootNotification
    Accepted (checked as ``step``), then a StatusNotification (answers: ``status_step``)
    per connector and connector 0, Available unless ``overrides`` says otherwise.

    A transaction the station had stays in its memory, to be stopped afterwards.
    """
    await station.reconnect()
    response = await boot(station, step=step)
    await notify_connectors(station, overrides=overrides, step=status_step)
    return response


async def lose_connection(station: Station) -> None:
    """[Remove connectivity]: the WebSocket goes down; the station keeps running (and its memory)."""
    await station.close()


async def restore_connection(station: Station) -> None:
    """[Restore connectivity]: a new WebSocket connection, without a reboot (no BootNotification)."""
    await station.connect()


async def authorize(station: Station, id_tag: str | None = None, step: str | None = None) -> Payload:
    return await checked_call(station, "Authorize", {"idTag": id_tag or station.cfg.valid_id_token}, step)


async def present_id_tag(station: Station, step: str, id_tag: str | None = None) -> Payload:
    """The driver presents ``id_tag`` (the configured valid one by default): Authorize, answered Accepted."""
    response = await authorize(station, id_tag, step)
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


async def start_transaction(station: Station, id_tag: str | None = None, *, timestamp: datetime | None = None,
                            step: str | None = None) -> Payload:
    """StartTransaction on the configured connector; remembers the id the CSMS gives.

    ``timestamp``: when it started (in the past for a transaction started offline).
    """
    connector_id = station.cfg.connector_id
    payload = v16.start_transaction(connector_id, id_tag or station.cfg.valid_id_token, station.model.meter_wh,
                                    timestamp=timestamp)
    response = await checked_call(station, "StartTransaction", payload, step)
    tx = station.model.new_transaction(connector_id, connector_id, str(response["transactionId"]))
    tx.started = True
    return response


async def start_charging(station: Station, step: str, id_tag: str | None = None) -> Payload:
    """StartTransaction answered Accepted (checked as ``step``), then the connector goes Charging."""
    response = await start_transaction(station, id_tag, step=step)
    assert_matches(response, ACCEPTED_TAG, step)
    await set_status(station, station.cfg.connector_id, "Charging")
    station.model.authorized = station.model.charging = station.model.ev_connected = True
    return response


async def stop_transaction(station: Station, reason: str | None = None, id_tag: str | None = None, *,
                           timestamp: datetime | None = None, transaction_data: list[Payload] | None = None,
                           step: str | None = None) -> Payload:
    """StopTransaction of the station's transaction (at ``timestamp``, default now)."""
    tx = station.model.transaction
    assert tx is not None, "no transaction to stop"
    meter = station.model.add_energy(1500.0)
    payload = v16.stop_transaction(int(tx.id), meter, reason, id_tag, timestamp=timestamp,
                                   transaction_data=transaction_data)
    response = await checked_call(station, "StopTransaction", payload, step)
    station.model.end_transaction()
    return response


def check_stop_answer(response: Payload, step: str, id_tag_status: str = "Accepted") -> None:
    """A StopTransaction.conf: its idTagInfo, when the CSMS sends one, has ``id_tag_status``."""
    if "idTagInfo" in response:
        assert_matches(response, {"idTagInfo": {"status": id_tag_status}}, step)


async def stop_and_unplug(station: Station, reason: str) -> Payload:
    """StopTransaction with ``reason``, the connector Finishing, then (the cable unplugged) Available.

    Returns the StopTransaction.conf.
    """
    connector_id = station.cfg.connector_id
    response = await stop_transaction(station, reason)
    await set_status(station, connector_id, "Finishing")
    await unplug(station)
    return response


async def unplug(station: Station, step: str | None = None) -> None:
    """The EV driver unplugs the cable: the configured connector goes Available."""
    await set_status(station, station.cfg.connector_id, "Available", step=step)
    station.model.ev_connected = False


async def charging(station: Station) -> None:
    """Reusable state Charging: Preparing, StartTransaction Accepted, Charging."""
    if station.model.charging:
        return
    await authorized(station)
    await plug_in(station)
    await start_charging(station, "Charging state: StartTransaction.conf")
