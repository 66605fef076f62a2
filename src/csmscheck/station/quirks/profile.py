"""Loading vendor-behaviour profiles: the shipped ones by name, a user's own by path."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from csmscheck.errors import ConfigError
from csmscheck.station.quirks.model import ProfileData
from csmscheck.station.quirks.shape import shaped

Payload = dict[str, Any]
ALL = "all"  # every shipped profile (csmscheck run --quirks all)


class QuirksProfile(ProfileData):
    """A profile, checked. :meth:`shape` rewrites a payload the vendor's way; what is no rewriting (boot
    retries, offline batches, DataTransfer, status sequences, leading-zero tokens) the callers read from
    the fields."""

    def applies_to(self, version: str) -> bool:
        return version in self.ocpp

    def shape(self, version: str, action: str, payload: Payload) -> Payload:
        """``payload`` (a CALL of ``action`` the station sends) with the same meaning, written the vendor's way;
        a copy, unchanged where the profile does not apply to ``version``."""
        if not self.applies_to(version):
            return dict(payload)
        return shaped(payload, version, self.meter, self.time, self.tokens)


def _shipped() -> dict[str, Any]:
    folder = resources.files("csmscheck.station.quirks") / "profiles"
    return {entry.name.removesuffix(".toml"): entry for entry in folder.iterdir() if entry.name.endswith(".toml")}


def profile_names() -> list[str]:
    """The shipped profiles, by name."""
    return sorted(_shipped())


def load_profile(name_or_path: str) -> QuirksProfile:
    """A shipped profile by name, or a user's TOML file by path; ConfigError (one line, naming it) otherwise."""
    shipped = _shipped()
    if name_or_path in shipped:
        return _parse(shipped[name_or_path].read_text(encoding="utf-8"), f"quirks profile {name_or_path}")
    if not name_or_path.endswith(".toml"):
        raise ConfigError(f"unknown quirks profile {name_or_path!r} (shipped: {', '.join(sorted(shipped))}; "
                          "or give a .toml file)")
    try:
        text = Path(name_or_path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"quirks profile {name_or_path}: cannot read it ({exc.strerror or exc})") from None
    return _parse(text, f"quirks profile {name_or_path}")


def load_profiles(names: list[str]) -> list[QuirksProfile]:
    """The profiles ``names`` asks for, ``all`` being every shipped one; each once, in the order asked."""
    wanted: list[str] = []
    for name in names:
        for one in profile_names() if name == ALL else [name]:
            if one not in wanted:
                wanted.append(one)
    profiles = [load_profile(name) for name in wanted]
    seen: set[str] = set()
    for profile in profiles:
        if profile.name in seen:
            raise ConfigError(f"quirks profile name {profile.name!r} given twice: names tell the results apart")
        seen.add(profile.name)
    return profiles


def _parse(text: str, what: str) -> QuirksProfile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what}: not valid TOML ({exc})") from None
    try:
        return QuirksProfile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{what}: {_first_problem(exc)}") from None


def _first_problem(exc: ValidationError) -> str:
    """The first thing wrong with the file, in one line naming the key."""
    error = exc.errors()[0]
    key = ".".join(str(part) for part in error["loc"] if not isinstance(part, int)) or "(the file)"
    if error["type"] == "extra_forbidden":
        return f"unknown key {key}"
    if error["type"] == "missing":
        return f"key {key} is missing"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{key}: {message} (got {error['input']!r})" if error["type"] != "value_error" else f"{key}: {message}"
