"""Authorization decisions over the CSMS's token table, for both OCPP versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from csmscheck.csms.models import IdToken
from csmscheck.csms.store import Store, now


@dataclass(frozen=True)
class TokenVerdict:
    status: str  # an AuthorizationStatus of OCPP 2.0.1 (1.6 maps it)
    group_id: str | None = None
    expiry: datetime | None = None


def as_utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; everything stored is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def verdict_for(store: Store, id_token: str) -> TokenVerdict:
    """Unknown tokens are Unknown; a token past its expiry is Expired. Tokens are case-insensitive."""
    async with store.session() as db:
        token = await db.get(IdToken, id_token)
        if token is None:
            token = await db.scalar(select(IdToken).where(func.upper(IdToken.id_token) == id_token.upper()).limit(1))
    if token is None:
        return TokenVerdict("Unknown")
    expiry = as_utc(token.expiry) if token.expiry else None
    if token.status == "Accepted" and expiry is not None and expiry <= now():
        return TokenVerdict("Expired", token.group_id, expiry)
    return TokenVerdict(token.status, token.group_id, expiry)


_V16_STATUS = {"Accepted": "Accepted", "Blocked": "Blocked", "Expired": "Expired", "ConcurrentTx": "ConcurrentTx"}


def id_tag_info(verdict: TokenVerdict) -> dict[str, str]:
    """OCPP 1.6 idTagInfo: statuses 1.6 lacks become Invalid."""
    info = {"status": _V16_STATUS.get(verdict.status, "Invalid")}
    if verdict.group_id:
        info["parentIdTag"] = verdict.group_id
    if verdict.expiry:
        info["expiryDate"] = verdict.expiry.isoformat().replace("+00:00", "Z")
    return info


def id_token_info(verdict: TokenVerdict) -> dict[str, object]:
    """OCPP 2.0.1 idTokenInfo: the group as groupIdToken; the expiry (cacheExpiryDateTime) of an Accepted token."""
    info: dict[str, object] = {"status": verdict.status}
    if verdict.group_id:
        info["groupIdToken"] = {"idToken": verdict.group_id, "type": "Central"}
    if verdict.expiry and verdict.status == "Accepted":
        info["cacheExpiryDateTime"] = verdict.expiry.isoformat().replace("+00:00", "Z")
    return info
