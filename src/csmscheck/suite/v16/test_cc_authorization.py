"""csmscheck's own authorization cases (OCPP 1.6J): what the OCTT's chapters 3.2-3.8 and 3.14 do not try.

idTags are case-insensitive (IdToken is a CiString20Type); idTagInfo carries an idTag's
status, its parent idTag and its expiry date (IdTagInfo) in Authorize.conf (§4.1),
StartTransaction.conf (§4.8) and StopTransaction.conf (§4.10). A failure is a finding
unless ``--strict``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from csmscheck.errors import StepFailed
from csmscheck.expect import Matcher, assert_matches, step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station.states import v16 as states
from csmscheck.station.states.groups import identifier
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.tokens import expiry_in, other_case, rfc3339_seconds, same_instant
from csmscheck.suite.v16.csms_calls import csms_sends

Payload = dict[str, Any]

# idTags the cases have the Central System create (ISO14443 UIDs: 8 hex digits), each for one case only.
EXPIRING_TAG = "CC160210"
STOPPING_TAG = "CC160230"
LISTED_TAG = "CC161400"


def tag_info(status: str, parent: str | None = None, expiry: datetime | None = None) -> Payload:
    """The idTagInfo a Central System answers for an idTag configured so."""
    info: Payload = {"status": status}
    if parent is not None:
        info["parentIdTag"] = identifier(parent)
    if expiry is not None:
        info["expiryDate"] = same_instant(expiry)
    return {"idTagInfo": info}


async def _authorize(station: Station, id_tag: str, expected: Payload, at: int) -> None:
    """Step ``at``: Authorize.req for ``id_tag``; the next step: the Authorize.conf matches."""
    label = f"Step {at + 1}: Authorize.conf"
    response = await states.authorize(station, id_tag, step=label)
    assert_matches(response, expected, f"{label} for idTag {id_tag!r}")


async def _start(station: Station, id_tag: str, expected: Payload, at: int) -> None:
    """Step ``at``: the cable is plugged in (Preparing); step ``at + 2``: StartTransaction.req for ``id_tag``;
    the step after: the StartTransaction.conf matches."""
    await states.plug_in(station, f"Step {at + 1}: StatusNotification.conf (Preparing)")
    label = f"Step {at + 3}: StartTransaction.conf"
    response = await states.start_transaction(station, id_tag, step=label)
    assert_matches(response, expected, f"{label} for idTag {id_tag!r}")


async def _stop(station: Station, reason: str, id_tag: str | None, expected: Payload | None, at: int) -> None:
    """Step ``at``: StopTransaction.req (``reason``, naming ``id_tag``); the next step: its idTagInfo, when
    the Central System sends one, matches ``expected``; then the cable is unplugged."""
    label = f"Step {at + 1}: StopTransaction.conf"
    response = await states.stop_transaction(station, reason, id_tag, step=label)
    if expected is not None and "idTagInfo" in response:
        assert_matches(response, expected, f"{label} for idTag {id_tag!r}")
    await states.set_status(station, station.cfg.connector_id, "Finishing", step=f"Step {at + 3}: "
                            "StatusNotification.conf (Finishing)")
    await states.unplug(station, f"Step {at + 5}: StatusNotification.conf (Available)")


@octt("CC16_20", chapter="3.2", reqs=["OCPP 1.6 §4.1", "§4.8", "§4.10", "IdToken (CiString20Type)"])
async def test_cc16_20(station: Station, cfg: Settings) -> None:
    """An idTag presented in another letter case is the configured one (idTags are case-insensitive)."""
    id_tag = other_case(cfg.valid_id_token)
    expected = tag_info("Accepted", cfg.group_id)
    await _authorize(station, id_tag, expected, 1)
    await _start(station, id_tag, expected, 3)
    await _stop(station, "Local", id_tag, expected, 7)


@octt("CC16_21", chapter="3.3", reqs=["OCPP 1.6 §4.1", "§4.8", "IdTagInfo.expiryDate"])
async def test_cc16_21(station: Station, csms: Csms, cfg: Settings) -> None:
    """An idTag configured with a parent and an expiry date is answered with both."""
    expiry = expiry_in(days=1)
    with step("Prerequisite: an idTag in the valid idTag's group, valid until tomorrow"):
        await csms.create_token(EXPIRING_TAG, "ISO14443", "Accepted", cfg.group_id, rfc3339_seconds(expiry))
    expected = tag_info("Accepted", cfg.group_id, expiry)
    await _authorize(station, EXPIRING_TAG, expected, 1)
    await _start(station, EXPIRING_TAG, expected, 3)
    await _stop(station, "Local", EXPIRING_TAG, expected, 7)


@octt("CC16_22", chapter="3.8", reqs=["OCPP 1.6 §4.8"])
async def test_cc16_22(station: Station, cfg: Settings) -> None:
    """Invalid, blocked and expired idTags that start a transaction are refused in the StartTransaction.conf."""
    at = 1
    for id_tag, status in ((cfg.invalid_id_token, "Invalid"), (cfg.blocked_id_token, "Blocked"),
                           (cfg.expired_id_token, "Expired")):
        await _start(station, id_tag, tag_info(status), at)
        await _stop(station, "DeAuthorized", None, None, at + 4)
        at += 10


@octt("CC16_23", chapter="3.2", reqs=["OCPP 1.6 §4.10"])
async def test_cc16_23(station: Station, csms: Csms, cfg: Settings) -> None:
    """StopTransaction.conf tells the status of the idTag that stopped the transaction, not of the one that started."""
    with step("Prerequisite: an idTag of the valid idTag's group, blocked since the charge point cached it"):
        await csms.create_token(STOPPING_TAG, "ISO14443", "Blocked", cfg.group_id)
    await _authorize(station, cfg.valid_id_token, tag_info("Accepted"), 1)
    await _start(station, cfg.valid_id_token, tag_info("Accepted"), 3)
    # The charge point let the cached idTag of the same parent stop the transaction (offline authorization).
    await _stop(station, "Local", STOPPING_TAG, tag_info("Blocked"), 7)


@octt("CC16_25", chapter="3.14", reqs=["OCPP 1.6 §4.1", "§4.8", "§5.15"], features=["local_auth_list"])
async def test_cc16_25(station: Station, csms: Csms, cfg: Settings) -> None:
    """An idTag blocked after it went into the local list is refused online.

    The update that tells the charge point is numbered above the list it holds.
    """
    with step("Prerequisite: an idTag of the valid idTag's group"):
        await csms.create_token(LISTED_TAG, "ISO14443", "Accepted", cfg.group_id)
    await _authorize(station, LISTED_TAG, tag_info("Accepted", cfg.group_id), 1)
    first = await _send_update(station, csms, 1, "Accepted", 3)
    with step(f"Step 5: the operator blocks idTag {LISTED_TAG}"):
        await csms.create_token(LISTED_TAG, "ISO14443", "Blocked", cfg.group_id)
    await _authorize(station, LISTED_TAG, tag_info("Blocked"), 6)
    await _start(station, LISTED_TAG, tag_info("Blocked"), 8)
    await _stop(station, "DeAuthorized", None, None, 12)
    second = await _send_update(station, csms, first["listVersion"] + 1, "Blocked", 18)
    assert_matches(second, {"listVersion": _above(first["listVersion"])},
                   "Step 18: SendLocalList.req (the charge point holds the list of step 3)")


async def _send_update(station: Station, csms: Csms, version: int, status: str, at: int) -> Payload:
    """Step ``at``: the operator has the Central System send a differential update with LISTED_TAG as
    ``status`` (numbered ``version``; a Central System that numbers updates itself picks its own); the
    charge point accepts it and from then on reports the version it got."""
    update = {"listVersion": version, "updateType": "Differential", "localAuthorizationList": [
        {"idTag": LISTED_TAG, "idTagInfo": {"status": status, "parentIdTag": station.cfg.group_id}}]}
    sent = await csms_sends(station, csms, "SendLocalList", update, f"Step {at}: SendLocalList.req",
                            reply={"status": "Accepted"})
    station.session.replies["GetLocalListVersion"] = {"listVersion": sent.payload["listVersion"]}
    return sent.payload


def _above(bound: int) -> Any:
    return Matcher(f"<an integer > {bound}, the version the charge point holds>",
                   lambda v: isinstance(v, int) and not isinstance(v, bool) and v > bound)


@octt("CC16_26", chapter="3.14", reqs=["OCPP 1.6 §5.15", "AuthorizationData.idTagInfo"], features=["local_auth_list"])
async def test_cc16_26(station: Station, csms: Csms, cfg: Settings) -> None:
    """A Full list of idTags the operator names without idTagInfo carries what the Central System knows of each."""
    known = {cfg.valid_id_token: tag_info("Accepted", cfg.group_id), cfg.valid_id_token_2: tag_info(
        "Accepted", cfg.group_id), cfg.blocked_id_token: tag_info("Blocked"), cfg.expired_id_token: tag_info("Expired")}
    # A Full update's entries each need their idTagInfo (AuthorizationData); the operator names the idTags only.
    update = {"listVersion": 1, "updateType": "Full", "localAuthorizationList": [{"idTag": tag} for tag in known]}
    sent = await csms_sends(station, csms, "SendLocalList", update, "Step 1: SendLocalList.req",
                            reply={"status": "Accepted"})
    entries = {entry["idTag"].upper(): entry for entry in sent.payload.get("localAuthorizationList", [])}
    for id_tag, expected in known.items():
        label = f"Step 1: SendLocalList.req entry for idTag {id_tag!r}"
        if id_tag.upper() not in entries:
            raise StepFailed(f"{label}: expected the idTag in the Full list, got a list without it")
        assert_matches(entries[id_tag.upper()], expected, label)
