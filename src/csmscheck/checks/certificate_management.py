"""csmscheck checks of OCPP 2.0.1 CA-certificate management on the station (block M: M03, M04, M05).

Ids ``CSC-201-M-01`` to ``-09``; ``-10`` onwards are those of certificate signing and EV certificates. Each is a
finding beside the OCTT verdict. Whether the CSMS reports the station's answers to its operator as they were
sent is CSC-201-F-03, and whether each request carries what the operator asked for is CSC-REQ-01.
"""

from __future__ import annotations

from csmscheck.checks import ExtraCheck

CA_CERTIFICATE_SENT = ExtraCheck(
    "CSC-201-M-01",
    "The certificate of an InstallCertificateRequest is one PEM encoded X.509 CA certificate, valid now: the four "
    "types it installs are root certificates a station checks other certificates with, and a station rejects "
    "anything else (a certificate that is not a CA, expired or not yet valid, or more than one) as invalid, so the "
    "CSMS can tell before it sends one.",
    "OCPP 2.0.1 M05 (M05.FR.02, InstallCertificateRequest.certificate); RFC 5280 4.2.1.3, 4.2.1.9",
)

HASH_DATA_AS_REPORTED = ExtraCheck(
    "CSC-201-M-02",
    "A DeleteCertificateRequest names the certificate with certificateHashData exactly as the station reported it "
    "in GetInstalledCertificateIdsResponse: the same hashAlgorithm and the same hex strings, letter case included. "
    "OCPP leaves the case of hex digits open, so a station may compare the strings as they are; the CSMS cannot "
    "know it does not, and hash data it rewrote may then name nothing.",
    "OCPP 2.0.1 M04.FR.07; CertificateHashDataType",
)
