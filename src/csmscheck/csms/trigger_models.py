"""Bodies and answers of the trigger API.

Every field is named in camelCase, as the API documents it; the snake_case names the
original OCTT pytest suite sends (``station_id``, ``token_id``, ``security_profile``,
``get_variables``, ...) are accepted for the same fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StrictBool, StrictInt


def _named(camel: str, *others: str, **field: Any) -> Any:
    """A field read from its camelCase name or any of ``others`` (the original suite's snake_case)."""
    return Field(validation_alias=AliasChoices(camel, *others), **field)


class OcppReply(BaseModel):
    """The station's answer: ``response`` for a CALLRESULT, ``error`` for a CALLERROR."""

    response: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


class Done(BaseModel):
    """A set-up request the CSMS carried out."""

    status: Literal["Accepted"] = "Accepted"


class BasicAuthPassword(BaseModel):
    stationId: str = _named("stationId", "station_id", min_length=1)
    password: str = Field(min_length=1, max_length=40)


class TokenSpec(BaseModel):
    idToken: str = _named("idToken", "token_id", "id_token", min_length=1, max_length=255)
    type: str = "ISO14443"
    status: Literal["Accepted", "Blocked", "Expired", "Invalid", "NoCredit", "NotAllowedTypeEVSE",
                    "NotAtThisLocation", "NotAtThisTime", "Unknown", "ConcurrentTx"] = "Accepted"
    groupId: str | None = _named("groupId", "group_id", default=None)
    cacheExpiryDateTime: datetime | None = _named("cacheExpiryDateTime", "cache_expiry_date_time", default=None)


class RegistrationSpec(BaseModel):
    stationId: str = _named("stationId", "station_id")
    status: Literal["Accepted", "Pending", "Rejected"]
    boots: int | None = Field(default=None, ge=1, description="how many BootNotifications get this status; "
                              "afterwards the station is Accepted again (absent: until changed)")


class PendingBoot(BaseModel):
    """The original suite's ``set-pending-boot``: Pending from the next boot until cleared."""

    model_config = ConfigDict(extra="forbid")

    pending: StrictBool = Field(default=True, description="true: answer every BootNotification Pending until "
                                "cleared; false: Accepted again")


class SecurityProfileSpec(BaseModel):
    """The original suite's ``set-security-profile``: the station's profile in the CSMS's database."""

    model_config = ConfigDict(extra="forbid")

    securityProfile: StrictInt = _named("securityProfile", "security_profile", ge=1, le=3)


def _limit(camel: str, snake: str) -> Any:
    return _named(camel, snake, default=None, ge=0,
                  description=f"ItemsPerMessage{camel[0].upper()}{camel[1:]} (0 or absent: no operator limit)")


class ItemsPerMessageSpec(BaseModel):
    """The original suite's ``set-items-per-message``: the station's ItemsPerMessage as the operator knows it.

    The body is the whole configuration: a request left out has no operator limit. The CSMS
    splits by the lower of this and what the station reports itself.
    """

    model_config = ConfigDict(extra="forbid")

    getVariables: StrictInt | None = _limit("getVariables", "get_variables")
    setVariables: StrictInt | None = _limit("setVariables", "set_variables")
    getReport: StrictInt | None = _limit("getReport", "get_report")

    def limits(self) -> dict[str, int | None]:
        """Per request kind, the limit (None: none)."""
        given = {"GetVariables": self.getVariables, "SetVariables": self.setVariables, "GetReport": self.getReport}
        return {request: items or None for request, items in given.items()}


class PasswordUpdate(BaseModel):
    """The original suite's ``update-basic-auth-password`` sends an empty object: the CSMS picks the password."""

    model_config = ConfigDict(extra="forbid")
