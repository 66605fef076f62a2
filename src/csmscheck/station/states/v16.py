"""OCPP 1.6J reusable states (Booted, Authorized, Charging), idempotent, and the steps they share with the cases.

Every message the charge point sends names the step it belongs to: a CALLERROR, an answer
that violates the schema or no answer at all fails that step, by name.
"""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from weakref import WeakKeyDictionary

import orjson
import websockets

from csmscheck.checks import v16 as checks
from csmscheck.errors import StepFailed
from csmscheck.expect import about_now, assert_matches, mismatches
from csmscheck.station import v16
from csmscheck.station.registration import check_boot_response
from csmscheck.station.states import v16_transaction_ids
from csmscheck.station.states.ended import transaction_ended
from csmscheck.station.states.groups import check_parent
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


async def checked_call(station: Station, action: str, payload: Payload, step_label: str) -> Payload:
    """``station.call``; a CALLERROR, a schema-invalid answer or no answer fails ``step_label``."""
    try:
        return await station.call(action, payload)
    except StepFailed as exc:  # the step names the message: no need to repeat the action
        raise StepFailed(f"{step_label}: {str(exc).removeprefix(f'{action}: ')}") from None


def connection_refusal(exc: BaseException) -> str:
    """Why the Central System did not let the charge point in, in a few words."""
    if isinstance(exc, websockets.InvalidStatus):
        return f"HTTP {exc.response.status_code}"
    return f"{type(exc).__name__}: {exc}"


async def reconnect(station: Station, step_label: str, *, drop: bool = True) -> None:
    """A new WebSocket connection (after dropping the current one unless ``drop`` is false);
    a refused or failed connection fails ``step_label``."""
    try:
        if drop:
            await station.reconnect()
        else:
            await station.connect()
    except (websockets.InvalidHandshake, ssl.SSLError, OSError) as exc:
        raise StepFailed(f"{step_label}: the Central System refused the connection: "
                         f"{connection_refusal(exc)}") from None


def moment_ago(minutes: float) -> datetime:
    """A moment in the past: when something happened while the station was offline."""
    return datetime.now(UTC) - timedelta(minutes=minutes)


async def boot(station: Station, *, expect_status: str | None = "Accepted",
               step: str = "BootNotification.conf") -> Payload:
    """BootNotification; its status must be ``expect_status`` (unchecked when None)."""
    response = await checked_call(station, "BootNotification", v16.boot_notification(station.cfg), step)
    if expect_status is not None:
        assert_matches(response, {"status": expect_status}, step)
    check_boot_response(station, response, step)
    station.model.booted = response["status"] == "Accepted"
    return response


def shown(payload: Payload, key: str) -> str:
    """A field of a payload as it came on the wire (JSON), or that it was missing."""
    return orjson.dumps(payload[key]).decode() if key in payload else "none"


def check_current_time(station: Station, heartbeat: Payload, step_label: str) -> None:
    """csmscheck check CSC-16-CORE-02: Heartbeat.conf's currentTime is the Central System's current time."""
    station.findings.check(checks.CURRENT_TIME, not mismatches(heartbeat, {"currentTime": about_now()}),
                           f"{step_label}: expected currentTime within 2 minutes of now, got "
                           f"{shown(heartbeat, 'currentTime')}")


def check_boot_accepted(station: Station, response: Payload, step_label: str) -> None:
    """csmscheck check CSC-16-CORE-03: a boot the OCTT does not validate is Accepted all the same."""
    station.findings.check(checks.BOOT_ACCEPTED, response.get("status") == "Accepted",
                           f"{step_label}: expected status Accepted for a charge point the Central System "
                           f"accepted before, got {shown(response, 'status')}")


async def set_status(station: Station, connector_id: int, status: str, *, error_code: str = "NoError",
                     step: str) -> Payload:
    """A StatusNotification; returns the StatusNotification.conf (``step`` names it in failures)."""
    response = await checked_call(station, "StatusNotification",
                                  v16.status_notification(connector_id, status, error_code), step)
    station.model.connector_status[(connector_id, connector_id)] = status
    return response


async def notify_connectors(station: Station, status: str = "Available", *,
                            overrides: dict[int, str] | None = None, step: str) -> None:
    """A StatusNotification for connector 0 (the charge point) and for every connector.

    ``overrides`` gives some connectors another status (e.g. Finishing after a power loss).
    """
    for connector_id in range(station.cfg.number_of_evses + 1):
        await set_status(station, connector_id, (overrides or {}).get(connector_id, status), step=step)


async def booted(station: Station) -> None:
    """Reusable state Booted: BootNotification Accepted; connector 0 and each connector Available."""
    if station.model.booted:
        return
    await boot(station, step="Booted state: BootNotification.conf")
    await notify_connectors(station, step="Booted state: StatusNotification.conf")


async def reboot(station: Station, reconnect_step: str, step: str, status_step: str, *,
                 overrides: dict[int, str] | None = None, expect_status: str | None = "Accepted") -> Payload:
    """The charge point restarts (reset or power back): new connection (refused: ``reconnect_step``),
    BootNotification (its status ``expect_status``, checked as ``step``), then a StatusNotification
    (answers: ``status_step``) per connector and connector 0, Available unless ``overrides`` says otherwise.

    A transaction the station had stays in its memory, to be stopped afterwards.
    """
    await reconnect(station, reconnect_step)
    response = await boot(station, step=step, expect_status=expect_status)
    await notify_connectors(station, overrides=overrides, step=status_step)
    return response


async def lose_connection(station: Station) -> None:
    """[Remove connectivity]: the WebSocket goes down; the station keeps running (and its memory)."""
    await station.close()


async def restore_connection(station: Station) -> None:
    """[Restore connectivity]: a new WebSocket connection, without a reboot (no BootNotification)."""
    await reconnect(station, "[Restore connectivity]", drop=False)


async def authorize(station: Station, id_tag: str | None = None, *, step: str) -> Payload:
    return await checked_call(station, "Authorize", {"idTag": id_tag or station.cfg.valid_id_token}, step)


async def present_id_tag(station: Station, step: str, id_tag: str | None = None) -> Payload:
    """The driver presents ``id_tag`` (the configured valid one by default): Authorize, answered Accepted."""
    response = await authorize(station, id_tag, step=step)
    assert_matches(response, ACCEPTED_TAG, step)
    check_parent(station, response, id_tag or station.cfg.valid_id_token, step)
    station.model.authorized = True
    return response


async def authorized(station: Station) -> None:
    """Reusable state Authorized: Authorize with the valid idTag, answered Accepted."""
    if station.model.authorized:
        return
    await booted(station)
    await present_id_tag(station, "Authorized state: Authorize.conf")


async def plug_in(station: Station, step: str) -> None:
    """The EV driver plugs the cable in: the configured connector goes Preparing."""
    await set_status(station, station.cfg.connector_id, "Preparing", step=step)
    station.model.ev_connected = True


async def connection_timeout(station: Station, step: str) -> None:
    """ConnectionTimeOut passes without a transaction (at once: the suite never sleeps).

    The configured connector goes back to Available and the pending authorization lapses.
    """
    await set_status(station, station.cfg.connector_id, "Available", step=step)
    station.model.authorized = station.model.ev_connected = False


async def start_transaction(station: Station, id_tag: str | None = None, *, timestamp: datetime | None = None,
                            reservation_id: int | None = None, step: str) -> Payload:
    """StartTransaction on the configured connector; remembers the id the CSMS gives.

    ``timestamp``: when it started (in the past for a transaction started offline).
    """
    connector_id = station.cfg.connector_id
    payload = v16.start_transaction(connector_id, id_tag or station.cfg.valid_id_token, station.model.meter_wh,
                                    reservation_id, timestamp=timestamp)
    response = await checked_call(station, "StartTransaction", payload, step)
    v16_transaction_ids.record(station, payload, response, step)
    tx = station.model.new_transaction(connector_id, connector_id, str(response["transactionId"]))
    tx.started = True
    return response


async def start_charging(station: Station, step: str, status_step: str, id_tag: str | None = None) -> Payload:
    """StartTransaction answered Accepted (checked as ``step``), then the connector goes Charging
    (its StatusNotification.conf: ``status_step``)."""
    response = await start_transaction(station, id_tag, step=step)
    assert_matches(response, ACCEPTED_TAG, step)
    check_parent(station, response, id_tag or station.cfg.valid_id_token, step)
    await set_status(station, station.cfg.connector_id, "Charging", step=status_step)
    station.model.authorized = station.model.charging = station.model.ev_connected = True
    return response


async def stop_transaction(station: Station, reason: str | None = None, id_tag: str | None = None, *,
                           timestamp: datetime | None = None, transaction_data: list[Payload] | None = None,
                           step: str) -> Payload:
    """StopTransaction of the station's transaction (at ``timestamp``, default now).

    Once the Central System has answered, the transaction-end hooks run (the suite reads back
    what it stored); they report findings, never fail the step.
    """
    tx = station.model.transaction
    if tx is None:
        raise StepFailed(f"{step}: the charge point has no transaction to stop")
    meter = station.model.add_energy(1500.0)
    payload = v16.stop_transaction(int(tx.id), meter, reason, id_tag, timestamp=timestamp,
                                   transaction_data=transaction_data)
    response = await checked_call(station, "StopTransaction", payload, step)
    station.model.end_transaction()
    await transaction_ended(station, tx.id)
    return response


def check_stop_answer(station: Station, response: Payload, step_label: str) -> None:
    """csmscheck check CSC-16-CORE-04: the idTagInfo of a StopTransaction.conf, when the Central System
    sends one for a transaction stopped with an accepted idTag, says Accepted."""
    if "idTagInfo" in response:
        problems = mismatches(response["idTagInfo"], {"status": "Accepted"})
        station.findings.check(checks.STOP_TAG_ACCEPTED, not problems,
                               f"{step_label}: idTagInfo.status: expected \"Accepted\" for the idTag that stopped "
                               f"the transaction, got {shown(response['idTagInfo'], 'status')}")


def running_transaction_id(station: Station, state: str) -> int:
    """The id of the transaction the reusable state ``state`` started."""
    tx = station.model.transaction
    if tx is None:
        raise StepFailed(f"{state}: the charge point has no transaction")
    return int(tx.id)


async def stop_and_unplug(station: Station, reason: str, *, steps: tuple[str, str, str]) -> Payload:
    """StopTransaction with ``reason``, the connector Finishing, then (the cable unplugged) Available;
    ``steps`` name the three answers. Returns the StopTransaction.conf."""
    stop_step, finishing_step, available_step = steps
    response = await stop_transaction(station, reason, step=stop_step)
    await set_status(station, station.cfg.connector_id, "Finishing", step=finishing_step)
    await unplug(station, available_step)
    return response


async def unplug(station: Station, step: str) -> None:
    """The EV driver unplugs the cable: the configured connector goes Available."""
    await set_status(station, station.cfg.connector_id, "Available", step=step)
    station.model.ev_connected = False


async def charging(station: Station) -> None:
    """Reusable state Charging: Preparing, StartTransaction Accepted, Charging."""
    if station.model.charging:
        return
    await authorized(station)
    await plug_in(station, "Charging state: StatusNotification.conf (Preparing)")
    await start_charging(station, "Charging state: StartTransaction.conf",
                         "Charging state: StatusNotification.conf (Charging)")
