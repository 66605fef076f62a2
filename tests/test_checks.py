"""The second verdict axis: the catalogue of csmscheck checks, and csmscheck's own cases."""

from __future__ import annotations

import re

import orjson
import pytest

from csmscheck.checks import all_checks
from csmscheck.cli import main
from csmscheck.suite.marks import octt, valid_selection_token

_CHECK_ID = re.compile(r"^CSC-(16|201)-[A-Z]+-\d{2}$|^CSC-[A-Z]+-\d{2}$")


def test_every_check_has_a_unique_id_a_basis_and_a_rationale() -> None:
    checks = all_checks()
    assert len({c.id for c in checks}) == len(checks) >= 20
    for check in checks:
        assert _CHECK_ID.match(check.id), check.id
        assert check.basis.strip() and len(check.rationale) > 40, check


def test_list_checks_prints_each_check_with_its_basis(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--checks"]) == 0
    out, err = capsys.readouterr()
    for check in all_checks():
        assert f"{check.id:<16} {check.basis}" in out
    assert f"{len(all_checks())} csmscheck checks" in err


def test_csmscheck_cases_have_ids_of_their_own() -> None:
    assert valid_selection_token("CC_B_01") and valid_selection_token("CC16_03")

    @octt("CC_E_03", reqs=["E01.FR.11"], features=["reservation"])
    async def extra_201() -> None:
        """A csmscheck case."""

    marker = extra_201.pytestmark[0]  # type: ignore[attr-defined]
    assert marker.kwargs | {"reqs": ()} == {"id": "CC_E_03", "version": "2.0.1", "block": "E", "reqs": (),
                                           "name": "A csmscheck case", "extra": True, "features": ("reservation",)}
    with pytest.raises(ValueError, match="need chapter"):
        octt("CC16_01")
    with pytest.raises(ValueError, match="features come from the capability catalogue"):
        octt("TC_B_01", features=["reservation"])


CASES = '''
from csmscheck.errors import StepFailed
from csmscheck.suite.marks import octt


@octt("CC_B_01")
async def test_extra() -> None:
    """A csmscheck case the CSMS fails."""
    raise StepFailed("Step 2: expected CALLERROR SecurityError, got a CALLRESULT {}")
'''


@pytest.mark.parametrize("strict", [False, True])
def test_a_failed_csmscheck_case_is_a_finding_unless_strict(pytester: pytest.Pytester, strict: bool) -> None:
    pytester.makepyfile(test_extra=CASES)
    report_dir = pytester.path / "report"
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "--csms-target", "ws://127.0.0.1:1", "--csms-trigger", "http://127.0.0.1:1",
        "--csms-report-dir", str(report_dir), *(["--csms-strict"] if strict else []),
        "-o", "asyncio_default_fixture_loop_scope=function")
    (entry,) = orjson.loads((report_dir / "results.json").read_bytes())["tests"]
    message = "Step 2: expected CALLERROR SecurityError, got a CALLRESULT {}"
    if strict:
        assert (entry["outcome"], entry["message"], result.ret) == ("failed", message, 1)
    else:
        assert (entry["outcome"], result.ret) == ("passed", 0)
        assert entry["findings"] == [{"check": "CC_B_01", "message": message}]
