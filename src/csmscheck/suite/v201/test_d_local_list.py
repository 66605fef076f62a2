"""Block D: local authorization list — SendLocalList (full, differential) and GetLocalListVersion.

The CSMS owns the numbering of a station's list: the suite proposes the version the
station reported, and a CSMS that tracks the station's list must number its update
above it (D01.FR.01, D01.FR.18).
"""

from __future__ import annotations

from typing import Any

from csmscheck.expect import ABSENT, Matcher, absent_or, assert_matches
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms, relayed_answer

Payload = dict[str, Any]
LIST_REQS = ["D01.FR.01", "D01.FR.06", "D01.FR.18"]


def greater_than(bound: int) -> Any:
    return Matcher(f"<an integer > {bound}>", lambda v: isinstance(v, int) and not isinstance(v, bool) and v > bound)


NON_EMPTY: Any = Matcher("<a non-empty list>", lambda v: isinstance(v, list) and len(v) > 0)
NON_EMPTY_INFO: Any = Matcher("<a non-empty idTokenInfo>", lambda v: isinstance(v, dict) and len(v) > 0)


def entry(token: str, type_: str, group: str | None = None, *, remove: bool = False) -> Payload:
    """An AuthorizationData element; without idTokenInfo when it removes the token (D01.FR.17)."""
    data: Payload = {"idToken": msg.id_token(token, type_)}
    if not remove:
        data["idTokenInfo"] = {"status": "Accepted"} | (
            {"groupIdToken": {"idToken": group, "type": "Central"}} if group else {})
    return data


async def list_version(station: Station, csms: Csms, version: int, step: str) -> Payload | None:
    """The CSMS asks for the list version; the station reports ``version``. Returns the relayed answer."""
    async with station.expect("GetLocalListVersion", reply={"versionNumber": version}) as got:
        reply = await csms.request(station, "GetLocalListVersion", {})
    assert_matches(got.payload, {}, f"{step}: GetLocalListVersionRequest")
    return relayed_answer(reply, step)


async def send_list(station: Station, csms: Csms, request: Payload) -> Payload:
    """The CSMS sends a SendLocalList update; the station accepts. Returns what the CSMS sent."""
    async with station.expect("SendLocalList", reply={"status": "Accepted"}) as got:
        await csms.request(station, "SendLocalList", request)
    return got.payload


def unique_tokens(sent: Payload, step: str) -> None:
    """D01.FR.06: each idToken once per list."""
    tokens = [(e["idToken"]["idToken"].upper(), e["idToken"]["type"]) for e in sent.get("localAuthorizationList", [])]
    duplicates = sorted({t for t in tokens if tokens.count(t) > 1})
    assert not duplicates, f"{step}: SendLocalListRequest lists idTokens more than once: {duplicates}"


@octt("TC_D_01", reqs=LIST_REQS)
async def test_tc_d_01(station: Station, csms: Csms, cfg: Settings) -> None:
    """Send Local Authorization List - Full."""
    await list_version(station, csms, cfg.local_list_version, "Step 2")
    sent = await send_list(station, csms, {"versionNumber": max(1, cfg.local_list_version), "updateType": "Full",
                                           "localAuthorizationList": [
        entry(cfg.valid_id_token, cfg.valid_id_token_type, cfg.group_id),
        entry(cfg.valid_id_token_2, cfg.valid_id_token_type_2, cfg.group_id)]})
    assert_matches(sent, {"updateType": "Full", "versionNumber": greater_than(0), "localAuthorizationList": NON_EMPTY},
                   "Step 3: SendLocalListRequest")
    for index, item in enumerate(sent["localAuthorizationList"]):
        assert_matches(item, {"idTokenInfo": NON_EMPTY_INFO}, f"Step 3: SendLocalListRequest entry {index}")
    unique_tokens(sent, "Step 3")


@octt("TC_D_02", reqs=LIST_REQS)
async def test_tc_d_02(station: Station, csms: Csms, cfg: Settings) -> None:
    """Send Local Authorization List - Differential Update."""
    await list_version(station, csms, cfg.local_list_version, "Step 2")
    sent = await send_list(station, csms, {"versionNumber": max(1, cfg.local_list_version),
                                           "updateType": "Differential", "localAuthorizationList": [
        entry(cfg.valid_id_token_2, cfg.valid_id_token_type_2, cfg.group_id)]})
    assert_matches(sent, {"updateType": "Differential", "versionNumber": greater_than(cfg.local_list_version),
                          "localAuthorizationList": NON_EMPTY}, "Step 3: SendLocalListRequest")
    unique_tokens(sent, "Step 3")


@octt("TC_D_03", reqs=[*LIST_REQS, "D01.FR.17"])
async def test_tc_d_03(station: Station, csms: Csms, cfg: Settings) -> None:
    """Send Local Authorization List - Differential Remove."""
    # Preparation: the CSMS learns the version of the station's list (what it must number above).
    await list_version(station, csms, cfg.local_list_version, "Preparation")
    sent = await send_list(station, csms, {"versionNumber": max(1, cfg.local_list_version),
                                           "updateType": "Differential", "localAuthorizationList": [
        entry(cfg.valid_id_token_2, cfg.valid_id_token_type_2, remove=True)]})
    assert_matches(sent, {"updateType": "Differential", "versionNumber": greater_than(cfg.local_list_version),
                          "localAuthorizationList": NON_EMPTY}, "Step 2: SendLocalListRequest")
    for index, item in enumerate(sent["localAuthorizationList"]):
        assert_matches(item, {"idToken": {"idToken": cfg.valid_id_token_2}, "idTokenInfo": ABSENT},
                       f"Step 2: SendLocalListRequest entry {index} (a removal)")
    unique_tokens(sent, "Step 2")


@octt("TC_D_04", reqs=LIST_REQS)
async def test_tc_d_04(station: Station, csms: Csms) -> None:
    """Send Local Authorization List - Full with empty list."""
    sent = await send_list(station, csms, {"versionNumber": 1, "updateType": "Full"})
    assert_matches(sent, {"updateType": "Full", "versionNumber": greater_than(0),
                          "localAuthorizationList": absent_or([])}, "Step 2: SendLocalListRequest")


@octt("TC_D_08")
async def test_tc_d_08(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get Local List Version - Success."""
    response = await list_version(station, csms, cfg.local_list_version, "Step 3")
    if response is not None:
        assert_matches(response, {"versionNumber": cfg.local_list_version},
                       "Post scenario: the list version the CSMS received")


@octt("TC_D_09")
async def test_tc_d_09(station: Station, csms: Csms) -> None:
    """Get Local List Version - No list available."""
    response = await list_version(station, csms, 0, "Step 3")
    if response is not None:
        assert_matches(response, {"versionNumber": 0}, "Post scenario: the list version the CSMS received")
