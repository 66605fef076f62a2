"""Chapter 3.14: Local Authorization List management."""

from __future__ import annotations

from csmscheck.errors import StepFailed
from csmscheck.expect import ANY_STR, assert_matches
from csmscheck.station import Station
from csmscheck.station.v16 import Payload
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms, relayed_answer


def _full_list(station: Station, version: int) -> Payload:
    """A list holding the valid idTag, as the CSMS knows it."""
    cfg = station.cfg
    return {"listVersion": version, "updateType": "Full", "localAuthorizationList": [
        {"idTag": cfg.valid_id_token, "idTagInfo": {"status": "Accepted", "parentIdTag": cfg.group_id}}]}


def _entries_have_id_tag_info(request: Payload, step: str) -> None:
    entries = request.get("localAuthorizationList", [])
    if not entries:
        raise StepFailed(f"{step}: localAuthorizationList is empty; expected at least one idTag with its idTagInfo")
    assert_matches(entries, [{"idTag": ANY_STR, "idTagInfo": {"status": ANY_STR}}] * len(entries), step)


async def _send_local_list(station: Station, csms: Csms, payload: Payload, status: str, update_type: str,
                           steps: tuple[str, str], *, with_entries: bool = False) -> None:
    """The CSMS sends ``payload`` as SendLocalList of ``update_type`` (``with_entries``: each with its
    idTagInfo); the station answers ``status``."""
    async with station.expect("SendLocalList", reply={"status": status}) as got:
        reply = await csms.request(station, "SendLocalList", payload)
    assert_matches(got.payload, {"updateType": update_type}, f"{steps[0]}: SendLocalList.req")
    if with_entries:
        _entries_have_id_tag_info(got.payload, f"{steps[0]}: SendLocalList.req")
    answer = relayed_answer(reply, steps[1])
    if answer is not None:
        assert_matches(answer, {"status": status}, f"{steps[1]}: the CSMS's record of SendLocalList.conf")


async def _get_local_list_version(station: Station, csms: Csms, version: int, steps: tuple[str, str]) -> None:
    async with station.expect("GetLocalListVersion", reply={"listVersion": version}) as got:
        reply = await csms.request(station, "GetLocalListVersion", {})
    assert_matches(got.payload, {}, f"{steps[0]}: GetLocalListVersion.req")
    answer = relayed_answer(reply, steps[1])
    if answer is not None:
        assert_matches(answer, {"listVersion": version}, f"{steps[1]}: the CSMS's record of GetLocalListVersion.conf")


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
    # Steps 1-2 (optional): the CSMS learns the version the station holds, here none yet.
    await _get_local_list_version(station, csms, 0, ("Step 1", "Step 2"))
    update = _full_list(station, 1) | {"updateType": "Differential"}
    await _send_local_list(station, csms, update, "Accepted", "Differential", ("Step 3", "Step 4"),
                           with_entries=True)
