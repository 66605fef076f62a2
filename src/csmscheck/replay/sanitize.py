"""``csmscheck sanitize``: personal and secret values in transcripts replaced by consistent pseudonyms.

A pseudonym is a keyed HMAC of the value, so the same value gets the same pseudonym in every file of a run
(and across runs given the same ``--key``). Frames keep their JSON shape; frames with nothing to replace
stay byte-identical. PEM blocks anywhere become placeholder PEM text.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from csmscheck.replay.transcript import Frame, Header, Transcript, file_name, read_transcript, write_transcript

# Keys whose (string) value is personal or secret wherever they appear.
_SECRET_KEYS = {key.lower() for key in (
    "idTag", "parentIdTag", "idToken", "additionalIdToken", "eMAID",
    "chargePointSerialNumber", "chargeBoxSerialNumber", "serialNumber", "meterSerialNumber",
    "certificate", "csr", "exiRequest", "exiResponse", "password", "basicAuthPassword")}
_LOCATION_KEYS = {"location", "remotelocation", "ocppcsmsurl"}
# Configuration keys / device-model variables whose value is a secret.
_SECRET_SETTINGS = {"basicauthpassword", "authorizationkey", "identity"}
_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----", re.DOTALL)


@dataclass(frozen=True)
class Pseudonymiser:
    key: bytes

    def value(self, text: str) -> str:
        return hmac.new(self.key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    def location(self, url: str) -> str:
        scheme = urlsplit(url).scheme
        return f"{scheme}://{self.value(url)}.invalid/" if scheme else self.value(url)

    def pem(self, match: re.Match[str]) -> str:
        label = match.group(1)
        return f"-----BEGIN {label}-----\n{self.value(match.group(0))}\n-----END {label}-----"

    def text(self, text: str) -> str:
        return _PEM.sub(self.pem, text)


def _setting_name(node: dict[str, Any]) -> str | None:
    """The configuration key (1.6) or variable name (2.0.1) a dict carries, lower case."""
    if isinstance(node.get("key"), str):
        return str(node["key"]).lower()
    variable = node.get("variable")
    if isinstance(variable, dict) and isinstance(variable.get("name"), str):
        return str(variable["name"]).lower()
    return None


def _clean(node: Any, alias: Pseudonymiser, secret_setting: bool = False) -> Any:
    if isinstance(node, list):
        return [_clean(item, alias, secret_setting) for item in node]
    if isinstance(node, str):
        return alias.text(node)
    if not isinstance(node, dict):
        return node
    secret_setting = secret_setting or _setting_name(node) in _SECRET_SETTINGS
    cleaned: dict[str, Any] = {}
    for key, value in node.items():
        lower = key.lower()
        if isinstance(value, str) and "-----BEGIN " in value:
            cleaned[key] = alias.text(value)
        elif isinstance(value, str) and lower in _SECRET_KEYS:
            cleaned[key] = alias.value(value)
        elif isinstance(value, str) and lower in _LOCATION_KEYS:
            cleaned[key] = alias.location(value)
        elif isinstance(value, str) and secret_setting and lower in ("value", "attributevalue"):
            cleaned[key] = alias.value(value)
        else:
            cleaned[key] = _clean(value, alias, secret_setting and lower == "variableattribute")
    return cleaned


def sanitize_frame(text: str, alias: Pseudonymiser) -> str:
    """The frame with its secrets replaced; the very same text when there was nothing to replace."""
    try:
        message = json.loads(text)
    except json.JSONDecodeError:
        return alias.text(text)
    cleaned = _clean(message, alias)
    return text if cleaned == message else json.dumps(cleaned, ensure_ascii=False, separators=(",", ":"))


def _header(header: Header, alias: Pseudonymiser, keep_station_ids: bool) -> Header:
    if keep_station_ids:
        return header
    station = alias.value(header.station)
    base = header.path.rstrip("/").rsplit("/", 1)[0]
    return replace(header, station=station, path=f"{base}/{quote(station, safe='')}")


def sanitize_transcript(transcript: Transcript, alias: Pseudonymiser, keep_station_ids: bool = False) -> Transcript:
    entries = [Frame(entry.t, entry.side, text=sanitize_frame(entry.text, alias))
               if isinstance(entry, Frame) and entry.text is not None else entry for entry in transcript.entries]
    return Transcript(_header(transcript.header, alias, keep_station_ids), entries)


def sanitize_files(paths: Sequence[Path], out: Path, key: bytes, keep_station_ids: bool = False) -> list[Path]:
    """Sanitise each transcript into ``out``; return the files written."""
    alias = Pseudonymiser(key)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        cleaned = sanitize_transcript(read_transcript(path), alias, keep_station_ids)
        target = out / file_name(cleaned.header.station)
        if target.resolve() == path.resolve():
            raise ValueError(f"{path}: would overwrite the original; choose another --out")
        with target.open("w", encoding="utf-8") as handle:
            write_transcript(handle, cleaned)
        written.append(target)
    return written
