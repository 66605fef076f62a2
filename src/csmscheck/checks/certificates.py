"""csmscheck checks of the certificates a CSMS issues and relays to a 2.0.1 station (A02, A03, M01, M02, M06).

The OCTT notes for TC_A_12/TC_A_13 that its checks of the signed certificate must not fail
the case (a CSMS usually has a CA do the signing): those checks are these findings.
"""

from __future__ import annotations

from csmscheck.checks import ExtraCheck

CHAIN_LEAF_FIRST = ExtraCheck(
    "CSC-201-A-10",
    "A CertificateSignedRequest carries the certificate issued from the station's CSR, followed by any sub-CA "
    "certificates in chain order, starting from the leaf: the first certificate holds the CSR's public key and "
    "each one is signed by the next. A station installs the first certificate as its own; a chain sent root "
    "first or out of order makes it install the wrong one or reject the chain.",
    "OCPP 2.0.1 Part 2 CertificateSignedRequest.certificateChain; A02.FR.02, A03.FR.02",
)

ISSUED_FROM_CSR = ExtraCheck(
    "CSC-201-A-11",
    "The signed certificate is generated from the CSR the station sent: it carries the CSR's public key and "
    "subject; a Charging Station (or combined) certificate names the station's identity as commonName and the "
    "operator as organizationName, so it identifies this station and no other.",
    "OCPP 2.0.1 Part 2 §A00 Certificate properties; TC_A_11-A_13 step 5",
)

CERTIFICATE_TYPE_ECHOED = ExtraCheck(
    "CSC-201-A-12",
    "When the SignCertificateRequest named a certificateType, the CertificateSignedRequest names the same type "
    "(RECOMMENDED; required when the station implements both the 15118 and the CSMS connection), so the station "
    "knows which of its certificates to replace.",
    "A02.FR.14; CertificateSignedRequest.certificateType",
)

V2G_CERTIFICATE_PROPERTIES = ExtraCheck(
    "CSC-201-A-13",
    "A V2G (or combined) certificate is an X.509 certificate in PEM, with a serial number and a key of at least "
    "224 bits, signed by the V2G root or a sub-CA of the configured V2G certificate chain, valid now: what an EV "
    "verifies when it connects over ISO 15118.",
    "OCPP 2.0.1 Part 2 §A00 Certificate properties; ISO 15118-2; TC_A_12/TC_A_13 step 5 (notes)",
)

CSR_FOR_ANOTHER_STATION = ExtraCheck(
    "CSC-201-A-14",
    "A Charging Station certificate names the station's identity as commonName: a SignCertificateRequest whose "
    "CSR names another station is not signed (answered Rejected, no CertificateSigned follows), so that a "
    "station cannot obtain a certificate to connect as another one over security profile 3.",
    "OCPP 2.0.1 Part 2 §A00 Certificate properties; A02.FR.11 (only a request it is able to process)",
)

OCSP_RESULT_RELAYED = ExtraCheck(
    "CSC-201-M-10",
    "The ocspResult of a GetCertificateStatusResponse is the OCSPResponse of the responder the station named, "
    "about the certificate asked: a successful response whose status names that certificate's serial number "
    "and issuer hashes, signed by the issuer (or its delegated responder) -- not a response the CSMS made up, "
    "cached for another certificate or failed to verify.",
    "M06.FR.02, M06.FR.08, M06.FR.09; RFC 6960 §4.2",
)

EXI_RESPONSE_IS_EXI = ExtraCheck(
    "CSC-201-M-11",
    "The exiResponse of a Get15118EVCertificateResponse is the raw EXI CertificateInstallationRes (or "
    "CertificateUpdateRes) for the EV, base64 encoded: the decoded bytes are an EXI stream, which starts with "
    "an EXI header (an optional \"$EXI\" cookie, then the distinguishing bits 10).",
    "M01.FR.01, M02.FR.01; Get15118EVCertificateResponse.exiResponse; W3C EXI 1.0 §5",
)
