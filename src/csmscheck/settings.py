"""Typed settings: defaults, then a TOML file, then the environment, then the CLI.

Every field has one environment name. Where the original OCTT pytest suite had a name
for it (``CSMS_ADDRESS``, ``VALID_ID_TOKEN``, ...) that name is used as it is, so an
existing setup keeps working; other fields are ``CSMSCHECK_<FIELD>``. In a TOML file a
setting is written with its field name in lower case (``valid_id_token = "A0000001"``).

The defaults are valid OCPP (see ``csmscheck.idtokens``). A value no case using it could pass
with stops the run with a one-line ``ConfigError``; a value a CSMS that validates its input
would refuse is a ``SettingWarning`` (one line, naming the setting and the rule).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import UnionType
from typing import Any, get_args, get_type_hints
from urllib.parse import urlparse

from csmscheck import idtokens
from csmscheck.errors import ConfigError


def _env(name: str) -> dict[str, str]:
    return {"env": name}


@dataclass(frozen=True)
class Settings:
    """Everything a test run needs to know about the CSMS under test and its stations."""

    # Where the CSMS is. No target: csmscheck starts its reference CSMS.
    target: str | None = field(default=None, metadata=_env("CSMS_ADDRESS"))
    target_sp2: str | None = field(default=None, metadata=_env("CSMS_SP2_ADDRESS"))
    target_sp3: str | None = field(default=None, metadata=_env("CSMS_SP3_ADDRESS"))
    trigger: str | None = field(default=None, metadata=_env("CSMS_TRIGGER_ADDRESS"))
    trigger_token: str | None = field(default=None, metadata=_env("CSMS_TRIGGER_TOKEN"))
    # The trigger API's routes and body names: csmscheck's, or the original OCTT suite's ("octt").
    trigger_dialect: str = field(default="csmscheck", metadata=_env("CSMSCHECK_TRIGGER_DIALECT"))
    pki_dir: Path | None = field(default=None, metadata=_env("CSMSCHECK_PKI_DIR"))
    # The optional features the CSMS declares (a capabilities TOML file); none: every case applies.
    capabilities: Path | None = field(default=None, metadata=_env("CSMSCHECK_CAPABILITIES"))

    # The stations the CSMS knows, per OCPP version and security profile.
    cp201_sp1: str = field(default="CP201_SP1", metadata=_env("CP201_SP1"))
    cp201_sp2: str = field(default="CP202_SP2", metadata=_env("CP201_SP2"))
    cp201_sp3: str = field(default="CP202_SP3", metadata=_env("CP201_SP3"))
    cp16_sp1: str = field(default="CP16_SP1", metadata=_env("CP16_SP1"))
    cp16_sp3: str = field(default="CP16_SP3", metadata=_env("CP16_SP3"))
    # 16 bytes as 32 hex digits: a 2.0.1 BasicAuthPassword (16-40 characters) and a 1.6 AuthorizationKey (16-20 bytes).
    basic_auth_password: str = field(default="0123456789abcdef0123456789abcdef",
                                     metadata=_env("BASIC_AUTH_CP_PASSWORD"))
    vendor_name: str = field(default="csmscheck", metadata=_env("CONFIGURED_VENDOR_NAME"))
    model: str = field(default="VirtualStation", metadata=_env("CONFIGURED_MODEL"))

    # Topology of the virtual stations.
    evse_id: int = field(default=1, metadata=_env("CONFIGURED_EVSE_ID"))
    connector_id: int = field(default=1, metadata=_env("CONFIGURED_CONNECTOR_ID"))
    connector_type: str = field(default="cType2", metadata=_env("CONFIGURED_CONNECTOR_TYPE"))
    number_of_evses: int = field(default=2, metadata=_env("CONFIGURED_NUMBER_OF_EVSES"))
    heartbeat_interval: int = field(default=300, metadata=_env("CONFIGURED_HEARTBEAT_INTERVAL"))
    # The interval the CSMS gives with a Pending or Rejected boot (its retry interval); none: not checked.
    pending_interval: int | None = field(default=None, metadata=_env("CSMSCHECK_PENDING_INTERVAL"))

    # ID tokens the CSMS knows: ISO14443 UIDs (4 bytes, 8 hex digits) whose first digit says the
    # role (A accepted, B blocked, E expired, 0 unknown to the CSMS, FF the master pass); the
    # groups are Central tokens.
    valid_id_token: str = field(default="A0000001", metadata=_env("VALID_ID_TOKEN"))
    valid_id_token_type: str = field(default="ISO14443", metadata=_env("VALID_ID_TOKEN_TYPE"))
    invalid_id_token: str = field(default="00000C02", metadata=_env("INVALID_ID_TOKEN"))
    blocked_id_token: str = field(default="B0000C06", metadata=_env("BLOCKED_ID_TOKEN"))
    expired_id_token: str = field(default="E0000C07", metadata=_env("EXPIRED_ID_TOKEN"))
    masterpass_id_token: str = field(default="FF000001", metadata=_env("MASTERPASS_ID_TOKEN"))
    masterpass_group_id: str = field(default="MASTERGROUP", metadata=_env("MASTERPASS_GROUP_ID"))
    group_id: str = field(default="GROUP-001", metadata=_env("GROUP_ID"))

    # SetNetworkProfile (TC_B_42, TC_A_19). security_profile is the profile the stations of the cases use (CP201_SP1:
    # 1); TC_A_19 moves that profile's station one higher. No ocpp_csms_url: the run's listener of the next profile.
    configuration_slot: int = field(default=1, metadata=_env("CONFIGURED_CONFIGURATION_SLOT"))
    message_timeout: int = field(default=30, metadata=_env("CONFIGURED_MESSAGE_TIMEOUT"))
    ocpp_csms_url: str | None = field(default=None, metadata=_env("CONFIGURED_OCPP_CSMS_URL"))
    ocpp_interface: str = field(default="Wired0", metadata=_env("CONFIGURED_OCPP_INTERFACE"))
    security_profile: int = field(default=1, metadata=_env("CONFIGURED_SECURITY_PROFILE"))

    # Timing, in seconds.
    csms_action_timeout: float = field(default=10.0, metadata=_env("CSMS_ACTION_TIMEOUT"))
    transaction_duration: float = field(default=0.0, metadata=_env("TRANSACTION_DURATION"))
    message_wait: float = field(default=5.0, metadata=_env("CSMSCHECK_MESSAGE_TIMEOUT"))

    log_messages: bool = field(default=False, metadata=_env("CSMSCHECK_LOG_MESSAGES"))

    # How the run treats the CSMS: csmscheck checks (findings) as failures; a pause between
    # cases for CSMSes that need time between sessions; stop after this many consecutive
    # cases failed in the same way at setup (the CSMS stopped answering; 0: never stop).
    strict: bool = field(default=False, metadata=_env("CSMSCHECK_STRICT"))
    pace: float = field(default=0.0, metadata=_env("CSMSCHECK_PACE"))
    max_setup_failures: int = field(default=3, metadata=_env("CSMSCHECK_MAX_SETUP_FAILURES"))

    # Block C/D: token types, a second valid token (same group as the first), the eMAID of
    # the contract certificates (TC_C_50-52), the station's local list version, and the
    # address the CSMS reaches the suite's OCSP responders at.
    invalid_id_token_type: str = field(default="ISO14443", metadata=_env("INVALID_ID_TOKEN_TYPE"))
    blocked_id_token_type: str = field(default="ISO14443", metadata=_env("BLOCKED_ID_TOKEN_TYPE"))
    expired_id_token_type: str = field(default="ISO14443", metadata=_env("EXPIRED_ID_TOKEN_TYPE"))
    masterpass_id_token_type: str = field(default="ISO14443", metadata=_env("MASTERPASS_ID_TOKEN_TYPE"))
    valid_id_token_2: str = field(default="A0000002", metadata=_env("VALID_ID_TOKEN_2"))
    valid_id_token_type_2: str = field(default="ISO14443", metadata=_env("VALID_ID_TOKEN_TYPE_2"))
    contract_emaid: str = field(default="NLCSMC00000001X", metadata=_env("CONTRACT_CERT_EMAID"))
    local_list_version: int = field(default=1, metadata=_env("LOCAL_LIST_VERSION"))
    ocsp_host: str = field(default="127.0.0.1", metadata=_env("CSMSCHECK_OCSP_HOST"))

    # Block H/I/J: the tariff the CSMS is configured with (block I): a session fee, a price per kWh
    # and a price per hour of the session, in the currency of the CSMS. The bundled CSMS charges by
    # it; the suite expects it.
    tariff_price_per_kwh: float = field(default=0.25, metadata=_env("CSMSCHECK_TARIFF_PRICE_PER_KWH"))
    tariff_session_fee: float = field(default=0.0, metadata=_env("CSMSCHECK_TARIFF_SESSION_FEE"))
    tariff_price_per_hour: float = field(default=0.0, metadata=_env("CSMSCHECK_TARIFF_PRICE_PER_HOUR"))

    # OCPP 1.6J: what the OCTT calls <Configured ...> in chapters 3.15-3.21 (what the operator
    # asks the Central System to send: locations, reservation expiry, charging schedules).
    firmware_location: str = field(default="https://firmware.csmscheck.test/virtual-station-1.0.1.bin",
                                   metadata=_env("CONFIGURED_FIRMWARE_LOCATION"))
    diagnostics_location: str = field(default="ftp://diagnostics.csmscheck.test/uploads/",
                                      metadata=_env("CONFIGURED_DIAGNOSTICS_LOCATION"))
    log_location: str = field(default="ftp://logs.csmscheck.test/security/", metadata=_env("CONFIGURED_LOG_LOCATION"))
    expiry_date_offset: int = field(default=600, metadata=_env("CONFIGURED_EXPIRY_DATE_OFFSET"))
    stack_level: int = field(default=0, metadata=_env("CONFIGURED_STACK_LEVEL"))
    charging_rate_unit: str = field(default="A", metadata=_env("CONFIGURED_CHARGING_RATE_UNIT"))
    schedule_duration: int = field(default=3600, metadata=_env("CONFIGURED_DURATION"))
    start_period: int = field(default=0, metadata=_env("CONFIGURED_START_PERIOD"))
    number_phases: int = field(default=3, metadata=_env("CONFIGURED_NUMBER_PHASES"))

    # OCPP 2.0.1 block K (smart charging): the rest of what the OCTT calls <Configured ...> there;
    # the stack level, rate unit, duration and number of phases above are shared with 1.6.
    charging_profile_id: int = field(default=101, metadata=_env("CONFIGURED_CHARGING_PROFILE_ID"))
    recurrency_kind: str = field(default="Daily", metadata=_env("CONFIGURED_RECURRENCY_KIND"))
    charging_profile_purpose: str = field(default="TxDefaultProfile",
                                          metadata=_env("CONFIGURED_CHARGING_PROFILE_PURPOSE"))
    charging_limit_source: str = field(default="CSO", metadata=_env("CONFIGURED_CHARGING_LIMIT_SOURCE"))

    # OCPP 2.0.1 blocks A/M (certificates): what the station's CSRs name (<Configured Country>,
    # <Configured Organization> -- the CSO the CSMS signs for --, <Configured OrganizationalUnit>)
    # and the <Configured CSR> some cases send (PEM; unset: one generated at run time).
    country: str = field(default="NL", metadata=_env("CONFIGURED_COUNTRY"))
    organization: str = field(default="csmscheck", metadata=_env("CONFIGURED_ORGANIZATION"))
    organizational_unit: str = field(default="csmscheck stations", metadata=_env("CONFIGURED_ORGANIZATIONAL_UNIT"))
    csr: str | None = field(default=None, metadata=_env("CONFIGURED_CSR"))

    # OCPP 2.0.1 block N (monitoring): the most monitor ids the virtual station takes in one
    # ClearVariableMonitoringRequest (its MonitoringCtrlr.ItemsPerMessage[ClearVariableMonitoring], TC_N_18)
    # and how many periodic NotifyEvents it sends (the "n times" of TC_N_24).
    clear_monitoring_items: int = field(default=2, metadata=_env("CONFIGURED_ITEMS_PER_MESSAGE_CLEAR_MONITORING"))
    periodic_events: int = field(default=3, metadata=_env("CONFIGURED_PERIODIC_EVENTS"))

    # OCPP 2.0.1 block O (display messages): the <Configured ...> message the operator has the CSMS set: its
    # id (<Configured_Id>), priority, state, format, language and content, and when it starts and ends
    # (seconds from now: <Configured startDateTime>, <Configured endDateTime>).
    display_message_id: int = field(default=1, metadata=_env("CONFIGURED_DISPLAY_MESSAGE_ID"))
    message_priority: str = field(default="NormalCycle", metadata=_env("CONFIGURED_MESSAGE_PRIORITY"))
    message_state: str = field(default="Charging", metadata=_env("CONFIGURED_MESSAGE_STATE"))
    message_format: str = field(default="UTF8", metadata=_env("CONFIGURED_MESSAGE_FORMAT"))
    message_language: str = field(default="en", metadata=_env("CONFIGURED_MESSAGE_LANGUAGE"))
    message_content: str = field(default="Welcome to csmscheck", metadata=_env("CONFIGURED_MESSAGE_CONTENT"))
    message_start_offset: int = field(default=5, metadata=_env("CONFIGURED_MESSAGE_START_OFFSET"))
    message_end_offset: int = field(default=60, metadata=_env("CONFIGURED_MESSAGE_END_OFFSET"))

    # OCPP 2.0.1 blocks N (logs, customer information) and P (data transfer): the customerIdentifier the
    # operator names (TC_N_62), the vendorId and messageId of the station's DataTransfer (TC_P_02: an extension
    # the CSMS does not implement), and a vendorId the CSMS does implement (empty: none; CSC-201-P-02).
    customer_identifier: str = field(default="OpenChargeAlliance", metadata=_env("CONFIGURED_CUSTOMER_IDENTIFIER"))
    vendor_id: str = field(default="tzi.app", metadata=_env("CONFIGURED_VENDOR_ID"))
    message_id: str = field(default="TestMessage", metadata=_env("CONFIGURED_MESSAGE_ID"))
    csms_vendor_id: str | None = field(default="org.csmscheck", metadata=_env("CONFIGURED_CSMS_VENDOR_ID"))

    # OCPP 2.0.1 block L (firmware): how many seconds ahead the operator schedules the download or the
    # install (<Configured retrieveDateTime> / <Configured installDateTime> in the future, TC_L_02/L_03), and
    # the retries and retryInterval of its UpdateFirmware and PublishFirmware requests.
    firmware_schedule_delay: float = field(default=2.0, metadata=_env("CONFIGURED_FIRMWARE_SCHEDULE_DELAY"))
    firmware_retries: int = field(default=0, metadata=_env("CONFIGURED_FIRMWARE_RETRIES"))
    firmware_retry_interval: int = field(default=30, metadata=_env("CONFIGURED_FIRMWARE_RETRY_INTERVAL"))

    def __post_init__(self) -> None:
        if self.ocpp_csms_url is None:  # the listener the station moves to (TC_A_19), once the run knows it
            upgraded = {1: self.target, 2: self.target_sp2, 3: self.target_sp3}.get(min(self.security_profile + 1, 3))
            object.__setattr__(self, "ocpp_csms_url", upgraded)

    @property
    def manual(self) -> bool:
        return self.trigger == "manual"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def station_ids(self) -> dict[str, tuple[str, int]]:
        """Each configured station id with its OCPP version and security profile."""
        return {
            self.cp201_sp1: ("2.0.1", 1),
            self.cp201_sp2: ("2.0.1", 2),
            self.cp201_sp3: ("2.0.1", 3),
            self.cp16_sp1: ("1.6", 1),
            self.cp16_sp3: ("1.6", 3),
        }


ENV_NAMES: dict[str, str] = {f.name: f.metadata["env"] for f in fields(Settings)}


# Settings that name an OCPP 2.0.1 enumeration value: what the schemas allow.
_ENUM_SETTINGS: dict[str, tuple[str, ...]] = {
    "recurrency_kind": ("Daily", "Weekly"),
    "charging_profile_purpose": ("ChargingStationExternalConstraints", "ChargingStationMaxProfile",
                                 "TxDefaultProfile", "TxProfile"),
    "charging_limit_source": ("EMS", "Other", "SO", "CSO"),
    "message_priority": ("AlwaysFront", "InFront", "NormalCycle"),  # block O
    "message_state": ("Charging", "Faulted", "Idle", "Unavailable"),
    "message_format": ("ASCII", "HTML", "URI", "UTF8"),
}


class SettingWarning(UserWarning):
    """A setting a CSMS that validates its input would refuse; the run goes on with it."""


# Each idToken setting with its type: a type setting's name, or the type the suite sends it as.
ID_TOKEN_SETTINGS: dict[str, str] = {
    "valid_id_token": "valid_id_token_type",
    "valid_id_token_2": "valid_id_token_type_2",
    "invalid_id_token": "invalid_id_token_type",
    "blocked_id_token": "blocked_id_token_type",
    "expired_id_token": "expired_id_token_type",
    "masterpass_id_token": "masterpass_id_token_type",
    "group_id": "Central",  # groupIdToken (2.0.1), parentIdTag (1.6)
    "masterpass_group_id": "Central",
    "contract_emaid": "eMAID",
}
# The idToken settings the 1.6 cases send too, as idTag or parentIdTag.
ID_TAG_SETTINGS = ("valid_id_token", "invalid_id_token", "blocked_id_token", "expired_id_token", "group_id")
# Enumerations of the 2.0.1 schemas the settings go into (ReserveNow, SetNetworkProfile).
CONNECTOR_TYPES = ("cCCS1", "cCCS2", "cG105", "cTesla", "cType1", "cType2", "s309-1P-16A", "s309-1P-32A",
                   "s309-3P-16A", "s309-3P-32A", "sBS1361", "sCEE-7-7", "sType2", "sType3", "Other1PhMax16A",
                   "Other1PhOver16A", "Other3Ph", "Pan", "wInductive", "wResonant", "Undetermined", "Unknown")
OCPP_INTERFACES = ("Wired0", "Wired1", "Wired2", "Wired3", "Wireless0", "Wireless1", "Wireless2", "Wireless3")
# The longest value each version's schema takes, and where: field -> (2.0.1, where, 1.6, where).
_LENGTHS: dict[str, tuple[int, str, int | None, str]] = {
    "vendor_name": (50, "BootNotification vendorName", 20, "BootNotification chargePointVendor"),
    "model": (20, "BootNotification model", 20, "BootNotification chargePointModel"),
    "ocpp_csms_url": (512, "SetNetworkProfile ocppCsmsUrl", None, ""),
}


def _convert(name: str, raw: Any) -> Any:
    """Turn a TOML or environment value into the field's type, or say why not."""
    hint = get_type_hints(Settings)[name]
    kinds = get_args(hint) if isinstance(hint, UnionType) else (hint,)
    if raw is None or (isinstance(raw, str) and raw == "" and type(None) in kinds):
        if type(None) in kinds:
            return None
        raise ConfigError(f"setting {name} ({ENV_NAMES[name]}) must not be empty")
    kind = next(k for k in kinds if k is not type(None))
    try:
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            if str(raw).lower() in {"1", "true", "yes", "on"}:
                return True
            if str(raw).lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if kind is int and (isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer())):
            raise ValueError(raw)
        return kind(raw)
    except (TypeError, ValueError):
        raise ConfigError(
            f"setting {name} ({ENV_NAMES[name]}) must be {kind.__name__}, got {raw!r}"
        ) from None


def load_settings(
    config: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Defaults < TOML file < environment < explicit overrides (the CLI)."""
    values: dict[str, Any] = {}
    if config is not None:
        values.update(_read_toml(config))
    env = os.environ if environ is None else environ
    for name, env_name in ENV_NAMES.items():
        if env_name in env:
            values[name] = _convert(name, env[env_name])
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = _convert(name, value)
    settings = Settings(**values)
    _check(settings)
    for message in setting_warnings(settings):
        warnings.warn(message, SettingWarning, stacklevel=2)
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    data.pop("csms", None)  # the reference CSMS's own table, read by csmscheck.csms.config
    known = set(ENV_NAMES)
    for key in data:
        if key not in known:
            raise ConfigError(f"config file {path}: unknown setting {key!r}")
    return {key: _convert(key, value) for key, value in data.items()}


def _check(settings: Settings) -> None:
    for name in ("target", "target_sp2", "target_sp3"):
        url = getattr(settings, name)
        if url is not None and (urlparse(url).scheme not in {"ws", "wss"} or not urlparse(url).hostname):
            raise ConfigError(f"setting {name} ({ENV_NAMES[name]}) must be a ws:// or wss:// URL, got {url!r}")
    trigger = settings.trigger
    parsed = urlparse(trigger or "")
    if trigger is not None and trigger != "manual" and (parsed.scheme not in {"http", "https"} or not parsed.hostname):
        raise ConfigError(f"setting trigger (CSMS_TRIGGER_ADDRESS) must be an http(s) URL or 'manual', got {trigger!r}")
    if settings.trigger_dialect not in ("csmscheck", "octt"):
        raise ConfigError("setting trigger_dialect (CSMSCHECK_TRIGGER_DIALECT) must be csmscheck or octt, "
                          f"got {settings.trigger_dialect!r}")
    for name in ("evse_id", "connector_id", "number_of_evses"):
        if getattr(settings, name) < 1:
            raise ConfigError(f"setting {name} ({ENV_NAMES[name]}) must be at least 1")
    for name in ("csms_action_timeout", "message_wait"):
        if not getattr(settings, name) > 0 or getattr(settings, name) == float("inf"):
            raise ConfigError(f"setting {name} ({ENV_NAMES[name]}) must be a positive number of seconds")
    for item in fields(Settings):
        value = getattr(settings, item.name)
        if isinstance(value, str) and not value.strip() and not _may_be_empty(settings, item.name):
            raise ConfigError(f"setting {item.name} ({ENV_NAMES[item.name]}) must not be empty")
    for name in ("tariff_price_per_kwh", "tariff_session_fee", "tariff_price_per_hour"):  # block I
        if not 0 <= getattr(settings, name) < float("inf"):
            raise _must(name, "a non-negative amount", repr(getattr(settings, name)))
    if not 0 <= settings.pace < float("inf"):
        raise ConfigError(f"setting pace ({ENV_NAMES['pace']}) must be a non-negative number of seconds")
    if settings.charging_rate_unit not in ("A", "W"):
        raise ConfigError("setting charging_rate_unit (CONFIGURED_CHARGING_RATE_UNIT) must be A or W")
    if settings.number_phases not in (1, 2, 3):
        raise ConfigError("setting number_phases (CONFIGURED_NUMBER_PHASES) must be 1, 2 or 3")
    for name, allowed in _ENUM_SETTINGS.items():
        if getattr(settings, name) not in allowed:
            raise ConfigError(f"setting {name} ({ENV_NAMES[name]}) must be one of {', '.join(allowed)}")
    for name in ("charging_profile_id", "display_message_id"):  # ids the CSMS is asked to send
        if not 0 < getattr(settings, name) < 2**31:
            raise _must(name, "a positive 32-bit integer", str(getattr(settings, name)))
    for name in ("expiry_date_offset", "stack_level", "schedule_duration", "start_period", "max_setup_failures",
                 "heartbeat_interval", "pending_interval"):
        if (getattr(settings, name) or 0) < 0:
            raise ConfigError(f"setting {name} ({ENV_NAMES[name]}) must not be negative")
    if settings.security_profile not in (1, 2, 3):
        raise ConfigError("setting security_profile (CONFIGURED_SECURITY_PROFILE) must be 1, 2 or 3")
    if settings.configuration_slot < 0:
        raise ConfigError("setting configuration_slot (CONFIGURED_CONFIGURATION_SLOT) must not be negative")
    if settings.message_timeout < 1:
        raise ConfigError("setting message_timeout (CONFIGURED_MESSAGE_TIMEOUT) must be a positive number of seconds")
    csms_url = urlparse(settings.ocpp_csms_url or "ws://host")
    if csms_url.scheme not in {"ws", "wss"} or not csms_url.hostname:
        raise ConfigError("setting ocpp_csms_url (CONFIGURED_OCPP_CSMS_URL) must be a ws:// or wss:// URL, "
                          f"got {settings.ocpp_csms_url!r}")
    for name in ("clear_monitoring_items", "periodic_events"):  # block N
        if getattr(settings, name) < 1:
            raise ConfigError(f"setting {name} ({ENV_NAMES[name]}) must be at least 1")
    _check_firmware(settings)
    _check_identifiers(settings)
    _check_certificate_subject(settings)
    _check_customer_and_vendor(settings)
    _check_display_message(settings)


def _token_type(settings: Settings, name: str) -> str:
    """The idToken type of the idToken setting ``name``."""
    kind = ID_TOKEN_SETTINGS[name]
    return str(getattr(settings, kind)) if kind in ENV_NAMES else kind


def _may_be_empty(settings: Settings, name: str) -> bool:
    """Only an idToken of type NoAuthorization, which OCPP 2.0.1 wants empty."""
    return name in ID_TOKEN_SETTINGS and _token_type(settings, name) == "NoAuthorization"


def _must(name: str, rule: str, got: str) -> ConfigError:
    return ConfigError(f"setting {name} ({ENV_NAMES[name]}) must be {rule}, got {got}")


def _should(name: str, rule: str, got: str, effect: str) -> str:
    return f"setting {name} ({ENV_NAMES[name]}) should be {rule}, got {got}: {effect}"


def _password_shown(password: str) -> str:
    return f"a password of {len(password)} characters"  # never the password itself


def _check_certificate_subject(settings: Settings) -> None:
    """What the station's CSRs name must fit X.520 (a CSR could not carry it otherwise)."""
    if len(settings.country) != 2 or not settings.country.isascii() or not settings.country.isupper():
        raise _must("country", "an ISO 3166 two-letter country code", repr(settings.country))
    for name in ("organization", "organizational_unit"):
        if len(getattr(settings, name)) > 64:
            raise _must(name, "at most 64 characters (X.520)", f"{len(getattr(settings, name))} characters")
    if settings.csr is not None and "-----BEGIN CERTIFICATE REQUEST-----" not in settings.csr:
        raise _must("csr", "a PEM certificate signing request", "text without a BEGIN CERTIFICATE REQUEST line")


def _check_display_message(settings: Settings) -> None:
    """Block O: what SetDisplayMessage can carry (MessageContentType: content 512, language 8 characters)."""
    if len(settings.message_content) > 512:
        raise _must("message_content", "at most 512 characters", f"{len(settings.message_content)} characters")
    if len(settings.message_language) > 8:
        raise _must("message_language", "at most 8 characters (an RFC 5646 tag)", repr(settings.message_language))
    if not 0 < settings.message_start_offset < settings.message_end_offset:
        raise _must("message_end_offset", "more seconds than message_start_offset, both positive",
                    f"{settings.message_start_offset} and {settings.message_end_offset}")


def _check_customer_and_vendor(settings: Settings) -> None:
    """Blocks N/P: the lengths CustomerInformationRequest and DataTransferRequest allow (64, 255, 50 characters)."""
    for name, limit in (("customer_identifier", 64), ("vendor_id", 255), ("csms_vendor_id", 255), ("message_id", 50)):
        value = getattr(settings, name)
        if value is not None and len(value) > limit:
            raise _must(name, f"at most {limit} characters", f"{len(value)} characters")


def _check_firmware(settings: Settings) -> None:
    """Block L: a schedule the virtual station waits for (it waits at most 30 s), retries OCPP integers can carry."""
    if not 0 < settings.firmware_schedule_delay <= 30:
        raise _must("firmware_schedule_delay", "more than 0 and at most 30 seconds",
                    str(settings.firmware_schedule_delay))
    for name in ("firmware_retries", "firmware_retry_interval"):
        if not 0 <= getattr(settings, name) < 2**31:
            raise _must(name, "a non-negative 32-bit integer", str(getattr(settings, name)))


def _check_identifiers(settings: Settings) -> None:
    """Stop at a value every case using it would fail with: the OCPP schemas cannot carry it."""
    for name, kind in ID_TOKEN_SETTINGS.items():
        if kind in ENV_NAMES and (rule := idtokens.id_token_type_problem(getattr(settings, kind))):
            raise _must(kind, rule, repr(getattr(settings, kind)))
        value = getattr(settings, name)
        if len(value) > idtokens.ID_TOKEN_MAX_LENGTH:
            raise _must(name, idtokens.ID_TOKEN_LENGTH_RULE, f"{value!r} ({len(value)} characters)")
    password = settings.basic_auth_password
    if len(password) > idtokens.PASSWORD_MAX_LENGTH:
        raise _must("basic_auth_password", f"at most {idtokens.PASSWORD_MAX_LENGTH} characters (OCPP 2.0.1 "
                    "BasicAuthPassword, OCPP 1.6 AuthorizationKey)", _password_shown(password))
    for name, (longest, where, longest_16, _) in _LENGTHS.items():
        value = getattr(settings, name) or ""
        if len(value) > max(longest, longest_16 or 0):
            raise _must(name, f"at most {longest} characters (OCPP 2.0.1 {where})", f"{len(value)} characters")
    if settings.connector_type not in CONNECTOR_TYPES:
        raise _must("connector_type", "an OCPP 2.0.1 ConnectorEnumType value such as cType2 or cCCS2",
                    repr(settings.connector_type))
    if settings.ocpp_interface not in OCPP_INTERFACES:
        raise _must("ocpp_interface", f"one of {', '.join(OCPP_INTERFACES)} (OCPP 2.0.1 OCPPInterfaceEnumType)",
                    repr(settings.ocpp_interface))


def setting_warnings(settings: Settings) -> list[str]:
    """One line per setting and OCPP rule it breaks that a CSMS validating its input enforces."""
    found: list[str] = []
    for name in ID_TOKEN_SETTINGS:
        value = getattr(settings, name)
        if rule := idtokens.id_token_problem(value, _token_type(settings, name)):
            found.append(_should(name, rule, repr(value), "a CSMS that validates idTokens refuses it"))
        if name in ID_TAG_SETTINGS and (rule := idtokens.id_tag_problem(value)):
            found.append(_should(name, rule, repr(value), "the 1.6 cases that send it cannot pass"))
    password = settings.basic_auth_password
    if rule := idtokens.basic_auth_password_problem(password):
        found.append(_should("basic_auth_password", rule, _password_shown(password),
                             "a 2.0.1 CSMS that checks passwords refuses it"))
    if rule := idtokens.authorization_key_problem(password):
        found.append(_should("basic_auth_password", rule, _password_shown(password),
                             "a 1.6 Central System that checks the AuthorizationKey refuses it"))
    for name, (_, _, longest_16, where) in _LENGTHS.items():
        value = getattr(settings, name) or ""
        if longest_16 is not None and len(value) > longest_16:
            found.append(_should(name, f"at most {longest_16} characters (OCPP 1.6 {where})", repr(value),
                                 "the 1.6 cases cannot pass"))
    return found
