"""csmscheck's own authorization cases (OCPP 2.0.1): what the OCTT's block C and D cases do not try.

Tokens in another letter case, tokens configured with a group and a cache expiry, refused
tokens in a TransactionEvent, a token whose status changes, NoAuthorization and Central
tokens; contract certificates the CSMS cannot verify, a blocked eMAID, other hash
algorithms and sub-CA chains (C07); a token blocked after it went into a station's local
list, and a Full list named by token only (D01). A failure is a finding unless ``--strict``.
"""

from __future__ import annotations

import secrets
from typing import Any

from csmscheck.errors import StepFailed
from csmscheck.expect import Matcher, assert_matches, step
from csmscheck.idtokens import emaid_check_digit, parse_emaid
from csmscheck.pki.certificates import pem_text
from csmscheck.pki.contract import hash_data, impostor_ca, issue_contract_certificate, issue_sub_ca
from csmscheck.pki.ocsp import CertStatus, Forgery, OcspResponder
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.station.states import v201 as states
from csmscheck.station.v201 import Payload
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.tokens import expiry_in, other_case, rfc3339_seconds
from csmscheck.suite.v201.contracts import assert_refused, contract_ca, emaid, held_closed
from csmscheck.suite.v201.token_steps import authorize_as, deauthorized, shown, start_as, token_info

# Tokens the cases have the CSMS create (ISO14443 UIDs: 8 hex digits), each for one case only.
EXPIRING_TOKEN = "CC0C0200"
CHANGING_TOKEN = "CC0C0400"
STOPPING_TOKEN = "CC0C0700"
LISTED_TOKEN = "CC0D0100"

REFUSED = {"invalid": ("Invalid", "Unknown"), "blocked": ("Blocked", "Invalid"), "expired": ("Expired", "Invalid")}
"""What a CSMS may answer for the configured refused tokens: the statuses TC_C_02, TC_C_06 and TC_C_07 allow."""

TOKEN_REQS = ["C01.FR.07", "C09.FR.02", "E01.FR.11", "E01.FR.12"]


# -- tokens -------------------------------------------------------------------------------------


@octt("CC_C_01", reqs=TOKEN_REQS)
async def test_cc_c_01(station: Station, cfg: Settings) -> None:
    """An idToken presented in another letter case is the configured one (identifiers are case-insensitive)."""
    token = msg.id_token(other_case(cfg.valid_id_token), cfg.valid_id_token_type)
    expected = token_info("Accepted", cfg.group_id)
    await authorize_as(station, token, expected, 1)
    await start_as(station, token, expected, 3)


@octt("CC_C_02", reqs=TOKEN_REQS)
async def test_cc_c_02(station: Station, csms: Csms, cfg: Settings) -> None:
    """A token configured with a group and a cache expiry is answered with both."""
    expiry = expiry_in(days=1)
    with step("Prerequisite: a token in the valid token's group, valid until tomorrow"):
        await csms.create_token(EXPIRING_TOKEN, "ISO14443", "Accepted", cfg.group_id, rfc3339_seconds(expiry))
    token = msg.id_token(EXPIRING_TOKEN, "ISO14443")
    expected = token_info("Accepted", cfg.group_id, expiry)
    await authorize_as(station, token, expected, 1)
    await start_as(station, token, expected, 3)


@octt("CC_C_03", reqs=["E01.FR.11", "E01.FR.12", "E05"])
async def test_cc_c_03(station: Station, cfg: Settings) -> None:
    """Unknown, blocked and expired tokens that start a transaction are refused in the TransactionEventResponse."""
    tokens = {"invalid": msg.id_token(cfg.invalid_id_token, cfg.invalid_id_token_type),
              "blocked": msg.id_token(cfg.blocked_id_token, cfg.blocked_id_token_type),
              "expired": msg.id_token(cfg.expired_id_token, cfg.expired_id_token_type)}
    at = 1
    for role, token in tokens.items():
        await start_as(station, token, token_info(REFUSED[role]), at)
        await deauthorized(station, at + 2)
        at += 3


@octt("CC_C_04", reqs=["C01.FR.07"])
async def test_cc_c_04(station: Station, csms: Csms, cfg: Settings) -> None:
    """A token the operator blocks is refused from then on, and accepted again once unblocked."""
    token = msg.id_token(CHANGING_TOKEN, "ISO14443")
    for at, status, expected in ((1, "Accepted", ("Accepted",)), (3, "Blocked", REFUSED["blocked"]),
                                 (5, "Accepted", ("Accepted",))):
        with step(f"Step {at}: the operator sets token {CHANGING_TOKEN} to {status}"):
            await csms.create_token(CHANGING_TOKEN, "ISO14443", status, cfg.group_id)
        await authorize_as(station, token, token_info(expected), at)


@octt("CC_C_05", reqs=["E01.FR.11", "E01.FR.12"])
async def test_cc_c_05(station: Station) -> None:
    """A transaction of a station without means of authorization (idToken NoAuthorization, empty) is answered."""
    no_authorization = msg.id_token("", "NoAuthorization")
    await states.ev_connected_pre_session(station)
    with step("Step 1"):  # the driver presses the start button
        await states.send_event(station, "Updated", "Authorized", token=no_authorization)
    with step("Step 3"):
        await states.send_event(station, "Updated", "ChargingStateChanged", charging_state="Charging")
    with step("Step 5"):
        await states.connector_event(station, "Available")
        await states.send_event(station, "Ended", "EVCommunicationLost", charging_state="Idle",
                                stopped_reason="EVDisconnected", meter_context="Transaction.End")


@octt("CC_C_06", reqs=["F01.FR.02", "E01.FR.11", "E01.FR.12"])
async def test_cc_c_06(station: Station, csms: Csms, cfg: Settings) -> None:
    """A remote start with a Central idToken (one the CSMS issues) is accepted in the transaction it starts."""
    # IdTokenEnumType Central: an id generated centrally, by the CSMS, e.g. for a remote start; issued here
    # through the operator's request, so the CSMS knows it without a token of its own table.
    token = msg.id_token(f"CSMSCHECK-{secrets.token_hex(8).upper()}", "Central")
    remote_start_id = secrets.randbelow(2**31 - 2) + 1
    with step("Step 1"):
        async with station.expect("RequestStartTransaction", reply={"status": "Accepted"}):
            await csms.request(station, "RequestStartTransaction",
                               {"idToken": token, "remoteStartId": remote_start_id, "evseId": cfg.evse_id})
    # F01.FR.02: the station does not authorize a Central token itself; the transaction starts at once.
    with step("Step 3"):
        response = await states.send_event(station, "Started", "RemoteStart", token=token,
                                           remote_start_id=remote_start_id)
    assert_matches(response, token_info("Accepted"), f"Step 4: TransactionEventResponse for {shown(token)}")


@octt("CC_C_07", reqs=["E01.FR.11", "E01.FR.12", "C09.FR.03"])
async def test_cc_c_07(station: Station, csms: Csms, cfg: Settings) -> None:
    """The answer to a StopAuthorized event is about the token that stopped the transaction, not the starting one."""
    with step("Prerequisite: a token of the valid token's group, blocked since the station cached it"):
        await csms.create_token(STOPPING_TOKEN, "ISO14443", "Blocked", cfg.group_id)
    await states.energy_transfer_started(station)
    token = msg.id_token(STOPPING_TOKEN, "ISO14443")
    # The station let the cached token of the same group stop the transaction (C09.FR.03, offline authorization).
    with step("Step 1"):
        response = await states.send_event(station, "Updated", "StopAuthorized", token=token,
                                           meter_context="Transaction.End")
    assert_matches(response, token_info(REFUSED["blocked"]), f"Step 2: TransactionEventResponse for {shown(token)}")


# -- contract certificates the CSMS cannot verify (C07) -------------------------------------------

CONTRACT_REQS = ["C07.FR.04", "C07.FR.05"]
CONTRACT_FEATURES = ["iso15118", "ocsp"]


async def _present_hash_data(station: Station, cfg: Settings, port: int, why: str, *, status: CertStatus = "good",
                             forgery: Forgery | None = None) -> None:
    """EVConnectedPreSession; step 1: an Authorize with the OCSP data of a contract certificate the trusted CA
    issued for the eMAID, while a responder answers ``status`` (spoiled by ``forgery``); step 2: refused."""
    ca = contract_ca(cfg)
    await states.ev_connected_pre_session(station)
    async with OcspResponder(ca, port=port, status=status, host=cfg.ocsp_host, forgery=forgery) as responder:
        contract = issue_contract_certificate(ca, cfg.contract_emaid)
        with step("Step 1"):
            response = await station.call("Authorize", {"idToken": emaid(cfg), "iso15118CertificateHashData": [
                hash_data(contract.cert, ca.cert, responder.url)]})
    assert_refused(response, f"Step 2: AuthorizeResponse for a contract certificate {why}")


@octt("CC_C_10", reqs=CONTRACT_REQS, features=CONTRACT_FEATURES)
async def test_cc_c_10(station: Station, cfg: Settings) -> None:
    """Contract certificate the OCSP responder does not know (status unknown) is not accepted."""
    await _present_hash_data(station, cfg, 19083, "the OCSP responder reports unknown", status="unknown")


@octt("CC_C_11", reqs=CONTRACT_REQS, features=CONTRACT_FEATURES)
async def test_cc_c_11(station: Station, cfg: Settings) -> None:
    """Contract certificate whose OCSP responder is down (connection refused) is not accepted."""
    ca = contract_ca(cfg)
    await states.ev_connected_pre_session(station)
    with held_closed(cfg.ocsp_host, 19084) as url:
        contract = issue_contract_certificate(ca, cfg.contract_emaid)
        with step("Step 1"):
            response = await station.call("Authorize", {"idToken": emaid(cfg), "iso15118CertificateHashData": [
                hash_data(contract.cert, ca.cert, url)]})
    assert_refused(response, f"Step 2: AuthorizeResponse for a contract certificate whose OCSP responder {url} "
                             f"refuses connections")


@octt("CC_C_12", reqs=[*CONTRACT_REQS, "RFC 6960 3.2"], features=CONTRACT_FEATURES)
async def test_cc_c_12(station: Station, cfg: Settings) -> None:
    """Contract certificate with an OCSP response signed by a key the CA never certified is not accepted."""
    await _present_hash_data(station, cfg, 19085, "whose OCSP response (good) is signed by a key the CA never "
                             "certified", forgery="untrusted-signer")


@octt("CC_C_13", reqs=[*CONTRACT_REQS, "RFC 6960 3.2"], features=CONTRACT_FEATURES)
async def test_cc_c_13(station: Station, cfg: Settings) -> None:
    """Contract certificate with an outdated OCSP response (nextUpdate passed) is not accepted."""
    await _present_hash_data(station, cfg, 19086, "whose OCSP response (good) is outdated (nextUpdate passed)",
                             forgery="stale")


@octt("CC_C_14", reqs=[*CONTRACT_REQS, "RFC 6960 3.2"], features=CONTRACT_FEATURES)
async def test_cc_c_14(station: Station, cfg: Settings) -> None:
    """Contract certificate whose OCSP response is about another certificate is not accepted."""
    await _present_hash_data(station, cfg, 19087, "whose OCSP response (good) is about another serial number",
                             forgery="other-certificate")


async def _present_certificate(station: Station, cfg: Settings, port: int, why: str, *, emaid_in_certificate: str,
                               impostor: bool = False, expired: bool = False) -> None:
    """EVConnectedPreSession; step 1: an Authorize for the configured eMAID with a whole contract certificate
    (its AIA naming a responder that answers good; an impostor's certificate comes with the impostor's root, as
    a chain the EV presents); step 2: refused."""
    trusted = contract_ca(cfg)
    issuer = impostor_ca(trusted) if impostor else trusted
    await states.ev_connected_pre_session(station)
    async with OcspResponder(issuer, port=port, status="good", host=cfg.ocsp_host) as responder:
        contract = issue_contract_certificate(issuer, emaid_in_certificate, ocsp_url=responder.url, expired=expired)
        chain = contract.pem + (pem_text(issuer.cert) if impostor else "")
        with step("Step 1"):
            response = await station.call("Authorize", {"idToken": emaid(cfg), "certificate": chain})
    assert_refused(response, f"Step 2: AuthorizeResponse for a contract certificate {why}")


def another_emaid(cfg: Settings, instance: str = "C99999999") -> str:
    """An eMAID of the configured one's provider with contract ``instance`` (9 characters), with its check
    character; another instance if that is the configured eMAID."""
    parts = parse_emaid(cfg.contract_emaid)
    country, provider = (parts.country, parts.provider) if parts else ("NL", "CSM")
    body = f"{country}{provider}{instance}".upper()
    if body == (parts.body if parts else ""):
        body = body[:-1] + ("1" if body[-1] != "1" else "2")
    return body + emaid_check_digit(body)


@octt("CC_C_15", reqs=CONTRACT_REQS, features=CONTRACT_FEATURES)
async def test_cc_c_15(station: Station, cfg: Settings) -> None:
    """Contract certificate of another eMAID than the idToken presented is not accepted."""
    other = another_emaid(cfg)
    await _present_certificate(station, cfg, 19088, f"issued to {other}, not to the eMAID presented",
                               emaid_in_certificate=other)


@octt("CC_C_16", reqs=CONTRACT_REQS, features=CONTRACT_FEATURES)
async def test_cc_c_16(station: Station, cfg: Settings) -> None:
    """Contract certificate (with its root) from a CA the CSMS does not trust (same name, other key) is not accepted."""
    await _present_certificate(station, cfg, 19089, "signed by an impostor of the trusted CA (same name, other key)",
                               emaid_in_certificate=cfg.contract_emaid, impostor=True)


@octt("CC_C_17", reqs=CONTRACT_REQS, features=CONTRACT_FEATURES)
async def test_cc_c_17(station: Station, cfg: Settings) -> None:
    """OCSP data of a contract certificate from a CA the CSMS does not know is not accepted."""
    impostor = impostor_ca(contract_ca(cfg))
    await states.ev_connected_pre_session(station)
    async with OcspResponder(impostor, port=19089, status="good", host=cfg.ocsp_host) as responder:
        contract = issue_contract_certificate(impostor, cfg.contract_emaid)
        with step("Step 1"):
            response = await station.call("Authorize", {"idToken": emaid(cfg), "iso15118CertificateHashData": [
                hash_data(contract.cert, impostor.cert, responder.url)]})
    assert_refused(response, "Step 2: AuthorizeResponse for OCSP data naming an issuer the CSMS does not trust")


@octt("CC_C_18", reqs=CONTRACT_REQS, features=CONTRACT_FEATURES)
async def test_cc_c_18(station: Station, cfg: Settings) -> None:
    """Expired contract certificate is not accepted, even when its OCSP responder answers good."""
    await _present_certificate(station, cfg, 19088, "that expired yesterday", emaid_in_certificate=cfg.contract_emaid,
                               expired=True)


@octt("CC_C_19", reqs=CONTRACT_REQS, features=CONTRACT_FEATURES)
async def test_cc_c_19(station: Station, csms: Csms, cfg: Settings) -> None:
    """A valid contract certificate does not authorize an eMAID the CSMS knows as blocked."""
    blocked = another_emaid(cfg, "C00000019")
    with step(f"Prerequisite: the CSMS knows eMAID {blocked} as Blocked"):
        await csms.create_token(blocked, "eMAID", "Blocked")
    ca = contract_ca(cfg)
    await states.ev_connected_pre_session(station)
    async with OcspResponder(ca, port=19083, status="good", host=cfg.ocsp_host) as responder:
        contract = issue_contract_certificate(ca, blocked)
        with step("Step 1"):
            response = await station.call("Authorize", {"idToken": msg.id_token(blocked, "eMAID"),
                                                        "iso15118CertificateHashData": [
                                                            hash_data(contract.cert, ca.cert, responder.url)]})
    assert_matches(response, token_info(REFUSED["blocked"]),
                   f"Step 2: AuthorizeResponse for the blocked eMAID {blocked} with a valid contract certificate")


@octt("CC_C_20", reqs=CONTRACT_REQS, features=CONTRACT_FEATURES)
async def test_cc_c_20(station: Station, cfg: Settings) -> None:
    """OCSP data hashed with SHA-384 and SHA-512 (OCSPRequestDataType) is checked like SHA-256's: accepted."""
    ca = contract_ca(cfg)
    await states.ev_connected_pre_session(station)
    at = 1
    for algorithm in ("SHA384", "SHA512"):
        async with OcspResponder(ca, port=19083, status="good", host=cfg.ocsp_host) as responder:
            contract = issue_contract_certificate(ca, cfg.contract_emaid)
            with step(f"Step {at}"):
                response = await station.call("Authorize", {"idToken": emaid(cfg), "iso15118CertificateHashData": [
                    hash_data(contract.cert, ca.cert, responder.url, algorithm)]})
        assert_matches(response, {"idTokenInfo": {"status": "Accepted"}, "certificateStatus": "Accepted"},
                       f"Step {at + 1}: AuthorizeResponse for a valid contract certificate, OCSP data hashed with "
                       f"{algorithm}")
        at += 2


@octt("CC_C_21", reqs=[*CONTRACT_REQS, "RFC 6960 2.3"], features=CONTRACT_FEATURES)
async def test_cc_c_21(station: Station, cfg: Settings) -> None:
    """Contract certificate whose OCSP responder answers 'try later' (no status) is not accepted."""
    await _present_hash_data(station, cfg, 19083, "whose OCSP responder answers tryLater", forgery="try-later")


@octt("CC_C_22", reqs=[*CONTRACT_REQS, "RFC 6960 3.2"], features=CONTRACT_FEATURES)
async def test_cc_c_22(station: Station, cfg: Settings) -> None:
    """Contract certificate whose OCSP response names the CA but carries a signature that does not verify is not
    accepted."""
    await _present_hash_data(station, cfg, 19085, "whose OCSP response (good) names the CA as signer but its "
                             "signature does not verify", forgery="bad-signature")


async def _present_chain(station: Station, cfg: Settings, sub_ca_status: CertStatus) -> Payload:
    """EVConnectedPreSession; step 1: an Authorize for the eMAID with its certificate and the mobility operator's
    sub-CA that issued it (signed by the trusted CA). The leaf's responder (19086) answers good, the sub-CA's
    (19087, the trusted CA's responder) ``sub_ca_status``."""
    ca = contract_ca(cfg)
    await states.ev_connected_pre_session(station)
    async with OcspResponder(ca, port=19087, status=sub_ca_status, host=cfg.ocsp_host) as root_responder:
        sub_ca = issue_sub_ca(ca, "csmscheck MO Sub-CA", ocsp_url=root_responder.url)
        async with OcspResponder(sub_ca, port=19086, status="good", host=cfg.ocsp_host) as responder:
            contract = issue_contract_certificate(sub_ca, cfg.contract_emaid, ocsp_url=responder.url)
            with step("Step 1"):
                return await station.call("Authorize", {"idToken": emaid(cfg),
                                                        "certificate": contract.pem + pem_text(sub_ca.cert)})


@octt("CC_C_23", reqs=[*CONTRACT_REQS, "C07.FR.16"], features=CONTRACT_FEATURES)
async def test_cc_c_23(station: Station, cfg: Settings) -> None:
    """Contract certificate whose sub-CA is revoked is refused as revoked (the chain is checked, not the leaf only)."""
    response = await _present_chain(station, cfg, "revoked")
    assert_matches(response, {"idTokenInfo": {"status": "Invalid"}, "certificateStatus": "CertificateRevoked"},
                   "Step 2: AuthorizeResponse for a contract certificate (good) whose sub-CA is revoked")


@octt("CC_C_24", reqs=CONTRACT_REQS, features=CONTRACT_FEATURES)
async def test_cc_c_24(station: Station, cfg: Settings) -> None:
    """Contract certificate issued by a sub-CA of the trusted root (chain presented, all good) is accepted."""
    response = await _present_chain(station, cfg, "good")
    assert_matches(response, {"idTokenInfo": {"status": "Accepted"}, "certificateStatus": "Accepted"},
                   "Step 2: AuthorizeResponse for a valid contract certificate issued by a sub-CA of the trusted CA")


# -- local authorization list (D01) ---------------------------------------------------------------


def _list_entry(token: str, status: str, group: str) -> Payload:
    return {"idToken": msg.id_token(token, "ISO14443"),
            "idTokenInfo": {"status": status, "groupIdToken": {"idToken": group, "type": "Central"}}}


async def _send_update(station: Station, csms: Csms, version: int, entry: Payload, at: int) -> Payload:
    """Step ``at``: the operator has the CSMS send a differential update numbered ``version`` (a CSMS that
    numbers updates itself picks its own); the station accepts and from then on reports the version it got."""
    with step(f"Step {at}"):
        async with station.expect("SendLocalList", reply={"status": "Accepted"}) as got:
            await csms.request(station, "SendLocalList", {"versionNumber": version, "updateType": "Differential",
                                                          "localAuthorizationList": [entry]})
    station.session.replies["GetLocalListVersion"] = {"versionNumber": got.payload["versionNumber"]}
    return got.payload


@octt("CC_D_01", reqs=["D01.FR.01", "C01.FR.07", "E01.FR.11"], features=["local_auth_list"])
async def test_cc_d_01(station: Station, csms: Csms, cfg: Settings) -> None:
    """A token blocked after it went into the station's local list is refused online.

    The update that tells the station is numbered above the list it holds.
    """
    token = msg.id_token(LISTED_TOKEN, "ISO14443")
    with step("Prerequisite: a token in the valid token's group"):
        await csms.create_token(LISTED_TOKEN, "ISO14443", "Accepted", cfg.group_id)
    await authorize_as(station, token, token_info("Accepted", cfg.group_id), 1)
    station.session.replies["GetLocalListVersion"] = {"versionNumber": cfg.local_list_version}
    first = await _send_update(station, csms, cfg.local_list_version + 1,
                               _list_entry(LISTED_TOKEN, "Accepted", cfg.group_id), 3)
    with step(f"Step 5: the operator blocks token {LISTED_TOKEN}"):
        await csms.create_token(LISTED_TOKEN, "ISO14443", "Blocked", cfg.group_id)
    await authorize_as(station, token, token_info(REFUSED["blocked"]), 6)
    await start_as(station, token, token_info(REFUSED["blocked"]), 8)
    await deauthorized(station, 10)
    second = await _send_update(station, csms, first["versionNumber"] + 1,
                                _list_entry(LISTED_TOKEN, "Blocked", cfg.group_id), 11)
    assert_matches(second, {"versionNumber": _above(first["versionNumber"])},
                   "Step 11: SendLocalListRequest (the station holds the list of step 3)")


def _above(bound: int) -> Any:
    return Matcher(f"<an integer > {bound}, the version the station holds>",
                   lambda v: isinstance(v, int) and not isinstance(v, bool) and v > bound)


@octt("CC_D_02", reqs=["D01.FR.01", "D01.FR.06", "C09.FR.02", "AuthorizationData.idTokenInfo"],
      features=["local_auth_list"])
async def test_cc_d_02(station: Station, csms: Csms, cfg: Settings) -> None:
    """A Full list of tokens the operator names without idTokenInfo carries what the CSMS knows of each."""
    station.session.replies["GetLocalListVersion"] = {"versionNumber": cfg.local_list_version}
    known = {cfg.valid_id_token: (msg.id_token(cfg.valid_id_token, cfg.valid_id_token_type),
                                  token_info("Accepted", cfg.group_id)),
             cfg.valid_id_token_2: (msg.id_token(cfg.valid_id_token_2, cfg.valid_id_token_type_2),
                                    token_info("Accepted", cfg.group_id)),
             cfg.blocked_id_token: (msg.id_token(cfg.blocked_id_token, cfg.blocked_id_token_type),
                                    token_info(REFUSED["blocked"])),
             cfg.expired_id_token: (msg.id_token(cfg.expired_id_token, cfg.expired_id_token_type),
                                    token_info(REFUSED["expired"]))}
    # A Full update's entries each need their idTokenInfo (AuthorizationData); the operator names the tokens only.
    with step("Step 1"):
        async with station.expect("SendLocalList", reply={"status": "Accepted"}) as got:
            await csms.request(station, "SendLocalList", {
                "versionNumber": cfg.local_list_version + 1, "updateType": "Full",
                "localAuthorizationList": [{"idToken": token} for token, _ in known.values()]})
    sent = {entry["idToken"]["idToken"].upper(): entry for entry in got.payload.get("localAuthorizationList", [])}
    for id_token, (token, expected) in known.items():
        label = f"Step 1: SendLocalListRequest entry for {shown(token)}"
        if id_token.upper() not in sent:
            raise StepFailed(f"{label}: expected the token in the Full list, got a list without it")
        assert_matches(sent[id_token.upper()], expected, label)
