"""Chapter 3.20: DataTransfer from the charge point to a vendor the Central System does not support."""

from __future__ import annotations

from csmscheck.checks import v16 as checks
from csmscheck.expect import assert_matches, one_of
from csmscheck.station import Station
from csmscheck.station.states import v16 as states
from csmscheck.station.states import v16_extra as extra
from csmscheck.suite.marks import octt


@octt("TC_064", chapter="3.20")
async def test_tc_064(station: Station) -> None:
    """Data Transfer to a Central System."""
    response = await extra.confirm(station, "DataTransfer", {
        "vendorId": extra.UNKNOWN_VENDOR_ID, "messageId": "csmscheck-probe", "data": "hello"},
        "Step 2: DataTransfer.conf")
    # The OCTT allows Accepted too, but the vendor is to be warned: a finding, with the other
    # statuses the specification does not give an unknown vendor.
    assert_matches(response, {"status": one_of("Rejected", "UnknownMessageId", "UnknownVendorId", "Accepted")},
                   "Step 2: DataTransfer.conf")
    station.findings.check(checks.UNKNOWN_VENDOR, response["status"] == "UnknownVendorId",
                           f"Step 2: DataTransfer.conf: expected status UnknownVendorId for vendorId "
                           f"{extra.UNKNOWN_VENDOR_ID}, which the Central System cannot know, got "
                           f"{states.shown(response, 'status')}")
