"""The bundled reference CSMS as the fuzz target: its own process (so it has a core of its own, as a real
CSMS would), a fresh database, the fuzzing stations provisioned."""

from __future__ import annotations

from csmscheck.csms.process import DEFAULT_PASSWORD, CsmsProcess, start_csms_process
from csmscheck.wire.versions import OcppVersion

PASSWORD = DEFAULT_PASSWORD
START_TIMEOUT_S = 120.0
CALL_TIMEOUT_S = 1.0


def station_ids(version: OcppVersion, count: int) -> list[str]:
    return [f"FUZZ{'201' if version == '2.0.1' else '16'}-{n:02d}" for n in range(count)]


async def start_bundled(count: int) -> CsmsProcess:
    """Start ``csmscheck csms`` with ``count`` fuzzing stations of each version."""
    provision = [{"pattern": f"FUZZ{tag}-{{n:02d}}", "start": 0, "count": count, "ocpp_version": version,
                  "security_profile": 1, "password": PASSWORD} for tag, version in (("201", "2.0.1"), ("16", "1.6"))]
    # A short wait for the station's answers: the late-answer sequence answers after the CSMS gave up.
    return await start_csms_process({"call_timeout": CALL_TIMEOUT_S, "provision": provision}, purpose="fuzz",
                                    timeout=START_TIMEOUT_S)
