"""Checks before a run: is the CSMS there at all? One line of reason if not."""

from __future__ import annotations

import socket
from urllib.parse import urlparse

from csmscheck.errors import ConfigError


def check_reachable(url: str, what: str, timeout: float = 3.0) -> None:
    """Open and close a TCP connection to the URL's host and port, or raise ConfigError."""
    parsed = urlparse(url)
    default_port = 443 if parsed.scheme in ("wss", "https") else 80
    host, port = parsed.hostname or "localhost", parsed.port or default_port
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"cannot reach the {what} at {url}: {reason}") from None
