"""Exceptions that carry a reason a user can act on."""

from __future__ import annotations


class StepFailed(AssertionError):
    """A test step did not get what the OCTT definition requires."""


class ConfigError(Exception):
    """A setting is wrong or missing; the message names it."""
