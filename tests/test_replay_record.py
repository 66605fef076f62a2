"""``csmscheck record`` and ``sanitize``: a proxied station against the reference CSMS, then its transcript cleaned."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import websockets
from conftest import DEFAULTS, PASSWORD, TIMEOUT, RunningCsms, boot_payload, wait_until_dropped
from websockets.asyncio.server import Server

from csmscheck.cli import main
from csmscheck.replay.record import Recorder, listening_url, start_recorder
from csmscheck.replay.sanitize import sanitize_files
from csmscheck.replay.transcript import Event, file_name, read_transcript
from csmscheck.station.session import StationSession

TOKEN = DEFAULTS.valid_id_token


@pytest.fixture
async def proxy(reference_csms: RunningCsms, tmp_path: Path) -> AsyncIterator[tuple[Server, Recorder]]:
    recorder = Recorder(reference_csms.endpoints.ws, tmp_path / "recorded")
    server = await start_recorder("ws://127.0.0.1:0", recorder)
    try:
        yield server, recorder
    finally:
        server.close()
        await server.wait_closed()
        recorder.close_files()


async def test_the_transcript_holds_every_frame_byte_identical(
        reference_csms: RunningCsms, proxy: tuple[Server, Recorder], tmp_path: Path) -> None:
    server, recorder = proxy
    session = StationSession("CP16_SP1", "1.6", timeout=TIMEOUT)
    await session.connect(listening_url(server) + "/anything", password=PASSWORD)
    assert session.subprotocol == "ocpp1.6"
    assert (await session.call("BootNotification", boot_payload("1.6")))["status"] == "Accepted"
    assert (await session.call("Authorize", {"idTag": TOKEN}))["idTagInfo"]["status"] == "Accepted"
    started = await session.call("StartTransaction", {"connectorId": 1, "idTag": TOKEN, "meterStart": 0,
                                                      "timestamp": "2026-01-01T00:00:00Z"})
    await session.call("StopTransaction", {"transactionId": started["transactionId"], "meterStop": 10,
                                           "timestamp": "2026-01-01T00:01:00Z", "idTag": TOKEN})
    await session.close()
    path = tmp_path / "recorded" / file_name("CP16_SP1")
    assert await asyncio.wait_for(recorder.closed.get(), TIMEOUT) == "CP16_SP1"
    await wait_until_dropped(reference_csms, "CP16_SP1")

    transcript = read_transcript(path)
    assert transcript.header.station == "CP16_SP1" and transcript.header.subprotocol == "ocpp1.6"
    assert transcript.header.path == "/anything/CP16_SP1"
    sent = [(("station" if r.direction == "out" else "csms"), r.text) for r in session.transcript.frames
            if not r.is_event]
    assert [(frame.side, frame.text) for frame in transcript.frames] == sent
    assert len(sent) == 8
    events = [entry for entry in transcript.entries if isinstance(entry, Event)]
    assert [event.event for event in events] == ["open", "close"] and events[1].code == 1000


async def test_a_refused_upstream_handshake_is_refused_with_the_same_status(proxy: tuple[Server, Recorder]) -> None:
    server, _ = proxy
    session = StationSession("CP16_SP1", "1.6", timeout=TIMEOUT)
    with pytest.raises(websockets.InvalidStatus) as refused:
        await session.connect(listening_url(server) + "/ocpp", password="a wrong password 123")
    assert refused.value.response.status_code == 401


def test_sanitize_replaces_every_secret_consistently(tmp_path: Path) -> None:
    secrets_ = ["A0000001", "PARENT01", "s3cr3t-password-1234", "SERIAL-CB-1", "SERIAL-CP-1", "METER-9",
                "NL-ABC-C12345678-9", "https://logs.example.com/upload", "wss://csms.example.com/ocpp",
                "MIIBsecretcertificatebody", "CP/secret"]
    frames = [
        [2, "1", "BootNotification", {"chargePointVendor": "v", "chargePointModel": "m",
                                      "chargeBoxSerialNumber": "SERIAL-CB-1", "chargePointSerialNumber": "SERIAL-CP-1",
                                      "meterSerialNumber": "METER-9"}],
        [2, "2", "Authorize", {"idTag": "A0000001"}],
        [3, "2", {"idTagInfo": {"status": "Accepted", "parentIdTag": "PARENT01"}}],
        [2, "3", "Authorize", {"idToken": {"idToken": "A0000001", "type": "ISO14443"},
                               "groupIdToken": {"idToken": "PARENT01", "type": "Central"}}],
        [2, "4", "Authorize", {"idToken": {"idToken": "NL-ABC-C12345678-9", "type": "eMAID"}}],
        [2, "5", "ChangeConfiguration", {"key": "AuthorizationKey", "value": "s3cr3t-password-1234"}],
        [2, "6", "SetVariables", {"setVariableData": [{"attributeValue": "s3cr3t-password-1234",
                                                       "component": {"name": "SecurityCtrlr"},
                                                       "variable": {"name": "BasicAuthPassword"}}]}],
        [2, "7", "GetLog", {"logType": "DiagnosticsLog", "requestId": 1,
                            "log": {"remoteLocation": "https://logs.example.com/upload"}}],
        [2, "8", "SetNetworkProfile", {"configurationSlot": 1, "connectionData": {
            "ocppCsmsUrl": "wss://csms.example.com/ocpp", "ocppVersion": "OCPP20"}}],
        [2, "9", "InstallCertificate", {"certificateType": "V2GRootCertificate",
                                        "certificate": "-----BEGIN CERTIFICATE-----\nMIIBsecretcertificatebody\n"
                                                       "-----END CERTIFICATE-----\n"}],
    ]
    source = tmp_path / file_name("CP/secret")
    lines = [{"csmscheck_transcript": 1, "station": "CP/secret", "subprotocol": "ocpp1.6",
              "path": "/ocpp/CP%2Fsecret", "recorded_at": "2026-01-01T00:00:00.000000Z"}]
    lines += [{"t": "2026-01-01T00:00:00.000001Z", "from": "station", "frame": json.dumps(frame)} for frame in frames]
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    other = tmp_path / file_name("CP2")
    other.write_text(json.dumps({**lines[0], "station": "CP2", "path": "/ocpp/CP2"}) + "\n"
                     + json.dumps(lines[2]) + "\n")

    written = sanitize_files([source, other], tmp_path / "clean", key=b"k")
    text = "".join(path.read_text() for path in written)
    for secret in secrets_:
        assert secret not in text and json.dumps(secret)[1:-1] not in text, secret
    assert "CP2" not in text and not any("secret" in path.name for path in written)
    first, second = (read_transcript(path) for path in written)
    parsed = [json.loads(frame.text or "") for frame in first.frames]
    assert all(len(p) == len(f) and p[:2] == f[:2] for p, f in zip(parsed, frames, strict=True))
    pseudonym = parsed[1][3]["idTag"]
    assert parsed[3][3]["idToken"]["idToken"] == pseudonym
    assert json.loads(second.frames[0].text or "")[3]["idTag"] == pseudonym  # the same across files
    assert parsed[2][2]["idTagInfo"]["parentIdTag"] == parsed[3][3]["groupIdToken"]["idToken"]
    assert parsed[5][3]["value"] == parsed[6][3]["setVariableData"][0]["attributeValue"]
    assert parsed[9][3]["certificate"].startswith("-----BEGIN CERTIFICATE-----\n")
    assert first.header.path.endswith("/" + first.header.station)
    again = sanitize_files([other], tmp_path / "again", key=b"k")
    assert json.loads(read_transcript(again[0]).frames[0].text or "")[3]["idTag"] == pseudonym


@pytest.mark.parametrize("argv", [
    ["record", "--listen", "wss://127.0.0.1:0", "--upstream", "ws://127.0.0.1:1/ocpp"],
    ["record", "--listen", "ws://127.0.0.1:0/x", "--upstream", "ws://127.0.0.1:1/ocpp"],
    ["record", "--listen", "ws://127.0.0.1:0", "--upstream", "http://127.0.0.1:1/ocpp"],
    ["sanitize", "no-such-file.jsonl"],
])
def test_bad_options_are_one_line_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert error.startswith("csmscheck: error: ") and error.count("\n") == 1


def test_sanitize_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "CP1.jsonl"
    source.write_text(json.dumps({"csmscheck_transcript": 1, "station": "CP1", "subprotocol": None, "path": "/CP1",
                                  "recorded_at": "2026-01-01T00:00:00.000000Z"}) + "\n"
                      + json.dumps({"t": "2026-01-01T00:00:00.000001Z", "from": "station",
                                    "frame": '[2,"1","Authorize",{"idTag":"SECRET1"}]'}) + "\n")
    assert main(["sanitize", str(source), "--out", str(tmp_path / "out"), "--key", "k", "--keep-station-ids"]) == 0
    assert "1 transcript(s)" in capsys.readouterr().out
    cleaned = (tmp_path / "out" / "CP1.jsonl").read_text()
    assert "SECRET1" not in cleaned and '"station":"CP1"' in cleaned


async def test_text_binary_and_close_codes_pass_unchanged(tmp_path: Path) -> None:
    """Against a bare upstream that echoes: odd spacing and non-ASCII text, a binary frame, a close with 4001."""

    async def echo(connection: websockets.asyncio.server.ServerConnection) -> None:
        async for message in connection:
            if message == "bye":
                await connection.close(4001, "done here")
                return
            await connection.send(message)

    text = '[2, "1",\t"DataTransfer", {"vendorId": "ä€😀", "data": " x "}]  '
    async with websockets.serve(echo, "127.0.0.1", 0, subprotocols=[websockets.Subprotocol("ocpp2.0.1")]) as upstream:
        recorder = Recorder(listening_url(upstream) + "/ocpp", tmp_path)
        server = await start_recorder("ws://127.0.0.1:0", recorder)
        try:
            async with websockets.connect(listening_url(server) + "/x/CP%201", subprotocols=[
                    websockets.Subprotocol("ocpp1.6"), websockets.Subprotocol("ocpp2.0.1")]) as station:
                assert station.subprotocol == "ocpp2.0.1"
                await station.send(text)
                assert await station.recv() == text
                await station.send(b"\x00\x01\xfe")
                assert await station.recv() == b"\x00\x01\xfe"
                await station.send("bye")
                with pytest.raises(websockets.ConnectionClosed):
                    await station.recv()
                assert station.close_code == 4001 and station.close_reason == "done here"
            assert await asyncio.wait_for(recorder.closed.get(), TIMEOUT) == "CP 1"
        finally:
            server.close()
            await server.wait_closed()
            recorder.close_files()
    transcript = read_transcript(tmp_path / "CP%201.jsonl")
    assert transcript.header.path == "/x/CP%201" and transcript.header.subprotocol == "ocpp2.0.1"
    assert [(f.side, f.text, f.data) for f in transcript.frames] == [
        ("station", text, None), ("csms", text, None), ("station", None, b"\x00\x01\xfe"),
        ("csms", None, b"\x00\x01\xfe"), ("station", "bye", None)]
    closing = transcript.entries[-1]
    assert isinstance(closing, Event) and (closing.code, closing.reason) == (4001, "done here")
