"""Station behaviour as data: what each virtual station of a load run does, from a TOML file
or one of the built-in profiles.

A profile file names a scenario and overrides what it wants; everything else keeps the
defaults below::

    scenario = "steady"            # steady | boot-storm | reconnect-storm | soak
    ocpp = "2.0.1"                 # 1.6 | 2.0.1 | mixed (the first half 2.0.1, the second half 1.6)
    connectors = 1
    heartbeat_s = 0                # 0: the interval the CSMS gave in its BootNotification answer
    status_notifications = true
    message_timeout_s = 30         # no answer in this time counts as a timeout

    [sessions]                     # charging sessions, one connector after another
    enabled = true
    authorize = true
    id_token = "TAG-001"
    id_token_type = "ISO14443"
    meter_interval_s = 10
    duration_s = [60, 180]         # drawn uniformly per session
    idle_s = [10, 60]              # between two sessions
    power_kw = 11.0
    stop_reasons = ["EVDisconnected", "Local", "Remote", "EmergencyStop", "PowerLoss", "Other"]

    [network]
    drop_every_s = 0               # soak: each station loses its network about this often (0: never)
    offline_s = [5, 30]            # how long a lost network stays lost
    reconnect_window_s = 10        # reconnect-storm: every station is back within this window
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

SCENARIOS = ("steady", "boot-storm", "reconnect-storm", "soak")
VERSIONS = ("1.6", "2.0.1", "mixed")
# Stop reasons both versions know (2.0.1 ReasonEnumType, 1.6 Reason).
STOP_REASONS = ("EVDisconnected", "Local", "Remote", "EmergencyStop", "PowerLoss", "Other")


@dataclass(frozen=True)
class Sessions:
    enabled: bool = True
    authorize: bool = True
    id_token: str = "TAG-001"
    id_token_type: str = "ISO14443"
    meter_interval_s: float = 10.0
    duration_s: tuple[float, float] = (60.0, 180.0)
    idle_s: tuple[float, float] = (10.0, 60.0)
    power_kw: float = 11.0
    stop_reasons: tuple[str, ...] = STOP_REASONS


@dataclass(frozen=True)
class Network:
    drop_every_s: float = 0.0
    offline_s: tuple[float, float] = (5.0, 30.0)
    reconnect_window_s: float = 10.0


@dataclass(frozen=True)
class Profile:
    name: str
    scenario: str = "steady"
    ocpp: str = "2.0.1"
    connectors: int = 1
    heartbeat_s: float = 0.0
    status_notifications: bool = True
    message_timeout_s: float = 30.0
    sessions: Sessions = field(default_factory=Sessions)
    network: Network = field(default_factory=Network)

    def version_of(self, index: int, stations: int) -> str:
        """The OCPP version of the ``index``-th of ``stations`` stations."""
        if self.ocpp == "mixed":
            return "2.0.1" if index < (stations + 1) // 2 else "1.6"
        return self.ocpp


BUILT_IN: dict[str, Profile] = {
    "steady": Profile("steady"),
    # Every station connects and boots at once, then idles: heartbeats only.
    "boot-storm": Profile("boot-storm", scenario="boot-storm", sessions=Sessions(enabled=False)),
    # Charging traffic; then every station loses the network at once and comes back within the window.
    "reconnect-storm": Profile("reconnect-storm", scenario="reconnect-storm"),
    # Steady traffic for hours, each station dropping off the network now and then.
    "soak": Profile("soak", scenario="soak", network=Network(drop_every_s=1800.0)),
}


def load_profile(name_or_path: str) -> Profile:
    """A built-in profile by name, or a profile file; ValueError naming the bad setting."""
    if name_or_path in BUILT_IN:
        return BUILT_IN[name_or_path]
    path = Path(name_or_path)
    if path.suffix != ".toml":
        raise ValueError(f"--profile {name_or_path!r}: neither a built-in profile ({', '.join(BUILT_IN)}) "
                         "nor a .toml file")
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ValueError(f"--profile {name_or_path}: cannot read it ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"--profile {name_or_path}: not valid TOML ({exc})") from None
    return profile_from_dict(path.stem, data)


def profile_from_dict(name: str, data: dict[str, Any]) -> Profile:
    sessions = _section(Sessions(), data.pop("sessions", {}), "sessions")
    network = _section(Network(), data.pop("network", {}), "network")
    profile: Profile = replace(_section(Profile(name), data, ""), sessions=sessions, network=network)
    _validate(profile)
    return profile


def _section(default: Any, values: Any, prefix: str) -> Any:
    """``default`` with ``values`` applied, each checked against the default's type."""
    if not isinstance(values, dict):
        raise ValueError(f"profile setting {prefix} must be a table")
    known = {f.name: getattr(default, f.name) for f in fields(default) if f.name not in ("name", "sessions",
                                                                                        "network")}
    changes = {}
    for key, value in values.items():
        setting = f"{prefix}.{key}" if prefix else key
        if key not in known:
            raise ValueError(f"profile setting {setting} is unknown (known: {', '.join(known)})")
        changes[key] = _typed(setting, value, known[key])
    return replace(default, **changes)


def _typed(setting: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"profile setting {setting} must be true or false, not {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"profile setting {setting} must be a number ≥ 0, not {value!r}")
        return float(value)
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"profile setting {setting} must be a whole number ≥ 1, not {value!r}")
        return value
    if isinstance(default, str):
        if not isinstance(value, str) or not value:
            raise ValueError(f"profile setting {setting} must be a non-empty string, not {value!r}")
        return value
    if isinstance(default, tuple) and default and isinstance(default[0], float):
        if (not isinstance(value, list) or len(value) != 2 or not all(isinstance(v, int | float) and
                                                                      not isinstance(v, bool) for v in value)
                or not 0 <= value[0] <= value[1]):
            raise ValueError(f"profile setting {setting} must be [min, max] with 0 ≤ min ≤ max, not {value!r}")
        return (float(value[0]), float(value[1]))
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"profile setting {setting} must be a non-empty list of strings, not {value!r}")
    return tuple(value)


def _validate(profile: Profile) -> None:
    if profile.scenario not in SCENARIOS:
        raise ValueError(f"profile setting scenario must be one of {', '.join(SCENARIOS)}, not {profile.scenario!r}")
    if profile.ocpp not in VERSIONS:
        raise ValueError(f"profile setting ocpp must be one of {', '.join(VERSIONS)}, not {profile.ocpp!r}")
    if profile.message_timeout_s <= 0:
        raise ValueError("profile setting message_timeout_s must be > 0")
    if profile.sessions.meter_interval_s <= 0:
        raise ValueError("profile setting sessions.meter_interval_s must be > 0")
    unknown = set(profile.sessions.stop_reasons) - set(STOP_REASONS)
    if unknown:
        raise ValueError(f"profile setting sessions.stop_reasons: {', '.join(sorted(unknown))} not one of "
                         f"{', '.join(STOP_REASONS)}")
