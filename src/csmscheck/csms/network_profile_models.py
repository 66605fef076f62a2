"""Table of OCPP 2.0.1 network connection profiles (A05, B09): what the CSMS set in a station's slots."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from csmscheck.csms.models import Base


class NetworkProfile(Base):
    """A SetNetworkProfile the station accepted: the connection data it now holds in ``slot``."""

    __tablename__ = "network_profiles"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    slot: Mapped[int] = mapped_column(primary_key=True)
    security_profile: Mapped[int]
    csms_url: Mapped[str] = mapped_column(String(512))
    ocpp_version: Mapped[str] = mapped_column(String(8))
    ocpp_interface: Mapped[str] = mapped_column(String(16))
    accepted_at: Mapped[datetime]
