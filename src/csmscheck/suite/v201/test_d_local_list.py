"""Block D: local authorization list — SendLocalList (full, differential) and GetLocalListVersion.

The station holds a list of version ``local_list_version``. The suite asks the CSMS for
updates numbered one above it, so a CSMS that sends what its operator asks passes, and a
CSMS that numbers its updates itself must number them above what the station reported
(D01.FR.01, D01.FR.18).
"""

from __future__ import annotations

from typing import Any

from csmscheck.checks import v201 as checks
from csmscheck.expect import ABSENT, ANY_STR, Matcher, absent_or, assert_matches, step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.suite.findings import check_matches
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


def holds_list(station: Station) -> int:
    """The station holds a list of the configured version and reports it to any GetLocalListVersion."""
    version = station.cfg.local_list_version
    station.session.replies["GetLocalListVersion"] = {"versionNumber": version}
    return version


async def list_version(station: Station, csms: Csms, version: int, label: str) -> Payload | None:
    """The CSMS asks for the list version; the station reports ``version``. Returns the answer as the
    trigger API relayed it (None in manual mode)."""
    with step(label):
        async with station.expect("GetLocalListVersion", reply={"versionNumber": version}):
            reply = await csms.request(station, "GetLocalListVersion", {})
    return reply


async def send_list(station: Station, csms: Csms, request: Payload, label: str) -> Payload:
    """The CSMS sends a SendLocalList update; the station accepts. Returns what the CSMS sent."""
    with step(label):
        async with station.expect("SendLocalList", reply={"status": "Accepted"}) as got:
            await csms.request(station, "SendLocalList", request)
    return got.payload


def update(cfg: Settings, update_type: str, entries: list[Payload] | None = None) -> Payload:
    """The update the operator asks for, numbered above the station's version (a CSMS that numbers its
    updates itself must still send one above what the station reported)."""
    request: Payload = {"versionNumber": cfg.local_list_version + 1, "updateType": update_type}
    if entries is not None:
        request["localAuthorizationList"] = entries
    return request


def unique_tokens(station: Station, sent: Payload, label: str) -> None:
    """Beyond the OCTT: each idToken once per list (D01.FR.06)."""
    tokens = [(e["idToken"]["idToken"].upper(), e["idToken"]["type"]) for e in sent.get("localAuthorizationList", [])]
    duplicates = sorted({f"{token} ({type_})" for token, type_ in tokens if tokens.count((token, type_)) > 1})
    station.findings.check(checks.LIST_TOKENS_UNIQUE, not duplicates,
                           f"{label}: expected each idToken once in the SendLocalListRequest, got "
                           f"{', '.join(duplicates)} more than once")


@octt("TC_D_01", reqs=LIST_REQS)
async def test_tc_d_01(station: Station, csms: Csms, cfg: Settings) -> None:
    """Send Local Authorization List - Full."""
    holds_list(station)  # step 2: the CSMS may ask for the version first; the station answers it
    sent = await send_list(station, csms, update(cfg, "Full", [
        entry(cfg.valid_id_token, cfg.valid_id_token_type, cfg.group_id),
        entry(cfg.valid_id_token_2, cfg.valid_id_token_type_2, cfg.group_id)]), "Step 3")
    assert_matches(sent, {"updateType": "Full", "versionNumber": greater_than(0), "localAuthorizationList": NON_EMPTY},
                   "Step 3: SendLocalListRequest")
    for index, item in enumerate(sent["localAuthorizationList"]):
        assert_matches(item, {"idTokenInfo": NON_EMPTY_INFO}, f"Step 3: SendLocalListRequest entry {index}")
    unique_tokens(station, sent, "Step 3")


@octt("TC_D_02", reqs=LIST_REQS)
async def test_tc_d_02(station: Station, csms: Csms, cfg: Settings) -> None:
    """Send Local Authorization List - Differential Update."""
    version = holds_list(station)
    await list_version(station, csms, version, "Step 2")
    sent = await send_list(station, csms, update(cfg, "Differential", [
        entry(cfg.valid_id_token_2, cfg.valid_id_token_type_2, cfg.group_id)]), "Step 3")
    assert_matches(sent, {"updateType": "Differential", "versionNumber": greater_than(version),
                          "localAuthorizationList": NON_EMPTY}, "Step 3: SendLocalListRequest")
    unique_tokens(station, sent, "Step 3")


@octt("TC_D_03", reqs=[*LIST_REQS, "D01.FR.17"])
async def test_tc_d_03(station: Station, csms: Csms, cfg: Settings) -> None:
    """Send Local Authorization List - Differential Remove."""
    version = holds_list(station)
    sent = await send_list(station, csms, update(cfg, "Differential", [
        entry(cfg.valid_id_token_2, cfg.valid_id_token_type_2, remove=True)]), "Step 2")
    assert_matches(sent, {"updateType": "Differential", "versionNumber": greater_than(version),
                          "localAuthorizationList": NON_EMPTY}, "Step 2: SendLocalListRequest")
    for index, item in enumerate(sent["localAuthorizationList"]):
        assert_matches(item, {"idToken": {"idToken": ANY_STR}, "idTokenInfo": ABSENT},
                       f"Step 2: SendLocalListRequest entry {index} (a removal)")
    unique_tokens(station, sent, "Step 2")


@octt("TC_D_04", reqs=LIST_REQS)
async def test_tc_d_04(station: Station, csms: Csms, cfg: Settings) -> None:
    """Send Local Authorization List - Full with empty list."""
    holds_list(station)
    sent = await send_list(station, csms, update(cfg, "Full"), "Step 2")
    assert_matches(sent, {"updateType": "Full", "localAuthorizationList": absent_or([])},
                   "Step 2: SendLocalListRequest")
    check_matches(station, checks.LIST_VERSION_ABOVE_ZERO, sent, {"versionNumber": greater_than(0)},
                  "Step 2: SendLocalListRequest")


@octt("TC_D_08")
async def test_tc_d_08(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get Local List Version - Success."""
    reply = await list_version(station, csms, cfg.local_list_version, "Step 2")
    response = relayed_answer(reply, "Post scenario")
    if response is not None:
        assert_matches(response, {"versionNumber": cfg.local_list_version},
                       "Post scenario: the list version the CSMS received")


@octt("TC_D_09")
async def test_tc_d_09(station: Station, csms: Csms) -> None:
    """Get Local List Version - No list available."""
    reply = await list_version(station, csms, 0, "Step 2")
    response = relayed_answer(reply, "Post scenario")
    if response is not None:
        assert_matches(response, {"versionNumber": 0}, "Post scenario: the list version the CSMS received")
