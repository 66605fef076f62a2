"""The OCPP 2.0.1 quirks set (QK_nn): each case runs once per vendor-behaviour profile given with
``--quirks`` (``csmscheck run --quirks NAME``); the steps are shared with 1.6
(:mod:`csmscheck.suite.quirks_steps`)."""

from __future__ import annotations

from csmscheck.suite import quirks_steps as steps
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.quirks_steps import pytest_generate_tests, vendor_fixture  # noqa: F401  (parametrises; fixture)

READBACK = "transaction_readback"


@octt("QK_01", reqs=["B01", "B04", "G01", "P01"])
async def test_qk_01(vendor: steps.Vendor) -> None:
    """Boot, reboots and statuses the vendor's way."""
    await steps.boot_and_status(vendor)


@octt("QK_02", reqs=["C01", "E01"], features=[READBACK])
async def test_qk_02(vendor: steps.Vendor, csms: Csms) -> None:
    """The vendor's idToken formats are authorized and kept as text."""
    await steps.authorization(vendor, csms)


@octt("QK_03", reqs=["E01", "J02", "I03"], features=[READBACK])
async def test_qk_03(vendor: steps.Vendor, csms: Csms) -> None:
    """A metered session the vendor's way: energy, instants and cost read back."""
    await steps.metered_session(vendor, csms)


@octt("QK_04", reqs=["E12", "J02.FR.19"], features=[READBACK])
async def test_qk_04(vendor: steps.Vendor, csms: Csms) -> None:
    """Offline transactions sent back to back on reconnect, each applied once."""
    await steps.offline_batch(vendor, csms)


@octt("QK_05", reqs=["P01"])
async def test_qk_05(vendor: steps.Vendor) -> None:
    """The vendor's DataTransfer is answered and the connection lives."""
    await steps.vendor_data_transfer(vendor)
