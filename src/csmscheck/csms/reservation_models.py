"""Tables of blocks H and J: reservations, and the signatures that come with signed meter values."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from csmscheck.csms.models import Base, MeterValue

# A reservation's life: Active until it is Used (a transaction of its holder took it), Cancelled (the
# station accepted a CancelReservation), Expired or Removed (the station said so, ReservationStatusUpdate),
# or NotFound (the station answered a CancelReservation: no such reservation). A ReserveNow the station
# refused is kept with the station's status (Rejected, Occupied, Faulted, Unavailable): never active.
ACTIVE = "Active"


class Reservation(Base):
    """A reservation the CSMS made (ReserveNow) and what became of it."""

    __tablename__ = "reservations"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    reservation_id: Mapped[int] = mapped_column(primary_key=True)
    evse_id: Mapped[int | None]  # None: any EVSE of the station (possibly of one connector type)
    connector_type: Mapped[str | None] = mapped_column(String(20))
    id_token: Mapped[str] = mapped_column(String(255))
    id_token_type: Mapped[str] = mapped_column(String(32))
    group_id: Mapped[str | None] = mapped_column(String(255))
    expiry: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    transaction_pk: Mapped[int | None] = mapped_column(ForeignKey("transactions.pk"))
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class SignedMeterValue(Base):
    """The signature a station sent with one sampled value (2.0.1 signedMeterValue), kept for audits."""

    __tablename__ = "signed_meter_values"

    pk: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    meter_value_pk: Mapped[int] = mapped_column(ForeignKey("meter_values.pk"), index=True)
    signed_meter_data: Mapped[str] = mapped_column(Text)
    signing_method: Mapped[str] = mapped_column(String(50))
    encoding_method: Mapped[str] = mapped_column(String(50))
    public_key: Mapped[str] = mapped_column(Text)
    # The backref gives MeterValue a ``signed`` list, so a signature is saved with its row.
    meter_value: Mapped[MeterValue] = relationship(backref=backref("signed", cascade="all, delete-orphan"))
