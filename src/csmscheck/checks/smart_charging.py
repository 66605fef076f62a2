"""csmscheck checks of OCPP 2.0.1 smart charging (block K): charging profiles the CSMS sets, reads and clears.

Ids ``CSC-201-K-01`` to ``-19`` (the profile cases K_01-K_37, K_60, K_70); ``-20`` to ``-39`` are those of
external limits and ISO 15118 load levelling. Each is a finding beside the OCTT verdict.
"""

from __future__ import annotations

from csmscheck.checks import ExtraCheck

PROFILE_WELL_FORMED = ExtraCheck(
    "CSC-201-K-01",
    "Every charging profile the CSMS sends is one a station can apply as meant: the first period of a schedule "
    "starts at 0 and later ones rise, a Relative profile has no startSchedule and the others have one, a "
    "ChargingStationMaxProfile is not Relative and applies to the whole station, a TxProfile names its "
    "transaction and no other purpose does, validFrom lies before validTo, a Recurring profile says how it recurs; "
    "a profile inside RequestStartTransaction is a TxProfile without a transactionId.",
    "OCPP 2.0.1 K01 (K01.FR.03, K01.FR.31, K01.FR.38); F01.FR.09, F01.FR.11",
)

GET_PROFILES_CRITERIA = ExtraCheck(
    "CSC-201-K-02",
    "A GetChargingProfilesRequest says which profiles it wants: a list of chargingProfileIds, or at least one of "
    "stackLevel, chargingLimitSource and chargingProfilePurpose; an evseId alone is no criterion.",
    "OCPP 2.0.1 K09.FR.03",
)

CLEAR_PROFILE_SELECTS = ExtraCheck(
    "CSC-201-K-03",
    "A ClearChargingProfileRequest names the profiles to clear either by chargingProfileId or by criteria "
    "(evseId, stackLevel, chargingProfilePurpose): asked to clear one profile by its id, the CSMS sends that id "
    "alone, since criteria beside it leave the station to guess which of the two selects what it clears.",
    "OCPP 2.0.1 K10.FR.02",
)
