"""Block P: data transfer (P02) and custom data — what the CSMS does with what OCPP leaves to vendors.

TC_P_02 sends a DataTransfer with the configured vendorId and messageId (CONFIGURED_VENDOR_ID,
CONFIGURED_MESSAGE_ID: an extension the CSMS does not implement); beyond the OCTT, a made-up vendorId
must be UnknownVendorId and, for the vendorId the CSMS implements (CONFIGURED_CSMS_VENDOR_ID), a
made-up messageId UnknownMessageId. TC_P_03 sends customData, which a CSMS may ignore but must take.
"""

from __future__ import annotations

import secrets
from typing import Any

from csmscheck.checks import customer_data as checks
from csmscheck.errors import StepFailed
from csmscheck.expect import assert_matches, one_of, step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.station.states import v201 as states
from csmscheck.suite.marks import octt
from csmscheck.suite.v201.operations_steps import shown

Payload = dict[str, Any]
CUSTOM_DATA = {"vendorId": "org.openchargealliance.octt", "note": "csmscheck custom data"}


async def data_transfer(station: Station, vendor_id: str, message_id: str, label: str) -> Payload:
    """The station sends a DataTransfer; returns the CSMS's answer (a CALLERROR fails step ``label``)."""
    with step(label):
        return await station.call("DataTransfer", {"vendorId": vendor_id, "messageId": message_id,
                                                   "data": "csmscheck"})


@octt("TC_P_02", reqs=["P02.FR.06", "P02.FR.07"])
async def test_tc_p_02(station: Station, cfg: Settings) -> None:
    """Data Transfer to the CSMS - Rejected / Unknown VendorId / Unknown MessageId."""
    label = "Step 2: DataTransferResponse"
    response = await data_transfer(station, cfg.vendor_id, cfg.message_id, label)
    assert_matches(response, {"status": one_of("UnknownVendorId", "UnknownMessageId", "Rejected")}, label)
    made_up = f"com.example.csmscheck-{secrets.token_hex(4)}"
    label = "After step 2: DataTransferResponse (a made-up vendorId)"
    response = await data_transfer(station, made_up, cfg.message_id, label)
    station.findings.check(checks.UNKNOWN_VENDOR, response.get("status") == "UnknownVendorId",
                           f"{label}: expected status UnknownVendorId for vendorId {made_up}, got {shown(response)}")
    if cfg.csms_vendor_id is None:
        return
    label = "After step 2: DataTransferResponse (the CSMS's vendorId, a made-up messageId)"
    message_id = f"csmscheck-{secrets.token_hex(4)}"
    response = await data_transfer(station, cfg.csms_vendor_id, message_id, label)
    station.findings.check(checks.UNKNOWN_MESSAGE, response.get("status") == "UnknownMessageId",
                           f"{label}: expected status UnknownMessageId for messageId {message_id} of vendorId "
                           f"{cfg.csms_vendor_id} (CONFIGURED_CSMS_VENDOR_ID), got {shown(response)}")


@octt("TC_P_03")
async def test_tc_p_03(station: Station, cfg: Settings) -> None:
    """CustomData - Receive custom data."""
    status = msg.status_notification(cfg.evse_id, cfg.connector_id, "Occupied") | {"customData": CUSTOM_DATA}
    with step("Step 2: StatusNotificationResponse"):
        await station.call("StatusNotification", status)
    station.model.connector_status[(cfg.evse_id, cfg.connector_id)] = "Occupied"
    tx = station.model.new_transaction(cfg.evse_id, cfg.connector_id)
    event = msg.transaction_event(tx, "Started", "Authorized", token=states.valid_token(station),
                                  charging_state="EVConnected")
    event["customData"] = CUSTOM_DATA
    event["transactionInfo"]["customData"] = CUSTOM_DATA
    label = "Step 4: TransactionEventResponse"
    with step(label):
        response = await states.deliver_event(station, event)
    tx.started = True
    if not isinstance(response, dict):
        raise StepFailed(f"{label}: no TransactionEventResponse")
    info = response.get("idTokenInfo", {})
    station.findings.check(checks.CUSTOM_DATA_IGNORED, info.get("status") == "Accepted",
                           f"{label}: the valid idToken {cfg.valid_id_token} with customData was answered "
                           f"{shown(response.get('idTokenInfo'))}, not Accepted")
