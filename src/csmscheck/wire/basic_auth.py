"""The HTTP Basic ``Authorization`` header a station sends in security profiles 1 and 2."""

from __future__ import annotations

import base64


def basic_authorization(username: str, password: str) -> str:
    """``Basic <base64 of "username:password">`` (OCPP: the username is the station id)."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
