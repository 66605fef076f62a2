"""``csmscheck scan``: the bundled CSMS comes out clean, and deliberately broken responders are caught under the
right rule (a TLS server that accepts TLS 1.0, a CSMS admitting another station's certificate, one accepting a
user name other than the station id)."""

from __future__ import annotations

import asyncio
import ssl
import warnings
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest
import pytest_asyncio
import websockets

from csmscheck import cli
from csmscheck.bundled import BundledCsms
from csmscheck.csms import server
from csmscheck.pki import generate_pki
from csmscheck.scan import rules
from csmscheck.scan.client_certs import scan_client_certificates
from csmscheck.scan.connections import oversized_frame
from csmscheck.scan.context import Recorder, ScanContext
from csmscheck.scan.handshakes import BasicAuthScan
from csmscheck.scan.runner import run_scan
from csmscheck.scan.tls import TlsEndpoint, scan_tls
from csmscheck.settings import Settings, load_settings


@pytest.mark.parametrize("version", ["2.0.1", "1.6"])
def test_the_bundled_csms_comes_out_clean(version: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["scan", "--ocpp", version, "--report-dir", str(tmp_path)]) == 0
    report = orjson.loads((tmp_path / "scan.json").read_bytes())
    assert report["summary"]["findings"] == 0
    assert report["summary"]["ocpp"] == version
    checked = {r["id"] for r in report["rules"]}
    assert checked == {v.id for v in vars(rules).values() if isinstance(v, rules.Rule)}  # every rule ran
    assert all(r["passed"] and r["checks"] > 0 for r in report["rules"])
    assert report["summary"]["not_applicable"] == {}
    observed = {n["rule"] for n in report["summary"]["informational"]}
    assert observed == set(rules.INFORMATIONAL)
    assert (tmp_path / "junit.xml").read_text().count("<testcase") == len(checked)
    assert "SCAN-TLS-01" in (tmp_path / "scan.html").read_text()
    assert "27 rules checked" in capsys.readouterr().out


def test_a_wss_target_without_a_pki_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["scan", "--target", "ws://127.0.0.1:9/ocpp", "--target-sp2", "wss://127.0.0.1:9/ocpp"]) == 2
    assert "pki_dir" in capsys.readouterr().err



def test_a_target_without_wss_endpoints_has_its_tls_rules_not_applicable(tmp_path: Path) -> None:
    csms = BundledCsms(load_settings())
    try:
        cfg = load_settings().replace(target=csms.endpoints.ws)
        assert run_scan(cfg, tmp_path, out=lambda _line: None) == 0
    finally:
        csms.stop()
    report = orjson.loads((tmp_path / "scan.json").read_bytes())
    assert len(report["summary"]["not_applicable"]) == 9 + 9 + 6  # TLS on profiles 2 and 3, client certificates
    assert {r["id"] for r in report["rules"]} == {v.id for v in vars(rules).values()
                                                  if isinstance(v, rules.Rule) and v.id.startswith("SCAN-WS-")}

# -- broken responders ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled() -> Iterator[tuple[BundledCsms, Settings]]:
    csms = BundledCsms(load_settings())
    try:
        yield csms, csms.settings_for(load_settings())
    finally:
        csms.stop()


def _findings(record: Recorder) -> set[str]:
    return {f.rule.id for f in record.verdicts.findings()}


@pytest_asyncio.fixture
async def tls10_server(tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    """A real TLS server on port 0 whose context allows TLS 1.0 (and everything above), with a server certificate
    of a fresh PKI: what a CSMS behind a badly configured TLS terminator looks like."""
    pki = generate_pki(tmp_path / "pki", ["CP1"])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("ALL:@SECLEVEL=0")
    context.load_cert_chain(pki.directory / "server-rsa.pem", pki.directory / "server-rsa.key")

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    listener = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield f"wss://localhost:{port}/ocpp", pki.directory / "ca.pem"
    finally:
        listener.close()
        await listener.wait_closed()


@pytest.mark.skipif(not ssl.HAS_TLSv1, reason="this OpenSSL build has no TLS 1.0 (see the raw ServerHello test)")
async def test_a_server_accepting_tls_1_0_is_a_finding_of_scan_tls_01(tls10_server: tuple[str, Path]) -> None:
    url, ca = tls10_server
    record = Recorder(out=lambda _line: None)
    await scan_tls(ScanContext(load_settings(), record), TlsEndpoint("broken", url, ca))
    found = record.verdicts.findings(rules.TLS_10_REFUSED.id)
    assert found and "ServerHello choosing TLS 1.0" in found[0].message
    assert rules.TLS_11_REFUSED.id in _findings(record)
    assert rules.TLS_12_ACCEPTED.id not in _findings(record)  # the rest of a modern server still passes


async def test_a_tls_1_0_server_hello_is_a_finding_whatever_the_local_openssl(tmp_path: Path) -> None:
    """Independent of the local OpenSSL: a responder answering any ClientHello with a TLS 1.0 ServerHello record."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(5)
        writer.write(b"\x16\x03\x01\x00\x06" + b"\x02\x00\x00\x46\x03\x01")  # ServerHello, version 3.1
        await writer.drain()
        writer.close()

    listener = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    record = Recorder(out=lambda _line: None)
    try:
        ca = generate_pki(tmp_path / "pki", ["CP1"]).directory / "ca.pem"
        await scan_tls(ScanContext(load_settings(), record), TlsEndpoint("raw", f"wss://127.0.0.1:{port}/ocpp", ca))
    finally:
        listener.close()
        await listener.wait_closed()
    assert {rules.TLS_10_REFUSED.id, rules.TLS_11_REFUSED.id} <= _findings(record)


async def test_a_csms_admitting_another_stations_certificate_is_a_finding_of_scan_mtls_05(
        bundled: tuple[BundledCsms, Settings], monkeypatch: pytest.MonkeyPatch) -> None:
    _csms, cfg = bundled
    # The broken check: any certificate the CA verified is taken for the station it connects as.
    monkeypatch.setattr(server, "peer_common_name", lambda tls: cfg.cp201_sp3 if tls.getpeercert() else None)
    assert cfg.target_sp3 is not None and cfg.pki_dir is not None
    record = Recorder(out=lambda _line: None)
    await scan_client_certificates(ScanContext(cfg, record), cfg.target_sp3, cfg.pki_dir / "ca.pem")
    assert _findings(record) == {rules.OTHER_STATION_CERT.id}
    assert cfg.cp16_sp3 in record.verdicts.findings()[0].sent


async def test_a_csms_accepting_another_user_name_is_a_finding_of_scan_ws_05(
        bundled: tuple[BundledCsms, Settings], monkeypatch: pytest.MonkeyPatch) -> None:
    _csms, cfg = bundled
    real = server._basic_credentials

    def ignoring_the_user(header: str | None) -> Any:  # the broken check: only the password counts
        credentials = real(header)
        return None if credentials is None else (cfg.cp201_sp1, credentials[1])

    monkeypatch.setattr(server, "_basic_credentials", ignoring_the_user)
    assert cfg.target is not None
    record = Recorder(out=lambda _line: None)
    scan = BasicAuthScan(ScanContext(cfg, record), cfg.target, cfg.cp201_sp1, cfg.basic_auth_password, None, "p1")
    await scan.refusals()
    assert _findings(record) == {rules.WRONG_USER.id}
    assert "CP201_SP1X" in record.verdicts.findings()[0].sent


@pytest_asyncio.fixture
async def accept_all() -> AsyncIterator[str]:
    """A CSMS on port 0 that upgrades every request (any path, credentials or subprotocol), answers every CALL
    with an Accepted BootNotificationResponse and silently swallows a frame over 1 MiB: it breaks every
    handshake rule and hangs on an oversized frame."""

    async def serve(ws: websockets.ServerConnection) -> None:
        async for text in ws:
            message = orjson.loads(text)
            if len(text) <= 2**20 and message[0] == 2:
                await ws.send(orjson.dumps([3, message[1], {"status": "Accepted", "interval": 300,
                                                            "currentTime": "2026-01-01T00:00:00Z"}]).decode())

    def select(_ws: websockets.ServerConnection, offered: Sequence[websockets.Subprotocol]) -> Any:
        return offered[0] if offered else None

    async with websockets.serve(serve, "127.0.0.1", 0, select_subprotocol=select, max_size=None,
                                compression=None) as listener:
        port = listener.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/ocpp"


async def test_a_csms_accepting_everything_breaks_every_handshake_rule(accept_all: str) -> None:
    cfg = load_settings().replace(target=accept_all, message_wait=0.5)
    record = Recorder(out=lambda _line: None)
    scan = BasicAuthScan(ScanContext(cfg, record), accept_all, cfg.cp201_sp1, cfg.basic_auth_password, None, "p1")
    await scan.refusals()
    await oversized_frame(scan)
    handshake_rules = [rules.UNKNOWN_STATION, rules.NO_CREDENTIALS, rules.WRONG_PASSWORD, rules.EMPTY_PASSWORD,
                       rules.WRONG_USER, rules.NO_SUBPROTOCOL, rules.UNSUPPORTED_SUBPROTOCOL, rules.PATH_TRICKS,
                       rules.LONG_IDENTITY, rules.OVERSIZED_FRAME]
    assert _findings(record) == {r.id for r in handshake_rules}
    assert len(record.verdicts.findings(rules.PATH_TRICKS.id)) == 7  # every trick reached the station
    assert "hangs" in record.verdicts.findings(rules.OVERSIZED_FRAME.id)[0].message
