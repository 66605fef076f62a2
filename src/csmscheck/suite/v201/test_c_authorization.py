"""Block C: authorization — token statuses, the authorization cache, groups, master pass, contract certificates."""

from __future__ import annotations

import uuid

import pytest

from csmscheck.checks import v201 as checks
from csmscheck.errors import StepFailed
from csmscheck.expect import assert_matches, one_of, step
from csmscheck.pki.contract import hash_data, issue_contract_certificate
from csmscheck.pki.ocsp import CertStatus, OcspResponder
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.station.model import Transaction
from csmscheck.station.states import v201 as states
from csmscheck.suite.findings import check_matches
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v201.contracts import contract_ca, emaid

Payload = dict[str, object]


def token_2(cfg: Settings) -> Payload:
    return msg.id_token(cfg.valid_id_token_2, cfg.valid_id_token_type_2)


def master_pass(cfg: Settings) -> Payload:
    return msg.id_token(cfg.masterpass_id_token, cfg.masterpass_id_token_type)


def accepted_in(group: str) -> Payload:
    return {"idTokenInfo": {"status": "Accepted", "groupIdToken": {"idToken": group}}}


async def authorize_status(station: Station, token: Payload, allowed: tuple[str, ...], label: str) -> None:
    with step(label):
        response = await states.authorize(station, token)
    assert_matches(response, {"idTokenInfo": {"status": one_of(*allowed)}}, label)


@octt("TC_C_02", reqs=["C01.FR.07", "C04.FR.01", "C06.FR.04"])
async def test_tc_c_02(station: Station, cfg: Settings) -> None:
    """Local start transaction - Authorization Invalid/Unknown."""
    await authorize_status(station, msg.id_token(cfg.invalid_id_token, cfg.invalid_id_token_type),
                           ("Invalid", "Unknown"), "Step 2: AuthorizeResponse")


@octt("TC_C_06", reqs=["C01.FR.07"])
async def test_tc_c_06(station: Station, cfg: Settings) -> None:
    """Local start transaction - Authorization Blocked."""
    await authorize_status(station, msg.id_token(cfg.blocked_id_token, cfg.blocked_id_token_type),
                           ("Blocked", "Invalid"), "Step 2: AuthorizeResponse")


@octt("TC_C_07", reqs=["C01.FR.07"])
async def test_tc_c_07(station: Station, cfg: Settings) -> None:
    """Local start transaction - Authorization Expired."""
    await authorize_status(station, msg.id_token(cfg.expired_id_token, cfg.expired_id_token_type),
                           ("Expired", "Invalid"), "Step 2: AuthorizeResponse")


@octt("TC_C_08", reqs=["C12.FR.03"])
async def test_tc_c_08(station: Station) -> None:
    """Authorization through authorization cache - Accepted."""
    await states.ev_connected_pre_session(station)
    with step("Step 1"):
        response = await states.send_event(station, "Updated", "Authorized", token=states.valid_token(station))
    assert_matches(response, {"idTokenInfo": {"status": "Accepted"}}, "Step 2: TransactionEventResponse")


@octt("TC_C_20", reqs=["C12.FR.03"])
async def test_tc_c_20(station: Station, cfg: Settings) -> None:
    """Authorization through authorization cache - Invalid."""
    await states.ev_connected_pre_session(station)
    with step("Step 1"):
        response = await states.send_event(station, "Updated", "Authorized",
                                           token=msg.id_token(cfg.invalid_id_token, cfg.invalid_id_token_type))
    assert_matches(response, {"idTokenInfo": {"status": one_of("Invalid", "Unknown")}},
                   "Step 2: TransactionEventResponse")


async def _clear_cache(station: Station, csms: Csms, status: str) -> None:
    """Step 1: the CSMS sends ClearCache; step 2: the station answers ``status`` (no tool validations)."""
    with step("Step 1"):
        async with station.expect("ClearCache", reply={"status": status}):
            await csms.request(station, "ClearCache", {})


@octt("TC_C_37")
async def test_tc_c_37(station: Station, csms: Csms) -> None:
    """Clear Authorization Data in Authorization Cache - Accepted."""
    await _clear_cache(station, csms, "Accepted")


@octt("TC_C_38")
async def test_tc_c_38(station: Station, csms: Csms) -> None:
    """Clear Authorization Data in Authorization Cache - Rejected."""
    await _clear_cache(station, csms, "Rejected")


async def _group_start(station: Station, cfg: Settings, label: str) -> None:
    """The first token of the group authorizes the transaction (TransactionEvent Authorized)."""
    event = "Updated" if station.model.transaction and station.model.transaction.started else "Started"
    with step(label):
        response = await states.send_event(station, event, "Authorized", token=states.valid_token(station))
    assert_matches(response, accepted_in(cfg.group_id), label)
    station.model.authorized = True


async def _group_stop(station: Station, cfg: Settings, label: str) -> None:
    """The second token of the group stops the transaction, then the EV leaves."""
    with step(label):
        response = await states.send_event(station, "Updated", "StopAuthorized", token=token_2(cfg),
                                           meter_context="Transaction.End")
    assert_matches(response, accepted_in(cfg.group_id), label)
    station.model.stop_authorized, station.model.charging = True, False
    await states.ev_disconnected(station)  # runs EVConnectedPostSession first


@octt("TC_C_39", reqs=["C09.FR.02", "C09.FR.03"])
async def test_tc_c_39(station: Station, cfg: Settings) -> None:
    """Authorization by GroupId - Success."""
    await states.ev_connected_pre_session(station)
    with step("Step 2"):
        response = await states.authorize(station, token_2(cfg))
    assert_matches(response, accepted_in(cfg.group_id), "Step 2: AuthorizeResponse")
    await _group_start(station, cfg, "Step 4: TransactionEventResponse")
    await states.energy_transfer_started(station)
    with step("Step 7"):
        response = await states.authorize(station, token_2(cfg))
    assert_matches(response, accepted_in(cfg.group_id), "Step 7: AuthorizeResponse")
    await _group_stop(station, cfg, "Step 9: TransactionEventResponse")


@octt("TC_C_40", reqs=["C09.FR.02", "C09.FR.03"])
async def test_tc_c_40(station: Station, cfg: Settings) -> None:
    """Authorization by GroupId - Success with Local Authorization List."""
    await states.ev_connected_pre_session(station)
    await _group_start(station, cfg, "Step 2: TransactionEventResponse")
    await states.energy_transfer_started(station)
    await _group_stop(station, cfg, "Step 5: TransactionEventResponse")


@octt("TC_C_43", reqs=["C09.FR.02", "C09.FR.03"])
async def test_tc_c_43(station: Station, cfg: Settings) -> None:
    """Authorization by GroupId - Invalid status with Local Authorization List."""
    await states.ev_connected_pre_session(station)
    await _group_start(station, cfg, "Step 2: TransactionEventResponse")
    await states.energy_transfer_started(station)
    with step("Step 5"):
        response = await states.authorize(station, token_2(cfg))
    assert_matches(response, accepted_in(cfg.group_id), "Step 5: AuthorizeResponse")
    await _group_stop(station, cfg, "Step 7: TransactionEventResponse")


# -- master pass (C16): transactions on two EVSEs ------------------------------------------


def _second_evse(cfg: Settings) -> int:
    if cfg.number_of_evses < 2:
        pytest.skip("needs a station with two EVSEs (CONFIGURED_NUMBER_OF_EVSES >= 2)")
    return 2 if cfg.evse_id != 2 else 1


async def _charging_on(station: Station, evse_id: int, token: Payload) -> Transaction:
    """EnergyTransferStarted on another EVSE than the configured one, authorized by ``token`` (the reusable
    states Authorized, with its tool validations, and EnergyTransferStarted)."""
    where = f"EVSE {evse_id} preparation: Authorized state"
    with step(where):
        response = await states.authorize(station, token)
    assert_matches(response, {"idTokenInfo": {"status": "Accepted"}}, f"{where}: Step 2: AuthorizeResponse")
    tx = Transaction(uuid.uuid4().hex[:20], evse_id, 1)
    with step(where):
        response = await station.call("TransactionEvent", msg.transaction_event(tx, "Started", "Authorized",
                                                                                token=token))
    tx.started = True
    assert_matches(response, {"idTokenInfo": {"status": "Accepted"}}, f"{where}: Step 4: TransactionEventResponse")
    with step(f"EVSE {evse_id} preparation: EnergyTransferStarted state"):
        await states.connector_event(station, "Occupied", evse_id, 1)
        await station.call("TransactionEvent", msg.transaction_event(tx, "Updated", "CablePluggedIn",
                                                                     charging_state="EVConnected"))
        await station.call("TransactionEvent", msg.transaction_event(tx, "Updated", "ChargingStateChanged",
                                                                     charging_state="Charging"))
    return tx


async def _end(station: Station, tx: Transaction | None, token: Payload, label: str) -> Payload:
    """End ``tx`` (None: the configured EVSE's transaction) because of the master pass."""
    with step(label):
        if tx is None:
            return await states.send_event(station, "Ended", "StopAuthorized", token=token,
                                           charging_state="EVConnected", stopped_reason="MasterPass",
                                           meter_context="Transaction.End")
        return await station.call("TransactionEvent", msg.transaction_event(
            tx, "Ended", "StopAuthorized", token=token, charging_state="EVConnected", stopped_reason="MasterPass",
            meter_context="Transaction.End"))


async def _master_pass_presented(station: Station, cfg: Settings) -> None:
    """Steps 1-2 of C_47 and C_49: the master pass is presented; the OCTT validates nothing of the answer."""
    with step("Step 1"):
        response = await states.authorize(station, master_pass(cfg))
    check_matches(station, checks.MASTER_PASS_RECOGNISED, response, accepted_in(cfg.masterpass_group_id),
                  "Step 2: AuthorizeResponse")


@octt("TC_C_47", reqs=["C16.FR.01"])
async def test_tc_c_47(station: Station, cfg: Settings) -> None:
    """Stop Transaction with a Master Pass - With UI - All transactions."""
    other = _second_evse(cfg)
    await states.energy_transfer_started(station)
    second = await _charging_on(station, other, token_2(cfg))
    await _master_pass_presented(station, cfg)
    accepted = {"idTokenInfo": {"status": "Accepted"}}
    response = await _end(station, None, master_pass(cfg), "Step 3")
    check_matches(station, checks.VALID_TOKEN_IN_TRANSACTION, response, accepted,
                  f"Step 4: TransactionEventResponse (EVSE {cfg.evse_id})")
    response = await _end(station, second, master_pass(cfg), "Step 5")
    check_matches(station, checks.VALID_TOKEN_IN_TRANSACTION, response, accepted,
                  f"Step 6: TransactionEventResponse (EVSE {other})")


@octt("TC_C_48", reqs=["C16.FR.01"])
async def test_tc_c_48(station: Station, cfg: Settings) -> None:
    """Stop Transaction with a Master Pass - With UI - Specific transactions."""
    other = _second_evse(cfg)
    await states.energy_transfer_started(station)
    await _charging_on(station, other, token_2(cfg))
    # Step 1 presents the token whose group is the master pass group: the master pass token.
    with step("Step 1"):
        response = await states.authorize(station, master_pass(cfg))
    assert_matches(response, accepted_in(cfg.masterpass_group_id), "Step 2: AuthorizeResponse")
    response = await _end(station, None, master_pass(cfg), "Step 3")
    assert_matches(response, accepted_in(cfg.masterpass_group_id), "Step 4: TransactionEventResponse")


@octt("TC_C_49", reqs=["C16.FR.02"])
async def test_tc_c_49(station: Station, cfg: Settings) -> None:
    """Stop Transaction with a Master Pass - Without UI."""
    other = _second_evse(cfg)
    await states.energy_transfer_started(station)
    second = await _charging_on(station, other, token_2(cfg))
    await _master_pass_presented(station, cfg)
    response = await _end(station, None, states.valid_token(station), "Step 3")
    check_matches(station, checks.VALID_TOKEN_IN_TRANSACTION, response, accepted_in(cfg.group_id),
                  f"Step 4: TransactionEventResponse (EVSE {cfg.evse_id})")
    response = await _end(station, second, token_2(cfg), "Step 5")
    check_matches(station, checks.VALID_TOKEN_IN_TRANSACTION, response, accepted_in(cfg.group_id),
                  f"Step 6: TransactionEventResponse (EVSE {other})")


# -- contract certificates (C07) over OCSP ---------------------------------------------------


def _asked(responder: OcspResponder, serial: int) -> None:
    """Step 2: the CSMS sent the responder an OCSP request about the contract certificate."""
    if responder.requests < 1:
        raise StepFailed(f"Step 2: expected an OCSP request from the CSMS at {responder.url}, got none")
    serials = [format(r.serial_number, "x") for r in responder.received]
    if format(serial, "x") not in serials:
        raise StepFailed(f"Step 2: expected an OCSP request about the contract certificate (serial number "
                         f"{serial:x}), got requests about serial numbers {', '.join(serials) or '(none)'}")


async def _contract_session(station: Station, cfg: Settings, port: int, status: CertStatus,
                            full_certificate: bool) -> tuple[Payload, OcspResponder, int]:
    """Steps 1-4: EVConnectedPreSession, then an Authorize with the contract while a responder serves."""
    ca = contract_ca(cfg)
    await states.ev_connected_pre_session(station)
    async with OcspResponder(ca, port=port, status=status, host=cfg.ocsp_host) as responder:
        if full_certificate:
            contract = issue_contract_certificate(ca, cfg.contract_emaid, ocsp_url=responder.url)
            request: Payload = {"idToken": emaid(cfg), "certificate": contract.pem}
        else:
            contract = issue_contract_certificate(ca, cfg.contract_emaid)
            request = {"idToken": emaid(cfg), "iso15118CertificateHashData": [
                hash_data(contract.cert, ca.cert, responder.url)]}
        with step("Step 1"):
            response = await station.call("Authorize", request)
    return response, responder, contract.cert.serial_number


async def _charge_with_contract(station: Station, cfg: Settings) -> None:
    """Steps 5-7: the transaction is authorized with the eMAID and energy flows."""
    with step("Step 5"):
        response = await states.send_event(station, "Updated", "Authorized", token=emaid(cfg))
    assert_matches(response, {"idTokenInfo": {"status": "Accepted"}}, "Step 6: TransactionEventResponse")
    station.model.authorized = True
    await states.energy_transfer_started(station)


@octt("TC_C_50", reqs=["C07.FR.04"])
async def test_tc_c_50(station: Station, cfg: Settings) -> None:
    """Authorization using Contract Certificates 15118 - Online - Local contract certificate validation - Accepted."""
    response, responder, serial = await _contract_session(station, cfg, 19080, "good", full_certificate=False)
    _asked(responder, serial)
    assert_matches(response, {"idTokenInfo": {"status": "Accepted"}, "certificateStatus": "Accepted"},
                   "Step 4: AuthorizeResponse")
    await _charge_with_contract(station, cfg)


@octt("TC_C_51", reqs=["C07.FR.16"])
async def test_tc_c_51(station: Station, cfg: Settings) -> None:
    """Authorization using Contract Certificates 15118 - Online - Local contract certificate validation - Rejected."""
    response, responder, serial = await _contract_session(station, cfg, 19081, "revoked", full_certificate=False)
    _asked(responder, serial)
    assert_matches(response, {"idTokenInfo": {"status": "Invalid"}, "certificateStatus": "CertificateRevoked"},
                   "Step 4: AuthorizeResponse")


@octt("TC_C_52", reqs=["C07.FR.04", "C07.FR.05"])
async def test_tc_c_52(station: Station, cfg: Settings) -> None:
    """Authorization using Contract Certificates 15118 - Online - Central contract certificate validation - Accepted."""
    response, responder, serial = await _contract_session(station, cfg, 19082, "good", full_certificate=True)
    _asked(responder, serial)
    assert_matches(response, {"idTokenInfo": {"status": "Accepted"}, "certificateStatus": "Accepted"},
                   "Step 4: AuthorizeResponse")
    await _charge_with_contract(station, cfg)
