"""Proof that the monitoring and event cases of block N catch faults: a broken reference CSMS fails the matching case.

Each test breaks one piece of the in-process reference CSMS inside the test (monkeypatch, never
a product flag), runs one conformance case through pytest and checks that the results.json
message names the step and the difference (or, for a csmscheck check, that the case passes its
OCTT verdict with the finding and fails with ``--strict``).
"""

from __future__ import annotations

import pytest
from faults import alter_sent, assert_all_pass_strictly, caught, patch_handler
from faults201 import finding_not_failure

from csmscheck.bundled import BundledCsms
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.handlers.v201 import monitoring
from csmscheck.csms.router import ROUTES, OcppError, Payload
from csmscheck.wire.errors import ErrorCode

CASES = ["TC_N_01", "TC_N_02", "TC_N_03", "TC_N_05", "TC_N_08", "TC_N_09", "TC_N_16", "TC_N_17", "TC_N_18",
         "TC_N_21", "TC_N_24", "TC_N_44", "TC_N_47", "TC_N_48", "TC_N_49", "TC_N_50", "TC_N_60"]


def test_healthy_csms_passes_the_monitoring_cases_strictly(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    assert_all_pass_strictly(pytester, bundled, CASES)


# -- OCTT verdicts --------------------------------------------------------------------------


def test_another_monitoring_level_fails_tc_n_16(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "SetMonitoringLevel", lambda p: p.update(severity=5))
    caught(pytester, bundled, "TC_N_16", "Step 1: SetMonitoringLevelRequest", "severity: expected 4, got 5")


def test_another_monitor_type_fails_tc_n_08(pytester: pytest.Pytester, bundled: BundledCsms,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "SetVariableMonitoring", lambda p: p["setMonitoringData"][0].update(type="Periodic"))
    caught(pytester, bundled, "TC_N_08", "Step 1: SetVariableMonitoringRequest setMonitoringData[0]",
           'type: expected "Delta", got "Periodic"')


def test_report_without_the_criteria_fails_tc_n_01(pytester: pytest.Pytester, bundled: BundledCsms,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "GetMonitoringReport", lambda p: p.pop("monitoringCriteria", None))
    caught(pytester, bundled, "TC_N_01", "Step 1: GetMonitoringReportRequest", "monitoringCriteria: missing")


def test_clear_not_split_fails_tc_n_18(pytester: pytest.Pytester, bundled: BundledCsms,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES["2.0.1"].shapers, "ClearVariableMonitoring")
    caught(pytester, bundled, "TC_N_18", "Step 3: expected two or more ClearVariableMonitoringRequests of at most 2",
           "got 1 of [5] ids")


def test_report_parts_after_the_first_refused_fails_tc_n_47(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    real = monitoring.notify_monitoring_report

    async def first_part_only(connection: StationConnection, request: Payload) -> Payload:
        if request["seqNo"] > 0:
            raise OcppError(ErrorCode.INTERNAL_ERROR, "report parts after the first are dropped")
        return await real(connection, request)

    monkeypatch.setitem(ROUTES["2.0.1"].handlers, "NotifyMonitoringReport", first_part_only)
    caught(pytester, bundled, "TC_N_47", "Step 3/4: the CSMS answered NotifyMonitoringReportRequest (seqNo 1",
           "CALLERROR InternalError")


def test_non_empty_event_response_fails_tc_n_21(pytester: pytest.Pytester, bundled: BundledCsms,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "2.0.1", "NotifyEvent",
                  lambda _req, resp: resp.update(customData={"vendorId": "org.broken"}))
    caught(pytester, bundled, "TC_N_21", "Step 1/2: NotifyEventResponse: expected an empty body",
           '"vendorId":"org.broken"')


# -- csmscheck checks -----------------------------------------------------------------------


def test_out_of_range_level_sent_anyway_is_a_finding_of_tc_n_17(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ROUTES["2.0.1"].vetters, "SetMonitoringLevel", [])
    finding_not_failure(pytester, bundled, "TC_N_17", "CSC-201-N-01", "asked for monitoring level 10",
                        'sent SetMonitoringLevelRequest {"severity":10}')


def test_non_empty_event_response_is_a_finding_of_tc_n_48(pytester: pytest.Pytester, bundled: BundledCsms,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "2.0.1", "NotifyEvent",
                  lambda _req, resp: resp.update(customData={"vendorId": "org.broken"}))
    finding_not_failure(pytester, bundled, "TC_N_48", "CSC-201-N-03", "expected an empty body")


def test_clear_split_losing_an_id_is_a_finding_of_tc_n_18(pytester: pytest.Pytester, bundled: BundledCsms,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    real = monitoring.split_ids  # the shaper looks it up when it runs
    monkeypatch.setattr(monitoring, "split_ids", lambda request, items, size: real(
        request | {"id": request["id"][:-1]}, items, size))
    finding_not_failure(pytester, bundled, "TC_N_18", "CSC-201-N-04", "cleared ids [201, 202, 203, 204]")



def test_a_monitor_sent_twice_is_a_finding_of_tc_n_08(pytester: pytest.Pytester, bundled: BundledCsms,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    alter_sent(monkeypatch, "SetVariableMonitoring",
               lambda p: p["setMonitoringData"].append(dict(p["setMonitoringData"][0])))
    finding_not_failure(pytester, bundled, "TC_N_08", "CSC-201-N-02",
                        "setMonitoringData[1]: the same Delta monitor as an earlier element")
