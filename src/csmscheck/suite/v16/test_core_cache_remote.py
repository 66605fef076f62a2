"""Chapters 3.3 and 3.4: the authorization cache and remote start/stop."""

from __future__ import annotations

from csmscheck.station import Station
from csmscheck.station.states import v16 as states
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v16.csms_calls import check_relayed, csms_sends


async def _remote_start(station: Station, csms: Csms, steps: tuple[str, str]) -> str:
    """The CSMS sends RemoteStartTransaction for the valid idTag; the station accepts. Returns the idTag sent,
    which the charge point then uses. The OCTT validates nothing of the request itself."""
    cfg = station.cfg
    sent = await csms_sends(station, csms, "RemoteStartTransaction",
                            {"connectorId": cfg.connector_id, "idTag": cfg.valid_id_token},
                            f"{steps[0]}: RemoteStartTransaction.req", reply={"status": "Accepted"})
    check_relayed(station, sent, f"{steps[1]}: RemoteStartTransaction.conf")
    return str(sent.payload["idTag"])


@octt("TC_007", chapter="3.3")
async def test_tc_007(station: Station) -> None:
    """Regular Start Charging Session – Cached Id."""
    await states.plug_in(station, "Step 2: StatusNotification.conf")
    # The idTag is in the station's cache: no Authorize before the transaction.
    await states.start_charging(station, "Step 4: StartTransaction.conf", "Step 6: StatusNotification.conf")


@octt("TC_061", chapter="3.3")
async def test_tc_061(station: Station, csms: Csms) -> None:
    """Clear Authorization Data in Authorization Cache."""
    sent = await csms_sends(station, csms, "ClearCache", {}, "Step 1: ClearCache.req", reply={"status": "Accepted"})
    check_relayed(station, sent, "Step 2: ClearCache.conf")


@octt("TC_010", chapter="3.4")
async def test_tc_010(station: Station, csms: Csms) -> None:
    """Remote Start Charging Session – Cable Plugged in First."""
    await states.plug_in(station, "Step 2: StatusNotification.conf")
    id_tag = await _remote_start(station, csms, ("Step 3", "Step 4"))
    await states.present_id_tag(station, "Step 6: Authorize.conf", id_tag)
    await states.start_charging(station, "Step 8: StartTransaction.conf", "Step 10: StatusNotification.conf", id_tag)


@octt("TC_011_1", chapter="3.4")
async def test_tc_011_1(station: Station, csms: Csms) -> None:
    """Remote Start Charging Session – Remote Start First."""
    id_tag = await _remote_start(station, csms, ("Step 1", "Step 2"))
    await states.present_id_tag(station, "Step 4: Authorize.conf", id_tag)
    await states.plug_in(station, "Step 6: StatusNotification.conf")
    # The EV driver plugs in the cable: the transaction starts.
    await states.start_charging(station, "Step 8: StartTransaction.conf", "Step 10: StatusNotification.conf", id_tag)


@octt("TC_011_2", chapter="3.4")
async def test_tc_011_2(station: Station, csms: Csms) -> None:
    """Remote Start Charging Session – Time Out."""
    id_tag = await _remote_start(station, csms, ("Step 1", "Step 2"))
    await states.present_id_tag(station, "Step 4: Authorize.conf", id_tag)
    await states.plug_in(station, "Step 6: StatusNotification.conf")
    await states.connection_timeout(station, "Step 8: StatusNotification.conf")


@octt("TC_012", chapter="3.4")
async def test_tc_012(station: Station, csms: Csms) -> None:
    """Remote Stop Charging Session."""
    await states.charging(station)
    transaction_id = states.running_transaction_id(station, "Charging state")
    sent = await csms_sends(station, csms, "RemoteStopTransaction", {"transactionId": transaction_id},
                            "Step 1: RemoteStopTransaction.req", reply={"status": "Accepted"})
    check_relayed(station, sent, "Step 2: RemoteStopTransaction.conf")
    await states.stop_and_unplug(station, "Remote", steps=(
        "Step 4: StopTransaction.conf", "Step 6: StatusNotification.conf", "Step 8: StatusNotification.conf"))
