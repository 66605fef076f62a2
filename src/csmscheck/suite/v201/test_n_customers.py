"""Block N, customer information (N09 get, N10 clear): what a station holds about a customer.

The operator has the CSMS send CustomerInformation (the trigger API) naming the customer by
the configured valid idToken, the configured customerIdentifier (CONFIGURED_CUSTOMER_IDENTIFIER)
or the hash data of a customer certificate made at run time. The virtual station answers from
``station.customers``: Accepted (Rejected in TC_N_29), then NotifyCustomerInformation parts
with what it holds of the customer (``tbc`` across parts of at most 512 characters; one empty
part when it holds nothing), which the CSMS must answer. Clearing a customer whose idToken is in
the station's local list makes the CSMS update that list (N10.FR.02, TC_N_46).
"""

from __future__ import annotations

import secrets
from typing import Any

from cryptography import x509

from csmscheck.checks import customer_data as checks
from csmscheck.errors import StepFailed
from csmscheck.expect import ABSENT, Matcher, assert_matches, step
from csmscheck.pki.certificates import new_root_certificate
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.station.customer_information import REFERENCES
from csmscheck.station.replies import Reply
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v201.operations_steps import check_reported, shown
from csmscheck.wire import CallError

Payload = dict[str, Any]
GET_REQS = ["N09.FR.01", "N09.FR.04"]
CLEAR_REQS = ["N10.FR.08"]
# What the station holds of a customer: more than one NotifyCustomerInformation part (512 characters) of it.
SESSIONS = [f"session {n}: EVSE 1, 12.{n} kWh, authorised by the customer's idToken" for n in range(12)]


def _token(cfg: Settings) -> Payload:
    return msg.id_token(cfg.valid_id_token, cfg.valid_id_token_type)


def _holds_data(station: Station, reference: Payload) -> None:
    for line in SESSIONS:
        station.customers.hold(reference, line)


def _request(report: bool, clear: bool, reference: Payload) -> Payload:
    return {"requestId": secrets.randbelow(2**31 - 2) + 1, "report": report, "clear": clear} | reference


def _hex(value: str) -> Any:
    return Matcher(f"<{value!r} in any letter case>", lambda v: isinstance(v, str) and v.lower() == value.lower())


async def customer_information(station: Station, csms: Csms, request: Payload, label: str,
                               reply: Reply | None = None) -> Payload:
    """The CSMS sends CustomerInformation (step ``label``); the station answers by its policy (or ``reply``).
    Returns what the CSMS sent."""
    with step(label):
        async with station.expect("CustomerInformation", reply=reply) as got:
            reported = await csms.request(station, "CustomerInformation", request)
    sent = got.payload
    named = [key for key in REFERENCES if key in sent]
    station.findings.check(checks.ONE_CUSTOMER_REFERENCE, len(named) == 1,
                           f"{label}: CustomerInformationRequest names the customer by {', '.join(named) or 'nothing'}")
    check_reported(station, reported, got.answer, f"{label}: CustomerInformationResponse")
    return sent


async def reported_to_csms(station: Station, request_id: int, label: str) -> list[Payload]:
    """The station sent its NotifyCustomerInformation parts for ``request_id``; the CSMS answered each (step
    ``label``). Returns the parts."""
    timeout = station.cfg.csms_action_timeout
    try:
        parts = await station.customers.notified(request_id, timeout)
    except TimeoutError:
        problems = "; ".join(station.session.violations) or "the CSMS did not answer"
        raise StepFailed(f"{label}: NotifyCustomerInformationResponse: no answer to the NotifyCustomerInformation "
                         f"parts of requestId {request_id} within {timeout:g}s: {problems}") from None
    for payload, answer in parts:
        if isinstance(answer, CallError):
            raise StepFailed(f"{label}: NotifyCustomerInformationResponse: the CSMS answered part seqNo "
                             f"{payload['seqNo']} with CALLERROR {answer.code} ({answer.description})")
    return [payload for payload, _ in parts]


async def _by_token(station: Station, csms: Csms, cfg: Settings, *, report: bool, clear: bool,
                    reply: Reply | None = None) -> Payload:
    """Steps 1-2 by the configured valid idToken, with the OCTT's validation of step 1."""
    sent = await customer_information(station, csms, _request(report, clear, {"idToken": _token(cfg)}), "Step 1",
                                      reply)
    assert_matches(sent, {"report": report, "clear": clear, "idToken": {"idToken": cfg.valid_id_token,
                                                                        "type": cfg.valid_id_token_type}},
                   "Step 1: CustomerInformationRequest")
    return sent


# -- N09: get --------------------------------------------------------------------------------


@octt("TC_N_27", reqs=GET_REQS)
async def test_tc_n_27(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get Customer Information - Accepted + data."""
    _holds_data(station, {"idToken": _token(cfg)})
    sent = await _by_token(station, csms, cfg, report=True, clear=False)
    await reported_to_csms(station, sent["requestId"], "Step 4")


@octt("TC_N_28", reqs=GET_REQS)
async def test_tc_n_28(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get Customer Information - Accepted + no data."""
    sent = await _by_token(station, csms, cfg, report=True, clear=False)
    await reported_to_csms(station, sent["requestId"], "Step 4")


@octt("TC_N_29", reqs=GET_REQS)
async def test_tc_n_29(station: Station, csms: Csms, cfg: Settings) -> None:
    """Get Customer Information - Not Accepted."""
    station.customers.status = "Rejected"
    await _by_token(station, csms, cfg, report=True, clear=False)


# -- N10: clear ------------------------------------------------------------------------------


@octt("TC_N_30", reqs=CLEAR_REQS)
async def test_tc_n_30(station: Station, csms: Csms, cfg: Settings) -> None:
    """Clear Customer Information - Clear and report + data."""
    _holds_data(station, {"idToken": _token(cfg)})
    sent = await _by_token(station, csms, cfg, report=True, clear=True)
    await reported_to_csms(station, sent["requestId"], "Step 4")


@octt("TC_N_31", reqs=CLEAR_REQS)
async def test_tc_n_31(station: Station, csms: Csms, cfg: Settings) -> None:
    """Clear Customer Information - Clear and report + no data."""
    sent = await _by_token(station, csms, cfg, report=True, clear=True)
    await reported_to_csms(station, sent["requestId"], "Step 4")


@octt("TC_N_32", reqs=CLEAR_REQS)
async def test_tc_n_32(station: Station, csms: Csms, cfg: Settings) -> None:
    """Clear Customer Information - Clear and no report."""
    _holds_data(station, {"idToken": _token(cfg)})
    sent = await _by_token(station, csms, cfg, report=False, clear=True)
    await reported_to_csms(station, sent["requestId"], "Step 4")


async def _listed(station: Station, csms: Csms, cfg: Settings) -> int:
    """Prerequisite of TC_N_46: the station holds a local list with the configured valid idToken, of the configured
    version (LOCAL_LIST_VERSION) when the CSMS numbers the update as asked; the CSMS learnt both as the station
    reported and accepted them. Returns the version the station holds."""
    label = "Prerequisite"
    with step(label):
        async with station.expect("GetLocalListVersion"):  # the station holds no list yet: version 0
            await csms.request(station, "GetLocalListVersion", {})
        async with station.expect("SendLocalList") as got:
            await csms.request(station, "SendLocalList", {
                "versionNumber": cfg.local_list_version, "updateType": "Full",
                "localAuthorizationList": [{"idToken": _token(cfg), "idTokenInfo": {"status": "Accepted"}}]})
    if got.answer != {"status": "Accepted"} or not station.customers.listed(_token(cfg)):
        raise StepFailed(f"{label}: SendLocalListRequest: the station could not hold the list the CSMS sent "
                         f"({shown(got.payload)})")
    return station.customers.list_version


@octt("TC_N_46", reqs=["N10.FR.02", "N10.FR.08", "D01.FR.01", "D01.FR.06", "D01.FR.18"])
async def test_tc_n_46(station: Station, csms: Csms, cfg: Settings) -> None:
    """Clear Customer Information - Update Local Authorization List."""
    version = await _listed(station, csms, cfg)
    _holds_data(station, {"idToken": _token(cfg)})
    sent = await _by_token(station, csms, cfg, report=True, clear=True)
    await reported_to_csms(station, sent["requestId"], "Step 4")
    label = "Step 5: SendLocalListRequest"
    with step("Step 5"):
        update = (await station.wait_for("SendLocalList")).payload
    assert_matches(update, {"updateType": "Differential", "versionNumber": version + 1}, label)
    entries = update.get("localAuthorizationList") or []
    if not entries:
        raise StepFailed(f"{label}: localAuthorizationList: missing or empty (expected the cleared idToken)")
    assert_matches(entries[0], {"idToken": {"idToken": cfg.valid_id_token, "type": cfg.valid_id_token_type},
                                "idTokenInfo": ABSENT}, f"{label} localAuthorizationList[0]")
    tokens = [(str(e["idToken"]["idToken"]).upper(), e["idToken"]["type"]) for e in entries]
    station.findings.check(checks.CLEARED_TOKEN_ONLY, tokens == [(cfg.valid_id_token.upper(), cfg.valid_id_token_type)],
                           f"{label}: the update changes {shown(entries)}; expected only the removal of the cleared "
                           "idToken")


# -- N10 by other references -----------------------------------------------------------------


@octt("TC_N_62", reqs=CLEAR_REQS)
async def test_tc_n_62(station: Station, csms: Csms, cfg: Settings) -> None:
    """Clear Customer Information - Clear and report - customerIdentifier."""
    reference = {"customerIdentifier": cfg.customer_identifier}
    _holds_data(station, reference)
    sent = await customer_information(station, csms, _request(True, True, reference), "Step 1")
    assert_matches(sent, {"report": True, "clear": True, "customerIdentifier": cfg.customer_identifier},
                   "Step 1: CustomerInformationRequest")
    await reported_to_csms(station, sent["requestId"], "Step 4")


def _customer_certificate(station: Station) -> dict[str, str]:
    """The hash data of a customer certificate made at run time (the station's hash algorithm)."""
    certificate: x509.Certificate = new_root_certificate(f"csmscheck customer {secrets.token_hex(4)}")[0]
    return station.certificates.hash_data(certificate)


@octt("TC_N_63", reqs=CLEAR_REQS)
async def test_tc_n_63(station: Station, csms: Csms) -> None:
    """Clear Customer Information - Clear and report - customerCertificate."""
    hash_data = _customer_certificate(station)
    _holds_data(station, {"customerCertificate": hash_data})
    sent = await customer_information(station, csms, _request(True, True, {"customerCertificate": hash_data}),
                                      "Step 1")
    expected = {"hashAlgorithm": hash_data["hashAlgorithm"]} | {
        key: _hex(hash_data[key]) for key in ("issuerNameHash", "issuerKeyHash", "serialNumber")}
    assert_matches(sent, {"report": True, "clear": True, "customerCertificate": expected},
                   "Step 1: CustomerInformationRequest")
    await reported_to_csms(station, sent["requestId"], "Step 4")
