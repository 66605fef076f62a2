"""Bodies and answers of the trigger API.

Every field is named in camelCase, as the API documents it; the snake_case names the
original OCTT pytest suite sends (``station_id``, ``token_id``, ``security_profile``,
``get_variables``, ...) are accepted for the same fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator, model_validator

from csmscheck import idtokens
from csmscheck.csms.provisioning import (
    IDENTITY_MAX_LENGTH,
    MAX_BULK,
    MAX_START,
    BulkStations,
    identity_problem,
    password_problem,
)

INT32_MAX = 2**31 - 1  # OCPP integers are 32-bit; the database's too


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


def _station_id(**field: Any) -> Any:
    return _named("stationId", "station_id", min_length=1, max_length=IDENTITY_MAX_LENGTH, **field)


class BasicAuthPassword(BaseModel):
    stationId: str = _station_id()
    # Any length a station of either version can carry: a CSMS under test may be set up with "test1234".
    password: str = Field(min_length=1, max_length=idtokens.PASSWORD_MAX_LENGTH)


class TokenSpec(BaseModel):
    """An ID token; the limits are OCPP 2.0.1's IdTokenType (a 1.6 idTag is at most 20 characters)."""

    idToken: str = _named("idToken", "token_id", "id_token", min_length=1, max_length=idtokens.ID_TOKEN_MAX_LENGTH,
                          description="at most 36 characters (2.0.1 IdTokenType.idToken; 1.6 stations send "
                                      "idTags of at most 20)")
    type: str = Field(default="ISO14443", description="OCPP 2.0.1 IdTokenEnumType")
    status: Literal["Accepted", "Blocked", "Expired", "Invalid", "NoCredit", "NotAllowedTypeEVSE",
                    "NotAtThisLocation", "NotAtThisTime", "Unknown", "ConcurrentTx"] = "Accepted"
    groupId: str | None = _named("groupId", "group_id", default=None, min_length=1,
                                 max_length=idtokens.ID_TOKEN_MAX_LENGTH,
                                 description="the group's idToken: at most 36 characters (1.6 parentIdTag: 20)")
    cacheExpiryDateTime: datetime | None = _named("cacheExpiryDateTime", "cache_expiry_date_time", default=None)

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if rule := idtokens.id_token_type_problem(value):
            raise ValueError(f"must be {rule}")
        return value


class RegistrationSpec(BaseModel):
    stationId: str = _station_id()
    status: Literal["Accepted", "Pending", "Rejected"]
    boots: StrictInt | None = Field(default=None, ge=1, le=INT32_MAX,
                                    description="how many BootNotifications get this status; afterwards the "
                                                "station is Accepted again (absent: until changed)")


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
    return _named(camel, snake, default=None, ge=0, le=INT32_MAX,
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


# -- stations ----------------------------------------------------------------------------

OcppVersionName = Literal["1.6", "2.0.1"]
_PASSWORD_RULE = ("the station's basic-auth password (profiles 1 and 2; optional for 3). OCPP 2.0.1: "
                  "16 to 40 characters, letters, digits and * - _ = : + | @ . (SecurityCtrlr.BasicAuthPassword); "
                  "OCPP 1.6: 16 to 20 bytes as 32 to 40 hex digits (AuthorizationKey)")


class NewStation(BaseModel):
    """A station to register; it may connect as soon as it is created."""

    model_config = ConfigDict(extra="forbid")

    stationId: str = Field(description="its identity: printable ASCII without spaces or '/', at most 48 characters")
    ocppVersion: OcppVersionName
    securityProfile: Literal[1, 2, 3] = Field(description="1: ws:// + basic auth; 2: wss:// + basic auth; "
                                                         "3: wss:// + client certificate")
    password: str | None = Field(default=None, description=_PASSWORD_RULE)

    @field_validator("stationId")
    @classmethod
    def _identity(cls, value: str) -> str:
        if rule := identity_problem(value):
            raise ValueError(f"must be {rule}")
        return value

    @model_validator(mode="after")
    def _password(self) -> NewStation:
        if rule := password_problem(self.ocppVersion, self.securityProfile, self.password):
            raise ValueError(f"password must be {rule}")
        return self


class NewStations(BaseModel):
    """Stations ``pattern.format(n=n)`` for n = start ... start + count - 1, all with one password."""

    model_config = ConfigDict(extra="forbid")

    pattern: str = Field(max_length=200, description="exactly one {n} field, with any integer format: LOAD{n:05d}")
    count: StrictInt = Field(ge=1, le=MAX_BULK)
    start: StrictInt = Field(default=0, ge=0, le=MAX_START)
    ocppVersion: OcppVersionName = "2.0.1"
    securityProfile: Literal[1, 2, 3] = 1
    password: str | None = Field(default=None, description=_PASSWORD_RULE + ". Hashed once: every station of "
                                 "the request shares one credential")

    def bulk(self) -> BulkStations:
        return BulkStations(self.pattern, self.count, self.password, self.ocppVersion, self.securityProfile,
                            self.start)

    @model_validator(mode="after")
    def _rules(self) -> NewStations:
        if problem := self.bulk().problem():
            field, rule = problem
            raise ValueError(f"{field} must be {rule}")
        return self


class Provisioned(BaseModel):
    created: int = Field(description="stations created")
    existing: int = Field(description="stations that existed already and were left as they were")


class StationView(BaseModel):
    """A station as the CSMS knows it (never its password)."""

    stationId: str
    ocppVersion: str
    securityProfile: int
    connected: bool
    bootStatus: str | None = Field(description="the answer to its last BootNotification (null: never booted)")
    vendor: str | None = None
    model: str | None = None
    serialNumber: str | None = None
    firmwareVersion: str | None = None
    lastBootAt: str | None = None


class StationDetail(StationView):
    connectors: list[dict[str, Any]] = Field(description="the latest status per connector")
    transactions: list[dict[str, Any]] = Field(description="its 20 latest transactions")
    chargingProfiles: list[dict[str, Any]] = Field(
        default_factory=list, description="2.0.1: the charging profiles the CSMS believes it holds, per EVSE "
        "(installed, sent with a remote start and waiting for the transaction, or reported)")
    externalLimits: list[dict[str, Any]] = Field(
        default_factory=list,
        description="2.0.1: limits external systems set (NotifyChargingLimit), per EVSE and source")
    compositeChecks: list[dict[str, Any]] = Field(
        default_factory=list, description="2.0.1: per EVSE, the last composite schedule it reported and where it "
        "differs from the CSMS's own")
    loadLevelling: list[dict[str, Any]] = Field(
        default_factory=list, description="2.0.1: ISO 15118 load levelling of its 20 latest transactions: the "
        "answer to the EV's needs, what was granted, the TxProfile last sent and the verdict on the EV's schedule")
    installedCertificates: list[dict[str, Any]] = Field(
        default_factory=list, description="the CA certificates the CSMS believes it holds (installed by the CSMS or "
        "listed by the station), by type and certificateHashData; a V2G chain's sub-CAs name the leaf in childOf")
    certificateInstallations: list[dict[str, Any]] = Field(
        default_factory=list, description="2.0.1: its 20 latest InstallCertificate requests and the station's answers")
    displayMessages: list[dict[str, Any]] = Field(
        default_factory=list, description="2.0.1: the display messages the CSMS believes it shows (set and accepted, "
        "or reported), those past their endDateTime or of an ended transaction left out")
    displayMessageAttempts: list[dict[str, Any]] = Field(
        default_factory=list, description="2.0.1: its 20 latest SetDisplayMessage requests and the station's answers")
    logRequests: list[dict[str, Any]] = Field(
        default_factory=list, description="2.0.1: its 20 latest GetLog requests: the answer (file name), every "
        "LogStatusNotification in order (history) and the request that cancelled an upload (canceledBy)")
    customerReports: list[dict[str, Any]] = Field(
        default_factory=list, description="2.0.1: its 20 latest CustomerInformation requests: the customer named, the "
        "answer, the report assembled from its parts and, for a cleared idToken it listed, the local list update")
    monitors: list[dict[str, Any]] = Field(
        default_factory=list, description="2.0.1: the variable monitors the CSMS believes it holds (accepted "
        "SetVariableMonitoring, or reported), by the station's monitor id")
    monitoring: dict[str, Any] | None = Field(
        default=None, description="2.0.1: the monitoring base and level it last accepted, and the last ones asked "
        "with its answers")
    monitoringReports: list[dict[str, Any]] = Field(
        default_factory=list, description="2.0.1: its 10 latest GetMonitoringReport requests and the parts reported")
    events: list[dict[str, Any]] = Field(
        default_factory=list, description="2.0.1: its 20 latest NotifyEvent events (trigger, cleared, the monitor)")
    firmwareUpdates: list[dict[str, Any]] = Field(
        default_factory=list, description="2.0.1: its 10 latest UpdateFirmware requests: the answer, whether the CSMS "
        "signed it, every FirmwareStatusNotification in order (history) and the outcome (Installed or the failure)")
    firmwarePublications: list[dict[str, Any]] = Field(
        default_factory=list, description="2.0.1: its 10 latest PublishFirmware requests, their status history and "
        "the locations the firmware is published at")
