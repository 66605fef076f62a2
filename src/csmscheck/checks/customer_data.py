"""csmscheck checks of OCPP 2.0.1 log uploads and customer information (block N: N01, N09, N10) and of data
transfer (block P: P02).

Ids ``CSC-201-N-20`` to ``-39`` and ``CSC-201-P-01`` to ``-09``; ``CSC-201-N-01`` to ``-19`` are those of
monitoring. Each is a finding beside the OCTT verdict. Whether a request carries what the operator asked for is
CSC-REQ-01; whether the CSMS reports the station's answer as sent is CSC-201-F-03.
"""

from __future__ import annotations

from csmscheck.checks import ExtraCheck

LOG_LOCATION_URL = ExtraCheck(
    "CSC-201-N-20",
    "A GetLogRequest's log.remoteLocation is an absolute URL (a scheme and a host): it is where the station "
    "uploads the file, and a station cannot upload to anything else.",
    "OCPP 2.0.1 N01 (LogParametersType.remoteLocation)",
)

LOG_PERIOD_ORDERED = ExtraCheck(
    "CSC-201-N-21",
    "A GetLogRequest with both log.oldestTimestamp and log.latestTimestamp names a period: the oldest is not "
    "after the latest, or no log entry can be in it.",
    "OCPP 2.0.1 N01 (LogParametersType)",
)

LOG_REQUEST_IDS_DISTINCT = ExtraCheck(
    "CSC-201-N-22",
    "A second GetLogRequest while an upload runs has a requestId of its own: the station reports the cancelled "
    "upload and the new one with LogStatusNotifications that only their requestIds tell apart.",
    "OCPP 2.0.1 N01.FR.12; LogStatusNotificationRequest.requestId",
)

ONE_CUSTOMER_REFERENCE = ExtraCheck(
    "CSC-201-N-25",
    "A CustomerInformationRequest that reports or clears names its customer with exactly one of idToken, "
    "customerCertificate and customerIdentifier: with none the station has no customer to act on, and with "
    "several it cannot tell which one the CSMS means.",
    "OCPP 2.0.1 N09.FR.04, N10.FR.08",
)

CLEARED_TOKEN_ONLY = ExtraCheck(
    "CSC-201-N-26",
    "The local list update that follows clearing a customer's data removes that customer's idToken and nothing "
    "else: the station's list keeps every other driver, and the token is listed once.",
    "OCPP 2.0.1 N10.FR.02; D01.FR.06, D01.FR.17",
)

UNKNOWN_VENDOR = ExtraCheck(
    "CSC-201-P-01",
    "A DataTransferRequest with a vendorId the CSMS has no implementation for is answered UnknownVendorId (a vendor "
    "id made up for the test, which no CSMS can implement).",
    "OCPP 2.0.1 P02.FR.06",
)

UNKNOWN_MESSAGE = ExtraCheck(
    "CSC-201-P-02",
    "A DataTransferRequest with the vendorId the CSMS implements (CONFIGURED_CSMS_VENDOR_ID) and a messageId it "
    "does not know is answered UnknownMessageId.",
    "OCPP 2.0.1 P02.FR.07",
)

CUSTOM_DATA_IGNORED = ExtraCheck(
    "CSC-201-P-03",
    "customData a CSMS does not understand changes nothing: a TransactionEvent carrying it is answered as one "
    "without it would be (the driver's idToken Accepted).",
    "OCPP 2.0.1 Part 2 §1.4 (CustomDataType); E01",
)
