"""csmscheck checks of OCPP 2.0.1 external charging limits and ISO 15118 load levelling (K12-K17).

The OCTT's cases K_48-K_59 check the statuses of the answers and that a TxProfile names the
EVSE and the transaction. What a CSMS computes for the EV is left open there; these checks
hold it to what the charging needs and the reported limits say (ids ``CSC-201-K-20`` on).
"""

from __future__ import annotations

from csmscheck.checks import ExtraCheck

WITHIN_SCHEDULE_TUPLES = ExtraCheck(
    "CSC-201-K-20",
    "NotifyEVChargingNeedsRequest.maxScheduleTuples is the most schedule entries the EV supports per schedule "
    "(K15, NotifyEVChargingNeedsRequest); the CSMS computes its schedule from these needs (K15, K17) and the "
    "station hands it on to the EV, so the TxProfile it sends in answer has at most that many "
    "chargingSchedulePeriods in a chargingSchedule.",
    "K15, K17; NotifyEVChargingNeedsRequest.maxScheduleTuples",
)

WITHIN_EV_MAXIMUM = ExtraCheck(
    "CSC-201-K-21",
    "The CSMS calculates the charging schedule it sends after NotifyEVChargingNeeds from the EV's charging needs "
    "(K15, K17): a limit above the maximum the EV reported (acChargingParameters.evMaxCurrent per phase, or "
    "dcChargingParameters.evMaxCurrent / evMaxPower) is power the EV cannot draw, so no period of that "
    "TxProfile exceeds it.",
    "K15, K17; ACChargingParametersType, DCChargingParametersType",
)

WITHIN_EXTERNAL_LIMIT = ExtraCheck(
    "CSC-201-K-22",
    "A station reports a limit an external system imposes with NotifyChargingLimitRequest (K12) so the CSMS "
    "can take it into account: the CSMS calculates a charging schedule that stays within limits imposed by an "
    "external system (K16, K15). A TxProfile it computes for load levelling while such a limit holds on the "
    "EVSE does not exceed it.",
    "K12, K15, K16",
)
