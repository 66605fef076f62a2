"""Every rule ``csmscheck scan`` checks: id, title and the specification text it rests on.

Rules in :data:`INFORMATIONAL` describe behaviour OCPP leaves open: the scan reports what it
saw and never makes a finding of it.
"""

from __future__ import annotations

from csmscheck.verdicts import Rule

_TLS_VERSION = ("OCPP 2.0.1 Part 2 A00.FR.416/A00.FR.417 (TLS 1.2 or above only; the CSMS checks the version); "
                "OCPP 1.6 Security Whitepaper (TLS 1.2 or above); RFC 8996")
_CLIENT_CERT = "OCPP 2.0.1 Part 2 A00.FR.407 (no valid certificate or an invalid path: terminate the connection)"
_BASIC_AUTH = ("OCPP 2.0.1 Part 2 A00 security profile 1/2 (HTTP Basic authentication, user name = the Charging "
               "Station identity); RFC 7617 §2; RFC 7235 §3.1 (a 401 carries WWW-Authenticate); RFC 6585 §4 (429)")
_IDENTITY = ("OCPP-J 1.6 §3.1.1, OCPP 2.0.1 Part 4 §3.1.1 (the last path segment is the Charging Station "
             "identity; an identity the CSMS does not know SHOULD get HTTP 404)")
_SUBPROTOCOL = "OCPP-J 1.6 §3.1.2, OCPP 2.0.1 Part 4 §3.1.2 (the OCPP version is the WebSocket subprotocol); " \
               "RFC 6455 §4.2.2"

TLS_10_REFUSED = Rule("SCAN-TLS-01", "TLS 1.0 is refused", _TLS_VERSION)
TLS_11_REFUSED = Rule("SCAN-TLS-02", "TLS 1.1 is refused", _TLS_VERSION)
TLS_12_ACCEPTED = Rule("SCAN-TLS-03", "TLS 1.2 is accepted", "OCPP 2.0.1 Part 2 A00.FR.312, A00.FR.416")
TLS_13_ACCEPTED = Rule("SCAN-TLS-04", "TLS 1.3 is accepted (informational: OCPP requires 1.2 or above)",
                       "OCPP 2.0.1 Part 2 A00.FR.416 (TLS 1.2 or above); RFC 8446")
CIPHER_SUITES = Rule("SCAN-TLS-05", "The four cipher suites OCPP requires are each accepted over TLS 1.2",
                     "OCPP 2.0.1 Part 2 A00.FR.318 (profile 2), A00.FR.421 (profile 3): "
                     "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "
                     "TLS_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_256_GCM_SHA384")
SERVER_CHAIN = Rule("SCAN-TLS-06", "The server certificate chains to the configured CA",
                    "OCPP 2.0.1 Part 2 A00.FR.307/A00.FR.410 (the CSMS authenticates with its CSMS certificate); "
                    "RFC 5280 §6")
SERVER_NAME = Rule("SCAN-TLS-07", "The server certificate names the endpoint's host",
                   "OCPP 2.0.1 Part 2 A00 Certificate Properties (the CSMS certificate names its FQDN); "
                   "RFC 6125 §6; RFC 9110 §4.3.4")
SERVER_VALIDITY = Rule("SCAN-TLS-08", "The server certificate is valid now (not expired, not yet valid)",
                       "RFC 5280 §4.1.2.5, §6.1.3; OCPP 2.0.1 Part 2 A00.FR.307")
SERVER_KEY = Rule("SCAN-TLS-09", "The server key is strong enough (RSA/DSA ≥ 2048 bits, EC ≥ 224 bits)",
                  "OCPP 2.0.1 Part 2 A00.FR.502, A00.FR.503")

NO_CLIENT_CERT = Rule("SCAN-MTLS-01", "Profile 3: a connection without a client certificate is refused",
                      _CLIENT_CERT)
FOREIGN_CA_CERT = Rule("SCAN-MTLS-02", "Profile 3: a client certificate from another CA is refused", _CLIENT_CERT)
EXPIRED_CERT = Rule("SCAN-MTLS-03", "Profile 3: an expired client certificate is refused",
                    f"{_CLIENT_CERT}; RFC 5280 §6.1.3")
SERVER_ONLY_CERT = Rule("SCAN-MTLS-04", "Profile 3: a certificate without the clientAuth key usage is refused",
                        f"{_CLIENT_CERT}; RFC 5280 §4.2.1.12")
OTHER_STATION_CERT = Rule("SCAN-MTLS-05", "Profile 3: another station's certificate (CN ≠ station id) is refused",
                          "OCPP 2.0.1 Part 2 A00.FR.405 (the CN of the client certificate is the station's id)")
OWN_CERT_ACCEPTED = Rule("SCAN-MTLS-06", "Profile 3: the station's own certificate is accepted",
                         "OCPP 2.0.1 Part 2 A00.FR.409, A00.FR.410 (security profile 3)")

UNKNOWN_STATION = Rule("SCAN-WS-01", "An unknown station id is refused with 404", _IDENTITY)
NO_CREDENTIALS = Rule("SCAN-WS-02", "An upgrade without credentials is refused with 401 and a challenge", _BASIC_AUTH)
WRONG_PASSWORD = Rule("SCAN-WS-03", "A wrong password is refused with 401 and a challenge", _BASIC_AUTH)
EMPTY_PASSWORD = Rule("SCAN-WS-04", "An empty password is refused with 401 and a challenge", _BASIC_AUTH)
WRONG_USER = Rule("SCAN-WS-05", "A user name other than the station id is refused with 401 and a challenge",
                  f"{_BASIC_AUTH}; OCTT TC_A_02")
NO_SUBPROTOCOL = Rule("SCAN-WS-06", "An upgrade offering no subprotocol is not served", _SUBPROTOCOL)
UNSUPPORTED_SUBPROTOCOL = Rule("SCAN-WS-07", "An upgrade offering only an unsupported subprotocol is not served",
                               _SUBPROTOCOL)
PATH_TRICKS = Rule("SCAN-WS-08", "Path tricks (encoded '../', NUL, extra segments) do not reach a station",
                   f"{_IDENTITY}; RFC 3986 §2.2, §3.3")
LONG_IDENTITY = Rule("SCAN-WS-09", "An over-long station id is refused (4xx, in time)",
                     "OCPP 2.0.1 Part 4 §3.1.1 (the identity: at most 48 characters); RFC 9110 §15.5 (4xx)")
OVERSIZED_FRAME = Rule("SCAN-WS-10", "A frame over the size limit is closed with 1009 or answered with a CALLERROR",
                       "RFC 6455 §7.4.1 (1009: message too big); OCPP-J 1.6 §4.2.3, OCPP 2.0.1 Part 4 §4.2.3 "
                       "(a CALL that cannot be handled gets a CALLERROR); the connection must not hang")
DUPLICATE_CONNECTION = Rule("SCAN-WS-11", "A second connection with the same id (informational: which survives)",
                            "OCPP leaves it open: OCPP-J (1.6 §3, 2.0.1 Part 4 §3) assumes one connection per "
                            "station and names no rule for a second")
PASSWORD_BURST = Rule("SCAN-WS-12", "A burst of wrong passwords (informational: is there rate limiting)",
                      "OCPP names no rate limit; OWASP ASVS 4.0 V2.2.1 (anti-automation); RFC 6585 §4 (429)")

INFORMATIONAL = frozenset({TLS_13_ACCEPTED.id, DUPLICATE_CONNECTION.id, PASSWORD_BURST.id})
