"""Chapters 3.7 and 3.13: reading and changing configuration keys (happy and non-happy flows).

The virtual charge point answers from its own configuration keys (installed by the
``station`` fixture): an unknown key is NotSupported, a bad value Rejected.
"""

from __future__ import annotations

from csmscheck.errors import StepFailed
from csmscheck.expect import absent_or, assert_matches
from csmscheck.station import Station
from csmscheck.station.v16 import Payload
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms, relayed_answer

# The keys TC_019_1 requires, by feature profile, with the accessibility each may have
# (R: readonly true, RW: readonly false).
R, RW, R_OR_RW = (True,), (False,), (True, False)
REQUIRED_KEYS: dict[str, tuple[bool, ...]] = {
    # Core
    "AuthorizeRemoteTxRequests": R_OR_RW, "ClockAlignedDataInterval": RW, "ConnectionTimeOut": RW,
    "ConnectorPhaseRotation": RW, "GetConfigurationMaxKeys": R, "HeartbeatInterval": RW,
    "LocalAuthorizeOffline": RW, "LocalPreAuthorize": RW, "MeterValuesAlignedData": RW,
    "MeterValuesSampledData": RW, "MeterValueSampleInterval": RW, "NumberOfConnectors": R,
    "ResetRetries": RW, "StopTransactionOnEVSideDisconnect": RW, "StopTransactionOnInvalidId": RW,
    "StopTxnAlignedData": RW, "StopTxnSampledData": RW, "SupportedFeatureProfiles": R,
    "TransactionMessageAttempts": RW, "TransactionMessageRetryInterval": RW,
    "UnlockConnectorOnEVSideDisconnect": RW,
    # Local Auth List Management
    "LocalAuthListEnabled": RW, "LocalAuthListMaxLength": R, "SendLocalListMaxLength": R,
    # Smart Charging
    "ChargeProfileMaxStackLevel": R, "ChargingScheduleAllowedChargingRateUnit": R,
    "ChargingScheduleMaxPeriods": R, "MaxChargingProfilesInstalled": R,
}
UNKNOWN_KEY = "CsmscheckUnknownKey"


def check_accessibility(answer: Payload, step: str) -> None:
    """Every required key is reported, read-only or writable as TC_019_1 lists."""
    reported = {item["key"]: item["readonly"] for item in answer.get("configurationKey", [])}
    problems = [f"{key}: missing" if key not in reported else f"{key}: readonly {reported[key]}"
                for key, allowed in REQUIRED_KEYS.items() if reported.get(key) not in allowed]
    if problems:
        raise StepFailed(f"{step}: accessibility of configuration keys\n  " + "\n  ".join(problems))


async def _change(station: Station, csms: Csms, key: str, value: str, status: str) -> None:
    """Steps 1-2: the CSMS sets ``key`` to ``value``; the charge point answers ``status``."""
    async with station.expect("ChangeConfiguration") as got:
        reply = await csms.request(station, "ChangeConfiguration", {"key": key, "value": value})
    assert_matches(got.payload, {"key": key, "value": value}, "Step 1: ChangeConfiguration.req")
    assert_matches(got.answer, {"status": status}, "Step 2: ChangeConfiguration.conf")
    answer = relayed_answer(reply, "Step 2")
    if answer is not None:
        assert_matches(answer, {"status": status}, "Step 2: the CSMS's record of ChangeConfiguration.conf")


@octt("TC_019_1", chapter="3.7")
async def test_tc_019_1(station: Station, csms: Csms) -> None:
    """Retrieve all configuration keys."""
    async with station.expect("GetConfiguration") as got:
        reply = await csms.request(station, "GetConfiguration", {})
    assert_matches(got.payload, {"key": absent_or([])}, "Step 1: GetConfiguration.req")
    assert isinstance(got.answer, dict)
    check_accessibility(got.answer, "Step 2: GetConfiguration.conf")
    answer = relayed_answer(reply, "Step 2")
    if answer is not None:
        assert_matches(answer, got.answer, "Expected result: the configuration keys the CSMS retrieved")


@octt("TC_019_2", chapter="3.7")
async def test_tc_019_2(station: Station, csms: Csms) -> None:
    """Retrieve specific configuration key."""
    async with station.expect("GetConfiguration") as got:
        reply = await csms.request(station, "GetConfiguration", {"key": ["SupportedFeatureProfiles"]})
    assert_matches(got.payload, {"key": ["SupportedFeatureProfiles"]}, "Step 1: GetConfiguration.req")
    assert_matches(got.answer, {"configurationKey": [{"key": "SupportedFeatureProfiles"}],
                                "unknownKey": absent_or([])}, "Step 2: GetConfiguration.conf")
    answer = relayed_answer(reply, "Step 2")
    if answer is not None:
        assert_matches(answer, got.answer, "Expected result: the configuration key the CSMS retrieved")


@octt("TC_021", chapter="3.7")
async def test_tc_021(station: Station, csms: Csms) -> None:
    """Change/set Configuration."""
    await _change(station, csms, "MeterValueSampleInterval", "60", "Accepted")


@octt("TC_040_1", chapter="3.13")
async def test_tc_040_1(station: Station, csms: Csms) -> None:
    """Configuration keys.

    A key the charge point does not have: NotSupported.
    """
    await _change(station, csms, UNKNOWN_KEY, "1", "NotSupported")


@octt("TC_040_2", chapter="3.13")
async def test_tc_040_2(station: Station, csms: Csms) -> None:
    """Configuration Keys.

    A value the key cannot take (a negative interval): Rejected.
    """
    await _change(station, csms, "MeterValueSampleInterval", "-1", "Rejected")
