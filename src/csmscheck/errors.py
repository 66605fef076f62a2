"""Exceptions that carry a reason a user can act on."""

from __future__ import annotations


class StepFailed(AssertionError):
    """A test step did not get what the OCTT definition requires."""


class ConnectionLost(StepFailed):
    """The connection closed while the station waited for something on it."""


class NotApplicable(Exception):
    """A case cannot run against this setup (no PKI, no profile-3 endpoint, ...): the reason says why."""


class ConfigError(Exception):
    """A setting is wrong or missing; the message names it."""
