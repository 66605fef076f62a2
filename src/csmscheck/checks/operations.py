"""csmscheck checks of reservations, remote control, availability and the 1.6 security extension's negatives.

The csmscheck cases of these areas (``suite/v201/test_cc_operations.py``,
``suite/v16/test_cc_operations.py``) assert their scenario like any case; the checks here
are the further, independent requirements they probe on the way: each a finding of its
own, with the part of the specification behind it.
"""

from __future__ import annotations

from csmscheck.checks import ExtraCheck

# -- OCPP 2.0.1: what the CSMS reports of the station's answers ------------------------------

ANSWER_REPORTED = ExtraCheck(
    "CSC-201-F-03",
    "A CALLRESULT is the station's answer to the CALL with the same message id (OCPP-J RPC framework, CALLRESULT): "
    "the CSMS learns from it whether a remote start or stop, an unlock, a trigger, an availability change, a "
    "reservation or a cancellation was done, and reports that to the operator who asked (the trigger API's "
    "reply) as the station answered: a refused request is not reported as accepted.",
    "OCPP 2.0.1 Part 4 §4.2.2; F01-F06, G03-G04, H01-H02",
)

# -- OCPP 1.6 security extension: certificate signing requests the CSMS must not sign ---------

CSR_FOR_ANOTHER_STATION = ExtraCheck(
    "CSC-16-CSR-01",
    "A Charge Point certificate names its Charge Point identity as common name (OCPP 1.6 security whitepaper, "
    "'Certificate Properties'): a SignCertificate.req whose CSR names another charge point's identity is answered "
    "Rejected, so that a charge point cannot obtain a certificate to connect as another one.",
    "OCPP 1.6 security whitepaper: Certificate Properties, SignCertificate (A02)",
)

CSR_WITHOUT_PROOF_OF_POSSESSION = ExtraCheck(
    "CSC-16-CSR-02",
    "A CSR is signed with the private key of the public key it carries, which proves the requester holds that key "
    "(PKCS #10, RFC 2986 §3): a SignCertificate.req whose CSR signature does not verify with its own public key is "
    "answered Rejected, never signed by the CSMS's CA.",
    "RFC 2986 §3; OCPP 1.6 security whitepaper, SignCertificate (A02)",
)

CSR_WITH_WEAK_KEY = ExtraCheck(
    "CSC-16-CSR-03",
    "Keys of OCPP certificates are at least RSA 2048 bits or elliptic curve 224 bits (OCPP 1.6 security "
    "whitepaper, 'Certificate Properties', key sizes): a SignCertificate.req whose CSR holds an RSA key of 1024 bits "
    "is answered Rejected.",
    "OCPP 1.6 security whitepaper: Certificate Properties (key sizes)",
)
