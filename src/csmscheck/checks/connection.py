"""csmscheck checks of registration, for both OCPP versions (ids ``CSC-BOOT-<nn>``).

They run wherever a station boots (the reusable state Booted and every boot of a case), so
a CSMS that answers BootNotification with the wrong interval or clock fails them in every
case that boots. The wire-level and handshake behaviour is checked by csmscheck's own
cases (``CC_B_nn``, ``CC_RPC_nn``, ``CC16_nn``), not here.
"""

from __future__ import annotations

from csmscheck.checks import ExtraCheck

HEARTBEAT_INTERVAL_AS_CONFIGURED = ExtraCheck(
    "CSC-BOOT-01",
    "With status Accepted, the interval of a BootNotificationResponse is the heartbeat interval the station "
    "adopts (OCPP 2.0.1 B01 and G02, OCPP 1.6 sections 4.2 and 4.6): the interval the CSMS is configured with, "
    "which the setting heartbeat_interval (CONFIGURED_HEARTBEAT_INTERVAL, the OCTT's <Configured heartbeatInterval>) "
    "declares. Another value makes every station heartbeat at a rate the operator did not choose.",
    "OCPP 2.0.1 B01, G02 (BootNotificationResponse.interval); OCPP 1.6 §4.2, §4.6",
)

RETRY_INTERVAL_AS_CONFIGURED = ExtraCheck(
    "CSC-BOOT-02",
    "With status Pending or Rejected, the interval of a BootNotificationResponse is the least time the station "
    "waits before it boots again (OCPP 2.0.1 B02 and B03, OCPP 1.6 section 4.2), not its heartbeat interval: the "
    "retry interval the CSMS is configured with, which the setting pending_interval (CSMSCHECK_PENDING_INTERVAL) "
    "declares. Checked only when that setting is given (the bundled CSMS always gives it).",
    "OCPP 2.0.1 B02, B03 (BootNotificationResponse.interval); OCPP 1.6 §4.2",
)

BOOT_TIME_IS_NOW = ExtraCheck(
    "CSC-BOOT-03",
    "BootNotificationResponse.currentTime is the CSMS's current time (OCPP 2.0.1 BootNotificationResponse, OCPP "
    "1.6 section 4.2, which recommends the station set its clock by it): within two minutes of now. A wrong "
    "time sets the station's clock wrong from its first message.",
    "OCPP 2.0.1 B01 (BootNotificationResponse.currentTime); OCPP 1.6 §4.2",
)
