"""Chapters 3.7 and 3.13: reading and changing configuration keys (happy and non-happy flows).

The virtual charge point answers GetConfiguration from its own configuration keys
(installed by the ``station`` fixture); ChangeConfiguration it answers as the OCTT's
charge point does in each case (Accepted, NotSupported, Rejected).
"""

from __future__ import annotations

from csmscheck.errors import StepFailed
from csmscheck.expect import absent_or, assert_matches
from csmscheck.station import Station
from csmscheck.station.v16 import Payload
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.v16.csms_calls import check_relayed, csms_sends
from csmscheck.wire import CallError

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


def check_accessibility(answer: Payload | CallError | None, step: str) -> None:
    """Every required key is reported, read-only or writable as TC_019_1 lists (the charge point's own answer)."""
    if not isinstance(answer, dict):
        raise StepFailed(f"{step}: the charge point could not answer GetConfiguration: {answer}")
    reported = {item["key"]: item["readonly"] for item in answer.get("configurationKey", [])}
    problems = [f"{key}: missing" if key not in reported else f"{key}: readonly {reported[key]}"
                for key, allowed in REQUIRED_KEYS.items() if reported.get(key) not in allowed]
    if problems:
        raise StepFailed(f"{step}: accessibility of configuration keys\n  " + "\n  ".join(problems))


async def _change(station: Station, csms: Csms, key: str, value: str, status: str, *,
                  validated: bool) -> None:
    """Steps 1-2: the CSMS sets ``key`` to ``value``; the charge point answers ``status``, as the OCTT's does.

    ``validated``: the OCTT checks the key and value of the request (TC_021, TC_040_2); otherwise
    they are what the operator asked for, a csmscheck check.
    """
    sent = await csms_sends(station, csms, "ChangeConfiguration", {"key": key, "value": value},
                            "Step 1: ChangeConfiguration.req", reply={"status": status})
    if validated:
        assert_matches(sent.payload, {"key": key, "value": value}, "Step 1: ChangeConfiguration.req")
    check_relayed(station, sent, "Step 2: ChangeConfiguration.conf")


@octt("TC_019_1", chapter="3.7")
async def test_tc_019_1(station: Station, csms: Csms) -> None:
    """Retrieve all configuration keys."""
    sent = await csms_sends(station, csms, "GetConfiguration", {}, "Step 1: GetConfiguration.req")
    assert_matches(sent.payload, {"key": absent_or([])}, "Step 1: GetConfiguration.req")
    check_accessibility(sent.answer, "Step 2: GetConfiguration.conf")
    check_relayed(station, sent, "Step 2: GetConfiguration.conf")


@octt("TC_019_2", chapter="3.7")
async def test_tc_019_2(station: Station, csms: Csms) -> None:
    """Retrieve specific configuration key."""
    sent = await csms_sends(station, csms, "GetConfiguration", {"key": ["SupportedFeatureProfiles"]},
                            "Step 1: GetConfiguration.req")
    assert_matches(sent.payload, {"key": ["SupportedFeatureProfiles"]}, "Step 1: GetConfiguration.req")
    # The charge point's own answer, as the OCTT's: the one key, none unknown.
    assert_matches(sent.answer, {"configurationKey": [{"key": "SupportedFeatureProfiles"}],
                                 "unknownKey": absent_or([])}, "Step 2: GetConfiguration.conf")
    check_relayed(station, sent, "Step 2: GetConfiguration.conf")


@octt("TC_021", chapter="3.7")
async def test_tc_021(station: Station, csms: Csms) -> None:
    """Change/set Configuration."""
    await _change(station, csms, "MeterValueSampleInterval", "60", "Accepted", validated=True)


@octt("TC_040_1", chapter="3.13")
async def test_tc_040_1(station: Station, csms: Csms) -> None:
    """Configuration keys.

    The operator sets a key the charge point does not have; the charge point answers NotSupported
    (the OCTT validates nothing of the request, so a Central System that offers only the keys it
    knows may send one of those).
    """
    await _change(station, csms, UNKNOWN_KEY, "1", "NotSupported", validated=False)


@octt("TC_040_2", chapter="3.13")
async def test_tc_040_2(station: Station, csms: Csms) -> None:
    """Configuration Keys.

    A value the key cannot take (a negative interval): Rejected.
    """
    await _change(station, csms, "MeterValueSampleInterval", "-1", "Rejected", validated=True)
