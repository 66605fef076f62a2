"""Chapter 3.18: the Central System triggers messages from the charge point."""

from __future__ import annotations

from csmscheck.expect import assert_matches
from csmscheck.settings import Settings
from csmscheck.station import Station, v16
from csmscheck.station.states import v16 as states
from csmscheck.station.states import v16_extra as extra
from csmscheck.station.v16 import Payload
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v16.csms_calls import check_relayed, csms_sends


async def _trigger(station: Station, csms: Csms, message: str, connector_id: int | None, status: str,
                   steps: tuple[str, str]) -> None:
    """The CSMS sends TriggerMessage for ``message``; the station answers ``status``."""
    payload: Payload = {"requestedMessage": message}
    if connector_id is not None:
        payload["connectorId"] = connector_id
    sent = await csms_sends(station, csms, "TriggerMessage", payload, f"{steps[0]}: TriggerMessage.req",
                            reply={"status": status})
    assert_matches(sent.payload, payload, f"{steps[0]}: TriggerMessage.req")
    check_relayed(station, sent, f"{steps[1]}: TriggerMessage.conf")


@octt("TC_054", chapter="3.18")
async def test_tc_054(station: Station, csms: Csms, cfg: Settings) -> None:
    """Trigger Message."""
    connector = cfg.connector_id
    await _trigger(station, csms, "MeterValues", connector, "Accepted", ("Step 1", "Step 2"))
    answer = await extra.confirm(station, "MeterValues", v16.meter_values(connector, station.model.meter_wh),
                                 "Step 4: MeterValues.conf")
    assert_matches(answer, {}, "Step 4: MeterValues.conf")

    await _trigger(station, csms, "Heartbeat", None, "Accepted", ("Step 5", "Step 6"))
    answer = await extra.confirm(station, "Heartbeat", {}, "Step 8: Heartbeat.conf")
    states.check_current_time(station, answer, "Step 8: Heartbeat.conf")

    await _trigger(station, csms, "StatusNotification", connector, "Accepted", ("Step 9", "Step 10"))
    await extra.report_connector(station, connector, "Available", "Step 12: StatusNotification.conf")

    await _trigger(station, csms, "DiagnosticsStatusNotification", None, "Accepted", ("Step 13", "Step 14"))
    await extra.notify(station, "DiagnosticsStatusNotification", "Idle",
                       "Step 16: DiagnosticsStatusNotification.conf")

    await _trigger(station, csms, "FirmwareStatusNotification", None, "Accepted", ("Step 17", "Step 18"))
    await extra.notify(station, "FirmwareStatusNotification", "Idle", "Step 20: FirmwareStatusNotification.conf")


@octt("TC_055", chapter="3.18")
async def test_tc_055(station: Station, csms: Csms, cfg: Settings) -> None:
    """Trigger Message - Rejected."""
    # The charge point has <number of connectors>; one more names no connector.
    missing = cfg.number_of_evses + 1
    await _trigger(station, csms, "MeterValues", missing, "Rejected", ("Step 1", "Step 2"))
