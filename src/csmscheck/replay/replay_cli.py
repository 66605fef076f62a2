"""The ``replay`` command: options checked (one-line errors), then the transcripts played."""

from __future__ import annotations

import argparse
from pathlib import Path
from urllib.parse import urlsplit

from csmscheck.errors import ConfigError
from csmscheck.replay.runner import ANSWER_TIMEOUT_S, ReplayOptions, run_replay
from csmscheck.replay.tls_options import Option, client_context
from csmscheck.replay.transcript import TranscriptError, read_transcript
from csmscheck.station.quirks import load_profile, profile_names


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = commands.add_parser(
        "replay", help="play recorded station traffic against a CSMS and compare its answers with the recorded ones",
        description="Plays the station side of each transcript (default: against the bundled reference CSMS with "
                    "the transcripts' stations provisioned), answers the CSMS's calls as the recorded station did "
                    "and reports every difference in the CSMS's answers by frame and JSON path (timestamps, "
                    "message ids and 1.6 transaction ids are allowed to differ). Exit 1 on differences.")
    replay.add_argument("transcripts", nargs="+", type=Path, metavar="TRANSCRIPT")
    replay.add_argument("--target", help="ws:// or wss:// URL of the CSMS (the station id is appended)")
    replay.add_argument("--password", help="basic-auth password of the stations (with --target)")
    replay.add_argument("--ca", type=Path, metavar="FILE",
                        help="PEM CA that issued the CSMS's certificate (wss:// --target; default: the system's "
                             "trust store)")
    replay.add_argument("--cert", type=Path, metavar="FILE",
                        help="PEM client certificate for a profile-3 CSMS (wss:// --target; for every transcript)")
    replay.add_argument("--key", type=Path, metavar="FILE", help="its PEM private key (unencrypted)")
    replay.add_argument("--quirks", metavar="NAME",
                        help="send each station CALL the way this vendor-behaviour profile writes it (a shipped "
                             f"profile: {', '.join(profile_names())}; or a .toml file) - meter values, timestamps, "
                             "token case; the same meaning, so the CSMS's answers are still compared with the "
                             "recorded ones (the profile's extra messages are not added)")
    replay.add_argument("--speed", default="max", help="1: the recorded timing; max (default): no pauses")
    replay.add_argument("--timeout", type=float, default=ANSWER_TIMEOUT_S,
                        help=f"seconds to wait for each answer or call of the CSMS ({ANSWER_TIMEOUT_S:g})")
    replay.add_argument("--update-golden", action="store_true",
                        help="rewrite the transcripts' CSMS answers with the new ones (exit 0 unless one stopped)")
    replay.add_argument("--report-dir", type=Path, default=Path("csmscheck-replay"), help="where reports go")


def _speed(text: str) -> float | None:
    if text == "max":
        return None
    try:
        speed = float(text)
    except ValueError:
        speed = 0.0
    if not speed > 0:
        raise ConfigError(f"--speed {text}: give 1 (the recorded timing), another factor such as 2, or max")
    return speed


def run(args: argparse.Namespace) -> int:
    speed = _speed(args.speed)
    if args.target is not None:
        split = urlsplit(args.target)
        if split.scheme not in ("ws", "wss") or not split.hostname:
            raise ConfigError(f"--target {args.target}: give a ws:// or wss:// URL")
    ssl_context = client_context("--target", args.target or "the bundled CSMS", Option("--ca", args.ca),
                                 Option("--cert", args.cert), Option("--key", args.key))
    if not args.timeout > 0:
        raise ConfigError(f"--timeout {args.timeout:g}: give a positive number of seconds")
    for path in args.transcripts:
        try:
            read_transcript(path)
        except (OSError, TranscriptError) as exc:
            raise ConfigError(f"{path}: not a readable transcript ({exc})") from None
    quirks = load_profile(args.quirks) if args.quirks is not None else None
    return run_replay(ReplayOptions(args.transcripts, args.target, args.password, speed, args.update_golden,
                                    args.report_dir, args.timeout, ssl_context, quirks))
