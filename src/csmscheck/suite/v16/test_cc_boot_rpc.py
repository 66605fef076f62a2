"""csmscheck cases (OCPP 1.6J): registration, refused handshakes and the OCPP-J framework.

The 1.6 OCTT has no negative case for these: a Rejected or Pending charge point, a second
boot, handshakes the Central System must refuse (1.6 has no OCTT case that tries wrong
credentials or certificates) and malformed or invalid frames, whose CALLERROR codes are
1.6's own (``FormationViolation``, ``OccurenceConstraintViolation``). A failure is a
finding unless the run is ``--strict``.
"""

from __future__ import annotations

import secrets
from contextlib import suppress

from csmscheck.errors import NotApplicable, StepFailed
from csmscheck.expect import assert_matches
from csmscheck.pki.untrusted import untrusted_client_context
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station import v16 as msg
from csmscheck.station.handshake import (
    Attempt,
    expect_refused,
    knock,
    listener,
    still_served,
    tls_context,
    trusted_ca,
)
from csmscheck.station.registration import check_boot_response
from csmscheck.station.states import v16 as states
from csmscheck.suite import wire_faults as faults
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.plugin import StationFactory
from csmscheck.suite.registration_steps import any_version_answer, station_record, wait_out
from csmscheck.suite.speaking import speaks_offered_version

PENDING = ["pending_registration"]
_NOT_WHILE_PENDING = ("RemoteStartTransaction", "RemoteStopTransaction")


# -- 3.1: registration -----------------------------------------------------------------------------


@octt("CC16_01", chapter="3.1", reqs=["OCPP 1.6 §4.2"], features=PENDING)
async def test_cc16_01(unbooted_station: Station, csms: Csms) -> None:
    """Rejected charge point - answered as configured, accepted after the retry interval."""
    station = unbooted_station
    async with csms.registration(station, "Rejected", boots=1):
        rejected = await states.boot(station, expect_status="Rejected", step="Step 2: BootNotification.conf")
        # 1.6 leaves open how the Central System treats a Rejected charge point's requests (answer, refuse, close).
        await any_version_answer(station, "Heartbeat", {}, "Step 4: Heartbeat.conf",
                                 "of a charge point the Central System Rejected")
        await wait_out(station, rejected, "Step 5")
        await states.boot(station, step="Step 6: BootNotification.conf")
    await states.notify_connectors(station, step="Step 8: StatusNotification.conf")


async def _sent_anyway(station: Station, csms: Csms, action: str, payload: dict[str, object]) -> bool:
    """Ask the Central System for ``action``; whether it sent the CALL (a refusal of the trigger API is fine)."""
    if station.cfg.manual:  # the operator acts: wait the action timeout for the frame
        try:
            async with station.expect(action):
                await csms.request(station, action, payload)
        except StepFailed:
            return False
        return True
    before = len(station.session.calls)
    with suppress(StepFailed):
        await csms.request(station, action, payload)
    return any(call.action == action for call in station.session.calls[before:])


@octt("CC16_02", chapter="3.1", reqs=["OCPP 1.6 §4.2"], features=PENDING)
async def test_cc16_02(unbooted_station: Station, csms: Csms, cfg: Settings) -> None:
    """Pending charge point - the Central System sends no RemoteStartTransaction or RemoteStopTransaction."""
    station = unbooted_station
    async with csms.registration(station, "Pending", boots=1):
        pending = await states.boot(station, expect_status="Pending", step="Step 2: BootNotification.conf")
        requests: dict[str, dict[str, object]] = {
            "RemoteStartTransaction": {"idTag": cfg.valid_id_token, "connectorId": cfg.connector_id},
            "RemoteStopTransaction": {"transactionId": 1}}
        sent = [action for action, payload in requests.items() if await _sent_anyway(station, csms, action, payload)]
        if sent:
            raise StepFailed(f"Step 3: expected the Central System to send no {' or '.join(_NOT_WHILE_PENDING)} to a "
                             f"charge point whose registration is Pending (OCPP 1.6 §4.2), but it sent "
                             f"{' and '.join(f'{action}.req' for action in sent)}")
        await wait_out(station, pending, "Step 4")
        await states.boot(station, step="Step 5: BootNotification.conf")
    await states.notify_connectors(station, step="Step 7: StatusNotification.conf")


@octt("CC16_03", chapter="3.1", reqs=["OCPP 1.6 §4.2"])
async def test_cc16_03(station: Station) -> None:
    """A second BootNotification on the same connection - answered Accepted, and the charge point served."""
    await states.boot(station, step="Step 2: BootNotification.conf")
    heartbeat = await states.checked_call(station, "Heartbeat", {}, "Step 4: Heartbeat.conf")
    states.check_current_time(station, heartbeat, "Step 4: Heartbeat.conf")


@octt("CC16_04", chapter="3.1", reqs=["OCPP 1.6 §4.2"])
async def test_cc16_04(unbooted_station: Station, cfg: Settings) -> None:
    """BootNotification - the Central System stores what the charge point reports."""
    station = unbooted_station
    wanted = ("vendor", "model", "serialNumber", "firmwareVersion")
    await station_record(cfg, station.id, wanted)
    marker = secrets.token_hex(4)
    serial, firmware = f"CC16-04-{marker}", f"cc-{marker}"
    payload = msg.boot_notification(cfg) | {"chargePointSerialNumber": serial, "firmwareVersion": firmware}
    response = await states.checked_call(station, "BootNotification", payload, "Step 2: BootNotification.conf")
    assert_matches(response, {"status": "Accepted"}, "Step 2: BootNotification.conf")
    check_boot_response(station, response, "Step 2: BootNotification.conf")
    station.model.booted = True
    record = await station_record(cfg, station.id, wanted)
    assert_matches(record, {"vendor": cfg.vendor_name[:20], "model": cfg.model[:20], "serialNumber": serial,
                            "firmwareVersion": firmware}, "Step 3: the charge point as the Central System stored it")


# -- 3.21 and OCPP-J: handshakes the Central System refuses --------------------------------------


async def _own_station(make_station: StationFactory, station_id: str, profile: int) -> Station:
    """Step 1: the charge point's own connection, booted, which a refused attempt must not disturb."""
    own = await make_station("1.6", station_id, profile)
    await states.boot(own, step="Step 1: BootNotification.conf")
    return own


async def _refused_beside_own(make_station: StationFactory, station_id: str, profile: int, attempt: Attempt,
                              what: str) -> None:
    own = await _own_station(make_station, station_id, profile)
    trying = await make_station("1.6", station_id, connect=False)
    await expect_refused(trying, attempt, "Step 2", what)
    await still_served(own, "Step 3")


@octt("CC16_05", chapter="3.21", reqs=["OCPP 1.6 security whitepaper, profile 1"], features=["basic_auth"])
async def test_cc16_05(make_station: StationFactory, cfg: Settings) -> None:
    """No basic authentication - the connection is refused."""
    await _refused_beside_own(make_station, cfg.cp16_sp1, 1, Attempt(listener(cfg, 1)),
                              f"a connection of {cfg.cp16_sp1} without an Authorization header")


@octt("CC16_06", chapter="3.21", reqs=["OCPP 1.6 security whitepaper, profile 1"], features=["basic_auth"])
async def test_cc16_06(make_station: StationFactory, cfg: Settings) -> None:
    """Wrong basic-auth password - the connection is refused."""
    wrong = secrets.token_hex(16)
    await _refused_beside_own(make_station, cfg.cp16_sp1, 1, Attempt(listener(cfg, 1), wrong),
                              f"a connection of {cfg.cp16_sp1} with a wrong password")


@octt("CC16_07", chapter="3.21", reqs=["OCPP 1.6 security whitepaper, profile 1"], features=["basic_auth"])
async def test_cc16_07(make_station: StationFactory, cfg: Settings) -> None:
    """Basic-auth user name other than the charge point id - the connection is refused."""
    await _refused_beside_own(
        make_station, cfg.cp16_sp1, 1, Attempt(listener(cfg, 1), cfg.basic_auth_password, username=cfg.cp201_sp1),
        f"a connection to {cfg.cp16_sp1}'s URL whose Authorization header names another station ({cfg.cp201_sp1})")


@octt("CC16_08", chapter="RPC", reqs=["OCPP-J 1.6 §3.2"], features=["basic_auth"])
async def test_cc16_08(make_station: StationFactory, cfg: Settings) -> None:
    """Unknown charge point - the connection is refused."""
    unknown = f"CSMSCHECK_UNKNOWN_{secrets.token_hex(3).upper()}"
    station = await make_station("1.6", unknown, connect=False)
    await expect_refused(station, Attempt(listener(cfg, 1), cfg.basic_auth_password), "Step 2",
                         f"the connection of a charge point it does not know ({unknown})")


@octt("CC16_09", chapter="RPC", reqs=["OCPP-J 1.6 §3.1.2"])
async def test_cc16_09(make_station: StationFactory, cfg: Settings) -> None:
    """Only the subprotocol of OCPP 2.0.1 offered - refused, or spoken as negotiated."""
    station = await make_station("1.6", cfg.cp16_sp1, connect=False)
    attempt = Attempt(listener(cfg, 1), cfg.basic_auth_password, subprotocols=["ocpp2.0.1"])
    await speaks_offered_version(station, await knock(station, attempt), "2.0.1", "Step 2")


@octt("CC16_10", chapter="RPC", reqs=["OCPP-J 1.6 §3.1.2"])
async def test_cc16_10(make_station: StationFactory, cfg: Settings) -> None:
    """No subprotocol offered - the connection is refused."""
    station = await make_station("1.6", cfg.cp16_sp1, connect=False)
    await expect_refused(station, Attempt(listener(cfg, 1), cfg.basic_auth_password, subprotocols=[]), "Step 2",
                         "a connection that offers no OCPP subprotocol")


@octt("CC16_11", chapter="3.21", reqs=["OCPP 1.6 security whitepaper, security profiles"],
      features=["mutual_tls"])
async def test_cc16_11(make_station: StationFactory, cfg: Settings) -> None:
    """Profile 3 charge point on the profile 1 and profile 2 endpoints - refused."""
    own = await _own_station(make_station, cfg.cp16_sp3, 3)
    trying = await make_station("1.6", cfg.cp16_sp3, connect=False)
    await expect_refused(trying, Attempt(listener(cfg, 1), cfg.basic_auth_password), "Step 2",
                         f"security profile 3 charge point {cfg.cp16_sp3} on its profile 1 endpoint (no TLS)")
    if cfg.target_sp2 is not None:
        await expect_refused(trying, Attempt(cfg.target_sp2, cfg.basic_auth_password, ssl_context=tls_context(cfg)),
                             "Step 3", f"security profile 3 charge point {cfg.cp16_sp3} on its profile 2 endpoint "
                                       f"(TLS with basic auth, no client certificate)")
    await still_served(own, "Step 4")


@octt("CC16_12", chapter="3.21", reqs=["OCPP 1.6 security whitepaper, profile 3"], features=["mutual_tls"])
async def test_cc16_12(make_station: StationFactory, cfg: Settings) -> None:
    """Client certificate of another charge point - refused."""
    if cfg.cp16_sp3 == cfg.cp201_sp3:
        raise NotApplicable("needs two profile 3 stations with certificates of their own (CP16_SP3, CP201_SP3)")
    await _refused_beside_own(make_station, cfg.cp16_sp3, 3,
                              Attempt(listener(cfg, 3), ssl_context=tls_context(cfg, cfg.cp201_sp3)),
                              f"charge point {cfg.cp16_sp3} presenting the client certificate of {cfg.cp201_sp3}")


@octt("CC16_13", chapter="3.21", reqs=["OCPP 1.6 security whitepaper, profile 3"], features=["mutual_tls"])
async def test_cc16_13(make_station: StationFactory, cfg: Settings) -> None:
    """Client certificate from a CA the Central System does not trust - refused."""
    context = untrusted_client_context(trusted_ca(cfg), cfg.cp16_sp3)
    await _refused_beside_own(make_station, cfg.cp16_sp3, 3, Attempt(listener(cfg, 3), ssl_context=context),
                              f"charge point {cfg.cp16_sp3} presenting a certificate in its name from a CA the "
                              f"Central System does not trust")


# -- RPC: the OCPP-J framework --------------------------------------------------------------------


@octt("CC16_14", chapter="RPC", reqs=["OCPP-J 1.6 §4.1", "OCPP-J 1.6 §4.2.3"])
async def test_cc16_14(station: Station) -> None:
    """Unreadable frames (not JSON, not an array, a numeric or overlong message id) - connection kept."""
    await faults.assert_handled(station, faults.NOT_JSON, faults.NOT_AN_ARRAY, faults.NUMERIC_ID,
                                faults.OVERLONG_ID)


@octt("CC16_15", chapter="RPC", reqs=["OCPP-J 1.6 §4.1", "OCPP-J 1.6 §4.2.3"])
async def test_cc16_15(station: Station) -> None:
    """Frames of the wrong shape (unknown message type, CALLs of 3 and 5 elements, a payload that is no object)."""
    await faults.assert_handled(station, faults.UNKNOWN_MESSAGE_TYPE, faults.SHORT_CALL, faults.LONG_CALL,
                                faults.PAYLOAD_NOT_OBJECT)


@octt("CC16_16", chapter="RPC", reqs=["OCPP-J 1.6 §4.2.3"])
async def test_cc16_16(station: Station) -> None:
    """Unknown actions (one of no version, one of OCPP 2.0.1) - CALLERROR NotImplemented, connection kept."""
    await faults.assert_handled(station, faults.UNKNOWN_ACTION, faults.OTHER_VERSION_ACTION)


@octt("CC16_17", chapter="RPC", reqs=["OCPP-J 1.6 §4.2.3"])
async def test_cc16_17(station: Station) -> None:
    """Payloads that break the schema - the CALLERROR of OCPP 1.6 for each, connection kept."""
    await faults.assert_handled(station, faults.MISSING_FIELD, faults.WRONG_TYPE, faults.NOT_IN_ENUMERATION,
                                faults.TOO_LONG, faults.UNKNOWN_FIELD)


@octt("CC16_18", chapter="RPC", reqs=["OCPP-J 1.6 §4.2"])
async def test_cc16_18(station: Station) -> None:
    """A CALLRESULT and a CALLERROR for no request of the Central System - ignored, connection kept."""
    await faults.assert_handled(station, faults.UNSOLICITED_RESULT, faults.UNSOLICITED_ERROR)
