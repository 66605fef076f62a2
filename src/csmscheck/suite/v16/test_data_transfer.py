"""Chapter 3.20: DataTransfer from the charge point to a vendor the Central System does not support."""

from __future__ import annotations

import warnings

from csmscheck.expect import assert_matches, one_of
from csmscheck.station import Station
from csmscheck.station.states import v16_extra as extra
from csmscheck.suite.marks import octt


@octt("TC_064", chapter="3.20")
async def test_tc_064(station: Station) -> None:
    """Data Transfer to a Central System."""
    response = await extra.confirm(station, "DataTransfer", {
        "vendorId": extra.UNKNOWN_VENDOR_ID, "messageId": "csmscheck-probe", "data": "hello"},
        "Step 2: DataTransfer.conf")
    if response.get("status") == "Accepted":
        # Allowed by the OCTT, but the vendor is to be warned: the CSMS accepted a vendor it cannot know.
        warnings.warn(f"TC_064 Step 2: the CSMS accepted a DataTransfer for unsupported vendor "
                      f"{extra.UNKNOWN_VENDOR_ID!r}", UserWarning, stacklevel=1)
        return
    assert_matches(response, {"status": one_of("Rejected", "UnknownMessageId", "UnknownVendorId")},
                   "Step 2: DataTransfer.conf")
