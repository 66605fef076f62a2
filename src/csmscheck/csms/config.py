"""Settings of the reference CSMS: listeners, database, PKI and what it seeds."""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any

from csmscheck.csms.provisioning import BulkStations
from csmscheck.csms.tariff import Tariff
from csmscheck.errors import ConfigError
from csmscheck.settings import Settings, load_settings


@dataclass(frozen=True)
class CsmsConfig:
    host: str = "127.0.0.1"
    ws_port: int = 9000  # security profile 1: ws:// + basic auth
    tls_port: int = 9001  # security profile 2: wss:// + basic auth
    mtls_port: int = 9002  # security profile 3: wss:// + client certificate
    api_port: int = 5001  # trigger API
    db: str = "sqlite:///csmscheck.db"
    pki_dir: Path | None = None  # no PKI: only the ws:// listener runs
    heartbeat_interval: int = 300
    pending_interval: int = 10  # seconds a station answered Pending or Rejected waits before it boots again
    call_timeout: float = 10.0  # how long a CSMS call waits for the station's answer
    api_token: str | None = None  # required when the API is bound beyond loopback
    provision: tuple[BulkStations, ...] = ()  # stations created at start (see provisions_from_toml)
    # Station connections (all durations in seconds).
    backlog: int = 4096  # pending TCP connections per listener (the kernel caps it at net.core.somaxconn)
    open_timeout: float = 10.0  # for the TLS and WebSocket opening handshakes
    ping_interval: float = 60.0  # keepalive pings (OCPP's WebSocketPingInterval idea); 0 = none
    ping_timeout: float = 30.0  # a peer whose pong does not come in this time is closed
    close_timeout: float = 5.0  # a closing (or replaced) connection is cut off after this
    login_failures_per_station: int = 10  # failed logins per window before refusals without a check; 0 = no limit
    login_failures_per_address: int = 100
    login_failure_window: float = 60.0
    # Load levelling (ISO 15118, 2.0.1 K15–K17): what one EVSE delivers at most, and the stack level of the
    # TxProfiles the CSMS sends on its own. A grant never exceeds these, the EV's maximum or any limit in force.
    evse_max_current: float = 32.0  # amperes per phase
    evse_max_power: float = 22_000.0  # watts
    tx_profile_stack_level: int = 0
    # ISO 15118 contract certificates (2.0.1 M01/M02): where the CSMS forwards an EV's EXI request (see
    # csms.contract_pool); None: it has no pool and answers Get15118EVCertificate Failed.
    contract_pool_url: str | None = None
    seed: Settings = field(default_factory=Settings)

    @cached_property
    def tariff(self) -> Tariff:
        """What a transaction costs (from the seed settings), built once: every costed message uses it."""
        return Tariff.from_settings(self.seed)

    def __post_init__(self) -> None:
        for name in ("ws_port", "tls_port", "mtls_port", "api_port"):
            port = getattr(self, name)
            if not 0 <= port <= 65535:
                raise ConfigError(f"csms setting {name} must be a port number, got {port}")
        for name in ("heartbeat_interval", "pending_interval"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"csms setting {name} must be a whole number of seconds (0 or more), got {value!r}")
        _check_numbers(self)
        if not _is_loopback(self.host) and not self.api_token:
            raise ConfigError(f"csms setting api_token is required when host is {self.host} (not loopback)")
        _ = self.tariff  # Block H/I/J: a wrong tariff stops the CSMS at start
        if self.contract_pool_url is not None and not str(self.contract_pool_url).startswith(("http://", "https://")):
            raise ConfigError(f"csms setting contract_pool_url must be an http(s) URL, got {self.contract_pool_url!r}")


def _check_numbers(config: CsmsConfig) -> None:
    for name, least in (("backlog", 1), ("login_failures_per_station", 0), ("login_failures_per_address", 0),
                        ("tx_profile_stack_level", 0)):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ConfigError(f"csms setting {name} must be a whole number ({least} or more), got {value!r}")
    for name in ("evse_max_current", "evse_max_power"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < float("inf"):
            raise ConfigError(f"csms setting {name} must be a number above 0, got {value!r}")
    for name in ("open_timeout", "ping_interval", "ping_timeout", "close_timeout", "login_failure_window"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < float("inf"):
            raise ConfigError(f"csms setting {name} must be a number of seconds (0 or more), got {value!r}")
    for name in ("open_timeout", "ping_timeout", "close_timeout", "login_failure_window"):
        if getattr(config, name) == 0:
            raise ConfigError(f"csms setting {name} must be more than 0 seconds")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_csms_config(path: Path | None = None, **overrides: Any) -> CsmsConfig:
    """The ``[csms]`` table of the TOML file; the other keys seed stations and tokens."""
    table: dict[str, Any] = {}
    if path is not None:
        try:
            table = dict(tomllib.loads(path.read_text()).get("csms", {}))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    known = {f.name for f in fields(CsmsConfig)} - {"seed"}
    for key in table:
        if key not in known:
            raise ConfigError(f"config file {path}: unknown csms setting {key!r}")
    if "pki_dir" in table:
        table["pki_dir"] = Path(table["pki_dir"])
    if "provision" in table:
        table["provision"] = provisions_from_toml(table["provision"])
    table.update({k: v for k, v in overrides.items() if v is not None})
    return CsmsConfig(seed=load_settings(path), **table)


_PROVISION_KEYS = {"pattern", "count", "start", "password", "ocpp_version", "security_profile"}
_PROVISION_TYPES: dict[str, type] = {"pattern": str, "count": int, "start": int, "password": str,
                                     "ocpp_version": str, "security_profile": int}


def provisions_from_toml(value: Any) -> tuple[BulkStations, ...]:
    """``provision = [{pattern = "LOAD{n:05d}", count = 10000, start = 0, password = "...",
    ocpp_version = "2.0.1", security_profile = 1}, ...]``: stations the CSMS creates at start."""
    if not isinstance(value, list):
        raise ConfigError("csms setting provision must be a list of tables such as "
                          '[{pattern = "LOAD{n:05d}", count = 100, password = "..."}]')
    found = []
    for i, entry in enumerate(value):
        name = f"csms setting provision[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{name} must be a table such as {{pattern = \"LOAD{{n:05d}}\", count = 100}}")
        for key in entry.keys() - _PROVISION_KEYS:
            raise ConfigError(f"{name}: unknown key {key!r} (known: {', '.join(sorted(_PROVISION_KEYS))})")
        for key in ("pattern", "count"):
            if key not in entry:
                raise ConfigError(f"{name}.{key} is required")
        for key, value_ in entry.items():
            expected = _PROVISION_TYPES[key]
            if isinstance(value_, bool) or not isinstance(value_, expected):
                raise ConfigError(f"{name}.{key} must be {'a whole number' if expected is int else 'a string'}, "
                                  f"got {type(value_).__name__}")
        version = entry.get("ocpp_version", "2.0.1")
        if version not in ("1.6", "2.0.1"):
            raise ConfigError(f"{name}.ocpp_version must be 1.6 or 2.0.1, got {version!r}")
        bulk = BulkStations(entry["pattern"], entry["count"], entry.get("password"),
                            "1.6" if version == "1.6" else "2.0.1", entry.get("security_profile", 1),
                            entry.get("start", 0))
        if problem := bulk.problem():
            key, rule = problem
            raise ConfigError(f"{name}.{key} must be {rule}")
        found.append(bulk)
    return tuple(found)
