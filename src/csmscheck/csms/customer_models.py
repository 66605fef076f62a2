"""Tables of OCPP 2.0.1 log uploads and customer information (block N: N01, N09, N10).

- :class:`LogUpload`: a GetLog the CSMS sent, the station's answer and every LogStatusNotification of
  its requestId since (``history``), so an upload's course stays visible, failures included (2.0.1;
  the 1.6 security log requests are ``security_models.LogRequest``).
- :class:`CustomerRequest`: a CustomerInformation the CSMS sent, the station's answer and the
  NotifyCustomerInformation parts of its requestId, assembled in seqNo order into one report once
  the part without ``tbc`` arrived.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from csmscheck.csms.models import Base


class LogUpload(Base):
    """One GetLogRequest: ``status`` is the latest word on it (Requested, the answer, then each notification)."""

    __tablename__ = "log_uploads"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    request_id: Mapped[int] = mapped_column(primary_key=True)
    log_type: Mapped[str] = mapped_column(String(20))
    remote_location: Mapped[str] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str | None] = mapped_column(String(255))
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"status", "at"}] in arrival order
    canceled_by: Mapped[int | None]  # the requestId of the GetLog that cancelled this upload
    requested_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CustomerRequest(Base):
    """One CustomerInformationRequest, its answer and its report; ``customer`` is the reference as a key."""

    __tablename__ = "customer_requests"
    __table_args__ = (Index("ix_customer_requests_station_customer", "station_id", "customer"),)

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    request_id: Mapped[int] = mapped_column(primary_key=True)
    customer: Mapped[str] = mapped_column(String(300))
    reference: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"idToken": …} | {"customerIdentifier": …} | …
    report: Mapped[bool]
    clear: Mapped[bool]
    status: Mapped[str] = mapped_column(String(20))  # Requested, then Accepted / Rejected / Invalid
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"seqNo", "data", "generatedAt"}]
    complete: Mapped[bool] = mapped_column(default=False)
    data: Mapped[str | None] = mapped_column(Text)  # the assembled report, once complete
    list_update: Mapped[str | None] = mapped_column(String(20))  # a cleared listed idToken: the SendLocalList answer
    requested_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
