"""``csmscheck record`` and ``replay`` over wss://: the virtual station through the proxy to the bundled CSMS's
profile-2 (TLS + basic auth) and profile-3 (mTLS) listeners, in every ws/wss combination; the transcripts are
byte-identical and replay clean over wss against a fresh bundled CSMS; a patched CSMS shows its change; a station
without an accepted certificate is refused by the proxy; bad TLS options are one-line errors."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets
from conftest import PASSWORD, TIMEOUT
from faults import patch_handler
from replay_sessions import short_session

from csmscheck.bundled import BundledCsms
from csmscheck.cli import main
from csmscheck.pki import Pki, client_ssl_context
from csmscheck.pki.tls import server_ssl_context_from_files
from csmscheck.replay import transcript as tx
from csmscheck.replay.record import Recorder, listening_url, start_recorder
from csmscheck.replay.sanitize import sanitize_files
from csmscheck.replay.tls_options import Option, client_context
from csmscheck.settings import load_settings
from csmscheck.station.session import StationSession

SP2, SP3, SP1 = "CP202_SP2", "CP202_SP3", "CP201_SP1"


def _pki(csms: BundledCsms) -> Pki:
    return Pki.load(csms.pki_dir, [SP3, "CP16_SP3"])


@pytest.fixture(scope="module")
def csms() -> Iterator[BundledCsms]:
    """The CSMS recorded against (its own PKI: the proxy's certificates come from it too)."""
    running = BundledCsms(load_settings(environ={}))
    yield running
    running.stop()


async def _session(station: str, url: str, context: ssl.SSLContext | None, password: str | None) -> StationSession:
    session = StationSession(station, "2.0.1", timeout=TIMEOUT)
    await session.connect(url + "/ocpp", password=password, ssl_context=context)
    await short_session(session)
    return session


async def _record(csms: BundledCsms, out: Path, station: str, listen: str, upstream: str, *,
                  mtls: bool = False) -> tuple[StationSession, tx.Transcript]:
    """``station`` through the proxy (listening on ``listen``: ws or wss) to ``upstream``; its transcript."""
    pki = _pki(csms)
    listen_ssl = (server_ssl_context_from_files([(pki.server_rsa_cert, pki.server_rsa_key)],
                                                client_ca=pki.ca_cert if mtls else None)
                  if listen == "wss" else None)
    upstream_cert, upstream_key = pki.clients[station] if mtls else (None, None)
    upstream_ca = pki.ca_cert if upstream.startswith("wss:") else None
    upstream_ssl = client_context("--upstream", upstream, Option("--upstream-ca", upstream_ca),
                                  Option("--upstream-cert", upstream_cert), Option("--upstream-key", upstream_key))
    proxy = tx.Proxy(listen, upstream.split(":")[0], station_certificates_checked=mtls,
                     upstream_client_certificate=mtls)
    recorder = Recorder(upstream, out, upstream_ssl=upstream_ssl, proxy=proxy)
    server = await start_recorder(f"{listen}://127.0.0.1:0", recorder, listen_ssl)
    try:
        station_ssl = None
        if listen == "wss":
            cert, key = pki.clients[station] if mtls else (None, None)
            station_ssl = client_ssl_context(pki.ca_cert, cert, key)
        session = await _session(station, listening_url(server, listen), station_ssl, None if mtls else PASSWORD)
        assert await asyncio.wait_for(recorder.closed.get(), TIMEOUT) == station
    finally:
        server.close()
        await server.wait_closed()
        recorder.close_files()
    return session, tx.read_transcript(out / tx.file_name(station))


def _byte_identical(session: StationSession, transcript: tx.Transcript) -> None:
    sent = [("station" if r.direction == "out" else "csms", r.text) for r in session.transcript.frames
            if not r.is_event]
    assert [(frame.side, frame.text) for frame in transcript.frames] == sent
    assert len(sent) == 8


@pytest.mark.parametrize(("station", "listen", "upstream"), [
    (SP2, "wss", "wss_tls"), (SP2, "ws", "wss_tls"), (SP1, "wss", "ws")])
def test_every_ws_wss_combination_is_recorded_byte_identically(csms: BundledCsms, tmp_path: Path, station: str,
                                                                listen: str, upstream: str) -> None:
    session, transcript = asyncio.run(_record(csms, tmp_path, station, listen, getattr(csms.endpoints, upstream)))
    _byte_identical(session, transcript)
    proxy = transcript.header.proxy
    assert proxy is not None and (proxy.listen, proxy.upstream) == (listen, upstream[:3].rstrip("_"))
    assert proxy.tls_terminated and not proxy.mtls_terminated
    header = json.loads((tmp_path / tx.file_name(station)).read_text().splitlines()[0])
    assert header["proxy"]["tls_terminated"] is True and header["proxy"]["mtls_terminated"] is False


def test_an_old_header_without_proxy_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps({"csmscheck_transcript": 1, "station": "CP1", "subprotocol": "ocpp1.6",
                                "path": "/CP1", "recorded_at": "2026-01-01T00:00:00.000000Z"}) + "\n")
    assert tx.read_transcript(path).header.proxy is None


def test_sanitize_keeps_what_the_header_says_about_the_proxy(tmp_path: Path) -> None:
    proxy = tx.Proxy("wss", "wss", station_certificates_checked=True, upstream_client_certificate=False)
    with (tmp_path / "CP1.jsonl").open("w") as out:
        tx.write_header(out, "CP1", "ocpp2.0.1", "/ocpp/CP1", proxy=proxy)
    [cleaned] = sanitize_files([tmp_path / "CP1.jsonl"], tmp_path / "clean", key=b"k")
    header = tx.read_transcript(cleaned).header
    assert header.proxy == proxy and header.station != "CP1"


def test_a_wss_recording_replays_clean_over_wss_and_shows_a_patched_csms(
        csms: BundledCsms, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(_record(csms, tmp_path / "transcripts", SP2, "wss", csms.endpoints.wss_tls or ""))
    recorded = tmp_path / "transcripts" / tx.file_name(SP2)
    fresh = BundledCsms(load_settings(environ={}))
    try:
        argv = ["replay", str(recorded), "--target", fresh.endpoints.wss_tls or "", "--password", PASSWORD,
                "--ca", str(fresh.pki_dir / "ca.pem")]
        assert main([*argv, "--report-dir", str(tmp_path / "clean")]) == 0
        assert "4 call(s) replayed" in capsys.readouterr().out
        patch_handler(monkeypatch, "2.0.1", "Authorize",
                      lambda _req, resp: resp["idTokenInfo"].update(status="Blocked"))
        assert main([*argv, "--report-dir", str(tmp_path / "patched")]) == 1
        # The CA of the recording CSMS does not vouch for the fresh one: the replay stops with the TLS failure.
        assert main([*argv[:-1], str(csms.pki_dir / "ca.pem"), "--report-dir", str(tmp_path / "untrusted")]) == 1
    finally:
        fresh.stop()
    report = json.loads((tmp_path / "patched" / "replay.json").read_text())
    assert [d["text"] for d in report["summary"]["transcripts"][0]["differences"]] == [
        'frame 6 Authorize: /idTokenInfo/status: recorded "Accepted", got "Blocked"']
    untrusted = json.dumps(json.loads((tmp_path / "untrusted" / "replay.json").read_text()))
    assert f"connecting to {fresh.endpoints.wss_tls}/{SP2}: TLS handshake failed: CERTIFICATE_VERIFY_FAILED" in (
        untrusted)


def test_an_mtls_recording_is_terminated_at_the_proxy_and_replays_clean_over_mtls(
        csms: BundledCsms, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session, transcript = asyncio.run(_record(csms, tmp_path, SP3, "wss", csms.endpoints.wss_mtls or "",
                                              mtls=True))
    _byte_identical(session, transcript)
    assert transcript.header.proxy is not None and transcript.header.proxy.mtls_terminated
    fresh = BundledCsms(load_settings(environ={}))
    try:
        pki = _pki(fresh)
        cert, key = pki.clients[SP3]
        argv = ["replay", str(tmp_path / tx.file_name(SP3)), "--target", fresh.endpoints.wss_mtls or "",
                "--ca", str(pki.ca_cert), "--cert", str(cert), "--key", str(key)]
        assert main([*argv, "--report-dir", str(tmp_path / "clean")]) == 0
        patch_handler(monkeypatch, "2.0.1", "BootNotification", lambda _req, resp: resp.update(interval=7))
        assert main([*argv, "--report-dir", str(tmp_path / "patched")]) == 1
    finally:
        fresh.stop()
    report = json.loads((tmp_path / "patched" / "replay.json").read_text())
    assert [d["text"] for d in report["summary"]["transcripts"][0]["differences"]] == [
        'frame 2 BootNotification: /interval: recorded 300, got 7']


async def _refused(csms: BundledCsms, out: Path, context: ssl.SSLContext) -> None:
    pki = _pki(csms)
    recorder = Recorder(csms.endpoints.wss_mtls or "", out)
    listen_ssl = server_ssl_context_from_files([(pki.server_rsa_cert, pki.server_rsa_key)], client_ca=pki.ca_cert)
    server = await start_recorder("wss://127.0.0.1:0", recorder, listen_ssl)
    try:
        session = StationSession(SP3, "2.0.1", timeout=TIMEOUT)
        with pytest.raises((OSError, websockets.InvalidHandshake)):
            await session.connect(listening_url(server, "wss") + "/ocpp", ssl_context=context)
    finally:
        server.close()
        await server.wait_closed()
        recorder.close_files()


@pytest.mark.parametrize("certificate", ["none", "another CA's"])
def test_a_station_without_an_accepted_certificate_is_refused_by_the_proxy(csms: BundledCsms, tmp_path: Path,
                                                                           certificate: str) -> None:
    pki = _pki(csms)
    context = (client_ssl_context(pki.ca_cert) if certificate == "none"
               else client_ssl_context(pki.ca_cert, pki.invalid_client_cert, pki.invalid_client_key))
    asyncio.run(_refused(csms, tmp_path, context))
    assert not list(tmp_path.iterdir())  # nothing recorded


def _record_argv(pki: Path, *extra: str, listen: str = "wss://127.0.0.1:0",
                 upstream: str = "wss://localhost:1/ocpp") -> list[str]:
    return ["record", "--listen", listen, "--upstream", upstream, *extra]


@pytest.mark.parametrize(("extra", "listen", "upstream", "message"), [
    ([], "wss://127.0.0.1:0", "wss://localhost:1", "--listen wss://127.0.0.1:0: give --listen-cert and --listen-key"),
    (["--listen-cert", "{pki}/nothing.pem", "--listen-key", "{pki}/server-rsa.key"], "wss://127.0.0.1:0",
     "ws://localhost:1", "--listen-cert {pki}/nothing.pem: No such file or directory"),
    (["--listen-cert", "{pki}/server-rsa.pem", "--listen-key", "{pki}/server-ecdsa.key"], "wss://127.0.0.1:0",
     "ws://localhost:1", "--listen-key {pki}/server-ecdsa.key: the key does not match the certificate of "
                         "--listen-cert {pki}/server-rsa.pem"),
    (["--listen-cert", "{pki}/server-rsa.key", "--listen-key", "{pki}/server-rsa.key"], "wss://127.0.0.1:0",
     "ws://localhost:1", "--listen-cert {pki}/server-rsa.key: no PEM certificate in it"),
    (["--listen-cert", "{pki}/server-rsa.pem"], "wss://127.0.0.1:0", "ws://localhost:1",
     "--listen-cert needs --listen-key"),
    (["--listen-cert", "{pki}/server-rsa.pem", "--listen-key", "{pki}/server-rsa.key"], "ws://127.0.0.1:0",
     "ws://localhost:1", "--listen-cert: only with a wss:// --listen"),
    (["--upstream-ca", "{pki}/ca.pem"], "ws://127.0.0.1:0", "ws://localhost:1",
     "--upstream-ca: only with a wss:// --upstream"),
    (["--upstream-key", "{pki}/server-rsa.key"], "ws://127.0.0.1:0", "wss://localhost:1",
     "--upstream-key needs --upstream-cert"),
    ([], "wss://127.0.0.1:0/x", "ws://localhost:1", "--listen wss://127.0.0.1:0/x: no path"),
])
def test_bad_record_tls_options_are_one_line_errors(csms: BundledCsms, extra: list[str], listen: str, upstream: str,
                                                    message: str, capsys: pytest.CaptureFixture[str]) -> None:
    pki = str(csms.pki_dir)
    assert main(_record_argv(csms.pki_dir, *(e.format(pki=pki) for e in extra), listen=listen,
                             upstream=upstream)) == 2
    err = capsys.readouterr().err
    assert message.format(pki=pki) in err and err.count("\n") == 1


@pytest.mark.parametrize(("extra", "message"), [
    (["--ca", "{pki}/ca.pem"], "--ca: only with a wss:// --target"),
    (["--target", "ws://localhost:1", "--cert", "{pki}/server-rsa.pem", "--key", "{pki}/server-rsa.key"],
     "--cert: only with a wss:// --target"),
    (["--target", "wss://localhost:1", "--ca", "{pki}/missing.pem"], "--ca {pki}/missing.pem: No such file"),
    (["--target", "wss://localhost:1", "--cert", "{pki}/server-rsa.pem"], "--cert needs --key"),
    (["--target", "wss://localhost:1", "--cert", "{pki}/server-rsa.pem", "--key", "{pki}/ca.key"],
     "--key {pki}/ca.key: the key does not match the certificate of --cert {pki}/server-rsa.pem"),
])
def test_bad_replay_tls_options_are_one_line_errors(csms: BundledCsms, tmp_path: Path, extra: list[str],
                                                    message: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "CP1.jsonl"
    path.write_text(json.dumps({"csmscheck_transcript": 1, "station": "CP1", "subprotocol": "ocpp2.0.1",
                                "path": "/CP1", "recorded_at": "2026-01-01T00:00:00.000000Z"}) + "\n")
    pki = str(csms.pki_dir)
    assert main(["replay", str(path), *(e.format(pki=pki) for e in extra)]) == 2
    err = capsys.readouterr().err
    assert message.format(pki=pki) in err and err.count("\n") == 1
