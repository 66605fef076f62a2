"""The group of a configured token, and the csmscheck checks that the CSMS reports it (both versions).

The settings put the valid tokens in ``group_id`` and the master pass in
``masterpass_group_id``. A CSMS reports a token's group as ``idTokenInfo.groupIdToken``
(2.0.1, C09.FR.02) or ``idTagInfo.parentIdTag`` (1.6). Identifiers are case-insensitive,
so the group may come in any letter case.
"""

from __future__ import annotations

from typing import Any

from csmscheck.checks import ExtraCheck
from csmscheck.checks.authorization import PARENT_ID_TAG
from csmscheck.expect import Matcher, mismatches
from csmscheck.settings import Settings
from csmscheck.station.station import Station


def configured_group(cfg: Settings, id_token: str) -> str | None:
    """The group the settings put ``id_token`` in, or None for a token of no configured group."""
    key = id_token.upper()
    if key in (cfg.valid_id_token.upper(), cfg.valid_id_token_2.upper()):
        return cfg.group_id
    if key == cfg.masterpass_id_token.upper():
        return cfg.masterpass_group_id
    return None


def identifier(text: str) -> Any:
    """An identifier equal to ``text`` in any letter case (OCPP identifiers are case-insensitive)."""
    return Matcher(f"<{text!r} in any letter case>", lambda v: isinstance(v, str) and v.upper() == text.upper())


def check_group(station: Station, check: ExtraCheck, response: dict[str, Any], id_token: str, label: str) -> None:
    """2.0.1: a finding of ``check`` unless the answer for ``id_token`` names its configured group."""
    group = configured_group(station.cfg, id_token)
    if group is not None:
        _check(station, check, response, {"idTokenInfo": {"groupIdToken": {"idToken": identifier(group)}}}, label)


def check_parent(station: Station, response: dict[str, Any], id_tag: str, label: str) -> None:
    """1.6: a finding of CSC-16-AUTH-01 unless the idTagInfo for ``id_tag`` names its configured group."""
    group = configured_group(station.cfg, id_tag)
    if group is not None and "idTagInfo" in response:
        _check(station, PARENT_ID_TAG, response, {"idTagInfo": {"parentIdTag": identifier(group)}}, label)


def _check(station: Station, check: ExtraCheck, actual: Any, expected: Any, label: str) -> None:
    problems = mismatches(actual, expected)
    station.findings.check(check, not problems, "; ".join(f"{label}: {p}" for p in problems))
