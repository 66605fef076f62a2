"""Tables of the reference CSMS's OCPP 1.6 feature profiles beyond Core.

Local lists, firmware and diagnostics transfers, reservations and charging profiles, as
the stations confirmed them. Registered on the shared ``Base``, so ``create_schema``
creates them with the rest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from csmscheck.csms.models import Base


class LocalAuthList(Base):
    """The Local Authorization List a station holds, as far as the CSMS knows it."""

    __tablename__ = "v16_local_lists"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    # The version the station last confirmed (SendLocalList Accepted or GetLocalListVersion).
    version: Mapped[int] = mapped_column(default=0)
    # False once the station answered NotSupported or a listVersion of -1.
    supported: Mapped[bool] = mapped_column(default=True)
    # The status of the station's answer to the last SendLocalList (Accepted, Failed, ...).
    last_update_status: Mapped[str | None]
    updated_at: Mapped[datetime]


class LocalAuthEntry(Base):
    """One idTag of a station's local list, with the idTagInfo it was sent with."""

    __tablename__ = "v16_local_list_entries"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    id_tag: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    parent_id_tag: Mapped[str | None] = mapped_column(String(20))
    expiry: Mapped[datetime | None]


class FileTransfer(Base):
    """The latest firmware update (kind "firmware") or diagnostics upload ("diagnostics") of a station."""

    __tablename__ = "v16_file_transfers"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    location: Mapped[str | None]
    requested_at: Mapped[datetime | None]
    retrieve_date: Mapped[datetime | None]
    # GetDiagnostics.conf: the name of the file the station will upload.
    file_name: Mapped[str | None]
    # The last FirmwareStatusNotification / DiagnosticsStatusNotification status.
    status: Mapped[str | None]
    status_at: Mapped[datetime | None]


class Reservation(Base):
    """A reservation the station accepted, and what became of it."""

    __tablename__ = "v16_reservations"
    __table_args__ = (UniqueConstraint("station_id", "reservation_id"),)

    pk: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    reservation_id: Mapped[int]
    connector_id: Mapped[int]  # 0: any connector of the station
    id_tag: Mapped[str] = mapped_column(String(20))
    parent_id_tag: Mapped[str | None] = mapped_column(String(20))
    expiry: Mapped[datetime]
    # Active, Used (by a transaction), Cancelled, Ended (the connector left Reserved unused)
    status: Mapped[str] = mapped_column(String(16), default="Active")
    transaction_pk: Mapped[int | None] = mapped_column(ForeignKey("transactions.pk"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ChargingProfile(Base):
    """A charging profile installed on a station (SetChargingProfile or RemoteStartTransaction accepted)."""

    __tablename__ = "v16_charging_profiles"

    pk: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    connector_id: Mapped[int]
    profile_id: Mapped[int]
    stack_level: Mapped[int]
    purpose: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(16))
    # TxProfile: the transaction it limits; None while a remote start is still pending.
    transaction_id: Mapped[int | None]
    # TxProfile sent with RemoteStartTransaction: the idTag whose transaction it will govern.
    pending_id_tag: Mapped[str | None] = mapped_column(String(20))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    installed_at: Mapped[datetime]
