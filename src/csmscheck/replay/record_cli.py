"""The ``record`` and ``sanitize`` commands: options checked (one-line errors), then the work started."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import signal
from pathlib import Path
from urllib.parse import urlsplit

from csmscheck.errors import ConfigError
from csmscheck.replay.record import record
from csmscheck.replay.sanitize import sanitize_files
from csmscheck.replay.tls_options import Option, client_context, server_context
from csmscheck.replay.transcript import Proxy, TranscriptError


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    recording = commands.add_parser(
        "record", help="a transparent OCPP-J proxy that records each station's traffic as a transcript",
        description="Stations connect to --listen/<anything>/<station id>; each is connected to "
                    "--upstream/<station id> with its subprotocols and Authorization header (basic auth passes "
                    "through), and every frame both ways is relayed unchanged and written to "
                    "DIR/<station id>.jsonl. Ctrl-C stops. Either side may be wss://, in any combination: TLS is "
                    "terminated at the proxy, and so is mTLS - a station's certificate is checked by the proxy "
                    "(--listen-client-ca) and the proxy presents its own to the CSMS (--upstream-cert), since a "
                    "station's private key never reaches it. 'csmscheck certs DIR' writes files that fit: "
                    "DIR/server-rsa.pem and .key for --listen-cert/--listen-key, DIR/ca.pem for "
                    "--listen-client-ca and DIR/client-<id>.pem and .key for --upstream-cert/--upstream-key.")
    recording.add_argument("--listen", required=True,
                           help="ws://HOST:PORT or wss://HOST:PORT to accept stations on (port 0: any)")
    recording.add_argument("--upstream", required=True,
                           help="ws:// or wss:// URL of the CSMS (the station id is appended)")
    recording.add_argument("--out", type=Path, default=Path("csmscheck-transcripts"), help="transcript directory")
    tls = recording.add_argument_group("TLS (wss://)")
    tls.add_argument("--listen-cert", type=Path, metavar="FILE",
                     help="PEM certificate (chain) the proxy shows stations; required with a wss:// --listen")
    tls.add_argument("--listen-key", type=Path, metavar="FILE", help="its PEM private key (unencrypted)")
    tls.add_argument("--listen-client-ca", type=Path, metavar="FILE",
                     help="require a station certificate issued by this PEM CA (security profile 3; checked and "
                          "terminated at the proxy)")
    tls.add_argument("--upstream-ca", type=Path, metavar="FILE",
                     help="PEM CA that issued the CSMS's certificate (default: the system's trust store)")
    tls.add_argument("--upstream-cert", type=Path, metavar="FILE",
                     help="PEM client certificate the proxy presents to a profile-3 CSMS (for every station)")
    tls.add_argument("--upstream-key", type=Path, metavar="FILE", help="its PEM private key (unencrypted)")

    cleaning = commands.add_parser(
        "sanitize", help="replace personal and secret values in transcripts by consistent pseudonyms",
        description="Tokens, passwords, serial numbers, certificates/CSRs, eMAIDs, locations and station ids "
                    "become keyed-HMAC pseudonyms: equal values stay equal across all files of a run.")
    cleaning.add_argument("transcripts", nargs="+", type=Path, metavar="TRANSCRIPT")
    cleaning.add_argument("--out", type=Path, default=Path("csmscheck-sanitized"), help="where the copies go")
    cleaning.add_argument("--key", help="HMAC key (default: random per run); the same key gives the same pseudonyms")
    cleaning.add_argument("--keep-station-ids", action="store_true", help="leave station ids and file names as is")


def _ws_url(option: str, url: str, *, path_allowed: bool) -> None:
    split = urlsplit(url)
    if split.scheme not in ("ws", "wss") or not split.hostname:
        raise ConfigError(f"{option} {url}: give a ws://HOST:PORT or wss://HOST:PORT URL")
    try:
        split.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ConfigError(f"{option} {url}: {exc}") from None
    if not path_allowed and split.path not in ("", "/"):
        raise ConfigError(f"{option} {url}: no path (stations may connect at any path)")


def run_record(args: argparse.Namespace) -> int:
    _ws_url("--listen", args.listen, path_allowed=False)
    _ws_url("--upstream", args.upstream, path_allowed=True)
    listen_ssl = server_context("--listen", args.listen, Option("--listen-cert", args.listen_cert),
                                Option("--listen-key", args.listen_key),
                                Option("--listen-client-ca", args.listen_client_ca))
    upstream_ssl = client_context("--upstream", args.upstream, Option("--upstream-ca", args.upstream_ca),
                                  Option("--upstream-cert", args.upstream_cert),
                                  Option("--upstream-key", args.upstream_key))
    proxy = Proxy(urlsplit(args.listen).scheme, urlsplit(args.upstream).scheme,
                  station_certificates_checked=args.listen_client_ca is not None,
                  upstream_client_certificate=args.upstream_cert is not None)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await record(args.listen, args.upstream, args.out, stop, listen_ssl=listen_ssl, upstream_ssl=upstream_ssl,
                     proxy=proxy)

    try:
        asyncio.run(serve())
    except OSError as exc:
        raise ConfigError(f"--listen {args.listen}: {exc.strerror or exc}") from None
    return 0


def run_sanitize(args: argparse.Namespace) -> int:
    missing = [str(path) for path in args.transcripts if not path.is_file()]
    if missing:
        raise ConfigError(f"no such transcript: {', '.join(missing)}")
    key = args.key.encode("utf-8") if args.key is not None else secrets.token_bytes(32)
    try:
        written = sanitize_files(args.transcripts, args.out, key, args.keep_station_ids)
    except (TranscriptError, ValueError) as exc:
        raise ConfigError(str(exc)) from None
    print(f"{len(written)} transcript(s) sanitised into {args.out}")
    return 0
