"""Vendor-behaviour profiles: the loader, what ``shape`` keeps, and the quirks sets failing against a naive CSMS.

The naive CSMS is the reference CSMS patched in the test (tokens compared case-sensitively, a
meter value's unit ignored, a local time taken for UTC, the charger's start time replaced by the
time of arrival, a vendor's DataTransfer crashing its handler): the matching quirks case fails
and names the step, what it expected and what came.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from faults import assert_failed, patch_handler, run_cases
from hypothesis import given, settings
from hypothesis import strategies as st

from csmscheck.bundled import BundledCsms
from csmscheck.cli import main
from csmscheck.csms.router import ROUTES, Payload
from csmscheck.errors import ConfigError
from csmscheck.station.quirks import QuirksProfile, load_profile, load_profiles, profile_names
from csmscheck.station.quirks.model import Meter
from csmscheck.suite.sent_transactions import register_wh
from csmscheck.timestamps import parse_time

SHIPPED = profile_names()
REGISTER = "Energy.Active.Import.Register"


# -- the loader ----------------------------------------------------------------------------------


def test_five_documented_profiles_ship_and_load() -> None:
    assert len(SHIPPED) >= 5
    for name in SHIPPED:
        profile = load_profile(name)
        assert profile.name == name and profile.description.strip() and profile.ocpp


def test_the_shipped_profiles_cover_every_quirk_of_the_issue() -> None:
    profiles = [load_profile(name) for name in SHIPPED]
    assert any(p.meter.unit == "kWh" for p in profiles)
    assert any(p.meter.phases != "none" for p in profiles)
    assert any(p.meter.signed or (p.meter.export_wh or 0) < 0 for p in profiles)
    assert any(p.offline.transactions > 1 for p in profiles)
    assert any(p.data_transfer is not None for p in profiles)
    assert any(p.boot.retry_s for p in profiles)
    assert any(not p.time.milliseconds for p in profiles)
    assert any(p.time.zone or p.time.offset for p in profiles)
    assert any(p.tokens.case == "lower" for p in profiles)
    assert any(p.tokens.leading_zeros for p in profiles)
    assert any(p.status.repeat and "SuspendedEV" in p.status.session for p in profiles)


def _file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\ndescription = "my chargers"\nocpp = ["1.6"]\n' + text)
    return str(path)


@pytest.mark.parametrize(("text", "message"), [
    ("[meter]\nunits = 'kWh'\n", "quirks profile {path}: unknown key meter.units"),
    ("colour = 'red'\n", "quirks profile {path}: unknown key colour"),
    ("[meter]\nunit = 5\n", "quirks profile {path}: meter.unit: Input should be 'Wh' or 'kWh' (got 5)"),
    ("[boot]\nreboots = 'two'\n", "quirks profile {path}: boot.reboots: Input should be a valid integer (got 'two')"),
    ("[time]\nzone = 'Mars/Olympus'\n", "quirks profile {path}: time.zone: no time zone 'Mars/Olympus'"),
    ("[time]\nzone = 'Asia/Kolkata'\noffset = '+05:30'\n", "quirks profile {path}: time: give zone or offset"),
    ("[time]\noffset = '5:30'\n", "quirks profile {path}: time.offset: '5:30' is no UTC offset"),
    ("[status]\nsession = ['Preparing', 'Finishing']\n", "session: a session's statuses must include Charging"),
    ("[meter\n", "quirks profile {path}: not valid TOML"),
])
def test_a_bad_profile_file_is_one_line_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    assert message.format(path=path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_unknown_profile_name_lists_the_shipped_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown quirks profile 'vendor-x' \(shipped: chatty-boot, "):
        load_profile("vendor-x")
    with pytest.raises(ConfigError, match=r"quirks profile /nonexistent/x\.toml: cannot read it"):
        load_profile("/nonexistent/x.toml")


def test_all_is_every_shipped_profile_once_and_a_user_file_joins_them(tmp_path: Path) -> None:
    path = _file(tmp_path, "[tokens]\ncase = 'upper'\n")
    profiles = load_profiles(["all", "kwh-phases", path])
    assert [p.name for p in profiles] == [*SHIPPED, "mine"]
    twin = tmp_path / "twin.toml"
    twin.write_text(Path(path).read_text())
    with pytest.raises(ConfigError, match="quirks profile name 'mine' given twice"):
        load_profiles([path, str(twin)])


def test_the_cli_lists_the_profiles_and_refuses_an_unknown_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--quirks"]) == 0
    out = capsys.readouterr().out
    for name in SHIPPED:
        assert name in out
    assert main(["run", "--quirks", "vendor-x"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("csmscheck: error: unknown quirks profile 'vendor-x'") and "\n" not in err
    assert main(["run", "QK_03"]) == 2
    assert "QK_03 is a case of the quirks sets: run it with --quirks NAME" in capsys.readouterr().err


# -- what shape keeps ----------------------------------------------------------------------------


def _reading(version: str, wh: int) -> Payload:
    sample: Payload = {"value": str(wh) if version == "1.6" else wh, "context": "Sample.Periodic",
                       "measurand": REGISTER}
    sample |= {"unit": "Wh"} if version == "1.6" else {"unitOfMeasure": {"unit": "Wh"}}
    return {"connectorId": 1, "meterValue": [{"timestamp": "2026-11-29T10:00:00.123Z", "sampledValue": [sample]}]}


meters = st.builds(Meter, unit=st.sampled_from(["Wh", "kWh"]), phases=st.sampled_from(["none", "before", "after"]),
                   power_w=st.none() | st.floats(-50_000, 50_000, allow_nan=False),
                   export_wh=st.none() | st.floats(-1e6, 1e6, allow_nan=False), signed=st.booleans())


@settings(max_examples=300, deadline=None)
@given(version=st.sampled_from(["1.6", "2.0.1"]), wh=st.integers(0, 10**10), meter=meters)
def test_a_reshaped_meter_value_means_the_same_energy(version: str, wh: int, meter: Meter) -> None:
    profile = QuirksProfile(name="p", description="d", ocpp=(version,), meter=meter)
    original = _reading(version, wh)
    shaped = profile.shape(version, "MeterValues", original)
    samples = shaped["meterValue"][0]["sampledValue"]
    registers = [value for value in map(register_wh, samples) if value is not None]
    assert registers == [pytest.approx(wh, rel=1e-12, abs=1e-6)]  # the one total row, the same energy
    phases = [s for s in samples if s.get("phase")]
    if meter.phases != "none":
        scale = 1000 if meter.unit == "kWh" else 1
        assert sum(float(s["value"]) for s in phases) * scale == pytest.approx(wh, abs=0.003 * scale)
    assert original == _reading(version, wh)  # the input is left as it was


@settings(max_examples=300, deadline=None)
@given(moment=st.datetimes(datetime(2000, 1, 1), datetime(2090, 1, 1), timezones=st.just(UTC)),
       zone=st.sampled_from(["Asia/Kolkata", "America/St_Johns", "Europe/Berlin", "Pacific/Chatham", "UTC"]),
       milliseconds=st.booleans())
def test_a_reshaped_timestamp_names_the_same_instant_to_the_second(moment: datetime, zone: str,
                                                                   milliseconds: bool) -> None:
    profile = QuirksProfile.model_validate({"name": "p", "description": "d", "ocpp": ["2.0.1"],
                                            "time": {"zone": zone, "milliseconds": milliseconds}})
    written = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    shaped = profile.shape("2.0.1", "StatusNotification", {"timestamp": written})["timestamp"]
    assert shaped[-6] in "+-" or shaped.endswith("Z")
    difference = parse_time(written) - parse_time(shaped)
    assert timedelta(0) <= difference < (timedelta(milliseconds=1) if milliseconds else timedelta(seconds=1))


@given(token=st.text("0123456789ABCDEFabcdef-", min_size=1, max_size=20), case=st.sampled_from(["lower", "upper"]))
def test_a_reshaped_token_is_the_same_token_in_another_case(token: str, case: str) -> None:
    profile = QuirksProfile.model_validate({"name": "p", "description": "d", "ocpp": ["1.6", "2.0.1"],
                                            "tokens": {"case": case}})
    tag = profile.shape("1.6", "Authorize", {"idTag": token})["idTag"]
    id_token = profile.shape("2.0.1", "Authorize", {"idToken": {"idToken": token, "type": "ISO14443"}})["idToken"]
    assert tag.casefold() == token.casefold() == id_token["idToken"].casefold()
    assert tag == (token.lower() if case == "lower" else token.upper())


def test_a_profile_for_the_other_version_leaves_the_payload_as_it_was() -> None:
    profile = load_profile("kwh-phases").model_copy(update={"ocpp": ("1.6",)})
    payload = _reading("2.0.1", 1500)
    assert profile.shape("2.0.1", "MeterValues", payload) == payload


# -- the sets against the bundled CSMS and against a naive one -----------------------------------


def test_every_shipped_profiles_set_passes_against_the_bundled_csms(tmp_path: Path) -> None:
    assert main(["run", "--quirks", "all", "--report-dir", str(tmp_path)]) == 0
    results = (tmp_path / "results.json").read_text()
    for name in SHIPPED:
        assert f'"block":"quirks/{name}"' in results.replace(" ", "")


def test_a_profile_for_one_version_is_not_applicable_to_the_other(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                 tmp_path: Path) -> None:
    path = _file(tmp_path, "[tokens]\ncase = 'lower'\n")
    entries = run_cases(pytester, bundled, "QK_05", "QK16_05", quirks=[path])
    outcomes = {(e["id"], e["block"]): (e["outcome"], e["message"]) for e in entries}
    assert outcomes[("QK16_05", "quirks/mine")] == ("passed", "")
    assert outcomes[("QK_05", "quirks/mine")] == ("skipped", "not applicable: quirks profile mine is for OCPP 1.6 only")


def _naive_parse(value: str) -> datetime:
    """A naive CSMS's reading of a time: the wall-clock digits, taken for UTC (the offset ignored)."""
    return datetime.fromisoformat(value[:19]).replace(tzinfo=UTC)


def _patch_request(monkeypatch: pytest.MonkeyPatch, version: str, action: str, change: Any) -> None:
    """The CSMS reads each ``action`` request as ``change`` alters it."""
    real = ROUTES[version].handlers[action]  # type: ignore[index]

    async def naive(connection: Any, request: Payload) -> Payload:
        return await real(connection, change(dict(request)))  # type: ignore[no-any-return]

    monkeypatch.setitem(ROUTES[version].handlers, action, naive)  # type: ignore[index]


def test_a_csms_comparing_tokens_case_sensitively_fails_sloppy_tags(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    from csmscheck.csms.authorization import TokenVerdict, verdict_for
    from csmscheck.csms.handlers.v201 import authorize

    async def case_sensitive(store: Any, id_token: str) -> TokenVerdict:
        verdict = await verdict_for(store, id_token)
        known = await verdict_for(store, id_token.upper())
        return verdict if id_token == id_token.upper() or known.status == "Unknown" else TokenVerdict("Unknown")

    monkeypatch.setattr(authorize, "verdict_for", case_sensitive)
    (entry,) = run_cases(pytester, bundled, "QK_02", quirks=["sloppy-tags"])
    assert_failed(entry, "Step 3: Authorize ('CA", "a card UID, sent in lower case", "status: expected Accepted",
                  "(the CSMS knows 'CA", "; idTokens are case-insensitive; the charger wrote 'ca", "got 'Unknown'")


def test_a_csms_reading_leading_zero_tokens_as_numbers_fails_sloppy_tags(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    def as_number(request: Payload) -> Payload:
        tag = request["idTag"]
        return request | {"idTag": str(int(tag))} if tag.isdigit() else request

    _patch_request(monkeypatch, "1.6", "StartTransaction", as_number)
    (entry,) = run_cases(pytester, bundled, "QK16_02", quirks=["sloppy-tags"])
    assert_failed(entry, ": StartTransaction answer: idTagInfo.status: expected Accepted (the CSMS knows '0000",
                  "; a token is text: its leading zeros are part of it), got 'Invalid'")


def test_a_csms_ignoring_the_meter_unit_fails_kwh_phases(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    from csmscheck.csms import meter

    monkeypatch.setattr(meter, "normalise", lambda value, unit, multiplier=0: (value, unit))
    (entry,) = run_cases(pytester, bundled, "QK_03", quirks=["kwh-phases"])
    assert_failed(entry, "read back transaction", "energyWh: expected 3579 (the register went from 12000 to 15579 Wh, "
                  "however the charger wrote it), got ")


def test_a_csms_taking_local_time_for_utc_fails_local_time(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    from csmscheck.csms.handlers.v16 import core

    monkeypatch.setattr(core, "parse_time", _naive_parse)
    (entry,) = run_cases(pytester, bundled, "QK16_03", quirks=["local-time"])
    assert_failed(entry, "read back transaction", "startedAt: expected ", "(the instant the charger wrote in its own "
                  "way), got ")


def test_a_csms_stamping_arrival_instead_of_the_chargers_time_fails_offline_batch(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    arrival = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    _patch_request(monkeypatch, "1.6", "StartTransaction", lambda request: request | {"timestamp": arrival})
    (entry,) = run_cases(pytester, bundled, "QK16_04", quirks=["offline-batch"])
    assert_failed(entry, "(offline transaction 1 of 3): read back transaction", "startedAt: expected ",
                  f"got {arrival[:16]}")


def test_a_csms_failing_an_unknown_vendors_data_transfer_fails_chatty_boot(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(request: Payload, response: Payload) -> None:
        raise KeyError(request["vendorId"])  # the naive CSMS only knows its own vendors

    patch_handler(monkeypatch, "1.6", "DataTransfer", crash)
    (entry,) = run_cases(pytester, bundled, "QK16_05", quirks=["chatty-boot"])
    assert_failed(entry, "Step 3: DataTransfer (the vendor's): the CSMS answered CALLERROR")
