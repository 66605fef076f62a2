"""A vendor-behaviour profile ("quirks") as data: what one family of real chargers does its own way.

A profile is one TOML file::

    name = "kwh-phases"
    description = "What it models, in a sentence or two."
    ocpp = ["1.6", "2.0.1"]          # the versions it applies to

    [meter]                          # how meter values are written (reshaped by QuirksProfile.shape)
    unit = "kWh"                     # the energy register in Wh (default) or kWh
    phases = "before"                # rows per phase L1-L3 beside the total: "none", "before", "after"
    power_w = 7400.0                 # a Power.Active.Import row beside the register (negative: fed back)
    export_wh = -120.0               # an Energy.Active.Export.Register row beside it (signed)
    signed = true                    # the register's signed record beside it (1.6 SignedData, 2.0.1 signedMeterValue)

    [time]                           # how timestamps are written (reshaped)
    zone = "Asia/Kolkata"            # an IANA zone: local time with that zone's offset ...
    offset = "+05:30"                # ... or a fixed UTC offset (not both)
    milliseconds = false             # whole seconds only

    [tokens]
    case = "lower"                   # idTags / idTokens written "lower", "upper" or "as-is" (reshaped)
    leading_zeros = 4                # the vendor's tokens are numbers written with this many leading zeros

    [boot]
    retry_s = 2.0                    # BootNotification sent again this long after the first, whatever the answer
    reboots = 1                      # reboots while connected: BootNotification again on the same connection
    heartbeat_s = 5.0                # the heartbeat interval it keeps, whatever the CSMS said

    [offline]
    transactions = 3                 # transactions kept while offline, sent back to back on reconnect
    hours_ago = 6.0                  # when the first of them started

    [data_transfer]                  # vendor DataTransfer messages
    vendor_id = "com.example.charger"
    message_id = "Diagnostics"
    data = "..."
    on_boot = true
    during_session = true

    [status]
    session = ["Preparing", "SuspendedEV", "Charging", "SuspendedEV", "Charging", "Finishing"]
    repeat = true                    # every status sent twice

A table or key a profile leaves out keeps the default: the behaviour of a charger that writes
OCPP as the specification's examples do.
"""

from __future__ import annotations

import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# 1.6 ChargePointStatus values a session may pass through (2.0.1 maps them, see the quirks sets).
SESSION_STATUSES = ("Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing")
_OFFSET = re.compile(r"^[+-](?:[01]\d|2[0-3]):[0-5]\d$")


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Meter(_Table):
    unit: Literal["Wh", "kWh"] = "Wh"
    phases: Literal["none", "before", "after"] = "none"
    power_w: float | None = None
    export_wh: float | None = None
    signed: bool = False

    @property
    def reshapes(self) -> bool:
        return self != Meter()


class Time(_Table):
    zone: str | None = None
    offset: str | None = None
    milliseconds: bool = True

    @field_validator("zone")
    @classmethod
    def _known_zone(cls, zone: str | None) -> str | None:
        if zone is not None:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"no time zone {zone!r} (give an IANA name such as Europe/Berlin)") from None
        return zone

    @field_validator("offset")
    @classmethod
    def _offset(cls, offset: str | None) -> str | None:
        if offset is not None and not _OFFSET.match(offset):
            raise ValueError(f"{offset!r} is no UTC offset (give ±HH:MM, e.g. +05:30)")
        return offset

    @model_validator(mode="after")
    def _one_way(self) -> Time:
        if self.zone is not None and self.offset is not None:
            raise ValueError("give zone or offset, not both")
        return self


class Tokens(_Table):
    case: Literal["as-is", "lower", "upper"] = "as-is"
    leading_zeros: int = Field(default=0, ge=0, le=12)


class Boot(_Table):
    retry_s: float | None = Field(default=None, gt=0)
    reboots: int = Field(default=0, ge=0, le=5)
    heartbeat_s: float | None = Field(default=None, gt=0)


class Offline(_Table):
    transactions: int = Field(default=1, ge=1, le=10)
    hours_ago: float = Field(default=2.0, gt=0, le=24 * 30)


class DataTransfer(_Table):
    vendor_id: str = Field(min_length=1, max_length=255)
    message_id: str | None = Field(default=None, min_length=1, max_length=50)
    data: str | None = None
    on_boot: bool = True
    during_session: bool = True


class Status(_Table):
    session: tuple[Literal["Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing"], ...] = (
        "Preparing", "Charging", "Finishing")
    repeat: bool = False

    @field_validator("session", mode="before")
    @classmethod
    def _listed(cls, value: object) -> object:
        return tuple(value) if isinstance(value, list) else value  # TOML arrays are lists; strict wants the tuple

    @model_validator(mode="after")
    def _charges(self) -> Status:
        if "Charging" not in self.session:
            raise ValueError("session: a session's statuses must include Charging")
        return self


class ProfileData(_Table):
    """The file's content, checked: an unknown key or a wrong type is an error naming it."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=40)
    description: str = Field(min_length=1)
    ocpp: tuple[Literal["1.6", "2.0.1"], ...] = Field(min_length=1)
    meter: Meter = Meter()
    time: Time = Time()
    tokens: Tokens = Tokens()
    boot: Boot = Boot()
    offline: Offline = Offline()
    data_transfer: DataTransfer | None = None
    status: Status = Status()

    @field_validator("ocpp", mode="before")
    @classmethod
    def _versions(cls, value: object) -> object:
        return tuple(value) if isinstance(value, list) else value
