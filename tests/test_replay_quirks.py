"""``csmscheck replay --quirks NAME``: a recorded 2.0.1 session (with meter values and a cost) sent the way a
vendor writes it replays clean against the bundled CSMS, for every shipped profile that reshapes payloads; a CSMS
patched to be naive about a quirk (the unit of a meter value, the letter case of a token) shows the difference
at the frame and path it changes."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from faults import patch_handler

from csmscheck.bundled import BundledCsms
from csmscheck.cli import main
from csmscheck.csms import meter
from csmscheck.csms.authorization import TokenVerdict, verdict_for
from csmscheck.csms.handlers.v201 import authorize as v201_authorize
from csmscheck.csms.handlers.v201 import transactions as v201_transactions
from csmscheck.csms.models import IdToken
from csmscheck.csms.process import DEFAULT_PASSWORD
from csmscheck.csms.store import Store
from csmscheck.replay import transcript as tx
from csmscheck.replay.record import Recorder, listening_url, start_recorder
from csmscheck.settings import load_settings
from csmscheck.station.session import StationSession

STATION = "CP201_SP1"
TOKEN = load_settings(environ={}).valid_id_token  # seeded as valid (A0000001): sloppy-tags writes it a0000001
REGISTER = "Energy.Active.Import.Register"


def _at(seconds: int) -> str:
    start = datetime.now(UTC).replace(microsecond=123000) - timedelta(minutes=10)
    return (start + timedelta(seconds=seconds)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _event(kind: str, seq: int, wh: int, reason: str) -> dict[str, Any]:
    return {"eventType": kind, "timestamp": _at(seq * 60), "triggerReason": reason, "seqNo": seq,
            "transactionInfo": {"transactionId": "TX-QUIRKS-1"}, "evse": {"id": 1, "connectorId": 1},
            "idToken": {"idToken": TOKEN, "type": "ISO14443"},
            "meterValue": [{"timestamp": _at(seq * 60), "sampledValue": [{"value": wh, "measurand": REGISTER}]}]}


async def _record(csms: BundledCsms, out: Path) -> None:
    recorder = Recorder(csms.endpoints.ws, out)
    server = await start_recorder("ws://127.0.0.1:0", recorder)
    try:
        session = StationSession(STATION, "2.0.1")
        await session.connect(listening_url(server) + "/ocpp", password=DEFAULT_PASSWORD)
        await session.call("BootNotification", {"reason": "PowerUp",
                                                "chargingStation": {"model": "Virtual", "vendorName": "csmscheck"}})
        assert (await session.call("Authorize", {"idToken": {"idToken": TOKEN, "type": "ISO14443"}}))[
            "idTokenInfo"]["status"] == "Accepted"
        await session.call("TransactionEvent", _event("Started", 0, 0, "Authorized"))
        await session.call("TransactionEvent", _event("Updated", 1, 1500, "MeterValuePeriodic"))
        ended = await session.call("TransactionEvent", _event("Ended", 2, 3000, "StopAuthorized"))
        assert ended["totalCost"] > 0  # the cost depends on the energy: a unit misread shows
        await session.close()
        assert await asyncio.wait_for(recorder.closed.get(), 10) == STATION
    finally:
        server.close()
        await server.wait_closed()
        recorder.close_files()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("quirks")
    csms = BundledCsms(load_settings(environ={}))
    try:
        asyncio.run(_record(csms, directory))
    finally:
        csms.stop()
    return directory / tx.file_name(STATION)


def _differences(report_dir: Path) -> list[str]:
    report = json.loads((report_dir / "replay.json").read_text())
    return [d["text"] for d in report["summary"]["transcripts"][0]["differences"]]


@pytest.mark.parametrize(("profile", "sent"), [
    ("kwh-phases", lambda req: req["meterValue"][0]["sampledValue"][-1]["unitOfMeasure"]["unit"] == "kWh"),
    ("local-time", lambda req: req["timestamp"].endswith("+05:30") and "." not in req["timestamp"]),
    ("sloppy-tags", lambda req: req["idToken"]["idToken"] == TOKEN.lower()),
    ("offline-batch", lambda req: "." not in req["timestamp"]),
])
def test_a_shipped_profile_replays_clean_against_the_bundled_csms(recorded: Path, tmp_path: Path, profile: str,
                                                                  sent: Any, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[bool] = []
    patch_handler(monkeypatch, "2.0.1", "TransactionEvent", lambda req, _resp: seen.append(sent(req)))
    assert main(["replay", str(recorded), "--quirks", profile, "--report-dir", str(tmp_path)]) == 0, (
        capsys.readouterr().out)
    assert seen == [True, True, True]  # the CSMS got the vendor's writing
    assert json.loads((tmp_path / "replay.json").read_text())["summary"]["quirks"] == profile


def test_a_csms_that_ignores_the_unit_of_a_meter_value_shows_the_cost(recorded: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["replay", str(recorded), "--report-dir", str(tmp_path / "plain")]) == 0
    monkeypatch.setattr(meter, "normalise", lambda value, unit, multiplier=0: (value, "Wh" if unit == "kWh" else unit))
    assert main(["replay", str(recorded), "--report-dir", str(tmp_path / "plain-naive")]) == 0  # in Wh: no harm
    assert main(["replay", str(recorded), "--quirks", "kwh-phases", "--report-dir", str(tmp_path / "kwh")]) == 1
    assert _differences(tmp_path / "kwh") == [  # 1.5 and 3 kWh read as Wh: next to nothing to pay
        "frame 8 TransactionEvent: /totalCost: recorded 0.38, got 0.0",
        "frame 10 TransactionEvent: /totalCost: recorded 0.75, got 0.0"]


def test_a_csms_that_matches_tokens_case_sensitively_shows_the_refusal(recorded: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    async def case_sensitive(store: Store, id_token: str) -> TokenVerdict:
        async with store.session() as db:
            exact = await db.get(IdToken, id_token)
        return await verdict_for(store, id_token) if exact is not None else TokenVerdict("Unknown")

    for module in (v201_authorize, v201_transactions):
        monkeypatch.setattr(module, "verdict_for", case_sensitive)
    assert main(["replay", str(recorded), "--report-dir", str(tmp_path / "plain")]) == 0
    assert main(["replay", str(recorded), "--quirks", "sloppy-tags", "--report-dir", str(tmp_path / "lower")]) == 1
    assert _differences(tmp_path / "lower")[0] == (
        'frame 4 Authorize: /idTokenInfo/status: recorded "Accepted", got "Unknown"')


def test_an_unknown_profile_is_a_one_line_error(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(recorded), "--quirks", "no-such-vendor"]) == 2
    err = capsys.readouterr().err
    assert "unknown quirks profile 'no-such-vendor'" in err and err.count("\n") == 1
