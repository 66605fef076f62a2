"""Tables of the local authorization lists (block D): what each station accepted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from csmscheck.csms.models import Base


class LocalListVersion(Base):
    """The list version the station last reported or accepted; None when it is unknown."""

    __tablename__ = "local_list_versions"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    version: Mapped[int | None]
    updated_at: Mapped[datetime]


class LocalListEntry(Base):
    """One AuthorizationData the station holds in its local list, as the CSMS sent it."""

    __tablename__ = "local_list_entries"

    station_id: Mapped[str] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    id_token: Mapped[str] = mapped_column(String(36), primary_key=True)  # upper case: tokens are case-insensitive
    type: Mapped[str] = mapped_column(String(20), primary_key=True)
    id_token_info: Mapped[dict[str, Any]] = mapped_column(JSON)
