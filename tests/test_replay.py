"""``csmscheck replay``: a transcript of the virtual station and the bundled CSMS replays clean against a fresh
bundled CSMS, a deliberately patched CSMS shows the change at the right frame and path, and ``--update-golden``
makes the patched answers the golden ones."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from faults import patch_handler
from replay_sessions import now, short_session
from websockets import Subprotocol
from websockets.asyncio.server import ServerConnection, serve

from csmscheck.bundled import BundledCsms
from csmscheck.cli import main
from csmscheck.csms.process import DEFAULT_PASSWORD
from csmscheck.replay import transcript as tx
from csmscheck.replay.compare import Difference, TransactionIds, compare_answer, diff_documents
from csmscheck.replay.player import Played, play, recorded_tokens
from csmscheck.replay.record import Recorder, listening_url, start_recorder
from csmscheck.replay.runner import ReplayOptions, provision, run_replay
from csmscheck.replay.sanitize import sanitize_files
from csmscheck.settings import load_settings
from csmscheck.station.session import StationSession
from csmscheck.wire.frames import CallError, CallResult
from csmscheck.wire.transcript import FrameRecord
from csmscheck.wire.versions import subprotocol_of

RECORDED_TRANSACTION_ID = 4242  # not what a fresh CSMS assigns: the replay must map it


def _t(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def _record(api: str, ws: str, path: Path, station: str) -> int:
    """Run the virtual station's session against the CSMS, writing every frame to ``path``."""
    header = tx.Header(station, subprotocol_of("1.6"), f"/ocpp/{station}", now())
    await provision(api, [tx.Transcript(header, [])], DEFAULT_PASSWORD)
    with path.open("w", encoding="utf-8") as out:
        tx.write_header(out, station, header.subprotocol, header.path)

        def listen(record: FrameRecord) -> None:
            if record.kind == "frame":
                tx.append_frame(out, "station" if record.direction == "out" else "csms", record.text, _t(record.t))

        session = StationSession(station, "1.6", listener=listen, transcript=False)
        await session.connect(ws, password=DEFAULT_PASSWORD)
        tx.append_event(out, "open")
        await session.call("BootNotification", {"chargePointVendor": "csmscheck", "chargePointModel": "Virtual"})
        await session.call("Authorize", {"idTag": "A0000001"})
        started = await session.call("StartTransaction", {"connectorId": 1, "idTag": "A0000001", "meterStart": 0,
                                                          "timestamp": now()})
        tid = started["transactionId"]
        await session.call("MeterValues", {"connectorId": 1, "transactionId": tid, "meterValue": [
            {"timestamp": now(), "sampledValue": [{"value": "1500"}]}]})
        await session.call("StopTransaction", {"transactionId": tid, "meterStop": 3000, "timestamp": now(),
                                               "idTag": "A0000001"})
        await session.call("Heartbeat", {})
        await session.close()
        tx.append_event(out, "close", 1000)
    return tid


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("transcripts")
    csms = BundledCsms(load_settings(environ={}))
    try:
        path = directory / tx.file_name("REPLAY-16")
        tid = asyncio.run(_record(csms.endpoints.api, csms.endpoints.ws, path, "REPLAY-16"))
    finally:
        csms.stop()
    # A recorded transaction id no fresh CSMS assigns: the replay maps it and rewrites the later station frames.
    text = path.read_text(encoding="utf-8").replace(f'\\"transactionId\\":{tid}',
                                                    f'\\"transactionId\\":{RECORDED_TRANSACTION_ID}')
    path.write_text(text, encoding="utf-8")
    return path


def _options(paths: list[Path], report_dir: Path, **kwargs: Any) -> ReplayOptions:
    settings: dict[str, Any] = {"target": None, "password": None, "speed": None, "update_golden": False,
                                "timeout": 5.0} | kwargs
    return ReplayOptions(transcripts=paths, report_dir=report_dir, **settings)


def _report(report_dir: Path) -> dict[str, Any]:
    return json.loads((report_dir / "replay.json").read_text())


def test_the_recording_holds_the_mapped_transaction_id(recorded: Path) -> None:
    frames = [f.text or "" for f in tx.read_transcript(recorded).frames]
    assert len(frames) == 12
    assert sum(f'"transactionId":{RECORDED_TRANSACTION_ID}' in f for f in frames) == 3  # conf, meter, stop


def test_a_transcript_replays_clean_against_a_fresh_bundled_csms(recorded: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    patch_handler(monkeypatch, "1.6", "StartTransaction", lambda _q, resp: seen.update(assigned=resp["transactionId"]))
    patch_handler(monkeypatch, "1.6", "StopTransaction", lambda req, _resp: seen.update(stopped=req["transactionId"]))
    assert run_replay(_options([recorded], tmp_path)) == 0
    assert seen["stopped"] == seen["assigned"] != RECORDED_TRANSACTION_ID  # rewritten to the id assigned now
    out = capsys.readouterr().out
    assert "6 call(s) replayed" in out and "0 difference(s)" in out
    report = _report(tmp_path)
    assert report["summary"]["findings"] == 0 and report["summary"]["passed"] == 1
    assert (tmp_path / "junit.xml").read_text().count("<testcase") == 1


def test_a_patched_csms_shows_the_change_at_its_frame_and_path(recorded: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    patch_handler(monkeypatch, "1.6", "Authorize", lambda _req, resp: resp["idTagInfo"].update(status="Blocked"))
    assert run_replay(_options([recorded], tmp_path)) == 1
    report = _report(tmp_path)
    texts = [d["text"] for d in report["summary"]["transcripts"][0]["differences"]]
    assert texts == ['frame 4 Authorize: /idTagInfo/status: recorded "Accepted", got "Blocked"']
    assert 'failures="1"' in (tmp_path / "junit.xml").read_text()


def test_a_sanitised_transcript_replays_clean_its_pseudonymous_tokens_provisioned(
        recorded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [clean] = sanitize_files([recorded], tmp_path / "clean", key=b"replay")
    tokens = recorded_tokens(tx.read_transcript(clean))
    [(pseudonym, token)] = tokens.items()
    assert pseudonym != "A0000001" and token.status == "Accepted" and token.group not in (None, "GROUP-001")
    authorized: list[str] = []
    patch_handler(monkeypatch, "1.6", "Authorize", lambda req, _resp: authorized.append(req["idTag"]))
    assert run_replay(_options([clean], tmp_path / "out")) == 0
    assert authorized == [pseudonym]
    assert _report(tmp_path / "out")["summary"]["findings"] == 0


def test_update_golden_makes_the_new_answers_the_recorded_ones(recorded: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    golden = tmp_path / recorded.name
    golden.write_bytes(recorded.read_bytes())
    patch_handler(monkeypatch, "1.6", "BootNotification", lambda _req, resp: resp.update(interval=77))
    assert run_replay(_options([golden], tmp_path / "first")) == 1
    assert [d["path"] for d in _report(tmp_path / "first")["summary"]["transcripts"][0]["differences"]] == [
        "/interval"]
    assert run_replay(_options([golden], tmp_path / "update", update_golden=True)) == 0
    assert '\\"interval\\":77' in golden.read_text()
    assert f'"transactionId\\":{RECORDED_TRANSACTION_ID}' in golden.read_text()  # the mapping survives
    assert run_replay(_options([golden], tmp_path / "again")) == 0


def test_the_comparison_ignores_what_must_differ() -> None:
    recorded = {"currentTime": "2026-01-01T00:00:00Z", "interval": 300, "status": "Accepted"}
    assert diff_documents(recorded, {**recorded, "currentTime": "2027-03-04T05:06:07.123+01:00"}) == []
    assert diff_documents(recorded, {**recorded, "currentTime": "soon"}) == [
        ("/currentTime", "2026-01-01T00:00:00Z", "soon")]
    assert diff_documents({"a": [1, 2]}, {"a": [1, 3], "b": True}) == [("/a/1", 2, 3), ("/b", None, True)]
    ids = TransactionIds()
    assert compare_answer(3, "StartTransaction", CallResult("1", {"transactionId": 7}),
                          CallResult("1", {"transactionId": 1}), ids, True) == []
    assert ids.rewrite({"transactionId": 7, "x": {"transactionId": 8}}) == {"transactionId": 1,
                                                                            "x": {"transactionId": 8}}
    assert [str(d) for d in compare_answer(5, "Heartbeat", CallResult("2", {}), CallError("2", "InternalError"),
                                           ids, False)] == ['frame 5 Heartbeat: /: recorded "CALLRESULT", '
                                                            'got "CALLERROR InternalError"']
    assert str(Difference(7, "BootNotification", "/status", "Accepted", "Pending")) == (
        'frame 7 BootNotification: /status: recorded "Accepted", got "Pending"')


@pytest.mark.parametrize(("argv", "message"), [
    (["--speed", "fast"], "--speed fast: give 1"),
    (["--target", "http://x"], "--target http://x: give a ws:// or wss:// URL"),
    (["--timeout", "0"], "--timeout 0: give a positive number"),
])
def test_bad_options_are_one_line_errors(recorded: Path, argv: list[str], message: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(recorded), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_file_that_is_no_transcript_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.jsonl").write_text('{"something": 1}\n')
    assert main(["replay", str(tmp_path / "x.jsonl")]) == 2
    assert "not a readable transcript" in capsys.readouterr().err


def test_the_command_line_replays_against_a_given_target(recorded: Path, tmp_path: Path) -> None:
    csms = BundledCsms(load_settings(environ={}))
    try:
        header = tx.read_transcript(recorded).header
        asyncio.run(provision(csms.endpoints.api, [tx.Transcript(header, [])], DEFAULT_PASSWORD))
        argv = ["replay", str(recorded), "--target", csms.endpoints.ws, "--password", DEFAULT_PASSWORD,
                "--speed", "1", "--report-dir", str(tmp_path)]
        assert main(argv) == 0
    finally:
        csms.stop()
    assert _report(tmp_path)["summary"]["speed"] == 1.0


async def _record_through_the_proxy(csms: BundledCsms, out: Path) -> None:
    """The 2.0.1 virtual station's session through ``csmscheck record``'s proxy to the bundled CSMS."""
    header = tx.Header("CP201_SP1", subprotocol_of("2.0.1"), "/ocpp/CP201_SP1", now())
    await provision(csms.endpoints.api, [tx.Transcript(header, [])], DEFAULT_PASSWORD)
    recorder = Recorder(csms.endpoints.ws, out)
    server = await start_recorder("ws://127.0.0.1:0", recorder)
    try:
        session = StationSession("CP201_SP1", "2.0.1")
        await session.connect(listening_url(server) + "/ocpp", password=DEFAULT_PASSWORD)
        await short_session(session)
        assert await asyncio.wait_for(recorder.closed.get(), 10) == "CP201_SP1"
    finally:
        server.close()
        await server.wait_closed()
        recorder.close_files()


def test_a_transcript_recorded_through_the_proxy_replays_clean_and_shows_a_patch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    csms = BundledCsms(load_settings(environ={}))
    try:
        asyncio.run(_record_through_the_proxy(csms, tmp_path / "transcripts"))
    finally:
        csms.stop()
    recorded = tmp_path / "transcripts" / tx.file_name("CP201_SP1")
    assert run_replay(_options([recorded], tmp_path / "clean")) == 0
    patch_handler(monkeypatch, "2.0.1", "BootNotification", lambda _req, resp: resp.update(status="Pending"))
    assert run_replay(_options([recorded], tmp_path / "patched")) == 1
    texts = [d["text"] for d in _report(tmp_path / "patched")["summary"]["transcripts"][0]["differences"]]
    assert texts == ['frame 2 BootNotification: /status: recorded "Accepted", got "Pending"']


NOW = "2026-11-29T08:00:00.000000Z"
VARIABLES = {"getVariableData": [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]}
RESULT = {"getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "300",
                                 "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]}


def _hand_written() -> tx.Transcript:
    frames = [("station", [2, "b1", "BootNotification", {"reason": "PowerUp",
                                                         "chargingStation": {"model": "V", "vendorName": "x"}}]),
              ("csms", [3, "b1", {"currentTime": NOW, "interval": 300, "status": "Accepted"}]),
              ("csms", [2, "c1", "GetVariables", VARIABLES]),
              ("station", [3, "c1", RESULT]),
              ("station", [2, "h1", "Heartbeat", {}]),
              ("csms", [3, "h1", {"currentTime": NOW}])]
    entries: list[tx.Entry] = [tx.Event(NOW, "open")]
    entries += [tx.Frame(NOW, side, text=json.dumps(frame)) for side, frame in frames]  # type: ignore[arg-type]
    return tx.Transcript(tx.Header("FAKE1", "ocpp2.0.1", "/ocpp/FAKE1", NOW), [*entries, tx.Event(NOW, "close")])


async def _against_a_scripted_csms(sends_call: bool) -> tuple[Played, list[Any]]:
    """A CSMS that answers the boot, sends GetVariables (or not) and answers the heartbeat."""
    answers: list[Any] = []

    async def handler(ws: ServerConnection) -> None:
        boot = json.loads(await ws.recv())
        await ws.send(json.dumps([3, boot[1], {"currentTime": "2030-01-01T00:00:00Z", "interval": 300,
                                               "status": "Accepted"}]))
        if sends_call:
            await ws.send(json.dumps([2, "new-id", "GetVariables", VARIABLES]))
            answers.append(json.loads(await ws.recv()))
        heartbeat = json.loads(await ws.recv())
        await ws.send(json.dumps([3, heartbeat[1], {"currentTime": "2030-01-01T00:00:01Z"}]))
        await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0, subprotocols=[Subprotocol("ocpp2.0.1")]) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        played = await play(_hand_written(), f"ws://127.0.0.1:{port}/ocpp", password=None, speed=None, timeout=1.0)
    return played, answers


def test_the_csms_calls_are_answered_as_the_recorded_station_answered() -> None:
    played, answers = asyncio.run(_against_a_scripted_csms(sends_call=True))
    assert played.error is None and played.differences == []
    assert answers == [[3, "new-id", RESULT]]  # the CSMS's own message id, the recorded answer
    assert (played.calls_sent, played.csms_calls) == (2, 1)


def test_a_call_the_csms_no_longer_sends_is_a_difference() -> None:
    played, _ = asyncio.run(_against_a_scripted_csms(sends_call=False))
    assert [str(d) for d in played.differences] == [
        "frame 4 GetVariables: /: the CSMS did not send this call within 1 s"]
