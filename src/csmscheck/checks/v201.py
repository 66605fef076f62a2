"""csmscheck checks of the OCPP 2.0.1 cases (ids ``CSC-201-<block>-<nn>``).

Each is a check a case makes beyond its OCTT definition's tool and post scenario
validations, with the requirement of OCPP 2.0.1 (Part 2, Edition 2) that supports it. A
failed check is a finding: reported beside the verdict, failing the case only with
``--strict``.
"""

from __future__ import annotations

from csmscheck.checks import ExtraCheck

# -- B: provisioning ------------------------------------------------------------------------

SERVES_AFTER_FAILED_PROFILE = ExtraCheck(
    "CSC-201-B-01",
    "After a station answers SetNetworkProfile with Failed it keeps its current connection profile "
    "(B09.FR.03), so the CSMS must go on serving it on this connection: its next HeartbeatRequest is answered "
    "with a HeartbeatResponse (G02).",
    "B09.FR.03, G02",
)

# -- C: authorization -----------------------------------------------------------------------

VALID_TOKEN_AUTHORIZED = ExtraCheck(
    "CSC-201-C-01",
    "An AuthorizeResponse carries the authorization status of the token (C01.FR.07): the configured valid idToken "
    "is Accepted, with the groupIdToken of its group where it has one (C09.FR.02).",
    "C01.FR.07, C09.FR.02",
)

MASTER_PASS_RECOGNISED = ExtraCheck(
    "CSC-201-C-02",
    "A station recognises a master pass by the groupIdToken the CSMS returns for it (C16.FR.01, C16.FR.02: an "
    "IdToken whose groupId equals MasterPassGroupId; C09.FR.02): the AuthorizeResponse for the configured master "
    "pass token is Accepted with groupIdToken <Configured masterPassGroupId>.",
    "C16.FR.01, C16.FR.02, C09.FR.02",
)

# -- D: local authorization list ------------------------------------------------------------

LIST_TOKENS_UNIQUE = ExtraCheck(
    "CSC-201-D-01",
    "All IdTokens in a Local Authorization List SHALL be unique (D01.FR.06): a SendLocalListRequest names each "
    "idToken once.",
    "D01.FR.06",
)

LIST_VERSION_ABOVE_ZERO = ExtraCheck(
    "CSC-201-D-02",
    "versionNumber in a SendLocalListRequest SHALL be greater than 0 (D01.FR.18), also when the list is emptied.",
    "D01.FR.18",
)

# -- E: transactions ------------------------------------------------------------------------

VALID_TOKEN_IN_TRANSACTION = ExtraCheck(
    "CSC-201-E-01",
    "The CSMS SHALL verify the idToken of a TransactionEventRequest and answer with its authorization status and "
    "its groupIdToken if one exists (E01.FR.11, E01.FR.12): the configured valid idTokens are Accepted.",
    "E01.FR.11, E01.FR.12",
)

INVALID_TOKEN_IN_TRANSACTION = ExtraCheck(
    "CSC-201-E-02",
    "The CSMS SHALL verify the idToken of a TransactionEventRequest and answer with its authorization status "
    "(E01.FR.11, E01.FR.12): a token the CSMS does not know is not Accepted but Invalid or Unknown, which "
    "deauthorizes the transaction (E06.FR.04).",
    "E01.FR.11, E01.FR.12, E06.FR.04",
)

# -- F: remote control ----------------------------------------------------------------------

HEARTBEAT_TIME = ExtraCheck(
    "CSC-201-F-01",
    "HeartbeatResponse.currentTime contains the current time of the CSMS (G02, HeartbeatResponse), which the "
    "station may use to set its clock: it is within two minutes of now.",
    "G02",
)

SERVES_AFTER_NOT_IMPLEMENTED = ExtraCheck(
    "CSC-201-F-02",
    "TriggerMessageResponse NotImplemented is a regular answer (F06.FR.08); the CSMS goes on serving the station "
    "on this connection: its next HeartbeatRequest is answered with a HeartbeatResponse (G02).",
    "F06.FR.08, G02",
)

# -- H: reservation -------------------------------------------------------------------------

RESERVATION_NAMES_EVSE_AND_TOKEN = ExtraCheck(
    "CSC-201-H-01",
    "Reserving a specific EVSE for an IdToken (H01, scenario 'reserve a specific EVSE') is a ReserveNowRequest "
    "with that evseId, no connectorType and the idToken the reservation is for.",
    "H01",
)

RESERVATION_HOLDER_SERVED = ExtraCheck(
    "CSC-201-H-02",
    "The driver a reservation is for (or a driver of its group) uses the reserved EVSE (H03): the CSMS accepts the "
    "token (C01.FR.07, with its groupIdToken: C09.FR.02) and the transaction that names the reservationId "
    "(E01.FR.11, E01.FR.12).",
    "H03, C01.FR.07, C09.FR.02, E01.FR.11",
)

RESERVATION_RELEASED = ExtraCheck(
    "CSC-201-H-03",
    "A reservation that was used, expired, cancelled, removed or refused no longer holds the EVSE (H01-H04): another "
    "valid idToken is then authorized there like anywhere else (C01.FR.07, E01.FR.11, E01.FR.12).",
    "H01, H04, E01.FR.11",
)

# -- I: tariff and cost ---------------------------------------------------------------------

COST_FROM_TARIFF = ExtraCheck(
    "CSC-201-I-01",
    "The running cost (I02.FR.01) and the total cost (I03) the CSMS reports are its configured tariff "
    "(tariff_price_per_kwh, tariff_session_fee, tariff_price_per_hour) applied to the energy metered since "
    "Transaction.Begin and the time since the transaction began, to the cent.",
    "I02.FR.01, I03",
)
