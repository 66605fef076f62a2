"""Tables of remote control (block F) and availability (block G): what the CSMS asked and the station accepted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from csmscheck.csms.models import Base


class RemoteStart(Base):
    """A RequestStartTransaction the CSMS sent, the station's answer, and the transaction it caused."""

    __tablename__ = "remote_starts"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    remote_start_id: Mapped[int] = mapped_column(primary_key=True)
    id_token: Mapped[str] = mapped_column(String(255))
    id_token_type: Mapped[str] = mapped_column(String(32))
    group_id_token: Mapped[str | None] = mapped_column(String(255))
    evse_id: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16))  # the station's answer: Accepted or Rejected
    requested_at: Mapped[datetime]
    # The station's transaction id: from the answer (already running) or the first matching TransactionEvent.
    transaction_id: Mapped[str | None] = mapped_column(String(36))
    linked_at: Mapped[datetime | None]


class RemoteStop(Base):
    """A RequestStopTransaction the CSMS sent, and when the transaction actually ended."""

    __tablename__ = "remote_stops"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    transaction_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class OperationalStatus(Base):
    """The availability an accepted ChangeAvailability set: evse 0 is the station, connector 0 the whole EVSE.

    ``scheduled`` is true while the station has yet to apply it (it answered Scheduled
    because a transaction was running); the station's status reports settle it.
    """

    __tablename__ = "operational_status"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    evse_id: Mapped[int] = mapped_column(primary_key=True)
    connector_id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # Operative or Inoperative
    scheduled: Mapped[bool] = mapped_column(default=False)
    requested_at: Mapped[datetime]
    effective_at: Mapped[datetime | None]
