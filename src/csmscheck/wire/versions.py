"""The OCPP versions csmscheck speaks and their WebSocket subprotocol names."""

from __future__ import annotations

from typing import Literal, get_args

OcppVersion = Literal["1.6", "2.0.1"]
VERSIONS: tuple[OcppVersion, ...] = get_args(OcppVersion)

_SUBPROTOCOLS: dict[OcppVersion, str] = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}


def subprotocol_of(version: OcppVersion) -> str:
    return _SUBPROTOCOLS[version]


def version_of_subprotocol(subprotocol: str) -> OcppVersion | None:
    for version, name in _SUBPROTOCOLS.items():
        if name == subprotocol:
            return version
    return None


def parse_version(text: str) -> OcppVersion:
    """Accept '1.6', '16', '2.0.1', '201' (and an 'ocpp' prefix); raise ValueError otherwise."""
    normalised = text.strip().lower().removeprefix("ocpp").replace("j", "")
    aliases: dict[str, OcppVersion] = {"1.6": "1.6", "16": "1.6", "2.0.1": "2.0.1", "201": "2.0.1"}
    if normalised not in aliases:
        raise ValueError(f"unknown OCPP version {text!r} (expected 1.6 or 2.0.1)")
    return aliases[normalised]
