"""OCPP 2.0.1 reusable states of the CSMS test cases, idempotent.

Each state checks the station's model first and runs only the steps still missing,
asserting the state's tool validations as it goes. The order of a charging session:

    Booted → Authorized → (EVConnectedPreSession) → EnergyTransferStarted
           → (EnergyTransferSuspended) → StopAuthorized → EVConnectedPostSession → EVDisconnected
"""

from __future__ import annotations

from csmscheck.checks import v201 as checks
from csmscheck.expect import ABSENT, assert_matches, step
from csmscheck.station import v201
from csmscheck.station.operator import CsmsOperator
from csmscheck.station.registration import check_boot_response
from csmscheck.station.states.ended import transaction_ended
from csmscheck.station.states.groups import check_group
from csmscheck.station.station import Station
from csmscheck.station.timing import scenario_wait
from csmscheck.station.v201 import Payload

ACCEPTED_TOKEN = {"idTokenInfo": {"status": "Accepted"}}


async def boot(station: Station, reason: str = "PowerUp", *, expect_status: str | None = "Accepted",
               label: str = "Booted state") -> Payload:
    """Send a BootNotification; check its status unless ``expect_status`` is None.

    ``label`` names the step whose answer this is (``"Step 2"``) in a failure.
    """
    with step(label):
        response = await station.call("BootNotification", v201.boot_notification(station.cfg, reason))
    if expect_status is not None:
        assert_matches(response, {"status": expect_status}, f"{label}: BootNotificationResponse")
    check_boot_response(station, response, f"{label}: BootNotificationResponse")
    station.model.booted = response["status"] == "Accepted"
    return response


async def notify_connectors(station: Station, status: str = "Available") -> None:
    """Report the status of every connector (one connector per EVSE)."""
    for evse_id in range(1, station.cfg.number_of_evses + 1):
        await set_connector_status(station, evse_id, 1, status)


async def set_connector_status(station: Station, evse_id: int, connector_id: int, status: str) -> None:
    await station.call("StatusNotification", v201.status_notification(evse_id, connector_id, status))
    station.model.connector_status[(evse_id, connector_id)] = status


async def connector_event(station: Station, status: str, evse_id: int | None = None,
                          connector_id: int | None = None) -> None:
    """StatusNotification plus NotifyEvent(AvailabilityState) for a connector (the configured one by default)."""
    evse_id = evse_id or station.cfg.evse_id
    connector_id = connector_id or station.cfg.connector_id
    await set_connector_status(station, evse_id, connector_id, status)
    await station.call("NotifyEvent", v201.availability_event(evse_id, connector_id, status))


async def booted(station: Station, reason: str = "PowerUp") -> None:
    """Booted: BootNotification Accepted, then every connector Available."""
    if station.model.booted:
        return
    await boot(station, reason)
    with step("Booted state"):
        await notify_connectors(station)


def valid_token(station: Station) -> Payload:
    return v201.id_token(station.cfg.valid_id_token, station.cfg.valid_id_token_type)


async def deliver_event(station: Station, payload: Payload) -> Payload:
    """Send a TransactionEvent as built (live or queued offline); returns the CSMS's answer.

    Once the CSMS has answered an Ended event, the transaction-end hooks run (the suite reads
    back what the CSMS stored); they report findings, never fail the step.
    """
    response = await station.call("TransactionEvent", payload)
    if payload["eventType"] == "Ended":
        await transaction_ended(station, payload["transactionInfo"]["transactionId"])
    return response


async def send_event(station: Station, event_type: str, trigger_reason: str, **fields: object) -> Payload:
    """Send a TransactionEvent for the current transaction (starting one if there is none)."""
    model = station.model
    tx = model.transaction or model.new_transaction(station.cfg.evse_id, station.cfg.connector_id)
    payload = v201.transaction_event(tx, event_type, trigger_reason, **fields)  # type: ignore[arg-type]
    response = await deliver_event(station, payload)
    tx.started = True
    if event_type == "Ended":
        model.end_transaction()
        model.ev_connected = model.ev_connected and trigger_reason != "EVCommunicationLost"
    return response


def _event_type(station: Station) -> str:
    tx = station.model.transaction
    return "Updated" if tx is not None and tx.started else "Started"


async def authorize(station: Station, token: Payload | None = None) -> Payload:
    token = token or valid_token(station)
    return await station.call("Authorize", {"idToken": token})


async def authorized(station: Station, token: Payload | None = None) -> None:
    """Authorized: Authorize, then TransactionEvent(Authorized) — Updated if the EV is already connected."""
    if station.model.authorized:
        return
    await booted(station)
    token = token or valid_token(station)
    with step("Authorized state"):
        response = await authorize(station, token)
    assert_matches(response, ACCEPTED_TOKEN, "Authorized state: Step 2: AuthorizeResponse")
    check_group(station, checks.VALID_TOKEN_AUTHORIZED, response, token["idToken"],
                "Authorized state: Step 2: AuthorizeResponse")
    with step("Authorized state"):
        response = await send_event(station, _event_type(station), "Authorized", token=token)
    assert_matches(response, ACCEPTED_TOKEN, "Authorized state: Step 4: TransactionEventResponse")
    check_group(station, checks.VALID_TOKEN_IN_TRANSACTION, response, token["idToken"],
                "Authorized state: Step 4: TransactionEventResponse")
    station.model.authorized = True


async def ev_connected_pre_session(station: Station) -> None:
    """EVConnectedPreSession: the cable is plugged in (connector Occupied), transaction started or updated."""
    if station.model.ev_connected:
        return
    await booted(station)
    with step("EVConnectedPreSession state"):
        await connector_event(station, "Occupied")
        await send_event(station, _event_type(station), "CablePluggedIn", charging_state="EVConnected")
    station.model.ev_connected = True


async def energy_transfer_started(station: Station) -> None:
    """EnergyTransferStarted: authorized, EV plugged in, charging."""
    if station.model.charging:
        return
    await authorized(station)
    await ev_connected_pre_session(station)
    station.model.add_energy(10.0)
    with step("EnergyTransferStarted state"):
        await send_event(station, "Updated", "ChargingStateChanged", charging_state="Charging")
    station.model.charging, station.model.suspended = True, False


async def _transaction_runs(station: Station) -> None:
    """The OCTT lets the transaction run for TRANSACTION_DURATION seconds (an OCTT step, not a sync)."""
    await scenario_wait(station.cfg.transaction_duration)
    station.model.add_energy(1000.0)


async def energy_transfer_suspended(station: Station) -> None:
    """EnergyTransferSuspended: the EV suspends charging."""
    if station.model.suspended:
        return
    await energy_transfer_started(station)
    await _transaction_runs(station)
    with step("EnergyTransferSuspended state"):
        await send_event(station, "Updated", "ChargingStateChanged", charging_state="SuspendedEV")
    station.model.suspended, station.model.charging = True, False


async def stop_authorized(station: Station, token: Payload | None = None) -> None:
    """StopAuthorized: the driver presents the token again to stop; the CSMS accepts it."""
    if station.model.stop_authorized:
        return
    await energy_transfer_started(station)
    await _transaction_runs(station)
    token = token or valid_token(station)
    with step("StopAuthorized state"):
        response = await send_event(station, "Updated", "StopAuthorized", token=token,
                                    meter_context="Transaction.End")
    assert_matches(response, ACCEPTED_TOKEN, "StopAuthorized state: Step 2: TransactionEventResponse")
    check_group(station, checks.VALID_TOKEN_IN_TRANSACTION, response, token["idToken"],
                "StopAuthorized state: Step 2: TransactionEventResponse")
    station.model.stop_authorized, station.model.charging = True, False


async def ev_connected_post_session(station: Station) -> None:
    """EVConnectedPostSession: energy transfer stopped, the EV still plugged in."""
    await stop_authorized(station)
    with step("EVConnectedPostSession state"):
        await send_event(station, "Updated", "ChargingStateChanged", charging_state="EVConnected")


async def ev_disconnected(station: Station) -> None:
    """EVDisconnected: the cable is unplugged and the transaction ends."""
    await ev_connected_post_session(station)
    with step("EVDisconnected state"):
        await connector_event(station, "Available")
        await send_event(station, "Ended", "EVCommunicationLost", charging_state="Idle",
                         stopped_reason="EVDisconnected", meter_context="Transaction.End")
    station.model.ev_connected = False


async def parking_bay_occupied(station: Station) -> None:
    """ParkingBayOccupied: an EV is detected in the bay (TxStartPoint ParkingBayOccupancy)."""
    await booted(station)
    with step("ParkingBayOccupied state"):
        await send_event(station, _event_type(station), "EVDetected")


async def reserved(station: Station, csms: CsmsOperator, reservation: Payload, evse_id: int | None = None) -> Payload:
    """Reserved: the CSMS sends ReserveNow (via the trigger), the station accepts and reports Reserved.

    ``reservation`` is the ReserveNow payload asked of the CSMS; returns the request the CSMS sent.
    """
    evse_id = evse_id or reservation.get("evseId") or station.cfg.evse_id
    with step("Reserved state: Step 1"):
        async with station.expect("ReserveNow", reply={"status": "Accepted"}) as got:
            await csms.request(station, "ReserveNow", reservation)
    with step("Reserved state: Step 3"):
        await connector_event(station, "Reserved", evse_id, 1)
    return got.payload


async def unavailable(station: Station, csms: CsmsOperator, evse_id: int | None = None) -> Payload:
    """Unavailable: the CSMS sets the EVSE Inoperative; the station reports its connector Unavailable."""
    evse_id = evse_id or station.cfg.evse_id
    with step("Unavailable state: Step 1"):
        async with station.expect("ChangeAvailability", reply={"status": "Accepted"}) as got:
            await csms.request(station, "ChangeAvailability", {"operationalStatus": "Inoperative",
                                                                "evse": {"id": evse_id}})
    assert_matches(got.payload, {"operationalStatus": "Inoperative", "evse": {"id": evse_id, "connectorId": ABSENT}},
                   "Unavailable state: Step 1: ChangeAvailabilityRequest")
    with step("Unavailable state: Step 3"):
        await connector_event(station, "Unavailable", evse_id, 1)
    return got.payload
