"""Tables of OCPP 2.0.1 display messages (block O): what the CSMS believes each station shows.

- :class:`HeldMessage`: a message a station holds, as the CSMS set it (SetDisplayMessage
  accepted) or as the station reported it (NotifyDisplayMessages).
- :class:`MessageAttempt`: every SetDisplayMessage the CSMS sent and the station's answer,
  the refused ones included (why a message the operator asked for is not shown).
- :class:`MessageReport`: a GetDisplayMessages the CSMS sent and the parts that came so far.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from csmscheck.csms.models import Base
from csmscheck.csms.requested_reports import RequestedReport

# How the CSMS learnt of a message.
SET, REPORTED = "SetDisplayMessage", "NotifyDisplayMessages"


class HeldMessage(Base):
    """One display message of a station, by its id (a new one of the same id replaces it, O06)."""

    __tablename__ = "display_messages"
    __table_args__ = (Index("ix_display_messages_transaction", "station_id", "transaction_id"),)

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    message_id: Mapped[int] = mapped_column(primary_key=True)
    priority: Mapped[str] = mapped_column(String(16))
    state: Mapped[str | None] = mapped_column(String(16))
    start_at: Mapped[datetime | None]
    end_at: Mapped[datetime | None]
    transaction_id: Mapped[str | None] = mapped_column(String(36))
    format: Mapped[str] = mapped_column(String(8))
    language: Mapped[str | None] = mapped_column(String(8))
    content: Mapped[str] = mapped_column(String(512))
    learnt_from: Mapped[str] = mapped_column(String(24))  # SET or REPORTED
    message: Mapped[dict[str, Any]] = mapped_column(JSON)  # the MessageInfo as sent or reported
    recorded_at: Mapped[datetime]


class MessageAttempt(Base):
    """A SetDisplayMessage the CSMS sent: the message and the station's status (Accepted or why not)."""

    __tablename__ = "display_message_attempts"
    __table_args__ = (Index("ix_display_message_attempts_station", "station_id", "sent_at"),)

    pk: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"))
    message_id: Mapped[int]
    status: Mapped[str] = mapped_column(String(32))  # SetDisplayMessageResponse status
    message: Mapped[dict[str, Any]] = mapped_column(JSON)
    sent_at: Mapped[datetime]


class MessageReport(RequestedReport):
    """A GetDisplayMessages sent: its filters, the answer (Accepted or Unknown) and the NotifyDisplayMessages parts
    so far."""

    __tablename__ = "display_message_reports"
