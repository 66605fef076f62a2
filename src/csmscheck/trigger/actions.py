"""OCPP action names in the trigger API's kebab-case form and back."""

from __future__ import annotations

import re


def action_to_kebab(action: str) -> str:
    """``RequestStartTransaction`` → ``request-start-transaction``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", action).lower()


def action_from_kebab(kebab: str) -> str:
    """``request-start-transaction`` → ``RequestStartTransaction``; ``get-15118-ev-certificate`` keeps its digits."""
    special = {"get-15118-ev-certificate": "Get15118EVCertificate"}
    if kebab in special:
        return special[kebab]
    return "".join(part[:1].upper() + part[1:] for part in kebab.split("-"))
