"""Typed settings: defaults, TOML < environment < overrides, the original OCTT names, errors."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from csmscheck import idtokens
from csmscheck.errors import ConfigError
from csmscheck.settings import (
    ENV_NAMES,
    ID_TAG_SETTINGS,
    ID_TOKEN_SETTINGS,
    Settings,
    SettingWarning,
    load_settings,
    setting_warnings,
)


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


def test_defaults() -> None:
    """The original suite's, except where its values break OCPP (README: "Differences ... defaults")."""
    s = load_settings(None, environ={})
    assert s.target is None and s.trigger is None
    assert (s.cp201_sp1, s.cp201_sp2, s.cp201_sp3) == ("CP201_SP1", "CP202_SP2", "CP202_SP3")
    assert (s.cp16_sp1, s.cp16_sp3) == ("CP16_SP1", "CP16_SP3")
    assert s.basic_auth_password == "0123456789abcdef0123456789abcdef"
    assert (s.valid_id_token, s.valid_id_token_type) == ("A0000001", "ISO14443")
    assert (s.valid_id_token_2, s.valid_id_token_type_2) == ("A0000002", "ISO14443")
    assert s.invalid_id_token == "00000C02"
    assert s.blocked_id_token == "B0000C06"
    assert s.expired_id_token == "E0000C07"
    assert (s.masterpass_id_token, s.masterpass_group_id, s.group_id) == ("FF000001", "MASTERGROUP", "GROUP-001")
    assert s.contract_emaid == "NLCSMC00000001X"
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


@pytest.mark.filterwarnings("ignore::csmscheck.settings.SettingWarning")  # a placeholder token
def test_the_process_environment_is_used_when_none_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VALID_ID_TOKEN", "FROM-OS-ENV")
    assert load_settings().valid_id_token == "FROM-OS-ENV"


@pytest.mark.filterwarnings("ignore::csmscheck.settings.SettingWarning")  # placeholder tokens
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
    assert everything.blocked_id_token == "B0000C06"  # untouched default


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
        ("BASIC_AUTH_CP_PASSWORD", "basic_auth_password", "00112233445566778899aabbccddeeff",
         "00112233445566778899aabbccddeeff"),
        ("CONFIGURED_EVSE_ID", "evse_id", "2", 2),
        ("CONFIGURED_CONNECTOR_ID", "connector_id", "3", 3),
        ("CONFIGURED_CONNECTOR_TYPE", "connector_type", "cCCS2", "cCCS2"),
        ("VALID_ID_TOKEN", "valid_id_token", "04A1B2C3", "04A1B2C3"),
        ("VALID_ID_TOKEN_TYPE", "valid_id_token_type", "Central", "Central"),
        ("INVALID_ID_TOKEN", "invalid_id_token", "0BAD0001", "0BAD0001"),
        ("BLOCKED_ID_TOKEN", "blocked_id_token", "B1000001", "B1000001"),
        ("EXPIRED_ID_TOKEN", "expired_id_token", "E1000001", "E1000001"),
        ("MASTERPASS_ID_TOKEN", "masterpass_id_token", "FF000002", "FF000002"),
        ("MASTERPASS_GROUP_ID", "masterpass_group_id", "MPG", "MPG"),
        ("GROUP_ID", "group_id", "GRP", "GRP"),
        ("CSMS_ACTION_TIMEOUT", "csms_action_timeout", "2.5", 2.5),
        ("TRANSACTION_DURATION", "transaction_duration", "30", 30.0),
        ("CONFIGURED_SECURITY_PROFILE", "security_profile", "3", 3),
        ("CSMSCHECK_LOG_MESSAGES", "log_messages", "yes", True),
        ("CSMSCHECK_TARIFF_PRICE_PER_HOUR", "tariff_price_per_hour", "1.2", 1.2),
    ],
)
@pytest.mark.filterwarnings("error::csmscheck.settings.SettingWarning")
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
        ({"CSMSCHECK_TARIFF_PRICE_PER_HOUR": "-1.2"}, ("tariff_price_per_hour", "CSMSCHECK_TARIFF_PRICE_PER_HOUR",
                                                       "non-negative amount, got -1.2")),
        ({"CSMSCHECK_TARIFF_PRICE_PER_HOUR": "inf"}, ("tariff_price_per_hour", "got inf")),
        ({"CSMSCHECK_TARIFF_PRICE_PER_HOUR": "nan"}, ("tariff_price_per_hour", "got nan")),
        ({"CSMSCHECK_TARIFF_SESSION_FEE": "-0.5"}, ("tariff_session_fee", "CSMSCHECK_TARIFF_SESSION_FEE")),
        ({"CSMSCHECK_TARIFF_PRICE_PER_KWH": "-0.25"}, ("tariff_price_per_kwh", "CSMSCHECK_TARIFF_PRICE_PER_KWH")),
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
        ('valid_id_tokn = "A0000001"\n', ("valid_id_tokn",)),
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


# -- OCPP's rules for identifiers and passwords: defaults, warnings, errors -------------------

# The original OCTT suite's defaults csmscheck no longer uses (README: "Differences ... defaults").
ORIGINAL_DEFAULTS = {
    "VALID_ID_TOKEN": "TAG-001", "VALID_ID_TOKEN_2": "TAG-002", "INVALID_ID_TOKEN": "100000C02",
    "BLOCKED_ID_TOKEN": "100000C06", "EXPIRED_ID_TOKEN": "100000C07", "MASTERPASS_ID_TOKEN": "MASTER-001",
    "CONTRACT_CERT_EMAID": "NLCSMC000000001", "BASIC_AUTH_CP_PASSWORD": "test1234",
}


def _loaded(env: dict[str, str]) -> tuple[Settings, list[str]]:
    """The settings from ``env`` and the SettingWarnings loading them raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SettingWarning)
        settings = load_settings(None, environ=env)
    # Only SettingWarnings count: a ResourceWarning of an earlier test's garbage may land here too.
    return settings, [str(w.message) for w in caught if issubclass(w.category, SettingWarning)]


def _warnings(env: dict[str, str]) -> list[str]:
    return _loaded(env)[1]


def test_every_default_keeps_its_ocpp_rule() -> None:
    """Each default token, type, group, eMAID and the password is valid for what it is."""
    s = Settings()
    for name, kind in ID_TOKEN_SETTINGS.items():
        type_ = getattr(s, kind) if kind in ENV_NAMES else kind
        assert idtokens.id_token_type_problem(type_) is None, kind
        assert idtokens.id_token_problem(getattr(s, name), type_) is None, name
    for name in ID_TAG_SETTINGS:
        assert idtokens.id_tag_problem(getattr(s, name)) is None, name
    assert idtokens.basic_auth_password_problem(s.basic_auth_password) is None
    assert idtokens.authorization_key_problem(s.basic_auth_password) is None
    emaid = idtokens.parse_emaid(s.contract_emaid)
    assert emaid is not None and emaid.check == idtokens.emaid_check_digit(emaid.body)
    assert setting_warnings(s) == []
    assert _warnings({}) == []


def test_default_tokens_are_distinct() -> None:
    tokens = [getattr(Settings(), name) for name in ID_TOKEN_SETTINGS]
    assert len({token.upper() for token in tokens}) == len(tokens)  # idTokens are case-insensitive


def test_the_original_defaults_still_load_with_a_warning_naming_each() -> None:
    """A CSMS seeded with them keeps working; each of them breaks a rule, and the user is told which."""
    settings, messages = _loaded(ORIGINAL_DEFAULTS)
    assert settings.valid_id_token == "TAG-001" and settings.basic_auth_password == "test1234"
    for env_name in ORIGINAL_DEFAULTS:
        assert any(f"({env_name}) should be" in m for m in messages), env_name
    assert len(messages) == len(ORIGINAL_DEFAULTS) + 1  # test1234 breaks the 2.0.1 and the 1.6 rule
    assert all("\n" not in m for m in messages)
    assert not any("test1234" in m for m in messages)  # a password is never printed


@pytest.mark.parametrize(("env", "named", "rule"), [
    ({"VALID_ID_TOKEN": "TAG-001"}, "valid_id_token (VALID_ID_TOKEN)", "8 or 14 hex digits"),
    ({"VALID_ID_TOKEN_TYPE_2": "ISO15693"}, "valid_id_token_2 (VALID_ID_TOKEN_2)", "16 hex digits"),
    ({"CONTRACT_CERT_EMAID": "NLCSMC000000001"}, "contract_emaid (CONTRACT_CERT_EMAID)", "NLCSMC00000000 takes R"),
    ({"CONTRACT_CERT_EMAID": "NL-CSM-0001"}, "contract_emaid (CONTRACT_CERT_EMAID)", "an eMAID"),
    ({"INVALID_ID_TOKEN_TYPE": "Central", "INVALID_ID_TOKEN": "not known"}, "invalid_id_token (INVALID_ID_TOKEN)",
     "identifierString"),
    ({"MASTERPASS_ID_TOKEN_TYPE": "NoAuthorization"}, "masterpass_id_token (MASTERPASS_ID_TOKEN)", "empty"),
    ({"GROUP_ID": "G" * 21}, "group_id (GROUP_ID)", "at most 20 characters (OCPP 1.6 idTag)"),
    ({"VALID_ID_TOKEN_TYPE": "Central", "VALID_ID_TOKEN": "123e4567-e89b-12d3-a456-426614174000"},
     "valid_id_token (VALID_ID_TOKEN)", "at most 20 characters (OCPP 1.6 idTag)"),
    ({"BASIC_AUTH_CP_PASSWORD": "0123456789abcdef"}, "basic_auth_password (BASIC_AUTH_CP_PASSWORD)",
     "32 to 40 hex digits (OCPP 1.6 security extension AuthorizationKey)"),
    ({"BASIC_AUTH_CP_PASSWORD": "a-passphrase-not-hex"}, "basic_auth_password (BASIC_AUTH_CP_PASSWORD)",
     "AuthorizationKey"),
    ({"CONFIGURED_VENDOR_NAME": "v" * 21}, "vendor_name (CONFIGURED_VENDOR_NAME)", "OCPP 1.6 BootNotification"),
])
def test_a_doubtful_user_value_is_one_warning_line_naming_setting_and_rule(env: dict[str, str], named: str,
                                                                            rule: str) -> None:
    messages = _warnings(env)
    assert len(messages) == 1, messages
    assert messages[0].startswith(f"setting {named} should be ") and rule in messages[0]
    assert "\n" not in messages[0]
    if "BASIC_AUTH_CP_PASSWORD" in env:
        assert env["BASIC_AUTH_CP_PASSWORD"] not in messages[0]


def test_a_password_can_break_both_versions_rules_one_line_each() -> None:
    messages = _warnings({"BASIC_AUTH_CP_PASSWORD": "0123456789abcdef0123456789abcdef!"})
    assert len(messages) == 2
    assert all(m.startswith("setting basic_auth_password (BASIC_AUTH_CP_PASSWORD) should be ") for m in messages)
    assert "passwordString" in messages[0] and "AuthorizationKey" in messages[1]


@pytest.mark.parametrize(("env", "named", "rule"), [
    ({"VALID_ID_TOKEN": "x" * 37}, "valid_id_token (VALID_ID_TOKEN)", "at most 36 characters"),
    ({"CONTRACT_CERT_EMAID": "NL" * 19}, "contract_emaid (CONTRACT_CERT_EMAID)", "at most 36 characters"),
    ({"VALID_ID_TOKEN_TYPE": "RFID"}, "valid_id_token_type (VALID_ID_TOKEN_TYPE)", "IdTokenEnumType"),
    ({"MASTERPASS_ID_TOKEN_TYPE": "iso14443"}, "masterpass_id_token_type (MASTERPASS_ID_TOKEN_TYPE)", "ISO14443"),
    ({"BASIC_AUTH_CP_PASSWORD": "p" * 41}, "basic_auth_password (BASIC_AUTH_CP_PASSWORD)", "at most 40 characters"),
    ({"CONFIGURED_MODEL": "m" * 21}, "model (CONFIGURED_MODEL)", "at most 20 characters"),
    ({"CONFIGURED_VENDOR_NAME": "v" * 51}, "vendor_name (CONFIGURED_VENDOR_NAME)", "at most 50 characters"),
    ({"CONFIGURED_CONNECTOR_TYPE": "Type2"}, "connector_type (CONFIGURED_CONNECTOR_TYPE)", "ConnectorEnumType"),
    ({"CONFIGURED_OCPP_INTERFACE": "Ethernet"}, "ocpp_interface (CONFIGURED_OCPP_INTERFACE)", "Wired0"),
    ({"CONFIGURED_OCPP_CSMS_URL": "wss://" + "a" * 510}, "ocpp_csms_url (CONFIGURED_OCPP_CSMS_URL)", "512"),
])
def test_a_value_no_case_could_pass_with_is_a_one_line_error(env: dict[str, str], named: str, rule: str) -> None:
    message = _error(env=env)
    assert message.startswith(f"setting {named} must be ") and rule in message
    assert "p" * 41 not in message  # a password is never printed


def test_a_no_authorization_token_may_be_empty() -> None:
    env = {"MASTERPASS_ID_TOKEN_TYPE": "NoAuthorization", "MASTERPASS_ID_TOKEN": ""}
    assert _warnings(env) == []
    assert load_settings(None, environ=env).masterpass_id_token == ""
    assert "must not be empty" in _error(env={"MASTERPASS_ID_TOKEN": ""})


def test_warnings_name_settings_from_a_toml_file_too(tmp_path: Path) -> None:
    config = tmp_path / "csmscheck.toml"
    config.write_text('blocked_id_token = "BLOCKED-1"\n')
    with pytest.warns(SettingWarning, match=r"setting blocked_id_token \(BLOCKED_ID_TOKEN\) should be an ISO14443"):
        load_settings(config, environ={})
