"""csmscheck checks of the OCPP 1.6J cases (ids ``CSC-16-...``)."""

from __future__ import annotations

from csmscheck.checks import ExtraCheck

OLD_PASSWORD_REFUSED = ExtraCheck(
    "CSC-16-SEC-01",
    "After the Central System changed AuthorizationKey and the charge point reconnected with the new password, "
    "the old password must no longer open a connection: the security extension replaces the password "
    "(OCPP 1.6 security whitepaper, 'AuthorizationKey'), it does not add one.",
)
