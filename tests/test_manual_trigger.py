"""Manual mode: the suite tells an operator what to make the CSMS do, and waits for the frame."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from csmscheck.bundled import BundledCsms
from csmscheck.settings import Settings, load_settings
from csmscheck.station import Station
from csmscheck.station.states import v201 as states
from csmscheck.station.station import Endpoint
from csmscheck.suite.operator import Csms
from csmscheck.trigger.client import ManualTrigger


@pytest.fixture
async def bundled_settings() -> AsyncIterator[Settings]:
    settings = load_settings(environ={})
    bundled = await asyncio.to_thread(BundledCsms, settings)
    try:
        yield bundled.settings_for(settings)
    finally:
        await asyncio.to_thread(bundled.stop)


async def test_operator_prompt_names_the_call_and_the_suite_waits_for_it(bundled_settings: Settings) -> None:
    cfg = bundled_settings
    assert cfg.target is not None and cfg.trigger is not None
    prompts: list[str] = []
    operator_done: list[asyncio.Task[httpx.Response]] = []

    async def operator_acts(text: str) -> httpx.Response:
        """A person reading the prompt and using the CSMS's own UI (here: its API)."""
        payload = json.loads(text[text.index("{"): text.rindex("}") + 1])
        async with httpx.AsyncClient(base_url=cfg.trigger or "") as client:
            return await client.post(f"/api/octt/2.0.1/{cfg.cp201_sp1}/reset", json=payload)

    def say(text: str) -> None:
        prompts.append(text)
        operator_done.append(asyncio.get_running_loop().create_task(operator_acts(text)))

    station = Station(cfg.cp201_sp1, "2.0.1", cfg, Endpoint(cfg.target, cfg.basic_auth_password))
    await station.connect()
    try:
        await states.booted(station)
        csms = Csms(ManualTrigger(say=say, confirm=False))
        async with station.expect("Reset", reply={"status": "Accepted"}) as got:
            assert await csms.request(station, "Reset", {"type": "OnIdle"}) is None
        assert got.payload == {"type": "OnIdle"}
        assert "Make the CSMS send Reset (OCPP 2.0.1) to CP201_SP1" in prompts[0]
        assert (await operator_done[0]).status_code == 200
    finally:
        await station.close()


async def test_setup_actions_are_prompted() -> None:
    said: list[str] = []
    trigger = ManualTrigger(say=said.append, confirm=False)
    await trigger.set_registration_status("CS1", "Pending", boots=1)
    await trigger.create_token("TAG-9", "ISO14443", "Blocked")
    assert "answer the next 1 BootNotification of CS1 with Pending" in said[0]
    assert "ID token TAG-9 (ISO14443) with status Blocked" in said[1]
