"""Proof for csmscheck's cases and checks of reservations, remote control, availability and 1.6 security negatives.

Each test breaks one behaviour of the in-process reference CSMS the way a CSMS team might
(patched here with monkeypatch, never a product flag), runs the csmscheck case that
covers it and checks the finding it reports — and that ``--strict`` fails the case for it.
The first tests run every case against the healthy CSMS: no finding.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography import x509
from faults import alter_sent, assert_failed, assert_finding, end_reservations, misreport_answer, run_case, run_cases
from faults201 import finding_not_failure, transcript
from sqlalchemy import select

from csmscheck.bundled import BundledCsms
from csmscheck.csms import operations, security_certificates, security_profile
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.handlers.v16 import reservation as reservation16
from csmscheck.csms.handlers.v16 import security as security16
from csmscheck.csms.handlers.v201 import remote_control
from csmscheck.csms.handlers.v201 import reservation as reservation201
from csmscheck.csms.passwords import remember_password
from csmscheck.csms.remote_models import OperationalStatus
from csmscheck.csms.reservation_models import ACTIVE, Reservation
from csmscheck.csms.router import ROUTES, OcppError, Payload
from csmscheck.pki import ca, csr
from csmscheck.pki.forged_csr import csr_signed_with_another_key, weak_key_csr
from csmscheck.wire.errors import ErrorCode

V201, V16 = ROUTES["2.0.1"], ROUTES["1.6"]
CASES_201 = ["CC_H_01", "CC_H_02", "CC_H_03", "CC_H_04", "CC_H_05", "CC_H_06", "CC_H_07", "CC_F_01", "CC_F_02",
             "CC_F_03", "CC_F_04", "CC_F_05", "CC_F_06", "CC_G_01", "CC_G_02"]
CASES_16 = ["CC16_70", "CC16_71", "CC16_72", "CC16_73", "CC16_74", "CC16_75", "CC16_80", "CC16_81", "CC16_82",
            "CC16_83", "CC16_84"]
NOT_AT_THIS_TIME = 'idTokenInfo.status: expected "Accepted", got "NotAtThisTime"'
INVALID = 'idTagInfo.status: expected "Accepted", got "Invalid"'
REPORTED = "CSC-201-F-03"


@pytest.fixture(autouse=True)
def no_reservation_outlives_a_test(bundled: BundledCsms) -> Iterator[None]:
    """A broken CSMS may keep a reservation active: end them all, so the next test starts clean."""
    yield
    end_reservations(bundled)


def cc_finding(pytester: pytest.Pytester, bundled: BundledCsms, case: str, *fragments: str) -> None:
    """The csmscheck case fails with every fragment in its message: a finding of its own id, a failure with
    ``--strict``."""
    assert_finding(run_case(pytester, bundled, case), case, *fragments)
    assert_failed(run_case(pytester, bundled, case, strict=True), *fragments)


@pytest.mark.parametrize("cases", [CASES_201, CASES_16], ids=["2.0.1", "1.6"])
def test_healthy_csms_passes_every_case_without_findings(pytester: pytest.Pytester, bundled: BundledCsms,
                                                         cases: list[str]) -> None:
    entries = run_cases(pytester, bundled, *cases, strict=True)
    assert sorted(e["id"] for e in entries) == sorted(cases)
    assert {e["id"]: e["message"] for e in entries if e["outcome"] != "passed"} == {}


# -- 2.0.1 reservations ---------------------------------------------------------------------


def test_expiry_ignored_is_found_by_cc_h_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS ends a reservation only on the station's word, never at its expiryDateTime."""
    monkeypatch.setattr(reservation201, "active", lambda rows: [r for r in rows if r.status == ACTIVE])
    cc_finding(pytester, bundled, "CC_H_02", "Step 10: TransactionEventResponse for A0000002 on EVSE 1 "
               "(the reservation expired at", NOT_AT_THIS_TIME)


def test_reservation_holding_every_evse_is_found_by_cc_h_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS looks a transaction's reservation up by station, not by EVSE."""
    real = reservation201.reservation_for
    monkeypatch.setattr(reservation201, "reservation_for",
                        lambda rows, *args: real(rows, *args) or next(iter(rows), None))
    cc_finding(pytester, bundled, "CC_H_01", "Step 7: TransactionEventResponse for A0000002 on EVSE 2 (EVSE 1 is "
               "reserved for A0000001, EVSE 2 is not)", NOT_AT_THIS_TIME)


def test_unspecified_reservation_holding_every_evse_is_found_by_cc_h_06(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS holds every EVSE for a reservation of no particular EVSE."""
    real = reservation201.reservation_for
    monkeypatch.setattr(reservation201, "reservation_for", lambda rows, *args: real(rows, *args) or next(
        (r for r in rows if r.evse_id is None), None))
    cc_finding(pytester, bundled, "CC_H_06", "Step 7: TransactionEventResponse for A0000002 on EVSE 1 (the "
               "reservation names no EVSE and the station keeps EVSE 2 for it)", NOT_AT_THIS_TIME)


def test_authorize_refused_during_a_reservation_is_found_by_cc_h_01(pytester: pytest.Pytester,
                                                                    bundled: BundledCsms,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS refuses every other driver's Authorize while the station holds a reservation."""
    real = V201.handlers["Authorize"]

    async def reserved_station(connection: StationConnection, request: Payload) -> Payload:
        response = await real(connection, request)
        async with connection.csms.store.session() as db:
            rows = reservation201.active((await db.scalars(select(Reservation).filter_by(
                station_id=connection.station_id, status=ACTIVE))).all())
        if any(not reservation201.holds(r, request["idToken"]["idToken"], None) for r in rows):
            response["idTokenInfo"]["status"] = "NotAtThisTime"
        return response

    monkeypatch.setitem(V201.handlers, "Authorize", reserved_station)
    cc_finding(pytester, bundled, "CC_H_01", "Step 5: AuthorizeResponse for A0000002 (EVSE 1 is reserved",
               NOT_AT_THIS_TIME)


def test_occupied_answer_taken_as_a_reservation_is_found_by_cc_h_04(pytester: pytest.Pytester,
                                                                    bundled: BundledCsms,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS takes any ReserveNowResponse but Rejected for a reservation made."""
    (real,) = V201.response_hooks["ReserveNow"]

    async def only_rejected_refuses(connection: StationConnection, request: Payload, response: Payload) -> None:
        await real(connection, request, response if response["status"] == "Rejected" else {"status": "Accepted"})

    monkeypatch.setitem(V201.response_hooks, "ReserveNow", [only_rejected_refuses])
    cc_finding(pytester, bundled, "CC_H_04", "Step 5: TransactionEventResponse for A0000002 on EVSE 1 (the station "
               "answered the ReserveNowRequest Occupied)", NOT_AT_THIS_TIME)


def test_reservation_not_replaced_is_found_by_cc_h_05(pytester: pytest.Pytester, bundled: BundledCsms,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A ReserveNow with the id of an active reservation leaves the old one as it was (H01.FR.02 ignored)."""
    (real,) = V201.response_hooks["ReserveNow"]

    async def keep_first(connection: StationConnection, request: Payload, response: Payload) -> None:
        async with connection.csms.store.session() as db:
            existing = await db.get(Reservation, (connection.station_id, request["id"]))
            if existing is not None and existing.status == ACTIVE:
                return
        await real(connection, request, response)

    monkeypatch.setitem(V201.response_hooks, "ReserveNow", [keep_first])
    cc_finding(pytester, bundled, "CC_H_05", "Step 12: TransactionEventResponse for A0000002 on EVSE 1 (reservation",
               "moved to EVSE 2 (H01.FR.02))", NOT_AT_THIS_TIME)


def test_driver_on_a_reserved_evse_told_the_token_is_invalid_is_found_by_cc_h_07(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS turns another driver away from a reserved EVSE with Invalid, which the station caches."""
    monkeypatch.setattr(reservation201, "HELD_FOR_ANOTHER", "Invalid")
    cc_finding(pytester, bundled, "CC_H_07", "Step 5: TransactionEventResponse for A0000002 on EVSE 1, reserved for "
               'A0000001: idTokenInfo.status: expected "Accepted" or a status that keeps the valid token usable '
               'elsewhere (NotAtThisTime or NotAtThisLocation), got "Invalid"')


def test_refused_cancellation_reported_as_done_is_a_finding_of_cc_h_03(pytester: pytest.Pytester,
                                                                       bundled: BundledCsms,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    misreport_answer(monkeypatch, "CancelReservation", lambda answer: answer.update(status="Accepted"))
    finding_not_failure(pytester, bundled, "CC_H_03", REPORTED,
                        'Step 7: CancelReservationResponse: the CSMS reported the station\'s answer as '
                        '{"status":"Accepted"}, but the station answered {"status":"Rejected"}')


@pytest.mark.parametrize("case", ["CC_H_03", "CC16_74"])
def test_cancellation_of_a_used_reservation_declined_passes(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    """A CSMS that knows the reservation was used may refuse the operator's cancellation and send nothing."""
    real = operations.relay

    async def knows_better(csms: Any, version: Any, station_id: str, action: str, payload: Payload) -> Any:
        if action == "CancelReservation":
            raise operations.TriggerError(409, f"reservation {payload['reservationId']} was already used")
        return await real(csms, version, station_id, action, payload)

    monkeypatch.setattr(operations, "relay", knows_better)
    entry = run_case(pytester, bundled, case, strict=True)
    assert entry["outcome"] == "passed" and not entry.get("findings"), entry
    assert not [frame for _, _, frame in transcript(pytester, case) if '"CancelReservation"' in frame]


def test_cancellation_of_another_reservation_is_found_by_cc_h_03(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "CancelReservation", lambda p: p.update(reservationId=p["reservationId"] + 1))
    cc_finding(pytester, bundled, "CC_H_03", "Step 7: CancelReservationRequest: unexpected content",
               "reservationId: expected")


# -- 2.0.1 remote control -------------------------------------------------------------------


def test_central_token_unknown_is_found_by_cc_f_02(pytester: pytest.Pytester, bundled: BundledCsms,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS looks up every idToken in its token table, also the Central one it issued for a remote start."""
    monkeypatch.setattr(remote_control, "_CSMS_ISSUED_TYPES", {"NoAuthorization"})
    cc_finding(pytester, bundled, "CC_F_02", "Step 3: TransactionEventResponse for the Central idToken",
               "of the CSMS's own RequestStartTransactionRequest", 'expected "Accepted", got "Unknown"')


def test_no_authorization_token_unknown_is_found_by_cc_f_04(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote_control, "_CSMS_ISSUED_TYPES", {"Central"})
    cc_finding(pytester, bundled, "CC_F_04", "Step 3: TransactionEventResponse for the NoAuthorization idToken",
               'expected "Accepted", got "Unknown"')


def test_remote_start_linked_to_another_transaction_is_found_by_cc_f_03(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS records the remoteStartId where the answer's transactionId belongs."""
    async def mislinked(connection: StationConnection, request: Payload, response: Payload) -> None:
        await remote_control._record_start(connection, request, response["status"], str(request["remoteStartId"]))

    monkeypatch.setitem(V201.response_hooks, "RequestStartTransaction", [mislinked])
    cc_finding(pytester, bundled, "CC_F_03", "Step 3: TransactionEventResponse for the Central idToken",
               'expected "Accepted", got "Unknown"')


def test_remote_start_without_its_charging_profile_is_found_by_cc_f_01(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "RequestStartTransaction", lambda p: p.pop("chargingProfile", None))
    cc_finding(pytester, bundled, "CC_F_01", "Step 1: RequestStartTransactionRequest", "chargingProfile: missing")


def test_remote_start_profile_naming_a_transaction_is_found_by_cc_f_01(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "RequestStartTransaction",
               lambda p: p["chargingProfile"].update(transactionId="last-transaction"))
    cc_finding(pytester, bundled, "CC_F_01", "Step 1: RequestStartTransactionRequest",
               'chargingProfile.transactionId: expected to be absent, got "last-transaction"')


def test_remote_stop_of_another_transaction_is_found_by_cc_f_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "RequestStopTransaction", lambda p: p.update(transactionId=p["transactionId"][:-1]))
    cc_finding(pytester, bundled, "CC_F_01", "Step 6: RequestStopTransactionRequest", "transactionId: expected")


def test_refused_remote_start_reported_as_accepted_is_a_finding_of_cc_f_05(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    misreport_answer(monkeypatch, "RequestStartTransaction", lambda answer: answer.update(status="Accepted"))
    finding_not_failure(pytester, bundled, "CC_F_05", REPORTED,
                        'Step 1: RequestStartTransactionResponse: the CSMS reported the station\'s answer as '
                        '{"status":"Accepted"}, but the station answered {"status":"Rejected"}')


def test_trigger_without_connector_is_found_by_cc_f_06(pytester: pytest.Pytester, bundled: BundledCsms,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "TriggerMessage", lambda p: p.get("evse", {}).pop("connectorId", None))
    cc_finding(pytester, bundled, "CC_F_06", "Step 1: TriggerMessageRequest", "evse.connectorId: missing")


def test_unlock_of_swapped_ids_is_found_by_cc_f_06(pytester: pytest.Pytester, bundled: BundledCsms,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "UnlockConnector",
               lambda p: p.update(evseId=p["connectorId"], connectorId=p["evseId"]))
    cc_finding(pytester, bundled, "CC_F_06", "Step 9: UnlockConnectorRequest", "evseId: expected 2, got 1")


# -- 2.0.1 availability ---------------------------------------------------------------------


def test_evse_availability_event_crash_is_found_by_cc_g_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS reads a connectorId from every AvailabilityState event, also an EVSE's."""
    async def connector_only(_connection: StationConnection, request: Payload, _response: Payload) -> None:
        for event in request["eventData"]:
            if event["variable"]["name"] == "AvailabilityState" and "evse" in event["component"]:
                _ = event["component"]["evse"]["connectorId"]

    monkeypatch.setitem(V201.observers, "NotifyEvent", [*V201.observers["NotifyEvent"], connector_only])
    cc_finding(pytester, bundled, "CC_G_01", "Step 3: EVSE 2: NotifyEvent: the CSMS answered CALLERROR InternalError")


def test_connector_scope_sent_for_the_whole_evse_is_found_by_cc_g_01(pytester: pytest.Pytester,
                                                                     bundled: BundledCsms,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "ChangeAvailability", lambda p: p.get("evse", {}).pop("connectorId", None))
    cc_finding(pytester, bundled, "CC_G_01", "Step 5: ChangeAvailabilityRequest", "evse.connectorId: missing")


def test_refused_availability_change_reported_as_accepted_is_a_finding_of_cc_g_01(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    misreport_answer(monkeypatch, "ChangeAvailability", lambda answer: answer.update(status="Accepted"))
    finding_not_failure(pytester, bundled, "CC_G_01", REPORTED,
                        'Step 9: ChangeAvailabilityResponse: the CSMS reported the station\'s answer as '
                        '{"status":"Accepted"}, but the station answered {"status":"Rejected"}')


def test_boot_pending_while_an_evse_is_inoperative_is_found_by_cc_g_02(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS holds back (Pending) a station that boots with an EVSE it set Inoperative."""
    real = V201.handlers["BootNotification"]

    async def hold_back(connection: StationConnection, request: Payload) -> Payload:
        response = await real(connection, request)
        async with connection.csms.store.session() as db:
            inoperative = await db.scalar(select(OperationalStatus).filter_by(
                station_id=connection.station_id, status="Inoperative"))
        if inoperative is not None:
            response["status"] = "Pending"
        return response

    monkeypatch.setitem(V201.handlers, "BootNotification", hold_back)
    cc_finding(pytester, bundled, "CC_G_02", "Step 6: BootNotificationResponse", 'status: expected "Accepted", '
               'got "Pending"')


# -- 1.6 reservations -----------------------------------------------------------------------


def test_parent_id_tag_ignored_is_found_by_cc16_70(pytester: pytest.Pytester, bundled: BundledCsms,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS lets only the reservation's own idTag use it, not the idTags of its parentIdTag."""
    monkeypatch.setattr(reservation16, "holds_reservation",
                        lambda r, connector_id, id_tag, _parent: r.connector_id in (0, connector_id)
                        and id_tag == r.id_tag)
    cc_finding(pytester, bundled, "CC16_70", "Step 10: StartTransaction.conf for A0000053 on connector 1 (of the "
               "reservation's parentIdTag GROUP-001, naming the reservation)", INVALID)


def test_authorize_refused_during_a_reservation_is_found_by_cc16_71(pytester: pytest.Pytester,
                                                                    bundled: BundledCsms,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS refuses every idTag but the reserved one while a connector is reserved."""
    real = V16.handlers["Authorize"]

    async def reserved_station(connection: StationConnection, request: Payload) -> Payload:
        response = await real(connection, request)
        async with connection.csms.store.session() as db:
            held = await db.scalar(select(reservation16.Reservation).filter_by(
                station_id=connection.station_id, status=reservation16.ACTIVE))
        if held is not None and held.id_tag != request["idTag"]:
            response["idTagInfo"]["status"] = "Invalid"
        return response

    monkeypatch.setitem(V16.handlers, "Authorize", reserved_station)
    cc_finding(pytester, bundled, "CC16_71", "Step 6: Authorize.conf for A0000002 (connector 1 is reserved", INVALID)


def test_reservation_never_used_up_is_found_by_cc16_72(pytester: pytest.Pytester, bundled: BundledCsms,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A transaction on the reservation leaves it active."""
    monkeypatch.setattr(reservation16, "USED", reservation16.ACTIVE)
    cc_finding(pytester, bundled, "CC16_72", "Step 14: StartTransaction.conf for A0000002 on connector 1 (reservation",
               "ended with the transaction of step 8)", INVALID)


def test_expiry_ignored_is_found_by_cc16_73(pytester: pytest.Pytester, bundled: BundledCsms,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    async def any_open(db: Any, station_id: str, reservation_id: int) -> Any:
        return await db.scalar(select(reservation16.Reservation).filter_by(
            station_id=station_id, reservation_id=reservation_id, status=reservation16.ACTIVE))

    monkeypatch.setattr(reservation16, "active_reservation", any_open)
    cc_finding(pytester, bundled, "CC16_73", "Step 10: StartTransaction.conf for A0000002 on connector 1 (reservation",
               "expired at", INVALID)


def test_refused_cancellation_reported_as_done_is_a_finding_of_cc16_74(pytester: pytest.Pytester,
                                                                       bundled: BundledCsms,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    misreport_answer(monkeypatch, "CancelReservation", lambda answer: answer.update(status="Accepted"))
    finding_not_failure(pytester, bundled, "CC16_74", "CSC-16-RELAY-01",
                        'Step 11: CancelReservation.conf: the Central System reported the charge point\'s answer as '
                        '{"status":"Accepted"}, but the charge point answered {"status":"Rejected"}')


def test_trigger_for_another_connector_is_found_by_cc16_75(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "TriggerMessage", lambda p: p.update(connectorId=1))
    cc_finding(pytester, bundled, "CC16_75", "Step 1: TriggerMessage.req", "connectorId: expected 2, got 1")


# -- 1.6 security extension -----------------------------------------------------------------


def _signs(monkeypatch: pytest.MonkeyPatch, skip: str) -> None:
    """The CSMS's CSR check leaves out one test: the common name, the signature or the key size."""
    real = csr.check_csr

    def lenient(csr_pem: str, common_name: str) -> x509.CertificateSigningRequest:
        request = x509.load_pem_x509_csr(csr_pem.encode())
        names = [str(a.value) for a in request.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]
        if skip == "name":
            common_name = names[0]
        if skip != "signature":
            return real(csr_pem, common_name)
        weak = csr.weak_key_reason(request.public_key())
        if names != [common_name] or weak:
            raise ValueError(f"CSR for {names} with {weak or 'a strong key'} refused")
        return request

    monkeypatch.setattr(security_certificates, "check_csr", lenient)
    if skip == "signature":  # its CA does not verify the signature either
        monkeypatch.setattr(ca, "_parse_csr", lambda pem: x509.load_pem_x509_csr(pem))


def _csr_finding(pytester: pytest.Pytester, bundled: BundledCsms, check: str, *fragments: str) -> None:
    """CC16_80 reports the check's finding, and fails for the certificate that came back."""
    signed = "Step 8: CertificateSigned.req: expected none for the refused CSRs, got a certificate for the CSR"
    entry = run_case(pytester, bundled, "CC16_80")
    assert_finding(entry, check, *fragments)
    assert_finding(entry, "CC16_80", signed)
    assert_failed(run_case(pytester, bundled, "CC16_80", strict=True), signed)


def test_csr_of_another_station_signed_is_found_by_cc16_80(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _signs(monkeypatch, skip="name")
    _csr_finding(pytester, bundled, "CSC-16-CSR-01", "Step 2: SignCertificate.conf for a CSR whose common name is "
                 'CP16_SP3, another charge point: expected status "Rejected", got "Accepted"')


def test_csr_without_proof_of_possession_signed_is_found_by_cc16_80(pytester: pytest.Pytester,
                                                                    bundled: BundledCsms,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _signs(monkeypatch, skip="signature")
    _csr_finding(pytester, bundled, "CSC-16-CSR-02", "Step 4: SignCertificate.conf for a CSR signed with another key "
                 'than the one it carries: expected status "Rejected", got "Accepted"')


def test_weak_key_signed_is_found_by_cc16_80(pytester: pytest.Pytester, bundled: BundledCsms,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csr, "MIN_RSA_BITS", 1024)
    _csr_finding(pytester, bundled, "CSC-16-CSR-03", "Step 6: SignCertificate.conf for a CSR holding an RSA key of "
                 '1024 bits: expected status "Rejected", got "Accepted"')


def test_rejected_password_change_applied_is_found_by_cc16_81(pytester: pytest.Pytester, bundled: BundledCsms,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS takes the new AuthorizationKey whatever the charge point answered."""
    async def whatever_the_answer(connection: StationConnection, request: Payload, _response: Payload) -> None:
        if request["key"] == "AuthorizationKey":
            await remember_password(connection.csms.store, connection.station_id, str(request["value"]))

    hooks = [whatever_the_answer if h is security16.configuration_changed else h
             for h in V16.response_hooks["ChangeConfiguration"]]
    monkeypatch.setitem(V16.response_hooks, "ChangeConfiguration", hooks)
    cc_finding(pytester, bundled, "CC16_81", "Step 3: connecting with the password the charge point rejected: "
               "expected a refusal, got a connection", "Step 4: reconnecting with the unchanged password: the Central "
               "System refused the connection: HTTP 401")


def test_vendor_security_event_refused_is_found_by_cc16_82(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS answers only the security event types the whitepaper lists."""
    real = V16.handlers["SecurityEventNotification"]

    async def listed_only(connection: StationConnection, request: Payload) -> Payload:
        if "." in request["type"]:
            raise OcppError(ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, f"unknown security event {request['type']}")
        return await real(connection, request)

    monkeypatch.setitem(V16.handlers, "SecurityEventNotification", listed_only)
    cc_finding(pytester, bundled, "CC16_82", "Step 38: SecurityEventNotification.conf "
               "(com.example.VendorSpecificEvent): the CSMS answered CALLERROR PropertyConstraintViolation")


def test_profile_3_station_admitted_on_profile_1_is_found_by_cc16_83(pytester: pytest.Pytester,
                                                                     bundled: BundledCsms,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def any_profile(_station: Any) -> set[int]:
        return {1, 2, 3}

    monkeypatch.setattr(security_profile, "admitted_profiles", any_profile)
    cc_finding(pytester, bundled, "CC16_83", "Step 1: connecting CP16_SP3, a security profile 3 charge point, over "
               "security profile 1 (ws:// with basic authentication): expected a refusal, got a connection")


def test_lower_profile_admitted_after_an_upgrade_is_found_by_cc16_84(pytester: pytest.Pytester,
                                                                     bundled: BundledCsms,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS never makes a move to a higher profile final: the old profile stays open."""
    async def never_final(_db: Any, _station_id: str, _profile: int) -> None:
        return None

    monkeypatch.setattr(security_profile, "connected_with", never_final)
    cc_finding(pytester, bundled, "CC16_84", "Step 4: connecting with security profile 1 after the charge point "
               "connected with profile 2: expected a refusal (no downgrade), got a connection")
    assert run_case(pytester, bundled, "TC_085")["outcome"] == "passed"  # the profile was set back to 1


def test_security_profile_change_not_taken_is_found_by_cc16_84(pytester: pytest.Pytester, bundled: BundledCsms,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS sends SecurityProfile=2 but never admits the charge point on profile 2."""
    async def not_taken(_store: Any, _station_id: str, _value: str) -> bool:
        return False

    monkeypatch.setattr(security_profile, "request_change", not_taken)
    cc_finding(pytester, bundled, "CC16_84", "Step 3: reconnecting with security profile 2 (TLS and basic "
               "authentication): the Central System refused the connection: HTTP 403")


def test_the_forged_csrs_are_what_they_claim() -> None:
    """The CSR without proof of possession fails only its signature; the weak one only its key size."""
    forged = x509.load_pem_x509_csr(csr_signed_with_another_key("CP16_SP1").encode())
    assert not forged.is_signature_valid
    assert forged.subject.rfc4514_string() == "CN=CP16_SP1"
    with pytest.raises(ValueError, match="CSR signature is invalid"):
        csr.check_csr(csr_signed_with_another_key("CP16_SP1"), "CP16_SP1")
    with pytest.raises(ValueError, match="CSR key too weak: RSA key of 1024 bits"):
        csr.check_csr(weak_key_csr("CP16_SP1"), "CP16_SP1")
