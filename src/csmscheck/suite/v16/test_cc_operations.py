"""csmscheck cases (OCPP 1.6J) of reservations, remote control and the security extension's negatives.

Negative and real-world scenarios the OCTT has no case for. A reservation is for its idTag
and the idTags of its parentIdTag; it ends with the first transaction it starts, its
cancellation or its expiry, and after that holds nothing (whether the Central System also
refuses other idTags while it lasts, OCPP leaves open: these cases never ask). The Central
System never signs a certificate signing request of another charge point, without proof of
possession or with a weak key; a password change the charge point refused changes nothing;
security events are always answered; a profile 3 charge point never gets in on a lower
profile.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from csmscheck.checks import ExtraCheck
from csmscheck.checks import operations as checks
from csmscheck.errors import NotApplicable, StepFailed
from csmscheck.expect import assert_matches, step
from csmscheck.pki.certificates import load_pem_chain
from csmscheck.pki.csr import build_csr, new_station_key
from csmscheck.pki.forged_csr import csr_signed_with_another_key, weak_key_csr
from csmscheck.settings import Settings
from csmscheck.station import Station, v16
from csmscheck.station.states import v16 as states
from csmscheck.station.states import v16_extra as extra
from csmscheck.station.states import v16_security as security
from csmscheck.station.timing import scenario_wait
from csmscheck.station.v16 import Payload
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.plugin import StationFactory, endpoint_for
from csmscheck.suite.security_setup import set_security_profile
from csmscheck.suite.v16.csms_calls import check_relayed, csms_sends
from csmscheck.suite.v201.operations_steps import declined
from csmscheck.timestamps import parse_time, rfc3339

RESERVATION = ["reservation"]
SECURITY = ["security_extension"]
_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _other_connector(cfg: Settings) -> int:
    if cfg.number_of_evses < 2:
        raise NotApplicable("the case needs a charge point of two connectors (CONFIGURED_NUMBER_OF_EVSES)")
    return 2 if cfg.connector_id == 1 else 1


# -- reservations ---------------------------------------------------------------------------


async def _reserve(station: Station, csms: Csms, payload: Payload, steps: tuple[str, str]) -> Payload:
    """The Central System sends ReserveNow as asked (its connector, idTag and parentIdTag checked); the charge
    point accepts. Returns the ReserveNow.req (whose reservationId the Central System may have chosen)."""
    label = f"{steps[0]}: ReserveNow.req"
    sent = await csms_sends(station, csms, "ReserveNow", payload, label, reply={"status": "Accepted"})
    assert_matches(sent.payload, {k: payload[k] for k in ("connectorId", "idTag", "parentIdTag") if k in payload},
                   label)
    check_relayed(station, sent, f"{steps[1]}: ReserveNow.conf")
    return sent.payload


@asynccontextmanager
async def _cancelled_on_failure(station: Station, csms: Csms, reservation_id: int) -> AsyncIterator[None]:
    """Clean-up, never part of the verdict: a case that fails has the reservation cancelled, so that it holds
    nothing for the next case."""
    try:
        yield
    except BaseException:
        if station.session.connected:
            with suppress(Exception):
                await csms_sends(station, csms, "CancelReservation", {"reservationId": reservation_id},
                                 "Clean-up: CancelReservation.req", reply={"status": "Accepted"})
        raise


async def _session(station: Station, connector_id: int, id_tag: str, step_no: int, why: str, *,
                   reservation_id: int | None = None, stop: bool = True) -> None:
    """``id_tag`` starts a transaction on ``connector_id`` (naming ``reservation_id`` if given), which the Central
    System must accept (``why`` says why it must); with ``stop`` it ends at once and the cable is unplugged.
    Steps are numbered from ``step_no`` (the charge point's messages, each followed by the answer)."""
    await extra.report_connector(station, connector_id, "Preparing", f"Step {step_no}: StatusNotification.conf")
    label = f"Step {step_no + 2}: StartTransaction.conf"
    payload = v16.start_transaction(connector_id, id_tag, station.model.meter_wh, reservation_id)
    response = await states.checked_call(station, "StartTransaction", payload, label)
    station.model.new_transaction(connector_id, connector_id, str(response["transactionId"])).started = True
    assert_matches(response, states.ACCEPTED_TAG, f"{label} for {id_tag} on connector {connector_id} ({why})")
    if stop:
        await _stop(station, id_tag, connector_id, step_no + 4)


async def _stop(station: Station, id_tag: str, connector_id: int, step_no: int) -> None:
    """The driver stops the transaction with ``id_tag`` and unplugs: StopTransaction, then Available."""
    label = f"Step {step_no}: StopTransaction.conf"
    response = await states.stop_transaction(station, "Local", id_tag, step=label)
    if "idTagInfo" in response:
        assert_matches(response["idTagInfo"], {"status": "Accepted"}, f"{label}: idTagInfo of {id_tag}")
    await extra.report_connector(station, connector_id, "Available", f"Step {step_no + 2}: StatusNotification.conf")


@octt("CC16_70", chapter="3.17", reqs=["OCPP 1.6 §5.13", "OCPP 1.6 §4.8", "OCPP 1.6 §4.1"], features=RESERVATION)
async def test_cc16_70(station: Station, csms: Csms, cfg: Settings) -> None:
    """Use a reserved connector with another idTag of the reservation's parentIdTag."""
    member = extra.GROUP_MEMBER_ID_TAG
    with step("Prerequisite: a second idTag in the valid idTag's group"):
        await csms.create_token(member, "ISO14443", "Accepted", cfg.group_id)
    request = await _reserve(station, csms, extra.reservation(station, cfg.connector_id, parentIdTag=cfg.group_id),
                             ("Step 1", "Step 2"))
    async with _cancelled_on_failure(station, csms, request["reservationId"]):
        await extra.report_connector(station, cfg.connector_id, "Reserved", "Step 4: StatusNotification.conf")
        # The charge point learns the member's parentIdTag from the Central System to match it with the reservation.
        authorized = await extra.confirm(station, "Authorize", {"idTag": member}, "Step 6: Authorize.conf")
        assert_matches(authorized, {"idTagInfo": {"status": "Accepted", "parentIdTag": cfg.group_id}},
                       f"Step 6: Authorize.conf for {member}, of the reservation's parentIdTag")
        await _session(station, cfg.connector_id, member, 8,
                       f"of the reservation's parentIdTag {cfg.group_id}, naming the reservation",
                       reservation_id=request["reservationId"])


@octt("CC16_71", chapter="3.17", reqs=["OCPP 1.6 §5.13", "OCPP 1.6 §4.8", "OCPP 1.6 §4.1"], features=RESERVATION)
async def test_cc16_71(station: Station, csms: Csms, cfg: Settings) -> None:
    """Reserved connector - another idTag is authorized and charges on another connector."""
    other = _other_connector(cfg)
    request = await _reserve(station, csms, extra.reservation(station, cfg.connector_id), ("Step 1", "Step 2"))
    async with _cancelled_on_failure(station, csms, request["reservationId"]):
        await extra.report_connector(station, cfg.connector_id, "Reserved", "Step 4: StatusNotification.conf")
        why = f"connector {cfg.connector_id} is reserved for {cfg.valid_id_token}, connector {other} is not"
        # Authorize.req names no connector: the Central System answers for the idTag.
        authorized = await extra.confirm(station, "Authorize", {"idTag": cfg.valid_id_token_2},
                                         "Step 6: Authorize.conf")
        assert_matches(authorized, states.ACCEPTED_TAG, f"Step 6: Authorize.conf for {cfg.valid_id_token_2} ({why})")
        await _session(station, other, cfg.valid_id_token_2, 8, why)
        await _session(station, cfg.connector_id, cfg.valid_id_token, 14, "the idTag of the reservation, naming it",
                       reservation_id=request["reservationId"])


@octt("CC16_72", chapter="3.17", reqs=["OCPP 1.6 §5.13", "OCPP 1.6 §4.8"], features=RESERVATION)
async def test_cc16_72(station: Station, csms: Csms, cfg: Settings) -> None:
    """Reservation of the charge point ends with its first transaction - naming it again reserves nothing."""
    request = await _reserve(station, csms, extra.reservation(station, 0), ("Step 1", "Step 2"))
    reservation_id = request["reservationId"]
    async with _cancelled_on_failure(station, csms, reservation_id):
        await extra.report_connector(station, cfg.connector_id, "Reserved", "Step 4: StatusNotification.conf")
        await _session(station, cfg.connector_id, cfg.valid_id_token, 6, "the idTag of the reservation, naming it",
                       reservation_id=reservation_id)
    # A StartTransaction.req naming the used reservation again: nothing is reserved any more, so it is judged on its
    # idTag alone (an Invalid would also go into the charge point's authorization cache for a valid idTag).
    await _session(station, cfg.connector_id, cfg.valid_id_token_2, 12,
                   f"reservation {reservation_id} ended with the transaction of step 8", reservation_id=reservation_id)


@octt("CC16_73", chapter="3.17", reqs=["OCPP 1.6 §5.13", "OCPP 1.6 §4.8"], features=RESERVATION)
async def test_cc16_73(station: Station, csms: Csms, cfg: Settings) -> None:
    """Reservation past its expiryDate - naming it reserves nothing."""
    lifetime = timedelta(seconds=max(cfg.transaction_duration, 2.0))
    payload = extra.reservation(station, 0) | {"expiryDate": rfc3339(datetime.now(UTC) + lifetime)}
    request = await _reserve(station, csms, payload, ("Step 1", "Step 2"))
    reservation_id = request["reservationId"]
    await extra.report_connector(station, cfg.connector_id, "Reserved", "Step 4: StatusNotification.conf")
    # Nobody comes: the reservation expires (past it, on a clock a little off too) and the connector is free again;
    # a StartTransaction.req still naming it is judged on its idTag alone.
    await scenario_wait((parse_time(request["expiryDate"]) - datetime.now(UTC)).total_seconds() + 2.0)
    await extra.report_connector(station, cfg.connector_id, "Available", "Step 6: StatusNotification.conf")
    await _session(station, cfg.connector_id, cfg.valid_id_token_2, 8,
                   f"reservation {reservation_id} expired at {request['expiryDate']}", reservation_id=reservation_id)


@octt("CC16_74", chapter="3.17", reqs=["OCPP 1.6 §5.1", "OCPP 1.6 §5.13", "OCPP 1.6 §4.10"], features=RESERVATION)
async def test_cc16_74(station: Station, csms: Csms, cfg: Settings) -> None:
    """Cancel a reservation already used - the charge point answers Rejected, the transaction goes on."""
    request = await _reserve(station, csms, extra.reservation(station, cfg.connector_id), ("Step 1", "Step 2"))
    reservation_id = request["reservationId"]
    async with _cancelled_on_failure(station, csms, reservation_id):
        await extra.report_connector(station, cfg.connector_id, "Reserved", "Step 4: StatusNotification.conf")
        await _session(station, cfg.connector_id, cfg.valid_id_token, 6, "the idTag of the reservation, naming it",
                       reservation_id=reservation_id, stop=False)
    # The charge point has no reservation by that id any more (OCPP 1.6 §5.1: Rejected).
    try:
        sent = await csms_sends(station, csms, "CancelReservation", {"reservationId": reservation_id},
                                "Step 10: CancelReservation.req", reply={"status": "Rejected"})
    except StepFailed as exc:
        if not declined(exc):
            raise
        # The Central System knows the reservation was used and sends nothing: as good as the Rejected.
    else:
        assert_matches(sent.payload, {"reservationId": reservation_id}, "Step 10: CancelReservation.req")
        check_relayed(station, sent, "Step 11: CancelReservation.conf")
    await _stop(station, cfg.valid_id_token, cfg.connector_id, 12)


# -- remote control -------------------------------------------------------------------------


@octt("CC16_75", chapter="3.18", reqs=["OCPP 1.6 §5.17", "OCPP 1.6 §5.18"], features=["remote_trigger"])
async def test_cc16_75(station: Station, csms: Csms, cfg: Settings) -> None:
    """Trigger message and unlock for another connector."""
    other = _other_connector(cfg)
    for number, message in enumerate(("StatusNotification", "MeterValues")):
        label = f"Step {1 + 4 * number}: TriggerMessage.req"
        sent = await csms_sends(station, csms, "TriggerMessage", {"requestedMessage": message, "connectorId": other},
                                label, reply={"status": "Accepted"})
        assert_matches(sent.payload, {"requestedMessage": message, "connectorId": other}, label)
        check_relayed(station, sent, f"Step {2 + 4 * number}: TriggerMessage.conf")
        answer_step = f"Step {4 + 4 * number}: {message}.conf"
        if message == "StatusNotification":
            await extra.report_connector(station, other, "Available", answer_step)
        else:
            await extra.confirm(station, message, v16.meter_values(other, station.model.meter_wh), answer_step)
    sent = await csms_sends(station, csms, "UnlockConnector", {"connectorId": other}, "Step 9: UnlockConnector.req",
                            reply={"status": "Unlocked"})
    assert_matches(sent.payload, {"connectorId": other}, "Step 9: UnlockConnector.req")
    check_relayed(station, sent, "Step 10: UnlockConnector.conf")


# -- security extension ---------------------------------------------------------------------


def _another_station(station: Station, cfg: Settings) -> str:
    return next(i for i in (cfg.cp16_sp3, cfg.cp201_sp1, "CSMSCHECK-OTHER") if i != station.id)


@octt("CC16_80", chapter="3.21", reqs=["OCPP 1.6 security whitepaper: SignCertificate", "RFC 2986"],
      features=SECURITY)
async def test_cc16_80(station: Station, cfg: Settings) -> None:
    """SignCertificate with CSRs the Central System must not sign."""
    another = _another_station(station, cfg)
    probes: list[tuple[ExtraCheck, str, str]] = [
        (checks.CSR_FOR_ANOTHER_STATION, build_csr(another, new_station_key()),
         f"whose common name is {another}, another charge point"),
        (checks.CSR_WITHOUT_PROOF_OF_POSSESSION, csr_signed_with_another_key(station.id),
         "signed with another key than the one it carries"),
        (checks.CSR_WITH_WEAK_KEY, weak_key_csr(station.id), "holding an RSA key of 1024 bits"),
    ]
    keys = {}
    for number, (check, csr, what) in enumerate(probes):
        label = f"Step {2 + 2 * number}: SignCertificate.conf for a CSR {what}"
        response = await states.checked_call(station, "SignCertificate", {"csr": csr}, label)
        station.findings.check(check, response.get("status") == "Rejected",
                               f"{label}: expected status \"Rejected\", got {states.shown(response, 'status')}")
        keys[x509.load_pem_x509_csr(csr.encode()).public_key().public_bytes(*_SPKI)] = what
    # None of them may come back signed (the Central System sends CertificateSigned right after accepting one).
    try:
        async with station.expect("CertificateSigned", reply={"status": "Rejected"},
                                  timeout=min(cfg.message_wait, 2.0)) as got:
            pass
    except StepFailed:
        return  # nothing came
    leaf = load_pem_chain(str(got.payload["certificateChain"]))[0]
    which = keys.get(leaf.public_key().public_bytes(*_SPKI), "of none of them")
    raise StepFailed(f"Step 8: CertificateSigned.req: expected none for the refused CSRs, got a certificate for "
                     f"the CSR {which} ({leaf.subject.rfc4514_string()})")


@octt("CC16_81", chapter="3.21", reqs=["OCPP 1.6 §5.3", "OCPP 1.6 security whitepaper: AuthorizationKey"],
      features=[*SECURITY, "basic_auth"])
async def test_cc16_81(station: Station, csms: Csms, cfg: Settings, make_station: StationFactory) -> None:
    """AuthorizationKey change rejected by the charge point - the old password still opens, the new one not."""
    old_endpoint = station.endpoint
    new_password = security.new_password()
    try:
        sent = await csms_sends(station, csms, "ChangeConfiguration",
                                {"key": "AuthorizationKey", "value": new_password},
                                "Step 1: ChangeConfiguration.req", reply={"status": "Rejected"})
        assert_matches(sent.payload, {"key": "AuthorizationKey", "value": new_password},
                       "Step 1: ChangeConfiguration.req")
        check_relayed(station, sent, "Step 2: ChangeConfiguration.conf")
        await station.close()
        problems = []
        impostor = await make_station("1.6", station.id, connect=False,
                                      endpoint=security.password_endpoint(station, new_password))
        if await security.refused(impostor) is None:
            problems.append("Step 3: connecting with the password the charge point rejected: expected a refusal, "
                            "got a connection")
        station.endpoint = old_endpoint
        try:
            await states.reconnect(station, "Step 4: reconnecting with the unchanged password", drop=False)
        except StepFailed as exc:
            problems.append(str(exc))
        if problems:
            raise StepFailed("\n".join(problems))
    finally:
        with suppress(Exception), step("Clean-up: the station's basic-auth password set back"):
            await csms.set_basic_auth_password(station, cfg.basic_auth_password)


SECURITY_EVENTS = (
    "FirmwareUpdated", "FailedToAuthenticateAtCentralSystem", "CentralSystemFailedToAuthenticate",
    "SettingSystemTime", "StartupOfTheDevice", "ResetOrReboot", "SecurityLogWasCleared",
    "ReconfigurationOfSecurityParameters", "MemoryExhaustion", "InvalidMessages", "AttemptedReplayAttacks",
    "TamperDetectionActivated", "InvalidFirmwareSignature", "InvalidFirmwareSigningCertificate",
    "InvalidCentralSystemCertificate", "InvalidChargePointCertificate", "InvalidTLSVersion",
    "InvalidTLSCipherSuite", "com.example.VendorSpecificEvent",
)


@octt("CC16_82", chapter="3.21", reqs=["OCPP 1.6 security whitepaper: SecurityEventNotification",
                                       "OCPP-J 1.6 §4.1.3"], features=SECURITY)
async def test_cc16_82(station: Station) -> None:
    """SecurityEventNotification of every type, with and without techInfo - each answered."""
    for number, event_type in enumerate(SECURITY_EVENTS):
        label = f"Step {2 + 2 * number}: SecurityEventNotification.conf ({event_type})"
        payload: Payload = {"type": event_type, "timestamp": rfc3339()}
        if number % 2:
            payload["techInfo"] = f"csmscheck: {event_type} detected by the charge point"
        answer = await states.checked_call(station, "SecurityEventNotification", payload, label)
        assert_matches(answer, {}, label)


@octt("CC16_83", chapter="3.21", reqs=["OCPP 1.6 security whitepaper: Security Profiles"],
      features=[*SECURITY, "mutual_tls"])
async def test_cc16_83(cfg: Settings, make_station: StationFactory) -> None:
    """A security profile 3 charge point connecting with a lower profile - refused."""
    if cfg.target_sp3 is None or cfg.pki_dir is None:
        raise NotApplicable("needs security profile 3: CSMS_SP3_ADDRESS and CSMSCHECK_PKI_DIR")
    profiles = [1] + ([2] if cfg.target_sp2 is not None else [])
    problems = []
    for number, profile in enumerate(profiles):
        lower = await make_station("1.6", cfg.cp16_sp3, profile, connect=False)
        how = "ws:// with basic authentication" if profile == 1 else "TLS with basic authentication"
        if await security.refused(lower) is None:
            problems.append(f"Step {1 + number}: connecting {cfg.cp16_sp3}, a security profile 3 charge point, over "
                            f"security profile {profile} ({how}): expected a refusal, got a connection")
    if problems:
        raise StepFailed("\n".join(problems))


@octt("CC16_84", chapter="3.21", reqs=["OCPP 1.6 security whitepaper: Security Profiles, SecurityProfile key"],
      features=[*SECURITY, "tls", "basic_auth"])
async def test_cc16_84(station: Station, csms: Csms, cfg: Settings) -> None:
    """Security profile raised from 1 to 2 - once connected with 2, the charge point is refused on 1."""
    if cfg.target_sp2 is None or cfg.pki_dir is None:
        raise NotApplicable("needs security profile 2: CSMS_SP2_ADDRESS and CSMSCHECK_PKI_DIR")
    if cfg.manual or await set_security_profile(cfg, station.id, 1) != 200:
        raise NotApplicable("the case needs the trigger API to set a charge point's security profile back "
                            "(POST …/set-security-profile), which this CSMS does not offer")
    profile_1 = station.endpoint

    async def set_back() -> None:
        await station.close()
        station.endpoint = profile_1
        if await set_security_profile(cfg, station.id, 1) != 200:
            raise StepFailed("Clean-up: the trigger API did not set the charge point's security profile back to 1")

    try:
        sent = await csms_sends(station, csms, "ChangeConfiguration", {"key": "SecurityProfile", "value": "2"},
                                "Step 1: ChangeConfiguration.req", reply={"status": "Accepted"})
        assert_matches(sent.payload, {"key": "SecurityProfile", "value": "2"}, "Step 1: ChangeConfiguration.req")
        check_relayed(station, sent, "Step 2: ChangeConfiguration.conf")
        await security.reconnect_with(station, endpoint_for(cfg, 2, station.id),
                                      "Step 3: reconnecting with security profile 2 (TLS and basic authentication)")
        await station.close()
        station.endpoint = profile_1
        if await security.refused(station) is None:
            raise StepFailed("Step 4: connecting with security profile 1 after the charge point connected with "
                             "profile 2: expected a refusal (no downgrade), got a connection")
    except BaseException:
        with suppress(Exception):  # the case's own failure is the one to report
            await set_back()
        raise
    await set_back()
