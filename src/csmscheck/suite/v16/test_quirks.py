"""The OCPP 1.6 quirks set (QK16_nn): each case runs once per vendor-behaviour profile given with
``--quirks`` (``csmscheck run --quirks NAME``); the steps are shared with 2.0.1
(:mod:`csmscheck.suite.quirks_steps`)."""

from __future__ import annotations

from csmscheck.suite import quirks_steps as steps
from csmscheck.suite.marks import octt
from csmscheck.suite.operator import Csms
from csmscheck.suite.quirks_steps import pytest_generate_tests, vendor_fixture  # noqa: F401  (parametrises; fixture)

READBACK = "transaction_readback"


@octt("QK16_01", reqs=["OCPP 1.6 §4.2", "OCPP 1.6 §4.6", "OCPP 1.6 §4.9"])
async def test_qk16_01(vendor: steps.Vendor) -> None:
    """Boot, reboots and statuses the vendor's way."""
    await steps.boot_and_status(vendor)


@octt("QK16_02", reqs=["OCPP 1.6 §4.1", "OCPP 1.6 §4.8"], features=[READBACK])
async def test_qk16_02(vendor: steps.Vendor, csms: Csms) -> None:
    """The vendor's idToken formats are authorized and kept as text."""
    await steps.authorization(vendor, csms)


@octt("QK16_03", reqs=["OCPP 1.6 §4.7", "OCPP 1.6 §4.10"], features=[READBACK])
async def test_qk16_03(vendor: steps.Vendor, csms: Csms) -> None:
    """A metered session the vendor's way: energy, instants and cost read back."""
    await steps.metered_session(vendor, csms)


@octt("QK16_04", reqs=["OCPP 1.6 §4.8", "OCPP 1.6 §4.10"], features=[READBACK])
async def test_qk16_04(vendor: steps.Vendor, csms: Csms) -> None:
    """Offline transactions sent back to back on reconnect, each applied once."""
    await steps.offline_batch(vendor, csms)


@octt("QK16_05", reqs=["OCPP 1.6 §4.3"])
async def test_qk16_05(vendor: steps.Vendor) -> None:
    """The vendor's DataTransfer is answered and the connection lives."""
    await steps.vendor_data_transfer(vendor)
