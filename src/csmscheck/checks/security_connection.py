"""csmscheck checks of block A's connection cases (OCPP 2.0.1): credentials, passwords, subprotocol.

Ids ``CSC-201-A-01`` … ``CSC-201-A-09``. Each holds for every correct CSMS: they check what
the OCTT leaves out of its verdict (a negative step after a password change, the status of a
refusal, the registration status a known station gets).
"""

from __future__ import annotations

from csmscheck.checks import ExtraCheck

KNOWN_STATION_ACCEPTED = ExtraCheck(
    "CSC-201-A-01",
    "A station the CSMS knows, connecting with valid credentials and no registration status set for it by the "
    "operator, is Accepted by its BootNotification (B01.FR.02: the CSMS answers whether it accepts the station). "
    "TC_A_01 validates only that a BootNotificationResponse comes.",
    "OCPP 2.0.1 B01.FR.02, A00.FR.204",
)

SUBPROTOCOL_SELECTED = ExtraCheck(
    "CSC-201-A-02",
    "The CSMS that upgrades a station's connection selects the subprotocol the station offered, ocpp2.0.1 "
    "(OCPP-J Part 4 §3.1.2, RFC 6455 §4.2.2): a connection without an agreed subprotocol leaves the station "
    "unsure which version of OCPP it speaks.",
    "OCPP 2.0.1 Part 4 §3.1.2; RFC 6455 §4.2.2",
)

CREDENTIALS_CHALLENGED = ExtraCheck(
    "CSC-201-A-03",
    "Security profiles 1 and 2 authenticate the station with HTTP Basic authentication (RFC 7617). A server that "
    "requires it answers a request without valid credentials with 401 Unauthorized and a WWW-Authenticate "
    "challenge (RFC 7235 §3.1, RFC 7617 §2), or 429 while it rate-limits failed logins (RFC 6585 §4): a dropped "
    "connection or another status tells the station nothing about why it was refused.",
    "OCPP 2.0.1 A00 (security profiles 1 and 2: HTTP Basic authentication); RFC 7617 §2; RFC 7235 §3.1",
)

OLD_PASSWORD_REFUSED = ExtraCheck(
    "CSC-201-A-04",
    "Once the station accepted a new BasicAuthPassword (A01.FR.03) and connected with it, the old password no "
    "longer opens a connection: the password is the station's credential, and a replaced credential that still "
    "works defeats the point of changing it.",
    "OCPP 2.0.1 A01.FR.02, A01.FR.03",
)

REJECTED_PASSWORD_NOT_TAKEN = ExtraCheck(
    "CSC-201-A-05",
    "When the station does not accept a new BasicAuthPassword, the CSMS goes on with the old one (A01.FR.04): the "
    "password the station rejected does not open a connection, since the station never took it.",
    "OCPP 2.0.1 A01.FR.04",
)
