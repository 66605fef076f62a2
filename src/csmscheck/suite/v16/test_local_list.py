"""Chapter 3.14: Local Authorization List management."""

from __future__ import annotations

from csmscheck.expect import ANY, assert_matches
from csmscheck.station import Station
from csmscheck.station.v16 import Payload
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v16.csms_calls import check_relayed, csms_sends


def _full_list(station: Station, version: int) -> Payload:
    """A list holding the valid idTag, as the CSMS knows it."""
    cfg = station.cfg
    return {"listVersion": version, "updateType": "Full", "localAuthorizationList": [
        {"idTag": cfg.valid_id_token, "idTagInfo": {"status": "Accepted", "parentIdTag": cfg.group_id}}]}


def _every_entry_has_id_tag_info(request: Payload, step: str) -> None:
    """The OCTT's check: all localAuthorizationList entries have an idTagInfo."""
    if isinstance(entries := request.get("localAuthorizationList"), list):
        assert_matches(request, {"localAuthorizationList": [{"idTagInfo": ANY}] * len(entries)}, step)




async def _send_local_list(station: Station, csms: Csms, payload: Payload, status: str, update_type: str,
                           steps: tuple[str, str], *, with_entries: bool = False) -> None:
    """The CSMS sends ``payload`` as SendLocalList of ``update_type`` (``with_entries``: each with its
    idTagInfo); the station answers ``status``."""
    request_step = f"{steps[0]}: SendLocalList.req"
    sent = await csms_sends(station, csms, "SendLocalList", payload, request_step, reply={"status": status})
    assert_matches(sent.payload, {"updateType": update_type}, request_step)
    if with_entries:
        _every_entry_has_id_tag_info(sent.payload, request_step)
    check_relayed(station, sent, f"{steps[1]}: SendLocalList.conf")


async def _get_local_list_version(station: Station, csms: Csms, version: int, steps: tuple[str, str]) -> None:
    sent = await csms_sends(station, csms, "GetLocalListVersion", {}, f"{steps[0]}: GetLocalListVersion.req",
                            reply={"listVersion": version})
    check_relayed(station, sent, f"{steps[1]}: GetLocalListVersion.conf")


@octt("TC_042_1", chapter="3.14")
async def test_tc_042_1(station: Station, csms: Csms) -> None:
    """Get Local List Version (not supported)."""
    await _get_local_list_version(station, csms, -1, ("Step 1", "Step 2"))


@octt("TC_042_2", chapter="3.14")
async def test_tc_042_2(station: Station, csms: Csms) -> None:
    """Get Local List Version (empty)."""
    await _get_local_list_version(station, csms, 0, ("Step 1", "Step 2"))


@octt("TC_043_1", chapter="3.14")
async def test_tc_043_1(station: Station, csms: Csms) -> None:
    """Send Local Authorization List - NotSupported."""
    await _send_local_list(station, csms, _full_list(station, 1), "NotSupported", "Full", ("Step 1", "Step 2"))


@octt("TC_043_3", chapter="3.14")
async def test_tc_043_3(station: Station, csms: Csms) -> None:
    """Send Local Authorization List - Failed."""
    await _send_local_list(station, csms, _full_list(station, 1), "Failed", "Full", ("Step 1", "Step 2"))


@octt("TC_043_4", chapter="3.14")
async def test_tc_043_4(station: Station, csms: Csms) -> None:
    """Send Local Authorization List - Full."""
    await _send_local_list(station, csms, _full_list(station, 1), "Accepted", "Full", ("Step 1", "Step 2"),
                           with_entries=True)


@octt("TC_043_5", chapter="3.14")
async def test_tc_043_5(station: Station, csms: Csms) -> None:
    """Send Local Authorization List - Differential."""
    # Steps 1-2 (GetLocalListVersion) are optional: the station answers one if the CSMS sends it
    # on its own (listVersion 0, none yet), but the case does not ask for it.
    update = _full_list(station, 1) | {"updateType": "Differential"}
    await _send_local_list(station, csms, update, "Accepted", "Differential", ("Step 3", "Step 4"),
                           with_entries=True)
