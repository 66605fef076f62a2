"""Tables of OCPP 2.0.1 firmware management (block L): updates and publications the CSMS asked for.

- :class:`FirmwareUpdate`: an UpdateFirmwareRequest the CSMS sent (L01), the station's answer and
  every FirmwareStatusNotification about it, in order. ``outcome`` is set by the status that ends
  the update: Installed, or the failure it is (never recorded as success).
- :class:`FirmwarePublication`: a PublishFirmwareRequest (L03) and its PublishFirmwareStatusNotifications;
  ``locations`` where the Local Controller publishes it; ``unpublished`` once UnpublishFirmware (L04) succeeded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from csmscheck.csms.models import Base

# Statuses after which an update is over (the station sends no more about it).
UPDATE_ENDS = frozenset({"Installed", "DownloadFailed", "InvalidSignature", "InstallVerificationFailed",
                         "InstallationFailed", "InvalidCertificate", "RevokedCertificate"})
# Statuses of an update that has not yet installed, so the station may hold back new sessions (L01.FR.06/07).
PENDING_INSTALL = frozenset({"DownloadScheduled", "Downloading", "Downloaded", "SignatureVerified",
                             "InstallScheduled", "Installing", "InstallRebooting"})
PUBLISH_ENDS = frozenset({"Published", "DownloadFailed", "InvalidChecksum", "PublishFailed"})


class FirmwareUpdate(Base):
    __tablename__ = "firmware_updates"
    __table_args__ = (Index("ix_firmware_updates_station_request", "station_id", "request_id"),)

    pk: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"))
    request_id: Mapped[int]
    location: Mapped[str] = mapped_column(String(512))
    retrieve_at: Mapped[datetime]
    install_at: Mapped[datetime | None]
    signed_by_csms: Mapped[bool] = mapped_column(default=False)  # the CSMS added certificate and signature
    answer: Mapped[str | None] = mapped_column(String(32))  # UpdateFirmwareResponse.status
    requested_at: Mapped[datetime]
    status: Mapped[str | None] = mapped_column(String(32))  # the latest FirmwareStatusNotification
    status_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(32))  # Installed, a failure, or Canceled; None: going on
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{"status", "at"}]


class FirmwarePublication(Base):
    __tablename__ = "firmware_publications"
    __table_args__ = (Index("ix_firmware_publications_station_request", "station_id", "request_id"),)

    pk: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"))
    request_id: Mapped[int]
    location: Mapped[str] = mapped_column(String(512))
    checksum: Mapped[str] = mapped_column(String(32))
    answer: Mapped[str | None] = mapped_column(String(32))
    requested_at: Mapped[datetime]
    status: Mapped[str | None] = mapped_column(String(32))
    locations: Mapped[list[str] | None] = mapped_column(JSON)
    unpublished: Mapped[bool] = mapped_column(default=False)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
