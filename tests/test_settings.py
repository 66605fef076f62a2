"""Typed settings: defaults, TOML < environment < overrides, the original OCTT names, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from csmscheck.errors import ConfigError
from csmscheck.settings import ENV_NAMES, Settings, load_settings


def _load(toml: str | None = None, tmp_path: Path | None = None, env: dict[str, str] | None = None,
          **overrides: Any) -> Settings:
    config = None
    if toml is not None:
        assert tmp_path is not None
        config = tmp_path / "csmscheck.toml"
        config.write_text(toml)
    return load_settings(config, environ=env or {}, overrides=overrides)


def _error(toml: str | None = None, tmp_path: Path | None = None, env: dict[str, str] | None = None,
           **overrides: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        _load(toml, tmp_path, env, **overrides)
    message = str(caught.value)
    assert message, "a ConfigError needs a reason"
    assert "\n" not in message, f"the reason must be one line: {message!r}"
    return message


def test_defaults_match_the_original_suite() -> None:
    s = load_settings(None, environ={})
    assert s.target is None and s.trigger is None
    assert (s.cp201_sp1, s.cp201_sp2, s.cp201_sp3) == ("CP201_SP1", "CP202_SP2", "CP202_SP3")
    assert (s.cp16_sp1, s.cp16_sp3) == ("CP16_SP1", "CP16_SP3")
    assert s.basic_auth_password == "test1234"
    assert (s.valid_id_token, s.valid_id_token_type) == ("TAG-001", "ISO14443")
    assert s.invalid_id_token == "100000C02"
    assert s.blocked_id_token == "100000C06"
    assert s.expired_id_token == "100000C07"
    assert (s.evse_id, s.connector_id, s.connector_type) == (1, 1, "cType2")
    assert s.number_of_evses >= 2  # EVSE 2 exists for the master pass tests
    assert s.csms_action_timeout > 0
    assert s.manual is False


def test_defaults_equal_a_plain_settings_object() -> None:
    assert load_settings(None, environ={}) == Settings()


def test_station_ids_carry_version_and_profile() -> None:
    assert Settings().station_ids() == {
        "CP201_SP1": ("2.0.1", 1), "CP202_SP2": ("2.0.1", 2), "CP202_SP3": ("2.0.1", 3),
        "CP16_SP1": ("1.6", 1), "CP16_SP3": ("1.6", 3),
    }


def test_the_process_environment_is_used_when_none_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VALID_ID_TOKEN", "FROM-OS-ENV")
    assert load_settings().valid_id_token == "FROM-OS-ENV"


def test_toml_then_env_then_overrides(tmp_path: Path) -> None:
    toml = 'valid_id_token = "FROM-TOML"\ngroup_id = "G-TOML"\nevse_id = 2\nbasic_auth_password = "toml-pass"\n'
    env = {"VALID_ID_TOKEN": "FROM-ENV", "CONFIGURED_EVSE_ID": "3"}
    only_toml = _load(toml, tmp_path)
    assert (only_toml.valid_id_token, only_toml.group_id, only_toml.evse_id) == ("FROM-TOML", "G-TOML", 2)
    with_env = _load(toml, tmp_path, env)
    assert (with_env.valid_id_token, with_env.group_id, with_env.evse_id) == ("FROM-ENV", "G-TOML", 3)
    everything = _load(toml, tmp_path, env, valid_id_token="FROM-CLI", evse_id=None)
    assert everything.valid_id_token == "FROM-CLI"
    assert everything.evse_id == 3  # an override of None means "not given"
    assert everything.group_id == "G-TOML"
    assert everything.basic_auth_password == "toml-pass"
    assert everything.blocked_id_token == "100000C06"  # untouched default


def test_toml_csms_table_is_left_to_the_reference_csms(tmp_path: Path) -> None:
    s = _load('cp201_sp1 = "MY-CP"\n[csms]\nws_port = 9100\n', tmp_path)
    assert s.cp201_sp1 == "MY-CP"


@pytest.mark.parametrize(
    ("env_name", "field", "raw", "value"),
    [
        ("CSMS_ADDRESS", "target", "ws://10.0.0.5:9000/ocpp", "ws://10.0.0.5:9000/ocpp"),
        ("CSMS_TRIGGER_ADDRESS", "trigger", "http://127.0.0.1:5001", "http://127.0.0.1:5001"),
        ("CSMS_TRIGGER_ADDRESS", "trigger", "manual", "manual"),
        ("CP201_SP1", "cp201_sp1", "A-1", "A-1"),
        ("CP201_SP2", "cp201_sp2", "A-2", "A-2"),
        ("CP201_SP3", "cp201_sp3", "A-3", "A-3"),
        ("CP16_SP1", "cp16_sp1", "B-1", "B-1"),
        ("CP16_SP3", "cp16_sp3", "B-3", "B-3"),
        ("BASIC_AUTH_CP_PASSWORD", "basic_auth_password", "s3cr3t-pw", "s3cr3t-pw"),
        ("CONFIGURED_EVSE_ID", "evse_id", "2", 2),
        ("CONFIGURED_CONNECTOR_ID", "connector_id", "3", 3),
        ("CONFIGURED_CONNECTOR_TYPE", "connector_type", "cCCS2", "cCCS2"),
        ("VALID_ID_TOKEN", "valid_id_token", "04AA", "04AA"),
        ("VALID_ID_TOKEN_TYPE", "valid_id_token_type", "Central", "Central"),
        ("INVALID_ID_TOKEN", "invalid_id_token", "BAD-1", "BAD-1"),
        ("BLOCKED_ID_TOKEN", "blocked_id_token", "BLK-1", "BLK-1"),
        ("EXPIRED_ID_TOKEN", "expired_id_token", "EXP-1", "EXP-1"),
        ("MASTERPASS_ID_TOKEN", "masterpass_id_token", "MP-1", "MP-1"),
        ("MASTERPASS_GROUP_ID", "masterpass_group_id", "MPG", "MPG"),
        ("GROUP_ID", "group_id", "GRP", "GRP"),
        ("CSMS_ACTION_TIMEOUT", "csms_action_timeout", "2.5", 2.5),
        ("TRANSACTION_DURATION", "transaction_duration", "30", 30.0),
        ("CONFIGURED_SECURITY_PROFILE", "security_profile", "3", 3),
        ("CSMSCHECK_LOG_MESSAGES", "log_messages", "yes", True),
    ],
)
def test_original_environment_names(env_name: str, field: str, raw: str, value: Any) -> None:
    assert ENV_NAMES[field] == env_name
    settings = load_settings(None, environ={env_name: raw})
    assert getattr(settings, field) == value
    assert type(getattr(settings, field)) is type(value)


def test_manual_trigger() -> None:
    assert load_settings(None, environ={"CSMS_TRIGGER_ADDRESS": "manual"}).manual is True


def test_empty_optional_setting_means_unset() -> None:
    assert load_settings(None, environ={"CSMS_ADDRESS": ""}).target is None


def test_pki_dir_is_a_path() -> None:
    assert load_settings(None, environ={"CSMSCHECK_PKI_DIR": "/tmp/pki"}).pki_dir == Path("/tmp/pki")


# -- errors: one line, naming the setting -----------------------------------------------


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"CONFIGURED_EVSE_ID": "one"}, ("evse_id", "CONFIGURED_EVSE_ID", "'one'")),
        ({"CONFIGURED_CONNECTOR_ID": "1.5"}, ("connector_id", "CONFIGURED_CONNECTOR_ID")),
        ({"CONFIGURED_EVSE_ID": ""}, ("evse_id", "CONFIGURED_EVSE_ID")),
        ({"CSMS_ACTION_TIMEOUT": "soon"}, ("csms_action_timeout", "CSMS_ACTION_TIMEOUT")),
        ({"CSMS_ACTION_TIMEOUT": "0"}, ("csms_action_timeout", "CSMS_ACTION_TIMEOUT")),
        ({"CSMSCHECK_LOG_MESSAGES": "maybe"}, ("log_messages", "CSMSCHECK_LOG_MESSAGES")),
        ({"CONFIGURED_EVSE_ID": "0"}, ("evse_id", "CONFIGURED_EVSE_ID")),
        ({"CONFIGURED_SECURITY_PROFILE": "4"}, ("security_profile", "CONFIGURED_SECURITY_PROFILE")),
        ({"CSMS_ADDRESS": "http://csms.example.com/ocpp"}, ("target", "CSMS_ADDRESS")),
        ({"CSMS_ADDRESS": "localhost:9000"}, ("target", "CSMS_ADDRESS")),
        ({"CSMS_SP2_ADDRESS": "https://x/ocpp"}, ("target_sp2", "CSMS_SP2_ADDRESS")),
        ({"CSMS_TRIGGER_ADDRESS": "ftp://x"}, ("trigger", "CSMS_TRIGGER_ADDRESS")),
        ({"CSMS_TRIGGER_ADDRESS": "127.0.0.1:5001"}, ("trigger", "CSMS_TRIGGER_ADDRESS")),
    ],
)
def test_bad_environment_value_is_a_one_line_error_naming_the_setting(env: dict[str, str],
                                                                      names: tuple[str, ...]) -> None:
    message = _error(env=env)
    for name in names:
        assert name in message


def test_url_without_a_host_is_refused() -> None:
    message = _error(env={"CSMS_ADDRESS": "ws:///ocpp"})
    assert "CSMS_ADDRESS" in message


def test_bad_override_is_a_one_line_error() -> None:
    message = _error(evse_id="two")
    assert "evse_id" in message


@pytest.mark.parametrize(
    ("toml", "names"),
    [
        ('evse_id = "two"\n', ("evse_id", "CONFIGURED_EVSE_ID")),
        ("evse_id = true\n", ("evse_id",)),
        ("evse_id = 1.5\n", ("evse_id",)),
        ('evse_id = "a\\nb"\n', ("evse_id",)),
        ('target = "tcp://x"\n', ("target", "CSMS_ADDRESS")),
        ('valid_id_tokn = "TAG-001"\n', ("valid_id_tokn",)),
        ('[stations]\ncp = "x"\n', ("stations",)),
    ],
)
def test_bad_toml_value_or_key_is_a_one_line_error_naming_it(tmp_path: Path, toml: str,
                                                              names: tuple[str, ...]) -> None:
    message = _error(toml, tmp_path)
    for name in names:
        assert name in message


def test_toml_int_for_int_setting_is_fine(tmp_path: Path) -> None:
    assert _load("evse_id = 2\ncsms_action_timeout = 3\n", tmp_path).csms_action_timeout == 3.0


def test_missing_config_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as caught:
        load_settings(missing, environ={})
    message = str(caught.value)
    assert str(missing) in message
    assert "\n" not in message


def test_invalid_toml(tmp_path: Path) -> None:
    message = _error("valid_id_token = \nevse_id = [1,\n", tmp_path)
    assert str(tmp_path / "csmscheck.toml") in message
    assert "TOML" in message


def test_environment_error_wins_over_nothing_else_being_checked(tmp_path: Path) -> None:
    """A bad environment value is reported even when the TOML file sets the same field correctly."""
    message = _error("evse_id = 2\n", tmp_path, {"CONFIGURED_EVSE_ID": "x"})
    assert "CONFIGURED_EVSE_ID" in message


@pytest.mark.parametrize(("env", "named"), [
    ({"CONFIGURED_CHARGING_RATE_UNIT": "kW"}, "charging_rate_unit (CONFIGURED_CHARGING_RATE_UNIT) must be A or W"),
    ({"CONFIGURED_NUMBER_PHASES": "4"}, "number_phases (CONFIGURED_NUMBER_PHASES) must be 1, 2 or 3"),
    ({"CONFIGURED_EXPIRY_DATE_OFFSET": "-5"},
     "expiry_date_offset (CONFIGURED_EXPIRY_DATE_OFFSET) must not be negative"),
])
def test_bad_configured_1_6_values_are_refused(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(environ=env)
    assert named in str(refused.value) and "\n" not in str(refused.value)


def test_configured_1_6_values_come_from_the_original_names() -> None:
    settings = load_settings(environ={"CONFIGURED_FIRMWARE_LOCATION": "https://fw.example/x.bin",
                                      "CONFIGURED_STACK_LEVEL": "2", "CONFIGURED_CHARGING_RATE_UNIT": "W"})
    assert (settings.firmware_location, settings.stack_level, settings.charging_rate_unit) == (
        "https://fw.example/x.bin", 2, "W")
