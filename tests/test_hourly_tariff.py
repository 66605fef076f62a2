"""A tariff that charges for time as well as energy: the bundled CSMS bills every session for the time that really
passed (across midnight and both DST changes too, with events queued offline), and the suite expects just that."""

from __future__ import annotations

import pytest
from faults import assert_all_pass_strictly

from csmscheck.bundled import BundledCsms

E2E = [*(f"E2E_0{n}" for n in range(1, 10)), *(f"E2E16_{n:02d}" for n in range(1, 11))]
CC = [*(f"CC_E_0{n}" for n in range(1, 9)), "CC_I_01", "CC_I_02", "TC_I_01", "TC_I_02"]


def test_healthy_csms_with_an_hourly_price_passes(pytester: pytest.Pytester, bundled_hourly: BundledCsms) -> None:
    """Every end-to-end session, the CC transaction and cost cases and the OCTT cost cases (their csmscheck checks
    too), with a session fee and 1.20 per hour."""
    assert_all_pass_strictly(pytester, bundled_hourly, [*E2E, *CC])
