"""Capability profiles (PICS): the case catalogue, the feature mapping, the file, list and run."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import httpcore  # noqa: F401  (load it before pytester runs, which would drop a lazily loaded copy)
import orjson
import pytest

from csmscheck.cli import main
from csmscheck.errors import ConfigError
from csmscheck.settings import load_settings
from csmscheck.suite.capabilities import (
    CSMSCHECK_ONLY,
    FEATURES,
    FEATURES_BY_KEY,
    REQUIRES,
    Capabilities,
    features_of,
    load_capabilities,
)
from csmscheck.suite.catalogue import CATALOGUE, V16_CHAPTERS, V201_BLOCKS

ROOT = Path(__file__).resolve().parents[1]
V201_ID = re.compile(r"^TC_[A-P]_\d{2}$")
V16_ID = re.compile(r"^TC_\d{3}(_\d)?$")

# Case counts of the two test case documents: the 2.0.1 table of blocks, 75 cases of 1.6.
V201_COUNTS = {"A": 14, "B": 22, "C": 16, "D": 6, "E": 27, "F": 15, "G": 10, "H": 9, "I": 2, "J": 9,
               "K": 32, "L": 19, "M": 18, "N": 30, "O": 21, "P": 2}


# -- the catalogue: every case id of both documents ---------------------------------------


def test_catalogue_holds_every_case_of_both_documents() -> None:
    v201 = [c for c in CATALOGUE.values() if c.version == "2.0.1"]
    v16 = [c for c in CATALOGUE.values() if c.version == "1.6"]
    assert len(CATALOGUE) == 327 and len(v201) == 252 and len(v16) == 75
    assert {block: sum(c.block == block for c in v201) for block in V201_BLOCKS} == V201_COUNTS
    assert list(V16_CHAPTERS) == [f"3.{n}" for n in range(1, 22)]
    assert {c.id for c in v16} >= {"TC_001", "TC_004_1", "TC_043_5", "TC_061", "TC_087"}


def test_catalogue_ids_are_in_the_documents_id_style() -> None:
    for case in CATALOGUE.values():
        if case.version == "2.0.1":
            assert V201_ID.match(case.id) and case.id[3] == case.block, case
        else:
            assert V16_ID.match(case.id) and 1 <= int(case.id[3:6]) <= 87, case
    total = sum(len(numbers.split()) for numbers in [*V201_BLOCKS.values(), *V16_CHAPTERS.values()])
    assert total == len(CATALOGUE)  # no id listed twice


def test_every_implemented_case_is_catalogued_with_its_version_and_block(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    rows = [line.split()[:3] for line in capsys.readouterr().out.splitlines()]
    assert len(rows) > 150
    for case_id, version, block in rows:
        if case_id.startswith(("CC", "E2E", "QK")):
            continue  # csmscheck's own cases, end-to-end sessions, quirks sets: not OCTT's, so not in its catalogue
        assert case_id in CATALOGUE, case_id
        assert (CATALOGUE[case_id].version, CATALOGUE[case_id].block) == (version, block)


# -- the mapping --------------------------------------------------------------------------


def test_features_name_only_catalogued_cases_and_say_where_they_come_from() -> None:
    assert len(FEATURES_BY_KEY) == len(FEATURES)
    for feature in FEATURES:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", feature.key), feature.key
        assert feature.cases or feature.key in CSMSCHECK_ONLY, feature.key
        assert feature.cases <= CATALOGUE.keys(), feature.cases - CATALOGUE.keys()
        assert feature.title and feature.basis and "\n" not in feature.description
        assert set(feature.refs) <= {"1.6", "2.0.1"}
        for case in feature.cases:  # a reference for every OCPP version the feature gates
            assert CATALOGUE[case].version in feature.refs, (feature.key, case)


def test_mapping_covers_every_catalogued_case() -> None:
    assert REQUIRES.keys() == CATALOGUE.keys()
    gated = {case for case, features in REQUIRES.items() if features}
    assert gated == set().union(*(f.cases for f in FEATURES))


@pytest.mark.parametrize(("case", "keys"), [
    ("TC_B_01", set()),
    ("TC_E_01", set()),
    ("TC_004_1", set()),
    ("TC_B_14", {"summary_inventory"}),
    ("TC_H_01", {"reservation"}),
    ("TC_046", {"reservation"}),
    ("TC_A_13", {"mutual_tls", "iso15118"}),
    ("TC_C_50", {"iso15118", "ocsp"}),
    ("TC_C_40", {"local_auth_list"}),
    ("TC_K_02", {"smart_charging", "tx_profile_without_transaction"}),
    ("TC_055", {"remote_trigger", "unknown_id_requests"}),
    ("TC_080", {"security_extension", "firmware_management"}),
    ("TC_087", {"security_extension", "mutual_tls"}),
    ("TC_045_1", {"firmware_management"}),
    ("TC_N_63", {"customer_information", "customer_certificate"}),
    ("TC_P_02", set()),
])
def test_cases_and_their_features(case: str, keys: set[str]) -> None:
    assert {f.key for f in features_of(case)} == keys


def test_whole_blocks_and_profiles_are_gated() -> None:
    assert {f"TC_H_{n}" for n in V201_BLOCKS["H"].split()} == {
        c for c in FEATURES_BY_KEY["reservation"].cases if CATALOGUE[c].version == "2.0.1"}
    assert {f"TC_O_{n}" for n in V201_BLOCKS["O"].split()} == FEATURES_BY_KEY["display_messages"].cases
    assert {f"TC_{n}" for n in V16_CHAPTERS["3.21"].split()} == FEATURES_BY_KEY["security_extension"].cases


# -- not applicable: the reason -----------------------------------------------------------


def test_reason_names_the_feature_with_the_cases_ocpp_version() -> None:
    caps = Capabilities(frozenset({"smart_charging"}))
    assert caps.not_applicable_reason("TC_H_01", "2.0.1") == (
        "not applicable: the CSMS does not declare reservation (Reservation, OCPP 2.0.1 H)")
    assert caps.not_applicable_reason("TC_046", "1.6") == (
        "not applicable: the CSMS does not declare reservation (Reservation, OCPP 1.6 Reservation profile)")
    assert caps.not_applicable_reason("TC_K_01", "2.0.1") is None
    assert caps.not_applicable_reason("TC_B_01", "2.0.1") is None
    both = caps.not_applicable_reason("TC_C_50", "2.0.1")
    assert both is not None and "iso15118 (ISO 15118," in both and " and ocsp (OCSP," in both
    assert Capabilities.everything().not_applicable_reason("TC_C_50", "2.0.1") is None


# -- the capabilities file ----------------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "capabilities.toml"
    path.write_text(text)
    return path


def test_file_declares_the_features_set_true(tmp_path: Path) -> None:
    caps = load_capabilities(_write(tmp_path, "[features]\nreservation = true\nsmart_charging = false\n"))
    assert caps.declared == {"reservation"}
    assert [f.key for f in caps.missing("TC_K_01")] == ["smart_charging"]
    assert caps.missing("TC_H_01") == ()


def test_empty_file_declares_nothing(tmp_path: Path) -> None:
    caps = load_capabilities(_write(tmp_path, "# a CSMS with only the mandatory features\n"))
    assert caps.declared == frozenset()
    assert caps.missing("TC_B_01") == ()


@pytest.mark.parametrize(("text", "fragments"), [
    ("[features]\nreservations = true\n", ["unknown feature 'reservations'", "known: basic_auth, tls,", "reservation"]),
    ('[features]\nreservation = "yes"\n', ["feature reservation must be true or false, got 'yes'"]),
    ("[features]\nreservation = 1\n", ["feature reservation must be true or false, got 1"]),
    ("reservation = true\n", ["unknown key 'reservation'", "[features] table", "known features: basic_auth"]),
    ('features = "all"\n', ["'features' must be a table"]),
    ("[features\n", ["is not valid TOML"]),
])
def test_bad_file_is_a_one_line_error_naming_the_key(tmp_path: Path, text: str, fragments: list[str]) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_capabilities(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"capabilities file .*nope\.toml does not exist"):
        load_capabilities(tmp_path / "nope.toml")


def test_example_file_declares_every_feature_with_a_comment() -> None:
    example = ROOT / "capabilities.example.toml"
    assert load_capabilities(example) == Capabilities.everything()
    lines = example.read_text().splitlines()
    for feature in FEATURES:
        at = lines.index(f"{feature.key} = true")
        assert lines[at - 2] == f"# {feature.description}"


def test_readme_documents_every_feature() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "capabilities.example.toml" in readme and "--capabilities FILE" in readme
    for feature in FEATURES:
        assert f"| `{feature.key}` |" in readme, feature.key


def test_settings_take_the_file_from_toml_environment_or_cli(tmp_path: Path) -> None:
    config = tmp_path / "csmscheck.toml"
    config.write_text('capabilities = "from-toml.toml"\n')
    assert load_settings(config, environ={}).capabilities == Path("from-toml.toml")
    assert load_settings(None, environ={"CSMSCHECK_CAPABILITIES": "env.toml"}).capabilities == Path("env.toml")
    overridden = load_settings(None, environ={"CSMSCHECK_CAPABILITIES": "env.toml"}, overrides={"capabilities": "c"})
    assert overridden.capabilities == Path("c")
    assert load_settings(None, environ={}).capabilities is None


# -- csmscheck list / run -----------------------------------------------------------------


def test_list_shows_what_would_not_apply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "[features]\nsmart_charging = true\n")
    assert main(["list", "H", "1.6/3.19", "TC_B_01", "TC_B_14", "--capabilities", str(path)]) == 0
    out, err = capsys.readouterr()
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert lines["TC_H_01"].endswith("(n/a: reservation)")
    assert lines["TC_B_14"].endswith("(n/a: summary_inventory)")
    assert "n/a" not in lines["TC_B_01"] and "n/a" not in lines["TC_056"]
    octt_cases = [line for case, line in lines.items() if case.startswith("TC_")]  # csmscheck's CC_ cases listed too
    assert (len(octt_cases), sum("(n/a: " in line for line in octt_cases)) == (16, 10)
    total, not_applicable = len(lines), sum("(n/a: " in line for line in lines.values())
    assert err.strip() == f"{total} test cases: {total - not_applicable} applicable, {not_applicable} not applicable"


def test_list_and_run_refuse_a_bad_file_before_anything_runs(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "[features]\nplug_and_charge = true\n")
    for command in ("list", "run"):
        assert main([command, "TC_B_01", "--capabilities", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "unknown feature 'plug_and_charge'" in err and "iso15118" in err
    assert main(["run", "TC_B_01", "--capabilities", str(tmp_path / "nope.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_run_reports_undeclared_features_cases_as_not_applicable(tmp_path: Path) -> None:
    _write(tmp_path, "[features]\nreservation = false\nsmart_charging = true\n")
    done = subprocess.run(
        [sys.executable, "-m", "csmscheck", "run", "TC_H_01", "TC_046", "TC_056", "TC_B_01",
         "--capabilities", "capabilities.toml", "--report-dir", "out"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"N/A\s+TC_H_01 .*does not declare reservation", done.stdout)
    assert "PASS TC_056" in done.stdout and "PASS TC_B_01" in done.stdout
    results = orjson.loads((tmp_path / "out" / "results.json").read_bytes())
    tests = {t["id"]: t for t in results["tests"]}
    assert results["summary"] == {**results["summary"], "passed": 2, "failed": 0, "skipped": 2}
    assert tests["TC_H_01"]["outcome"] == "skipped"
    assert tests["TC_H_01"]["message"] == (
        "not applicable: the CSMS does not declare reservation (Reservation, OCPP 2.0.1 H)")
    assert tests["TC_046"]["message"] == (
        "not applicable: the CSMS does not declare reservation (Reservation, OCPP 1.6 Reservation profile)")
    assert tests["TC_056"]["outcome"] == "passed"  # a declared feature's cases run
    junit = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    skipped = {case.get("name", "").split()[0]: case.find("skipped") for case in junit.iter("testcase")}
    assert skipped["TC_056"] is None and skipped["TC_B_01"] is None
    node = skipped["TC_H_01"]
    assert node is not None and "does not declare reservation" in node.get("message", "")
    assert "does not declare reservation" in (tmp_path / "out" / "report.html").read_text()


def test_not_applicable_case_runs_no_fixture(pytester: pytest.Pytester) -> None:
    """Skipped at collection: no station connects (the target here is unreachable, the trigger too)."""
    (pytester.path / "caps.toml").write_text("[features]\n")
    pytester.runpytest_inprocess(
        "--pyargs", "csmscheck.suite", "-p", "no:cacheprovider", "--csms-select", "TC_H_01",
        "--csms-select", "TC_042_1", "--csms-target", "ws://127.0.0.1:9", "--csms-trigger", "http://127.0.0.1:9",
        "--csms-capabilities", str(pytester.path / "caps.toml"), "--csms-report-dir", str(pytester.path / "out"),
        "-o", "asyncio_default_fixture_loop_scope=function",
    )
    results = orjson.loads((pytester.path / "out" / "results.json").read_bytes())
    assert [(t["id"], t["outcome"]) for t in results["tests"]] == [("TC_H_01", "skipped"), ("TC_042_1", "skipped")]
    assert "does not declare local_auth_list (Local authorization list, OCPP 1.6 Local Auth List Management " \
           "profile)" in results["tests"][1]["message"]
