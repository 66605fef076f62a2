"""Tables of OCPP 2.0.1 smart charging (block K): what the CSMS believes each station holds and knows.

- :class:`StationProfile`: the charging profiles a station holds, as the CSMS installed them
  (SetChargingProfile accepted, a TxProfile sent with a remote start) or as the station
  reported them (ReportChargingProfiles, incl. ChargingStationExternalConstraints).
- :class:`ProfileReport`: a GetChargingProfiles the CSMS sent and the parts that came so far.
- :class:`ExternalLimit`: limits an external system set (NotifyChargingLimit), per EVSE and source.
- :class:`LoadLevelling`: ISO 15118 charging needs of a transaction, what the CSMS granted, and
  the TxProfile last sent for it (the limits an EV schedule is checked against).
- :class:`CompositeCheck`: the last comparison of a station's composite schedule with the CSMS's own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from csmscheck.csms.models import Base
from csmscheck.csms.requested_reports import RequestedReport

CSMS_SOURCE = "CSO"  # the chargingLimitSource of profiles the CSMS (the operator) installed
# How the CSMS learnt of a profile.
SET, REMOTE_START, REPORTED = "SetChargingProfile", "RequestStartTransaction", "ReportChargingProfiles"


class StationProfile(Base):
    """One charging profile on one EVSE (0: the whole station) of a station.

    A TxProfile sent with RequestStartTransaction waits for its transaction (``transaction_id``
    None, ``remote_start_id`` set) and is bound to it when the transaction names the remote start.
    """

    __tablename__ = "charging_profiles"
    __table_args__ = (Index("ix_charging_profiles_station_evse", "station_id", "evse_id"),)

    pk: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"))
    evse_id: Mapped[int]
    profile_id: Mapped[int]
    stack_level: Mapped[int]
    purpose: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    transaction_id: Mapped[str | None] = mapped_column(String(36))
    remote_start_id: Mapped[int | None]
    source: Mapped[str] = mapped_column(String(8), default=CSMS_SOURCE)  # chargingLimitSource
    learnt_from: Mapped[str] = mapped_column(String(32))  # SET, REMOTE_START or REPORTED
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    installed_at: Mapped[datetime]


class ProfileReport(RequestedReport):
    """A GetChargingProfiles sent: its criteria, the answer (Accepted or NoProfiles) and the ReportChargingProfiles
    parts so far."""

    __tablename__ = "charging_profile_reports"


class ExternalLimit(Base):
    """A limit an external system imposes (NotifyChargingLimit) until it is cleared (ClearedChargingLimit)."""

    __tablename__ = "external_charging_limits"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    evse_id: Mapped[int] = mapped_column(primary_key=True)  # 0: the whole station
    source: Mapped[str] = mapped_column(String(8), primary_key=True)  # chargingLimitSource: EMS, SO, Other, CSO
    grid_critical: Mapped[bool | None]
    schedules: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # chargingSchedule, if one was given
    notified_at: Mapped[datetime]


class LoadLevelling(Base):
    """ISO 15118 load levelling of one transaction (K15–K17)."""

    __tablename__ = "load_levelling"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    transaction_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    evse_id: Mapped[int]
    needs: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the latest NotifyEVChargingNeedsRequest
    needs_status: Mapped[str | None] = mapped_column(String(16))  # the CSMS's answer to it
    granted: Mapped[float | None]
    granted_unit: Mapped[str | None] = mapped_column(String(1))
    profile_id: Mapped[int | None]  # the id of the transaction's TxProfile the CSMS sends (kept on renegotiation)
    # The TxProfile last sent for the transaction (by the CSMS itself or an operator) and its fate:
    # Sent (no answer yet), Accepted, Rejected, Undelivered.
    profile: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    profile_status: Mapped[str | None] = mapped_column(String(16))
    schedule_status: Mapped[str | None] = mapped_column(String(16))  # the answer to the last EV schedule
    renegotiations: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime]


class CompositeCheck(Base):
    """The last composite schedule a station reported for an EVSE, compared with the CSMS's own."""

    __tablename__ = "composite_schedule_checks"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    evse_id: Mapped[int] = mapped_column(primary_key=True)
    reported: Mapped[dict[str, Any]] = mapped_column(JSON)  # the station's schedule
    expected: Mapped[dict[str, Any]] = mapped_column(JSON)  # the CSMS's composite over the same window
    discrepancies: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # {offset, expected, reported}
    checked_at: Mapped[datetime]
