"""Tables of OCPP 2.0.1 certificate signing (A02, A03), certificate status look-ups (M06) and the
ISO 15118 EV certificate requests (M01, M02) a station relayed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from csmscheck.csms.models import Base

# What became of a signed certificate: Issued (CertificateSigned on its way), then the station's
# CertificateSignedResponse status (Accepted: installed; Rejected: not installed) or Undelivered.
ISSUED = "Issued"


class CertificateSigning(Base):
    """One SignCertificateRequest: the decision on its CSR and, when signed, the chain and its fate."""

    __tablename__ = "certificate_signings"

    pk: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    certificate_type: Mapped[str] = mapped_column(String(32))  # ChargingStationCertificate or V2GCertificate
    decision: Mapped[str] = mapped_column(String(16))  # the SignCertificateResponse status
    reason: Mapped[str | None] = mapped_column(String(255))  # why a CSR was rejected
    serial_number: Mapped[str | None] = mapped_column(String(40))
    certificate_chain: Mapped[str | None] = mapped_column(Text)
    delivery: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[datetime]
    not_after: Mapped[datetime | None]


class CertificateStatusLookup(Base):
    """One GetCertificateStatusRequest: the OCSP responder asked and what the CSMS answered."""

    __tablename__ = "certificate_status_lookups"

    pk: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    serial_number: Mapped[str] = mapped_column(String(40))
    responder_url: Mapped[str] = mapped_column(String(512))
    outcome: Mapped[str] = mapped_column(String(16))  # good, revoked, unknown, unavailable
    status: Mapped[str] = mapped_column(String(16))  # the GetCertificateStatusResponse status
    reason: Mapped[str | None] = mapped_column(String(255))
    asked_at: Mapped[datetime]


class EvCertificateRequest(Base):
    """One Get15118EVCertificateRequest: the EXI request relayed to the contract certificate pool."""

    __tablename__ = "ev_certificate_requests"

    pk: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), index=True)
    action: Mapped[str] = mapped_column(String(8))  # Install or Update
    schema_version: Mapped[str] = mapped_column(String(50))
    request_sha256: Mapped[str] = mapped_column(String(64))
    request_size: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))  # the Get15118EVCertificateResponse status
    reason: Mapped[str | None] = mapped_column(String(255))
    received_at: Mapped[datetime]
