"""The reference CSMS's routing: one handler per action and version."""

from __future__ import annotations

import pytest

from csmscheck.csms.router import ROUTES, Payload, handles


def test_a_second_handler_for_an_action_is_refused() -> None:
    existing = ROUTES["2.0.1"].handlers["Heartbeat"]

    async def another(_connection: object, _request: Payload) -> Payload:
        return {}

    with pytest.raises(ValueError, match=r"Heartbeat is handled by .*heartbeat already"):
        handles("2.0.1", "Heartbeat")(another)  # type: ignore[arg-type]
    assert ROUTES["2.0.1"].handlers["Heartbeat"] is existing
