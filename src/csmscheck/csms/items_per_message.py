"""How many items the CSMS puts in one GetVariables, SetVariables or GetReport request (OCPP 2.0.1).

Two sources limit it: what the station reports as DeviceDataCtrlr.ItemsPerMessage[<request>]
(its capability, learnt from reports and GetVariables answers, the latest report winning),
and what an operator configured for the station (e.g. from its data sheet, before the
station ever reported anything). The CSMS never exceeds either, so it uses the lower of the
two: a station that reports a smaller capability than the operator entered is not flooded,
and an operator can keep messages smaller than the station allows.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete, select

from csmscheck.csms.models import ItemsPerMessageLimit
from csmscheck.csms.store import Store

REQUESTS = ("GetVariables", "SetVariables", "GetReport")


async def configure(store: Store, station_id: str, limits: Mapping[str, int | None]) -> None:
    """Replace the operator's limits for the station: a request left out (or None) has none."""
    async with store.session() as db:
        await db.execute(delete(ItemsPerMessageLimit).filter_by(station_id=station_id))
        for request, items in limits.items():
            if request not in REQUESTS:
                raise ValueError(f"ItemsPerMessage has no instance {request!r}")
            if items is not None:
                db.add(ItemsPerMessageLimit(station_id=station_id, request=request, items=items))


async def configured(store: Store, station_id: str, request: str) -> int | None:
    """The operator's limit for ``request`` messages to the station, if one is configured."""
    async with store.session() as db:
        items: int | None = await db.scalar(select(ItemsPerMessageLimit.items).filter_by(
            station_id=station_id, request=request))
    return items


def effective(reported: int | None, operator: int | None) -> int | None:
    """The lower of the station's reported and the operator's limit; None when neither is known."""
    known = [limit for limit in (reported, operator) if limit is not None]
    return min(known) if known else None
