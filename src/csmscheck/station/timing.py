"""Waiting that belongs to a scenario, never to synchronisation."""

from __future__ import annotations

import asyncio


async def scenario_wait(seconds: float) -> None:
    """Let time pass because the OCTT scenario itself does (TRANSACTION_DURATION, an expiry).

    Frames are always awaited with deadlines instead; this is only for steps such as
    "the tool waits <Configured Transaction Duration> seconds".
    """
    if seconds > 0:
        await asyncio.sleep(seconds)
