"""The reference CSMS's database schema (SQLAlchemy 2 declarative models)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine


class Base(DeclarativeBase):
    # Every moment is stored with its zone where the database keeps one (PostgreSQL); SQLite
    # keeps the UTC wall-clock time, read back by csmscheck.csms.authorization.as_utc.
    type_annotation_map: ClassVar[dict[type, TypeEngine[Any]]] = {datetime: DateTime(timezone=True)}


class Station(Base):
    __tablename__ = "stations"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    ocpp_version: Mapped[str] = mapped_column(String(8))
    security_profile: Mapped[int]
    password_hash: Mapped[str | None]
    # The status the next `override_boots` BootNotifications get, set by an operator.
    boot_override: Mapped[str | None]
    override_boots: Mapped[int] = mapped_column(default=0)
    last_boot_status: Mapped[str | None]
    last_boot_at: Mapped[datetime | None]
    last_boot_reason: Mapped[str | None]
    last_heartbeat_at: Mapped[datetime | None]
    vendor: Mapped[str | None]
    model: Mapped[str | None]
    serial_number: Mapped[str | None]
    firmware_version: Mapped[str | None]


class ConnectorStatus(Base):
    """Latest status per connector; 1.6 connector 0 and 2.0.1 evse 0 are the station."""

    __tablename__ = "connector_status"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    evse_id: Mapped[int] = mapped_column(primary_key=True)
    connector_id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str]
    error_code: Mapped[str | None]
    updated_at: Mapped[datetime]


class IdToken(Base):
    __tablename__ = "id_tokens"

    id_token: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(32), default="ISO14443")
    status: Mapped[str] = mapped_column(String(32), default="Accepted")
    group_id: Mapped[str | None]
    expiry: Mapped[datetime | None]


class Transaction(Base):
    __tablename__ = "transactions"
    # The second: a repeated 1.6 StartTransaction is found by its start time, whatever the station's history.
    __table_args__ = (UniqueConstraint("station_id", "transaction_id"),
                      Index("ix_transactions_station_start", "station_id", "started_at"))

    pk: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    # 2.0.1: the station's string id; 1.6: str(pk), the integer the CSMS handed out.
    transaction_id: Mapped[str] = mapped_column(String(36))
    evse_id: Mapped[int | None]
    connector_id: Mapped[int | None]
    id_token: Mapped[str | None]
    id_token_type: Mapped[str | None]
    group_id: Mapped[str | None]
    started_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
    stopped_reason: Mapped[str | None]
    charging_state: Mapped[str | None]
    meter_start_wh: Mapped[float | None]
    meter_stop_wh: Mapped[float | None]
    # Kept up to date event by event, so no event re-reads the transaction's history:
    # when the charging state and meter start were reported (event time), whether the start
    # is a Transaction.Begin reading, and the latest energy register reading.
    charging_state_at: Mapped[datetime | None]
    charging_state_seq_no: Mapped[int | None]
    meter_start_at: Mapped[datetime | None]
    meter_start_is_begin: Mapped[bool | None]
    meter_last_wh: Mapped[float | None]
    meter_last_at: Mapped[datetime | None]
    last_seq_no: Mapped[int] = mapped_column(default=-1)
    remote_start_id: Mapped[int | None]
    reservation_id: Mapped[int | None]
    total_cost: Mapped[float | None]


class TransactionEventLog(Base):
    """Each applied TransactionEvent (by seqNo), so a replayed event is applied once."""

    __tablename__ = "transaction_events"
    __table_args__ = (UniqueConstraint("transaction_pk", "seq_no"),)

    pk: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    transaction_pk: Mapped[int] = mapped_column(ForeignKey("transactions.pk"), index=True)
    seq_no: Mapped[int]
    event_type: Mapped[str]
    trigger_reason: Mapped[str]
    timestamp: Mapped[datetime]
    offline: Mapped[bool] = mapped_column(default=False)
    charging_state: Mapped[str | None]
    received_at: Mapped[datetime | None]  # when the CSMS got it (later than timestamp if queued offline)
    replays: Mapped[int] = mapped_column(default=0)  # deliveries after the first, not applied again


class MeterValue(Base):
    __tablename__ = "meter_values"
    # A resent MeterValues is recognised by its readings' times (csmscheck.csms.meter.store_new_readings).
    __table_args__ = (Index("ix_meter_values_station_time", "station_id", "timestamp"),)

    pk: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    transaction_pk: Mapped[int | None] = mapped_column(ForeignKey("transactions.pk"), index=True)
    evse_id: Mapped[int | None]
    timestamp: Mapped[datetime]
    measurand: Mapped[str]
    phase: Mapped[str | None]
    unit: Mapped[str | None]
    context: Mapped[str | None]
    location: Mapped[str | None]
    value: Mapped[float]


class Variable(Base):
    """The station's device model (2.0.1) or configuration keys (1.6) as last reported."""

    __tablename__ = "variables"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    component: Mapped[str] = mapped_column(String(50), primary_key=True)
    component_instance: Mapped[str] = mapped_column(String(50), primary_key=True, default="")
    evse_id: Mapped[int] = mapped_column(primary_key=True, default=0)
    connector_id: Mapped[int] = mapped_column(primary_key=True, default=0)
    variable: Mapped[str] = mapped_column(String(50), primary_key=True)
    variable_instance: Mapped[str] = mapped_column(String(50), primary_key=True, default="")
    attribute_type: Mapped[str] = mapped_column(String(16), primary_key=True, default="Actual")
    value: Mapped[str | None]
    characteristics: Mapped[dict[str, object] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class Report(Base):
    """A device model report the CSMS asked for, and how many parts have arrived."""

    __tablename__ = "reports"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    request_id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str]
    parts: Mapped[int] = mapped_column(default=0)
    complete: Mapped[bool] = mapped_column(default=False)
    requested_at: Mapped[datetime]


class ItemsPerMessageLimit(Base):
    """What an operator configured as a 2.0.1 station's ItemsPerMessage for one kind of request.

    The CSMS splits its requests by the lower of this and what the station itself reports
    (DeviceDataCtrlr.ItemsPerMessage[<request>]).
    """

    __tablename__ = "items_per_message_limits"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    request: Mapped[str] = mapped_column(String(32), primary_key=True)  # GetVariables, SetVariables, GetReport
    items: Mapped[int]
