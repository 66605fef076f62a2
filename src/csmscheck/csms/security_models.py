"""Tables of security: events, certificates, logs, signed firmware, profiles (the OCPP 1.6 security extension,
and the CA certificates of OCPP 2.0.1 block M)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from csmscheck.csms.models import Base


class SecurityEvent(Base):
    """Each SecurityEventNotification a station sent."""

    __tablename__ = "security_events"

    pk: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    type: Mapped[str] = mapped_column(String(50))
    timestamp: Mapped[datetime]
    tech_info: Mapped[str | None] = mapped_column(String(255))
    received_at: Mapped[datetime]


class InstalledCertificate(Base):
    """A certificate the CSMS knows to be installed on a station (by its certificateHashData)."""

    __tablename__ = "installed_certificates"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    certificate_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    hash_algorithm: Mapped[str] = mapped_column(String(8), primary_key=True)
    issuer_name_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    issuer_key_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    serial_number: Mapped[str] = mapped_column(String(40), primary_key=True)
    certificate: Mapped[str | None] = mapped_column(Text)  # PEM, when the CSMS installed it itself
    updated_at: Mapped[datetime]
    # 2.0.1 V2GCertificateChain: a sub-CA listed under the chain's leaf (childCertificateHashData) names the
    # leaf's serial number here; None for a root or a leaf.
    child_of: Mapped[str | None] = mapped_column(String(40))


class CertificateInstallation(Base):
    """An InstallCertificate the CSMS sent (2.0.1) and what came of it: installed only when Accepted."""

    __tablename__ = "certificate_installations"

    pk: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    certificate_type: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str | None] = mapped_column(String(255))
    serial_number: Mapped[str | None] = mapped_column(String(40))
    certificate: Mapped[str] = mapped_column(Text)
    # Sent (no answer yet, or none came), then Accepted / Rejected / Failed (InstallCertificateResponse).
    status: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(String(512))  # statusInfo of a refusal
    attempted_at: Mapped[datetime]


class IssuedCertificate(Base):
    """A charge point certificate the CSMS's CA signed from the station's CSR, and its fate."""

    __tablename__ = "issued_certificates"

    pk: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    serial_number: Mapped[str] = mapped_column(String(40))
    certificate_chain: Mapped[str] = mapped_column(Text)
    # Issued → Accepted / Rejected (CertificateSigned.conf) or Undelivered.
    status: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime]
    not_after: Mapped[datetime]


class LogRequest(Base):
    """A GetLog the CSMS sent and the upload status the station reported for it."""

    __tablename__ = "log_requests"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    request_id: Mapped[int] = mapped_column(primary_key=True)
    log_type: Mapped[str | None] = mapped_column(String(16))
    remote_location: Mapped[str | None] = mapped_column(String(512))
    filename: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(24))
    updated_at: Mapped[datetime]


class SignedFirmwareUpdate(Base):
    """A SignedUpdateFirmware the CSMS sent and the status the station reported for it."""

    __tablename__ = "signed_firmware_updates"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    request_id: Mapped[int] = mapped_column(primary_key=True)
    location: Mapped[str | None] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime]


class SecurityProfileChange(Base):
    """A security profile the station agreed to move to but has not connected with yet."""

    __tablename__ = "security_profile_changes"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    profile: Mapped[int]
    requested_at: Mapped[datetime]
