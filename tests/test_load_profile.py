"""Load profiles: built-ins, files, and every wrong setting named in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from csmscheck.load.profile import BUILT_IN, load_profile


def test_the_built_in_profiles_name_their_scenarios() -> None:
    assert {name: profile.scenario for name, profile in BUILT_IN.items()} == {
        "steady": "steady", "boot-storm": "boot-storm", "reconnect-storm": "reconnect-storm", "soak": "soak"}
    assert not load_profile("boot-storm").sessions.enabled
    assert load_profile("soak").network.drop_every_s > 0


def test_a_profile_file_overrides_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "fleet.toml"
    path.write_text('scenario = "soak"\nocpp = "mixed"\nconnectors = 2\n'
                    '[sessions]\nmeter_interval_s = 2\nduration_s = [5, 10]\nstop_reasons = ["Local"]\n'
                    '[network]\ndrop_every_s = 30\n')
    profile = load_profile(str(path))
    assert (profile.name, profile.scenario, profile.ocpp, profile.connectors) == ("fleet", "soak", "mixed", 2)
    assert profile.sessions.meter_interval_s == 2.0
    assert profile.sessions.duration_s == (5.0, 10.0)
    assert profile.sessions.stop_reasons == ("Local",)
    assert profile.sessions.authorize  # not named: the default
    assert profile.network.drop_every_s == 30.0


def test_mixed_runs_the_first_half_on_2_0_1_and_the_second_on_1_6(tmp_path: Path) -> None:
    path = tmp_path / "mixed.toml"
    path.write_text('ocpp = "mixed"\n')
    profile = load_profile(str(path))
    assert [profile.version_of(n, 5) for n in range(5)] == ["2.0.1", "2.0.1", "2.0.1", "1.6", "1.6"]


@pytest.mark.parametrize(("text", "named"), [
    ('scenario = "storm"', "scenario"),
    ('ocpp = "2.1"', "ocpp"),
    ("connectors = 0", "connectors"),
    ("connectors = true", "connectors"),
    ("heartbeat_s = -1", "heartbeat_s"),
    ('colour = "red"', "colour"),
    ("[sessions]\nduration_s = [10, 5]", "sessions.duration_s"),
    ("[sessions]\nduration_s = 10", "sessions.duration_s"),
    ("[sessions]\nmeter_interval_s = 0", "sessions.meter_interval_s"),
    ('[sessions]\nstop_reasons = ["Bored"]', "sessions.stop_reasons"),
    ("[network]\nreconnect_window_s = \"soon\"", "network.reconnect_window_s"),
    ("sessions = 3", "sessions"),
    ("message_timeout_s = 0", "message_timeout_s"),
])
def test_a_wrong_setting_is_named_in_one_line(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n")
    with pytest.raises(ValueError, match=named.replace(".", r"\.")) as raised:
        load_profile(str(path))
    assert "\n" not in str(raised.value)


def test_an_unknown_profile_name_or_unreadable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="neither a built-in profile"):
        load_profile("sunny")
    with pytest.raises(ValueError, match="cannot read"):
        load_profile(str(tmp_path / "missing.toml"))
    broken = tmp_path / "broken.toml"
    broken.write_text("scenario = \n")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_profile(str(broken))
