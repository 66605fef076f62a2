"""Chapters 3.3 and 3.4: the authorization cache and remote start/stop."""

from __future__ import annotations

from csmscheck.expect import absent_or, assert_matches
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v16 as states
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms, relayed_answer


async def _remote_start(station: Station, csms: Csms, step: str) -> str:
    """The CSMS sends RemoteStartTransaction for the valid idTag; the station accepts. Returns the idTag."""
    cfg = station.cfg
    async with station.expect("RemoteStartTransaction", reply={"status": "Accepted"}) as got:
        await csms.request(station, "RemoteStartTransaction",
                           {"connectorId": cfg.connector_id, "idTag": cfg.valid_id_token})
    assert_matches(got.payload, {"idTag": cfg.valid_id_token, "connectorId": absent_or(cfg.connector_id)}, step)
    return str(got.payload["idTag"])


@octt("TC_007", chapter="3.3")
async def test_tc_007(station: Station) -> None:
    """Regular Start Charging Session – Cached Id."""
    await states.plug_in(station)
    # The idTag is in the station's cache: no Authorize before the transaction.
    await states.start_charging(station, "Step 4: StartTransaction.conf")


@octt("TC_061", chapter="3.3")
async def test_tc_061(station: Station, csms: Csms) -> None:
    """Clear Authorization Data in Authorization Cache."""
    async with station.expect("ClearCache", reply={"status": "Accepted"}) as got:
        reply = await csms.request(station, "ClearCache", {})
    assert_matches(got.payload, {}, "Step 1: ClearCache.req")
    answer = relayed_answer(reply, "Step 2")
    if answer is not None:
        assert_matches(answer, {"status": "Accepted"}, "Step 2: the CSMS's record of ClearCache.conf")


@octt("TC_010", chapter="3.4")
async def test_tc_010(station: Station, csms: Csms) -> None:
    """Remote Start Charging Session – Cable Plugged in First."""
    await states.plug_in(station)
    id_tag = await _remote_start(station, csms, "Step 3: RemoteStartTransaction.req")
    await states.present_id_tag(station, "Step 6: Authorize.conf", id_tag)
    await states.start_charging(station, "Step 8: StartTransaction.conf", id_tag)


@octt("TC_011_1", chapter="3.4")
async def test_tc_011_1(station: Station, csms: Csms, cfg: Settings) -> None:
    """Remote Start Charging Session – Remote Start First."""
    id_tag = await _remote_start(station, csms, "Step 1: RemoteStartTransaction.req")
    await states.present_id_tag(station, "Step 4: Authorize.conf", id_tag)
    await states.set_status(station, cfg.connector_id, "Preparing")
    # The EV driver plugs in the cable: the transaction starts.
    await states.start_charging(station, "Step 8: StartTransaction.conf", id_tag)


@octt("TC_011_2", chapter="3.4")
async def test_tc_011_2(station: Station, csms: Csms, cfg: Settings) -> None:
    """Remote Start Charging Session – Time Out."""
    id_tag = await _remote_start(station, csms, "Step 1: RemoteStartTransaction.req")
    await states.present_id_tag(station, "Step 4: Authorize.conf", id_tag)
    await states.set_status(station, cfg.connector_id, "Preparing")
    await states.connection_timeout(station)


@octt("TC_012", chapter="3.4")
async def test_tc_012(station: Station, csms: Csms) -> None:
    """Remote Stop Charging Session."""
    await states.charging(station)
    tx = station.model.transaction
    assert tx is not None, "Charging state: the station has no transaction"
    async with station.expect("RemoteStopTransaction", reply={"status": "Accepted"}) as got:
        await csms.request(station, "RemoteStopTransaction", {"transactionId": int(tx.id)})
    assert_matches(got.payload, {"transactionId": int(tx.id)}, "Step 1: RemoteStopTransaction.req")
    await states.stop_and_unplug(station, "Remote")
