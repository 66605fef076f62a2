"""Tables of OCPP 2.0.1 monitoring (block N): the monitors the CSMS believes each station holds, and what they told.

- :class:`StationMonitor`: a variable monitor, as the station accepted it (SetVariableMonitoring) or
  reported it (NotifyMonitoringReport); gone when a ClearVariableMonitoring removed it.
- :class:`MonitoringSetup`: the station's monitoring base and level, as it last accepted them, and the
  latest request of each with the station's answer.
- :class:`MonitoringReport`: a GetMonitoringReport the CSMS sent, its answer and the parts so far.
- :class:`MonitoringEvent`: an event of a NotifyEvent, with its trigger, whether it cleared, and the monitor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from csmscheck.csms.models import Base

# How the CSMS learnt of a monitor.
SET, REPORTED = "SetVariableMonitoring", "NotifyMonitoringReport"


class StationMonitor(Base):
    """One monitor of a station by the id the station gave it."""

    __tablename__ = "variable_monitors"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    monitor_id: Mapped[int] = mapped_column(primary_key=True)
    component: Mapped[dict[str, Any]] = mapped_column(JSON)  # ComponentType as on the wire
    variable: Mapped[dict[str, Any]] = mapped_column(JSON)  # VariableType
    type: Mapped[str] = mapped_column(String(24))  # MonitorEnumType
    value: Mapped[float]
    severity: Mapped[int]
    transaction: Mapped[bool] = mapped_column(default=False)
    learnt_from: Mapped[str] = mapped_column(String(32))  # SET or REPORTED
    updated_at: Mapped[datetime]


class MonitoringSetup(Base):
    """A station's monitoring base and level: in force (last accepted) and last asked, with the answer."""

    __tablename__ = "monitoring_setups"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    base: Mapped[str | None] = mapped_column(String(16))  # MonitoringBaseEnumType last accepted
    level: Mapped[int | None]  # severity last accepted
    base_asked: Mapped[str | None] = mapped_column(String(16))
    base_status: Mapped[str | None] = mapped_column(String(16))  # the station's answer to base_asked
    level_asked: Mapped[int | None]
    level_status: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime]


class MonitoringReport(Base):
    """A GetMonitoringReport sent: its request, the station's answer and the reported parts so far."""

    __tablename__ = "monitoring_reports"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    request_id: Mapped[int] = mapped_column(primary_key=True)
    request: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # None: a report the CSMS did not ask for
    status: Mapped[str] = mapped_column(String(16))  # the answer: Accepted, EmptyResultSet, ...
    parts: Mapped[int] = mapped_column(default=0)
    monitors: Mapped[int] = mapped_column(default=0)  # monitors reported so far
    complete: Mapped[bool] = mapped_column(default=False)
    requested_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


class MonitoringEvent(Base):
    """One eventData of a NotifyEvent the station sent."""

    __tablename__ = "monitoring_events"
    __table_args__ = (Index("ix_monitoring_events_station_received", "station_id", "received_at"),)

    pk: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"))
    event_id: Mapped[int]
    timestamp: Mapped[str] = mapped_column(String(40))  # as the station sent it
    trigger: Mapped[str] = mapped_column(String(16))  # Alerting, Delta, Periodic
    notification_type: Mapped[str] = mapped_column(String(32))  # HardWiredNotification, ..., CustomMonitor
    monitor_id: Mapped[int | None]  # variableMonitoringId
    component: Mapped[dict[str, Any]] = mapped_column(JSON)
    variable: Mapped[dict[str, Any]] = mapped_column(JSON)
    actual_value: Mapped[str] = mapped_column(String(2500))
    cleared: Mapped[bool] = mapped_column(default=False)
    cause: Mapped[int | None]
    tech_code: Mapped[str | None] = mapped_column(String(50))
    transaction_id: Mapped[str | None] = mapped_column(String(36))
    received_at: Mapped[datetime]
