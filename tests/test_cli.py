"""The csmscheck command as a user runs it: exit codes, one-line errors, reports."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from csmscheck.cli import main


def csmscheck(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "csmscheck", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False, env=os.environ | (env or {}))


def test_run_against_bundled_csms_writes_reports(tmp_path: Path) -> None:
    done = csmscheck("run", "TC_B_01", "TC_B_20", "--report-dir", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS TC_B_01" in done.stdout and "csmscheck summary" in done.stdout
    results = orjson.loads((tmp_path / "out" / "results.json").read_bytes())
    assert results["summary"]["passed"] == 2 and results["summary"]["failed"] == 0
    assert [t["id"] for t in results["tests"]] == ["TC_B_01", "TC_B_20"]
    html = (tmp_path / "out" / "report.html").read_text()
    assert html.count("sequenceDiagram") >= 2 and "BootNotification" in html
    assert (tmp_path / "out" / "junit.xml").read_text().count("<testcase") == 2


def test_unreachable_target_fails_fast(capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    code = main(["run", "--target", "ws://127.0.0.1:1", "--trigger", "http://127.0.0.1:1"])
    err = capsys.readouterr().err
    assert code == 2
    assert time.monotonic() - started < 5
    assert err.count("\n") == 1 and "cannot reach the CSMS at ws://127.0.0.1:1" in err


def test_target_without_trigger_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--target", "ws://127.0.0.1:1"]) == 2
    assert "trigger" in capsys.readouterr().err


@pytest.mark.parametrize(("content", "named"), [
    ("no_such_setting = 1", "unknown setting 'no_such_setting'"),
    ('evse_id = "one"', "evse_id (CONFIGURED_EVSE_ID) must be int"),
    ("target = [", "not valid TOML"),
    ('target = "http://x"', "target (CSMS_ADDRESS) must be a ws:// or wss:// URL"),
    ('valid_id_token_type = "RFID"', "valid_id_token_type (VALID_ID_TOKEN_TYPE) must be one of Central, eMAID"),
    (f'valid_id_token = "{"0" * 37}"', "valid_id_token (VALID_ID_TOKEN) must be at most 36 characters"),
])
def test_bad_config_exits_2_naming_the_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               content: str, named: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(content)
    assert main(["run", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert named in err and err.count("\n") == 1


def test_missing_config_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--config", "/nonexistent/csmscheck.toml"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_unknown_selection_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "TC_Q_99"]) == 2
    assert "unknown selection 'TC_Q_99'" in capsys.readouterr().err


def test_list_names_every_selected_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "B", "TC_001"]) == 0
    lines = capsys.readouterr().out.splitlines()
    ids = [line.split()[0] for line in lines if line.startswith("TC_")]  # csmscheck's own CC_B_nn are in B too
    assert len(ids) == 23 and "TC_B_58" in ids and "TC_001" in ids
    assert ["TC_B_01", "2.0.1", "B"] in [line.split()[:3] for line in lines]
    assert ["TC_001", "1.6", "3.1"] in [line.split()[:3] for line in lines]


def test_certs_writes_a_pki(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["certs", str(tmp_path / "pki")]) == 0
    written = {Path(line).name for line in capsys.readouterr().out.split()}
    assert {"ca.pem", "server-rsa.pem", "server-ecdsa.pem", "client-CP202_SP3.pem", "client-CP16_SP3.pem",
            "invalid-client.pem"} <= written


def test_log_messages_prints_every_frame(tmp_path: Path) -> None:
    done = csmscheck("run", "TC_B_01", "--log-messages", "--report-dir", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CP201_SP1 → CSMS [2," in done.stdout and '"BootNotification"' in done.stdout
    assert "CP201_SP1 ← CSMS [3," in done.stdout


def test_certs_names_extra_hosts_in_the_server_certificates(tmp_path: Path) -> None:
    from cryptography import x509

    assert main(["certs", str(tmp_path / "pki"), "--host", "csms.example.test", "--host", "10.0.0.7"]) == 0
    certificate = x509.load_pem_x509_certificate((tmp_path / "pki" / "server-rsa.pem").read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost", "csms.example.test"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "10.0.0.7"]


def test_a_setting_warning_is_one_line_printed_once_before_the_run(tmp_path: Path) -> None:
    """The original suite's token still runs (the bundled CSMS seeds it); the user is told once what is wrong."""
    done = csmscheck("run", "TC_B_01", "TC_001", "TC_C_02", cwd=tmp_path, env={"VALID_ID_TOKEN": "TAG-001"})
    assert done.returncode == 0, done.stdout + done.stderr
    output = done.stdout + done.stderr
    assert output.count("VALID_ID_TOKEN") == 1
    [line] = [line for line in done.stderr.splitlines() if "VALID_ID_TOKEN" in line]
    assert line.startswith("csmscheck: warning: setting valid_id_token (VALID_ID_TOKEN) should be an ISO14443 UID")
    assert "got 'TAG-001'" in line


def test_pytest_reports_a_setting_warning_once(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as a pytest plugin, the warning lands once in pytest's warnings summary."""
    monkeypatch.setenv("BLOCKED_ID_TOKEN", "BLOCKED-1")
    result = pytester.runpytest_subprocess("--pyargs", "csmscheck.suite", "--csms-select", "TC_B_01", "-p",
                                           "no:cacheprovider", "-o", "asyncio_default_fixture_loop_scope=function")
    result.assert_outcomes(passed=1, warnings=1)
    assert result.stdout.str().count("setting blocked_id_token (BLOCKED_ID_TOKEN) should be an ISO14443 UID") == 1


def _collected(pytester: pytest.Pytester, *options: str) -> list[str]:
    result = pytester.runpytest_subprocess("--pyargs", "csmscheck.suite", "--collect-only", "-q", "-p",
                                           "no:cacheprovider", "--csms-select", "D", "--csms-select", "G", *options)
    return [line for line in result.stdout.lines if "::" in line]


def test_shuffle_runs_the_cases_in_an_order_its_seed_repeats(pytester: pytest.Pytester) -> None:
    octt_order = _collected(pytester)
    shuffled = _collected(pytester, "--csms-shuffle", "7")
    assert sorted(shuffled) == sorted(octt_order) and shuffled != octt_order
    assert _collected(pytester, "--csms-shuffle", "7") == shuffled
    assert _collected(pytester, "--csms-shuffle", "8") != shuffled


def test_run_shuffle_without_a_seed_prints_the_seed_it_drew(tmp_path: Path) -> None:
    done = csmscheck("run", "TC_B_01", "TC_B_20", "--shuffle", "--report-dir", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cases in a random order, seed " in done.stdout and "--shuffle " in done.stdout
