"""csmscheck checks of OCPP 2.0.1 firmware management (block L: L01 secure update, L03 publish).

Ids ``CSC-201-L-01`` to ``-09``. Each is a finding beside the OCTT verdict: the OCTT's station reports
the signature verified and the checksum right whatever the CSMS sent, so a CSMS whose updates no real
station could install passes its verdict; these checks say so. Whether the CSMS reports the station's
answers as sent is CSC-201-F-03, and whether each request carries what the operator asked is CSC-REQ-01.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from csmscheck.checks import ExtraCheck
from csmscheck.pki.certificates import load_pem_chain

SIGNATURE_VERIFIES = ExtraCheck(
    "CSC-201-L-01",
    "The signature of a secure UpdateFirmwareRequest verifies, with the key of the signing certificate sent with "
    "it, over the firmware at the location: a station checks exactly that after the download and rejects the "
    "update (InvalidSignature) otherwise, so an update whose signature does not verify can never install.",
    "OCPP 2.0.1 L01 (the station verifies the signature: SignatureVerified or InvalidSignature), L01.FR.11; "
    "FirmwareType.signature, FirmwareType.signingCertificate",
)

SIGNING_CERTIFICATE_USABLE = ExtraCheck(
    "CSC-201-L-02",
    "The signing certificate of an UpdateFirmwareRequest is one PEM encoded X.509 certificate, valid now, whose "
    "key may sign code (extendedKeyUsage, when present, includes codeSigning): a station validates the Firmware "
    "Signing certificate before it downloads and answers InvalidCertificate to one it cannot use.",
    "OCPP 2.0.1 L01 (the station validates the signing certificate: InvalidCertificate), L01.FR.11; RFC 5280 4.2.1.12",
)

SIGNING_CERTIFICATE_ISSUED = ExtraCheck(
    "CSC-201-L-03",
    "The signing certificate is issued by a CA (not self-signed): a station validates it against the "
    "ManufacturerRootCertificate it holds, so a self-signed leaf chains to no root a station could hold.",
    "OCPP 2.0.1 L01 (validation with the Manufacturer root certificate); ManufacturerRootCertificate (M)",
)

NEW_REQUEST_ID = ExtraCheck(
    "CSC-201-L-04",
    "A new UpdateFirmwareRequest carries a requestId other than that of the update it replaces: the station "
    "reports each update's states by requestId, and a CSMS that reused it could not tell the canceled update's "
    "notifications from the new one's.",
    "OCPP 2.0.1 L01.FR.24; UpdateFirmwareRequest.requestId, FirmwareStatusNotificationRequest.requestId",
)

CHECKSUM_MATCHES = ExtraCheck(
    "CSC-201-L-05",
    "The checksum of a PublishFirmwareRequest is the MD5 of the firmware at its location: the Local Controller "
    "verifies it after the download and publishes nothing (InvalidChecksum) otherwise.",
    "OCPP 2.0.1 L03 (ChecksumVerified / InvalidChecksum); PublishFirmwareRequest.checksum",
)

INSTALL_AFTER_RETRIEVE = ExtraCheck(
    "CSC-201-L-06",
    "The installDateTime of an UpdateFirmwareRequest is not before its retrieveDateTime: a station cannot install "
    "firmware before it has retrieved it.",
    "OCPP 2.0.1 L01; FirmwareType.retrieveDateTime, FirmwareType.installDateTime",
)


def signing_certificate_problem(pem: str) -> str | None:
    """Why the signing certificate cannot serve a station (CSC-201-L-02), or None."""
    try:
        chain = load_pem_chain(pem)
    except ValueError:
        chain = []
    if len(chain) != 1:
        return f"it holds {len(chain)} certificates, not one" if chain else "it is not a PEM encoded certificate"
    certificate = chain[0]
    now = datetime.now(UTC)
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        return (f"it is valid from {certificate.not_valid_before_utc.isoformat()} to "
                f"{certificate.not_valid_after_utc.isoformat()}, not now")
    try:
        usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None
    if ExtendedKeyUsageOID.CODE_SIGNING not in usages:
        return "its extendedKeyUsage does not include codeSigning"
    return None


def self_signed(pem: str) -> bool:
    """Whether the (first) certificate names itself as issuer (CSC-201-L-03)."""
    try:
        certificate = load_pem_chain(pem)[0]
    except (ValueError, IndexError):
        return False
    return certificate.issuer == certificate.subject
