"""Operator set-up of a station's security profile in the CSMS: never an OCTT step, only a case's preparation
and clean-up (the profile-upgrade cases of both versions put the station back where they found it)."""

from __future__ import annotations

import httpx

from csmscheck.settings import Settings


async def set_security_profile(cfg: Settings, station_id: str, profile: int, version: str = "1.6") -> int:
    """The station's security profile in the CSMS, through the trigger API's ``…/set-security-profile`` (the
    original OCTT suite's route). Returns the HTTP status (0: the API could not be reached)."""
    headers = {"Authorization": f"Bearer {cfg.trigger_token}"} if cfg.trigger_token else {}
    async with httpx.AsyncClient(base_url=str(cfg.trigger).rstrip("/"), headers=headers, timeout=30.0) as client:
        try:
            response = await client.post(f"/api/octt/{version}/{station_id}/set-security-profile",
                                         json={"security_profile": profile})
        except httpx.HTTPError:
            return 0
    return response.status_code
