"""csmscheck checks of the OCPP 1.6J cases (ids ``CSC-16-...``).

Each is a check the OCTT's definition of a case does not make but the OCPP 1.6
specification (or the OCPP-J 1.6 specification, or the security whitepaper for 1.6)
supports. A failed one is a finding beside the case's verdict; ``--strict`` fails the case.
"""

from __future__ import annotations

from csmscheck.checks import ExtraCheck

OLD_PASSWORD_REFUSED = ExtraCheck(
    "CSC-16-SEC-01",
    "After the Central System changed AuthorizationKey and the charge point reconnected with the new password, "
    "the old password must no longer open a connection: the security extension replaces the password "
    "(OCPP 1.6 security whitepaper, 'AuthorizationKey'), it does not add one.",
    "OCPP 1.6 security whitepaper, AuthorizationKey",
)

SUBPROTOCOL_SELECTED = ExtraCheck(
    "CSC-16-SEC-02",
    "The Central System that upgrades a charge point's connection names the OCPP version it speaks, ocpp1.6, in "
    "the Sec-WebSocket-Protocol header of its answer; a server that agrees on no offered version completes the "
    "handshake without it and closes the connection at once (OCPP-J 1.6 specification, section 3.1.2 'OCPP "
    "version').",
    "OCPP-J 1.6 §3.1.2",
)

ANSWER_RELAYED = ExtraCheck(
    "CSC-16-RELAY-01",
    "A CALLRESULT is the charge point's answer to the CALL with the same unique id (OCPP-J 1.6 specification, "
    "section 4.2): the Central System that sent the CALL learns the outcome from it (the OCTT's expected results: "
    "'the Central System is able to retrieve …', '… processes the response'). The trigger API reports what the "
    "Central System learnt; it must be what the charge point answered.",
    "OCPP-J 1.6 §4.2",
)

HEARTBEAT_INTERVAL = ExtraCheck(
    "CSC-16-CORE-01",
    "With status Accepted, BootNotification.conf's interval is the heartbeat interval in seconds the charge point "
    "adopts (OCPP 1.6 section 4.2 'Boot Notification', section 4.6 'Heartbeat'); an interval below one second "
    "asks for a heartbeat continuously.",
    "OCPP 1.6 §4.2, §4.6",
)

CURRENT_TIME = ExtraCheck(
    "CSC-16-CORE-02",
    "Heartbeat.conf carries the Central System's current time, which the charge point uses to synchronise its "
    "clock (OCPP 1.6 section 4.6 'Heartbeat'); a time more than two minutes off sets the charge point's clock "
    "wrong.",
    "OCPP 1.6 §4.6",
)

BOOT_ACCEPTED = ExtraCheck(
    "CSC-16-CORE-03",
    "A charge point the Central System has accepted before, booting again (after a firmware update, or on a new "
    "connection) is Accepted again: until it is, it must not send the StatusNotification and other requests the "
    "scenario goes on with (OCPP 1.6 section 4.2 'Boot Notification').",
    "OCPP 1.6 §4.2",
)

STOP_TAG_ACCEPTED = ExtraCheck(
    "CSC-16-CORE-04",
    "StopTransaction.conf's idTagInfo is the authorization status of the idTag that stopped the transaction "
    "(OCPP 1.6 section 4.10 'Stop Transaction'); for an idTag the same Central System accepts, it is Accepted.",
    "OCPP 1.6 §4.10",
)

UNKNOWN_VENDOR = ExtraCheck(
    "CSC-16-DT-01",
    "The recipient of a DataTransfer.req that has no implementation for its vendorId returns the status "
    "UnknownVendorId (OCPP 1.6 section 4.3 'Data Transfer'); the OCTT allows Accepted but says the vendor is to be "
    "warned.",
    "OCPP 1.6 §4.3",
)

RESERVATION_USED = ExtraCheck(
    "CSC-16-RES-01",
    "The idTag a reservation was made for may start a transaction on it, naming its reservationId in "
    "StartTransaction.req (OCPP 1.6 section 5.13 'Reserve Now', section 4.8 'Start Transaction'); the Central "
    "System accepts that transaction (the OCTT's expected result for TC_049: 'accepts the reservation for the "
    "right idTag and reservationId').",
    "OCPP 1.6 §5.13, §4.8",
)
