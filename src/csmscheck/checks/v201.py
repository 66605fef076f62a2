"""csmscheck checks of the OCPP 2.0.1 cases (ids ``CSC-201-...``)."""

from __future__ import annotations

from csmscheck.checks import ExtraCheck  # noqa: F401  (the base of every check defined here)
