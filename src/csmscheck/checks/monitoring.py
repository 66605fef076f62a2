"""csmscheck checks of OCPP 2.0.1 monitoring (block N, N02-N08): monitors, level, base, reports and events.

Ids ``CSC-201-N-01`` to ``-19``; the log and customer information cases of block N use ``-20`` onwards.
Each is a finding beside the OCTT verdict.
"""

from __future__ import annotations

from csmscheck.checks import ExtraCheck

LEVEL_IN_RANGE = ExtraCheck(
    "CSC-201-N-01",
    "A monitoring level is a severity from 0 (Danger) to 9 (Debug): asked by its operator to set a level outside "
    "that range, the CSMS refuses the request itself rather than send a SetMonitoringLevelRequest every station "
    "must reject.",
    "OCPP 2.0.1 N05.FR.02; part 2 §3.77 (severity levels 0-9)",
)

MONITORS_WELL_FORMED = ExtraCheck(
    "CSC-201-N-02",
    "Every monitor of a SetVariableMonitoringRequest can be applied as meant: its severity is 0-9, a Delta "
    "monitor's value (the change that triggers it) is not negative, a Periodic or PeriodicClockAligned monitor's "
    "value (its interval in seconds) is above 0, and no monitor (type and severity on one variable) is asked twice "
    "in one request.",
    "OCPP 2.0.1 N04 (N04.FR.17); part 2 MonitorEnumType, SetMonitoringDataType",
)

EVENT_RESPONSE_EMPTY = ExtraCheck(
    "CSC-201-N-03",
    "The CSMS answers every NotifyEventRequest with an empty NotifyEventResponse, whatever the event: a write-only "
    "variable's empty actualValue, a cleared threshold, a periodic report.",
    "OCPP 2.0.1 N07.FR.03, N08.FR.02",
)

CLEARED_AS_ASKED = ExtraCheck(
    "CSC-201-N-04",
    "A ClearVariableMonitoring split over several requests (to stay within the station's ItemsPerMessage) still "
    "clears exactly the monitors asked: every id once, none added, none lost.",
    "OCPP 2.0.1 N06.FR.04, N06.FR.01",
)

CLEAR_LIMIT_READ = ExtraCheck(
    "CSC-201-N-05",
    "Where the CSMS reads the station's limit before a ClearVariableMonitoring, it asks for "
    "MonitoringCtrlr.ItemsPerMessage[ClearVariableMonitoring], the variable that limit is reported in.",
    "OCPP 2.0.1 N06.FR.04; part 2 MonitoringCtrlr (ItemsPerMessageClearVariableMonitoring)",
)
