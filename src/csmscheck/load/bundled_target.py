"""The bundled reference CSMS as a load run's target: its own process (so its CPU and memory
are measured apart from the generator's), a fresh database, the run's stations provisioned."""

from __future__ import annotations

from dataclasses import dataclass

from csmscheck.csms.process import DEFAULT_PASSWORD, CsmsProcess, CsmsProcessFailed, start_csms_process
from csmscheck.load.options import LoadOptions

START_TIMEOUT_S = 300.0  # provisioning 100,000 stations takes a while
BundledCsmsFailed = CsmsProcessFailed


@dataclass
class BundledTarget:
    csms: CsmsProcess
    password: str

    @property
    def url(self) -> str:
        return self.csms.url

    @property
    def pid(self) -> int:
        return self.csms.pid

    async def stop(self) -> None:
        await self.csms.stop()


def provisions(options: LoadOptions, password: str) -> list[dict[str, object]]:
    """``[csms] provision`` entries for every station of the run (all shards'), by OCPP version."""
    entries: list[dict[str, object]] = []
    n = 0
    while n < options.stations:
        version = options.profile.version_of(n, options.stations)
        end = n
        while end < options.stations and options.profile.version_of(end, options.stations) == version:
            end += 1
        entries.append({"pattern": options.id_pattern, "start": n, "count": end - n, "ocpp_version": version,
                        "security_profile": 1, "password": password})
        n = end
    return entries


async def start_bundled(options: LoadOptions) -> BundledTarget:
    password = options.password or DEFAULT_PASSWORD
    csms = await start_csms_process({"provision": provisions(options, password)}, purpose="load",
                                    timeout=START_TIMEOUT_S)
    return BundledTarget(csms, password)
