"""csmscheck checks of authorization beyond the OCTT verdict (both OCPP versions).

The 2.0.1 reusable states that authorize (Authorized, StopAuthorized) check the group of
the configured tokens with the existing checks ``CSC-201-C-01`` (AuthorizeResponse) and
``CSC-201-E-01`` (TransactionEventResponse). What OCPP 1.6 adds is here; whole negative
scenarios (letter case, cache expiry, refused tokens, OCSP failures, local lists) are
csmscheck cases of their own (``CC_C_nn``, ``CC_D_nn``, ``CC16_nn``).
"""

from __future__ import annotations

from csmscheck.checks import ExtraCheck

PARENT_ID_TAG = ExtraCheck(
    "CSC-16-AUTH-01",
    "idTagInfo tells the charge point an idTag's status and its parent-identifier (OCPP 1.6 IdTagInfo, "
    "parentIdTag); a charge point lets another idTag with the same parent idTag stop a transaction, or use a "
    "reservation made for the parent (section 5.13), which works only when the Central System reports the "
    "parent: for an idTag configured in a group, Authorize.conf and StartTransaction.conf carry that group "
    "as parentIdTag.",
    "OCPP 1.6 §4.1, §4.8, §5.13 (IdTagInfo.parentIdTag, 'Parent idTag')",
)
