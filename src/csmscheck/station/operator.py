"""What a reusable state needs from whoever makes the CSMS act: the suite's trigger adapter,
an operator, or a load scenario. A protocol here, so the station engine never imports the suite."""

from __future__ import annotations

from typing import Any, Protocol

from csmscheck.station.station import Station

Payload = dict[str, Any]


class CsmsOperator(Protocol):
    async def request(self, station: Station, action: str, payload: Payload) -> Payload | None:
        """Make the CSMS send ``action`` to ``station``; the station's reply if it was relayed."""
        ...
