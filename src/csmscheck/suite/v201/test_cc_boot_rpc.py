"""csmscheck cases (OCPP 2.0.1): registration, refused handshakes and the OCPP-J framework.

The OCTT has no case for these negative scenarios: a Rejected station's messages, a station
that is not accepted on a new connection, a Pending station's triggered messages, a second
boot, handshakes the CSMS must refuse, and malformed or invalid frames. Block A's OCTT
cases check basic-auth credentials and invalid client certificates; these cases check the
other refusals. A failure is a finding unless the run is ``--strict``.
"""

from __future__ import annotations

import secrets

import websockets

from csmscheck.errors import NotApplicable
from csmscheck.expect import assert_matches, step
from csmscheck.settings import Settings
from csmscheck.station import Station
from csmscheck.station import v201 as msg
from csmscheck.station.handshake import Attempt, expect_refused, knock, listener, still_served, tls_context
from csmscheck.station.registration import check_boot_response
from csmscheck.station.states import v201 as states
from csmscheck.suite import wire_faults as faults
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.plugin import StationFactory
from csmscheck.suite.registration_steps import security_error, served, station_record, wait_out
from csmscheck.suite.speaking import speaks_offered_version
from csmscheck.timestamps import rfc3339

PENDING = ["pending_registration"]


def _heartbeat() -> dict[str, object]:
    return {}


def _status(cfg: Settings) -> dict[str, object]:
    return msg.status_notification(cfg.evse_id, cfg.connector_id, "Available")


def _authorize(cfg: Settings) -> dict[str, object]:
    return {"idToken": msg.id_token(cfg.valid_id_token, cfg.valid_id_token_type)}


# -- B: registration ------------------------------------------------------------------------------


@octt("CC_B_01", reqs=["B03.FR.07"], features=PENDING)
async def test_cc_b_01(unbooted_station: Station, csms: Csms, cfg: Settings) -> None:
    """Rejected station - its other messages are refused with SecurityError until it is accepted."""
    station = unbooted_station
    why = "the CSMS Rejected"
    async with csms.registration(station, "Rejected", boots=1):
        rejected = await states.boot(station, "PowerUp", expect_status="Rejected", label="Step 2")
        await security_error(station, "Heartbeat", _heartbeat(), "Step 4", why)
        await security_error(station, "StatusNotification", _status(cfg), "Step 6", why)
        await security_error(station, "Authorize", _authorize(cfg), "Step 8", why)
        await wait_out(station, rejected, "Step 9")
        await states.boot(station, "PowerUp", expect_status="Accepted", label="Step 10")
    await served(station, "Heartbeat", _heartbeat(), "Step 12", "of a station the CSMS accepted")


@octt("CC_B_02", reqs=["B03.FR.07", "B02.FR.09"], features=PENDING)
async def test_cc_b_02(unbooted_station: Station, csms: Csms) -> None:
    """Rejected station on a new connection - still refused until it boots again."""
    station = unbooted_station
    async with csms.registration(station, "Rejected", boots=1):
        rejected = await states.boot(station, "PowerUp", expect_status="Rejected", label="Step 2")
        # Step 3: the station drops the connection and opens a new one, sending no BootNotification. A CSMS
        # that refuses a Rejected station's connection until it may boot again serves it nothing either.
        try:
            await station.reconnect()
        except (websockets.InvalidHandshake, OSError, TimeoutError):
            pass
        else:
            await security_error(station, "Heartbeat", _heartbeat(), "Step 5",
                                 "the CSMS Rejected, on a new connection before it booted again")
        await wait_out(station, rejected, "Step 6")
        await states.boot(station, "PowerUp", expect_status="Accepted", label="Step 7")
    await served(station, "Heartbeat", _heartbeat(), "Step 9", "of a station the CSMS accepted")


@octt("CC_B_03", reqs=["B02.FR.09", "F06.FR.01"], features=PENDING)
async def test_cc_b_03(unbooted_station: Station, csms: Csms) -> None:
    """Pending station - a triggered Heartbeat is served, once; an untriggered one is refused."""
    station = unbooted_station
    async with csms.registration(station, "Pending", boots=1):
        pending = await states.boot(station, "PowerUp", expect_status="Pending", label="Step 2")
        await security_error(station, "Heartbeat", _heartbeat(), "Step 4", "whose boot is Pending, not triggered")
        with step("Step 5"):
            async with station.expect("TriggerMessage", reply={"status": "Accepted"}) as got:
                await csms.request(station, "TriggerMessage", {"requestedMessage": "Heartbeat"})
        assert_matches(got.payload, {"requestedMessage": "Heartbeat"}, "Step 5: TriggerMessageRequest")
        await served(station, "Heartbeat", _heartbeat(), "Step 8",
                     "a Pending station sends because the CSMS triggered it (B02.FR.09)")
        await security_error(station, "Heartbeat", _heartbeat(), "Step 10",
                             "whose boot is Pending, after the one Heartbeat the CSMS triggered")
        await wait_out(station, pending, "Step 11")
        await states.boot(station, "PowerUp", expect_status="Accepted", label="Step 12")


@octt("CC_B_04", reqs=["B02.FR.01", "B02.FR.09", "B07.FR.01"], features=PENDING)
async def test_cc_b_04(unbooted_station: Station, csms: Csms) -> None:
    """Pending station - the base report the CSMS asks for is served."""
    station = unbooted_station
    async with csms.registration(station, "Pending", boots=1):
        pending = await states.boot(station, "PowerUp", expect_status="Pending", label="Step 2")
        with step("Step 3"):
            async with station.expect("GetBaseReport", reply={"status": "Accepted"}) as got:
                await csms.request(station, "GetBaseReport", {"requestId": 1, "reportBase": "ConfigurationInventory"})
        report = {"requestId": got.payload["requestId"], "generatedAt": rfc3339(), "seqNo": 0, "tbc": False,
                  "reportData": station.device_model.report_data()[:4]}
        await served(station, "NotifyReport", report, "Step 6",
                     "a Pending station sends with the report the CSMS asked for (B02.FR.09)")
        await wait_out(station, pending, "Step 7")
        await states.boot(station, "PowerUp", expect_status="Accepted", label="Step 8")


@octt("CC_B_05", reqs=["B01.FR.02"])
async def test_cc_b_05(station: Station) -> None:
    """A second BootNotification on the same connection - answered Accepted, and the station served."""
    await states.boot(station, "Unknown", expect_status="Accepted", label="Step 2")
    await served(station, "Heartbeat", _heartbeat(), "Step 4", "after the second boot")


@octt("CC_B_06", reqs=["B01.FR.02"])
async def test_cc_b_06(unbooted_station: Station, cfg: Settings) -> None:
    """BootNotification - the CSMS stores what the station reports."""
    station = unbooted_station
    wanted = ("vendor", "model", "serialNumber", "firmwareVersion")
    await station_record(cfg, station.id, wanted)
    marker = secrets.token_hex(4)
    payload = msg.boot_notification(cfg)
    payload["chargingStation"] |= {"serialNumber": f"CC-B-06-{marker}", "firmwareVersion": f"cc-{marker}"}
    with step("Step 2"):
        response = await station.call("BootNotification", payload)
    assert_matches(response, {"status": "Accepted"}, "Step 2: BootNotificationResponse")
    check_boot_response(station, response, "Step 2: BootNotificationResponse")
    station.model.booted = True
    record = await station_record(cfg, station.id, wanted)
    assert_matches(record, {"vendor": cfg.vendor_name, "model": cfg.model,
                            "serialNumber": f"CC-B-06-{marker}", "firmwareVersion": f"cc-{marker}"},
                   "Step 3: the station as the CSMS stored it")


# -- B: handshakes the CSMS refuses ----------------------------------------------------------------


@octt("CC_B_07", reqs=["A00.FR.204", "Part 4 3.2"], features=["basic_auth"])
async def test_cc_b_07(make_station: StationFactory, cfg: Settings) -> None:
    """Unknown charging station - the connection is refused."""
    unknown = f"CSMSCHECK_UNKNOWN_{secrets.token_hex(3).upper()}"
    station = await make_station("2.0.1", unknown, connect=False)
    await expect_refused(station, Attempt(listener(cfg, 1), cfg.basic_auth_password), "Step 2",
                         f"the connection of a station it does not know ({unknown})")


@octt("CC_B_08", reqs=["Part 4 3.1.2"])
async def test_cc_b_08(make_station: StationFactory, cfg: Settings) -> None:
    """Only the subprotocol of OCPP 1.6 offered - refused, or spoken as negotiated."""
    station = await make_station("2.0.1", cfg.cp201_sp1, connect=False)
    attempt = Attempt(listener(cfg, 1), cfg.basic_auth_password, subprotocols=["ocpp1.6"])
    await speaks_offered_version(station, await knock(station, attempt), "1.6", "Step 2")


@octt("CC_B_09", reqs=["Part 4 3.1.2"])
async def test_cc_b_09(make_station: StationFactory, cfg: Settings) -> None:
    """No subprotocol offered - the connection is refused."""
    station = await make_station("2.0.1", cfg.cp201_sp1, connect=False)
    await expect_refused(station, Attempt(listener(cfg, 1), cfg.basic_auth_password, subprotocols=[]), "Step 2",
                         "a connection that offers no OCPP subprotocol")


async def _own_profile3_station(make_station: StationFactory, cfg: Settings) -> Station:
    """Step 1: the profile-3 station's own connection, booted, which a refused attempt must not disturb."""
    own = await make_station("2.0.1", cfg.cp201_sp3, 3)
    with step("Step 1"):
        await states.booted(own)
    return own


@octt("CC_B_10", reqs=["A00"], features=["mutual_tls"])
async def test_cc_b_10(make_station: StationFactory, cfg: Settings) -> None:
    """Profile 3 station on the profile 1 endpoint - refused."""
    own = await _own_profile3_station(make_station, cfg)
    attempt = await make_station("2.0.1", cfg.cp201_sp3, connect=False)
    await expect_refused(attempt, Attempt(listener(cfg, 1), cfg.basic_auth_password), "Step 2",
                         f"security profile 3 station {cfg.cp201_sp3} on its profile 1 endpoint (no TLS)")
    await still_served(own, "Step 3")


@octt("CC_B_11", reqs=["A00"], features=["mutual_tls", "tls"])
async def test_cc_b_11(make_station: StationFactory, cfg: Settings) -> None:
    """Profile 3 station on the profile 2 endpoint - refused."""
    own = await _own_profile3_station(make_station, cfg)
    attempt = await make_station("2.0.1", cfg.cp201_sp3, connect=False)
    await expect_refused(attempt, Attempt(listener(cfg, 2), cfg.basic_auth_password, ssl_context=tls_context(cfg)),
                         "Step 2", f"security profile 3 station {cfg.cp201_sp3} on its profile 2 endpoint "
                                   f"(TLS with basic auth, no client certificate)")
    await still_served(own, "Step 3")


@octt("CC_B_12", reqs=["A00.FR.405"], features=["mutual_tls"])
async def test_cc_b_12(make_station: StationFactory, cfg: Settings) -> None:
    """Client certificate of another station - refused."""
    if cfg.cp16_sp3 == cfg.cp201_sp3:
        raise NotApplicable("needs two profile 3 stations with certificates of their own (CP201_SP3, CP16_SP3)")
    own = await _own_profile3_station(make_station, cfg)
    attempt = await make_station("2.0.1", cfg.cp201_sp3, connect=False)
    await expect_refused(attempt, Attempt(listener(cfg, 3), ssl_context=tls_context(cfg, cfg.cp16_sp3)), "Step 2",
                         f"station {cfg.cp201_sp3} presenting the client certificate of {cfg.cp16_sp3}")
    await still_served(own, "Step 3")


# -- RPC: the OCPP-J framework (Part 4) ------------------------------------------------------------


@octt("CC_RPC_01", reqs=["Part 4 4.2.3"])
async def test_cc_rpc_01(station: Station) -> None:
    """A frame that is not valid JSON - CALLERROR with messageId -1, connection kept."""
    await faults.assert_handled(station, faults.NOT_JSON)


@octt("CC_RPC_02", reqs=["Part 4 4.2.3"])
async def test_cc_rpc_02(station: Station) -> None:
    """A JSON object instead of an array - CALLERROR with messageId -1, connection kept."""
    await faults.assert_handled(station, faults.NOT_AN_ARRAY)


@octt("CC_RPC_03", reqs=["Part 4 4.1.1", "Part 4 4.2.3"])
async def test_cc_rpc_03(station: Station) -> None:
    """A message id that is a number - CALLERROR, connection kept."""
    await faults.assert_handled(station, faults.NUMERIC_ID)


@octt("CC_RPC_04", reqs=["Part 4 4.1.1"])
async def test_cc_rpc_04(station: Station) -> None:
    """A message id of 37 characters - CALLERROR, connection kept."""
    await faults.assert_handled(station, faults.OVERLONG_ID)


@octt("CC_RPC_05", reqs=["Part 4 4.1.3", "Part 4 4.3"])
async def test_cc_rpc_05(station: Station) -> None:
    """An unknown message type - CALLERROR MessageTypeNotSupported, connection kept."""
    await faults.assert_handled(station, faults.UNKNOWN_MESSAGE_TYPE)


@octt("CC_RPC_06", reqs=["Part 4 4.2.1", "Part 4 4.3"])
async def test_cc_rpc_06(station: Station) -> None:
    """CALLs of three and of five elements - CALLERROR, connection kept."""
    await faults.assert_handled(station, faults.SHORT_CALL, faults.LONG_CALL)


@octt("CC_RPC_07", reqs=["Part 4 4.2.1", "Part 4 4.3"])
async def test_cc_rpc_07(station: Station) -> None:
    """A CALL whose payload is not an object - CALLERROR, connection kept."""
    await faults.assert_handled(station, faults.PAYLOAD_NOT_OBJECT)


@octt("CC_RPC_08", reqs=["Part 4 4.3"])
async def test_cc_rpc_08(station: Station) -> None:
    """An action no OCPP version has - CALLERROR NotImplemented, connection kept."""
    await faults.assert_handled(station, faults.UNKNOWN_ACTION)


@octt("CC_RPC_09", reqs=["Part 4 4.3"])
async def test_cc_rpc_09(station: Station) -> None:
    """An action of OCPP 1.6 - CALLERROR NotImplemented, connection kept."""
    await faults.assert_handled(station, faults.OTHER_VERSION_ACTION)


@octt("CC_RPC_10", reqs=["Part 4 4.3"])
async def test_cc_rpc_10(station: Station) -> None:
    """A required field missing - CALLERROR OccurrenceConstraintViolation, connection kept."""
    await faults.assert_handled(station, faults.MISSING_FIELD)


@octt("CC_RPC_11", reqs=["Part 4 4.3"])
async def test_cc_rpc_11(station: Station) -> None:
    """A field of the wrong type - CALLERROR TypeConstraintViolation, connection kept."""
    await faults.assert_handled(station, faults.WRONG_TYPE)


@octt("CC_RPC_12", reqs=["Part 4 4.3"])
async def test_cc_rpc_12(station: Station) -> None:
    """A value outside its enumeration - CALLERROR PropertyConstraintViolation, connection kept."""
    await faults.assert_handled(station, faults.NOT_IN_ENUMERATION)


@octt("CC_RPC_13", reqs=["Part 4 4.3"])
async def test_cc_rpc_13(station: Station) -> None:
    """A string longer than its schema allows - CALLERROR, connection kept."""
    await faults.assert_handled(station, faults.TOO_LONG)


@octt("CC_RPC_14", reqs=["Part 4 4.3"])
async def test_cc_rpc_14(station: Station) -> None:
    """A field the schema does not define - CALLERROR FormatViolation, connection kept."""
    await faults.assert_handled(station, faults.UNKNOWN_FIELD)


@octt("CC_RPC_15", reqs=["Part 4 4.2.2", "Part 4 4.2.3"])
async def test_cc_rpc_15(station: Station) -> None:
    """A CALLRESULT and a CALLERROR for no request of the CSMS - ignored, connection kept."""
    await faults.assert_handled(station, faults.UNSOLICITED_RESULT, faults.UNSOLICITED_ERROR)
