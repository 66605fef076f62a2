"""``csmscheck load --quirks NAME``: the load stations write their messages the vendor's way, the frames
reach the CSMS so, and the run's verdicts still work."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from scripted_csms import csms_asking
from test_load_run import _options

from csmscheck.cli import main
from csmscheck.load.metrics import Metrics
from csmscheck.load.runner import run_load
from csmscheck.load.station import LoadStation
from csmscheck.station.quirks import load_profile

REGISTER = "Energy.Active.Import.Register"


@pytest.mark.asyncio
async def test_a_load_stations_frames_reach_the_csms_shaped_by_the_profile() -> None:
    frames: list[list[Any]] = []
    reading = {"value": 21500, "context": "Sample.Periodic", "measurand": REGISTER, "unitOfMeasure": {"unit": "Wh"}}
    event = {"eventType": "Updated", "timestamp": "2026-11-29T10:00:00.123Z", "triggerReason": "MeterValuePeriodic",
             "seqNo": 1, "transactionInfo": {"transactionId": "T-1"},
             "idToken": {"idToken": "CAFE01", "type": "ISO14443"},
             "meterValue": [{"timestamp": "2026-11-29T10:00:00.123Z", "sampledValue": [reading]}]}
    async with csms_asking([], frames, 2) as url:
        for name in ("kwh-phases", "sloppy-tags"):
            station = LoadStation("LOAD00000", "2.0.1", Metrics(time.time()), timeout=5.0, validate=True,
                                  quirks=load_profile(name))
            assert await station.connect(url, None, None)
            assert await station.call("TransactionEvent", event) == {}
            await station.close()
            assert station.metrics.violations.total() == 0  # the shaped frame is valid OCPP
    kwh, lower = (frame[3] for frame in frames)
    total = [s for s in kwh["meterValue"][0]["sampledValue"] if s.get("measurand") == REGISTER and "phase" not in s]
    assert total == [{"value": 21.5, "context": "Sample.Periodic", "measurand": REGISTER,
                      "unitOfMeasure": {"unit": "kWh"}, "signedMeterValue": total[0]["signedMeterValue"]}]
    assert [s["phase"] for s in kwh["meterValue"][0]["sampledValue"] if "phase" in s] == ["L1", "L2", "L3"]
    assert lower["idToken"]["idToken"] == "cafe01"
    assert reading["value"] == 21500  # the caller's payload is left alone


@pytest.mark.parametrize("name", ["kwh-phases", "chatty-boot"])
def test_a_load_run_with_a_profile_holds_its_slo_against_the_bundled_csms(tmp_path: Path, name: str) -> None:
    options = replace(_options(tmp_path, stations=6, ocpp="mixed", duration="5s",
                               slo="errors=0,inconsistencies=0", validate_sample=1.0), quirks=load_profile(name))
    assert run_load(options) == 0
    report = json.loads((options.report_dir / "load.json").read_text())
    assert report["summary"]["errors"] == 0 and report["summary"]["connect_failures"] == 0
    assert report["consistency"] == {"inconsistencies": {}, "violations": {}}  # every shaped frame valid
    for action in ("TransactionEvent", "MeterValues", "StartTransaction"):
        assert report["actions"][action]["count"] > 0, action
    if name == "chatty-boot":
        assert report["actions"]["DataTransfer"]["count"] >= 6  # on boot, and during sessions


def test_load_quirks_an_unknown_profile_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["load", "--quirks", "vendor-x", "--stations", "1", "--duration", "1s"]) == 2
    err = capsys.readouterr().err.strip()
    assert "unknown quirks profile 'vendor-x'" in err and "\n" not in err
