"""The ``csmscheck`` command: run, list, csms, certs, load."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import signal
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from csmscheck.errors import ConfigError
from csmscheck.settings import SettingWarning, load_settings

if TYPE_CHECKING:
    from csmscheck.suite.capabilities import Capabilities

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_NEW_SEED = -1  # --shuffle without a seed: draw one
_CAPABILITIES_HELP = "TOML file of the optional features the CSMS declares (PICS); cases of others are n/a"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="csmscheck", description="Test an OCPP 1.6J / 2.0.1 CSMS.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the conformance suite (default: against the bundled reference CSMS)")
    run.add_argument("selection", nargs="*", help="test ids (TC_K_01, TC_004_1), blocks (K, 2.0.1/K), versions")
    run.add_argument("--ocpp", choices=["1.6", "2.0.1"], help="only this OCPP version")
    run.add_argument("--target", help="ws:// URL of the CSMS under test (security profile 1)")
    run.add_argument("--target-sp2", help="wss:// URL for security profile 2")
    run.add_argument("--target-sp3", help="wss:// URL for security profile 3")
    run.add_argument("--trigger", help="trigger API URL, or 'manual' to be prompted for each CSMS action")
    run.add_argument("--pki-dir", help="PKI written by 'csmscheck certs' (for profiles 2 and 3)")
    run.add_argument("--config", type=Path, help="TOML settings file")
    run.add_argument("--capabilities", type=Path, help=_CAPABILITIES_HELP)
    run.add_argument("--report-dir", type=Path, default=Path("csmscheck-report"), help="where reports go")
    run.add_argument("--log-messages", action="store_true", help="print every frame as it goes")
    run.add_argument("--strict", action="store_true", default=None,
                     help="fail a case whose csmscheck checks (findings beyond the OCTT verdict) were not met")
    run.add_argument("--pace", type=float, metavar="SECONDS",
                     help="pause between cases, for a CSMS that needs time between sessions")
    run.add_argument("--shuffle", nargs="?", type=int, const=_NEW_SEED, metavar="SEED",
                     help="run the cases in a random order (from SEED, or a new seed that is printed)")
    run.add_argument("--quirks", action="append", default=[], metavar="NAME",
                     help="run the quirks set of a vendor-behaviour profile instead of the suite: a shipped "
                          "profile ('csmscheck list --quirks'), 'all', or a .toml file; repeatable")

    listing = commands.add_parser("list", help="list the test cases: id, version, block, name")
    listing.add_argument("selection", nargs="*")
    listing.add_argument("--checks", action="store_true",
                         help="list the csmscheck checks instead: id, the requirements they rest on, rationale")
    listing.add_argument("--capabilities", type=Path, help=_CAPABILITIES_HELP + "; shows which cases would not apply")
    listing.add_argument("--quirks", action="store_true",
                         help="list the shipped vendor-behaviour profiles instead: name, OCPP versions, what it models")

    csms = commands.add_parser("csms", help="run the reference CSMS in the foreground")
    csms.add_argument("--config", type=Path, help="TOML file ([csms] table and seeded stations/tokens)")
    csms.add_argument("--db", help="database URL (default sqlite:///csmscheck.db)")
    csms.add_argument("--pki-dir", type=Path, help="PKI directory; generated there if empty (enables wss://)")

    certs = commands.add_parser("certs", help="write a fresh PKI (CA, server and station certificates)")
    certs.add_argument("directory", type=Path)
    certs.add_argument("--config", type=Path, help="TOML settings file (station ids)")
    certs.add_argument("--host", action="append", default=[], metavar="NAME",
                       help="a further DNS name or IP address for the server certificates (besides localhost "
                            "and 127.0.0.1); repeat for several")
    _load_parser(commands)
    _fuzz_parser(commands)
    _scan_parser(commands)
    _replay_parser(commands)
    _record_parsers(commands)
    return parser


def _record_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from csmscheck.replay.record_cli import add_parsers

    add_parsers(commands)


def _record(args: argparse.Namespace) -> int:
    from csmscheck.replay.record_cli import run_record, run_sanitize

    return run_record(args) if args.command == "record" else run_sanitize(args)


def _replay_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from csmscheck.replay.replay_cli import add_parser

    add_parser(commands)


def _replay(args: argparse.Namespace) -> int:
    from csmscheck.replay.replay_cli import run

    return run(args)


def _fuzz_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fuzz = commands.add_parser(
        "fuzz", help="hostile frames, each answer judged by its OCPP-J rule (default: against the bundled CSMS)",
        description="Send valid and invalid frames generated from the official schemas of every station-to-CSMS "
                    "action, framing faults and state-aware sequences; judge every answer against the OCPP-J rule "
                    "of its version. Without --target: the bundled reference CSMS.")
    fuzz.add_argument("--ocpp", choices=["1.6", "2.0.1"], help="only this OCPP version (default: both)")
    fuzz.add_argument("--actions", nargs="+", metavar="ACTION", help="only these station-to-CSMS actions")
    fuzz.add_argument("--budget", default="10000", help="frames per version (10000) or a duration (90s, 5m)")
    fuzz.add_argument("--seed", type=int, help="repeat the frames of an earlier run (printed at the start)")
    fuzz.add_argument("--target", help="ws:// URL of the CSMS under test (stations append /<id>)")
    fuzz.add_argument("--trigger", help="trigger API URL (for the answers to CSMS calls; optional)")
    fuzz.add_argument("--config", type=Path, help="TOML settings file (station ids CP201_SP1/CP16_SP1, password)")
    fuzz.add_argument("--report-dir", type=Path, default=Path("csmscheck-fuzz"), help="where reports go")


def _load_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    load = commands.add_parser(
        "load", help="thousands of virtual stations against a CSMS, measured (or 'load merge DIR...')",
        description="Run virtual stations against a CSMS (default: the bundled reference CSMS) and judge the "
                    "run by SLOs. 'csmscheck load merge DIR [DIR ...]' combines the reports of shards.")
    load.add_argument("merge", nargs="*", metavar="merge DIR", help="'merge DIR [DIR ...]': combine shard reports")
    load.add_argument("--stations", type=int, default=100, help="how many stations (all shards together)")
    load.add_argument("--profile", default="steady",
                      help="steady, boot-storm, reconnect-storm, soak, or a profile FILE.toml")
    load.add_argument("--ocpp", choices=["1.6", "2.0.1", "mixed"], help="OCPP version (default: the profile's)")
    load.add_argument("--ramp", type=float, metavar="PER_SECOND", help="stations started per second")
    load.add_argument("--duration", default="60s", help="how long the run lasts from its start: 60s, 10m, 2h")
    load.add_argument("--target", help="ws:// or wss:// address of the CSMS (stations append /<id>)")
    load.add_argument("--id-pattern", default="LOAD{n:05d}", help="station ids, {n} being 0, 1, …")
    load.add_argument("--password", help="the stations' basic-auth password (security profiles 1 and 2)")
    load.add_argument("--pki-dir", type=Path, help="PKI with the CA of the CSMS's certificate (wss://)")
    load.add_argument("--processes", type=int, help="worker processes (default: the number of cores)")
    load.add_argument("--shard", help="I/N: run shard I (from 0) of N, a slice of the station ids")
    load.add_argument("--start-at", help="ISO time at which every shard starts its ramp")
    load.add_argument("--csms-pid", type=int, help="sample this local process's memory and CPU as the CSMS's")
    load.add_argument("--slo", help="e.g. 'p99<500ms,errors<0.1%%,connect_failures=0': exit 1 when one breaks")
    load.add_argument("--metrics-port", type=int, help="serve live Prometheus metrics from this port")
    load.add_argument("--validate-sample", type=float, default=0.01,
                      help="share of stations that validate every frame against the schemas (default 0.01)")
    load.add_argument("--report-dir", type=Path, default=Path("csmscheck-load"), help="where reports go")
    load.add_argument("--quirks", metavar="NAME",
                      help="the stations write OCPP as a vendor-behaviour profile says (a shipped name or a .toml)")
    load.add_argument("--no-live", action="store_true", help="no live view while it runs")



def _scan_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scan = commands.add_parser(
        "scan", help="connection security: TLS, certificates, handshake refusals (default: the bundled CSMS)",
        description="Check a CSMS's connection security (TLS versions and suites, server and client certificates, "
                    "handshake refusals, duplicate connections, password bursts, oversized frames), each verdict "
                    "with its rule. Without --target: the bundled reference CSMS on profiles 1, 2 and 3.")
    scan.add_argument("--ocpp", choices=["1.6", "2.0.1"], default="2.0.1",
                      help="the stations' OCPP version (default 2.0.1; 1.6 connects as CP16_SP1 and CP16_SP3)")
    scan.add_argument("--target", help="ws:// URL of the CSMS (security profile 1; or wss:// for profile 2)")
    scan.add_argument("--target-sp2", help="wss:// URL for security profile 2")
    scan.add_argument("--target-sp3", help="wss:// URL for security profile 3")
    scan.add_argument("--pki-dir", type=Path, help="PKI written by 'csmscheck certs' (for the wss:// endpoints)")
    scan.add_argument("--config", type=Path, help="TOML settings file (station ids, password)")
    scan.add_argument("--report-dir", type=Path, default=Path("csmscheck-scan"), help="where reports go")

def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "list":
            if args.quirks:
                return _list_quirks()
            return _list_checks() if args.checks else _list(args.selection, args.capabilities)
        if args.command == "csms":
            return _csms(args)
        if args.command == "fuzz":
            return _fuzz(args)
        if args.command == "load":
            return _load(args)
        if args.command == "scan":
            return _scan(args)
        if args.command == "replay":
            return _replay(args)
        if args.command in ("record", "sanitize"):
            return _record(args)
        return _certs(args)
    except ConfigError as exc:
        print(f"csmscheck: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # output piped into e.g. `head`
        sys.stderr.close()
        return EXIT_OK


@contextmanager
def _report_setting_warnings() -> Iterator[None]:
    """Print each SettingWarning raised inside once, as one line on stderr, before anything runs."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SettingWarning)
        yield
    printed: set[str] = set()
    for found in caught:
        if not issubclass(found.category, SettingWarning):
            warnings.showwarning(found.message, found.category, found.filename, found.lineno)
        elif str(found.message) not in printed:
            printed.add(str(found.message))
            print(f"csmscheck: warning: {found.message}", file=sys.stderr)


def _check_selection(selection: list[str]) -> None:
    from csmscheck.suite.marks import valid_selection_token

    for token in selection:
        if not valid_selection_token(token):
            raise ConfigError(f"unknown selection {token!r}: use test ids (TC_B_01), blocks (B, 2.0.1/B) or 1.6/2.0.1")


def _pytest_args(selection: list[str]) -> list[str]:
    args = ["--pyargs", "csmscheck.suite", "-p", "no:cacheprovider", "-p", "no:terminal",
            "-o", "asyncio_default_fixture_loop_scope=function"]
    for token in selection:
        args += ["--csms-select", token]
    return args


def _run(args: argparse.Namespace) -> int:
    from csmscheck.preflight import check_reachable

    selection = list(args.selection) + ([args.ocpp] if args.ocpp else [])
    _check_selection(selection)
    if args.quirks:
        from csmscheck.station.quirks import load_profiles

        load_profiles(args.quirks)  # an unknown name or a bad file stops the run here, with one line
    elif quirks_cases := [token for token in selection if token.strip().upper().startswith("QK")]:
        raise ConfigError(f"{quirks_cases[0]} is a case of the quirks sets: run it with --quirks NAME "
                          "(csmscheck list --quirks names the profiles)")
    overrides = {"target": args.target, "target_sp2": args.target_sp2, "target_sp3": args.target_sp3,
                 "trigger": args.trigger, "pki_dir": args.pki_dir, "capabilities": args.capabilities}
    with _report_setting_warnings():
        settings = load_settings(args.config, overrides=overrides | {"strict": args.strict, "pace": args.pace})
    _capabilities(settings.capabilities)  # a wrong file stops the run here, with one line
    if settings.target is not None:
        if settings.trigger is None:
            raise ConfigError("setting trigger (CSMS_TRIGGER_ADDRESS or --trigger) is required with a target; "
                              "use 'manual' to be prompted")
        check_reachable(settings.target, "CSMS")
        if not settings.manual:
            check_reachable(settings.trigger, "trigger API")
    pytest_args = [*_pytest_args(selection), "--csms-progress", "--csms-report-dir", str(args.report_dir)]
    if args.config:
        pytest_args += ["--csms-config", str(args.config)]
    for option, value in overrides.items():
        if value is not None:
            pytest_args += [f"--csms-{option.replace('_', '-')}", str(value)]
    for quirks in args.quirks:
        pytest_args += ["--csms-quirks", quirks]
    if args.log_messages:
        pytest_args.append("--csms-log-messages")
    if args.strict:
        pytest_args.append("--csms-strict")
    if args.pace is not None:
        pytest_args += ["--csms-pace", str(args.pace)]
    if args.shuffle is not None:
        seed = secrets.randbelow(2**32) if args.shuffle == _NEW_SEED else args.shuffle
        print(f"csmscheck: cases in a random order, seed {seed} (--shuffle {seed} repeats it)")
        pytest_args += ["--csms-shuffle", str(seed)]
    if args.log_messages or settings.manual:
        pytest_args.append("-s")  # frames and operator prompts go straight to the terminal
    code = pytest.main(pytest_args)
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        print("csmscheck: error: the selection matches no test case", file=sys.stderr)
        return EXIT_USAGE
    if code in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return int(code)
    return EXIT_USAGE if code == pytest.ExitCode.USAGE_ERROR else EXIT_FAILED


class _Collector:
    def __init__(self) -> None:
        self.items: list[pytest.Item] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.items = list(session.items)


def _capabilities(path: Path | None) -> Capabilities | None:
    from csmscheck.suite.capabilities import load_capabilities

    return None if path is None else load_capabilities(path)


def _list(selection: list[str], capabilities_file: Path | None) -> int:
    from csmscheck.suite.marks import case_of

    _check_selection(selection)
    capabilities = _capabilities(load_settings(overrides={"capabilities": capabilities_file}).capabilities)
    collector = _Collector()
    code = pytest.main([*_pytest_args(selection), "--collect-only"], plugins=[collector])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        return EXIT_USAGE
    cases = [c for c in map(case_of, collector.items) if c is not None]
    not_applicable = 0
    for case in cases:
        missing = capabilities.missing(case.id, case.features) if capabilities is not None else ()
        note = f"  (n/a: {', '.join(f.key for f in missing)})" if missing else ""
        not_applicable += bool(missing)
        print(f"{case.id:<10} {case.version:<6} {case.block:<5} {case.name}{note}")
    if capabilities is None:
        print(f"{len(cases)} test cases", file=sys.stderr)
    else:
        print(f"{len(cases)} test cases: {len(cases) - not_applicable} applicable, {not_applicable} not applicable",
              file=sys.stderr)
    return EXIT_OK


def _list_checks() -> int:
    import textwrap

    from csmscheck.checks import all_checks

    checks = all_checks()
    for check in checks:
        print(f"{check.id:<16} {check.basis}")
        print(textwrap.fill(check.rationale, 100, initial_indent=" " * 4, subsequent_indent=" " * 4))
    print(f"{len(checks)} csmscheck checks (findings beside the OCTT verdict; --strict makes them fail)",
          file=sys.stderr)
    return EXIT_OK


def _list_quirks() -> int:
    import textwrap

    from csmscheck.station.quirks import load_profile, profile_names

    names = profile_names()
    for name in names:
        profile = load_profile(name)
        print(f"{profile.name:<16} OCPP {', '.join(profile.ocpp)}")
        print(textwrap.fill(" ".join(profile.description.split()), 100, initial_indent=" " * 4,
                            subsequent_indent=" " * 4))
    print(f"{len(names)} vendor-behaviour profiles (csmscheck run --quirks NAME|all|FILE.toml)", file=sys.stderr)
    return EXIT_OK


def _csms(args: argparse.Namespace) -> int:
    import logging

    from csmscheck.csms.app import ReferenceCsms
    from csmscheck.csms.config import load_csms_config
    from csmscheck.gc_tuning import tune_for_many_connections
    from csmscheck.pki import generate_pki

    with _report_setting_warnings():
        config = load_csms_config(args.config, db=args.db, pki_dir=args.pki_dir)
    if config.pki_dir is not None and not (config.pki_dir / "ca.pem").exists():
        generate_pki(config.pki_dir, [config.seed.cp201_sp3, config.seed.cp16_sp3])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    stub = None
    if config.contract_pool_url is None:  # no contract certificate pool configured: a labelled stand-in
        from dataclasses import replace

        from csmscheck.pki.contract_pool import ContractPoolStub

        stub = ContractPoolStub().start()
        config = replace(config, contract_pool_url=stub.url)

    async def serve() -> None:
        csms = ReferenceCsms(config)
        endpoints = await csms.start()
        tune_for_many_connections()
        print(f"reference CSMS running (database {config.db})")
        print(f"  profile 1  {endpoints.ws}/<station id>")
        if endpoints.wss_tls:
            print(f"  profile 2  {endpoints.wss_tls}/<station id>")
            print(f"  profile 3  {endpoints.wss_mtls}/<station id>")
        else:
            print("  profiles 2 and 3: off (start with --pki-dir DIR to enable wss://)")
        print(f"  trigger API {endpoints.api}  (OpenAPI: {endpoints.api}/docs)")
        if stub is not None:
            print(f"  contract certificate pool: a stand-in at {stub.url} (placeholder EXI answers; set "
                  "contract_pool_url in [csms] for a real one)")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await csms.stop()

    try:
        asyncio.run(serve())
    finally:
        if stub is not None:
            stub.stop()
    return EXIT_OK


def _fuzz(args: argparse.Namespace) -> int:
    from csmscheck.fuzz.command import run_fuzz
    from csmscheck.preflight import check_reachable

    with _report_setting_warnings():
        settings = load_settings(args.config, overrides={"target": args.target, "trigger": args.trigger})
    if settings.target is not None:
        check_reachable(settings.target, "CSMS")
    return run_fuzz(settings, args.ocpp, args.actions, args.budget, args.seed, args.report_dir)


def _load(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from csmscheck.load.options import make_options
    from csmscheck.load.profile import load_profile
    from csmscheck.load.runner import prepare_process, run_load
    from csmscheck.station.quirks import load_profile as load_quirks

    try:
        if args.merge:
            if args.merge[0] != "merge" or len(args.merge) < 2:
                raise ValueError("give 'load merge DIR [DIR ...]', or no positional arguments for a run")
            from csmscheck.load.merge import merge_reports

            return merge_reports([Path(d) for d in args.merge[1:]], args.report_dir)
        profile = load_profile(args.profile)
        if args.ocpp:
            profile = replace(profile, ocpp=args.ocpp)
        options = make_options(
            stations=args.stations, profile=profile, duration=args.duration, ramp=args.ramp, target=args.target,
            id_pattern=args.id_pattern, password=args.password, pki_dir=args.pki_dir, processes=args.processes,
            shard=args.shard, start_at=args.start_at, csms_pid=args.csms_pid, slo=args.slo,
            metrics_port=args.metrics_port, report_dir=args.report_dir, validate_sample=args.validate_sample,
            live=not args.no_live, quirks=load_quirks(args.quirks) if args.quirks else None)
    except ValueError as exc:
        print(f"csmscheck load: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    prepare_process()
    return run_load(options)



def _scan(args: argparse.Namespace) -> int:
    from csmscheck.preflight import check_reachable
    from csmscheck.scan.runner import check_settings, run_scan

    overrides = {"target": args.target, "target_sp2": args.target_sp2, "target_sp3": args.target_sp3,
                 "pki_dir": args.pki_dir}
    with _report_setting_warnings():
        settings = load_settings(args.config, overrides=overrides)
    if settings.target is not None:
        check_settings(settings)
        for url in (settings.target, settings.target_sp2, settings.target_sp3):
            if url is not None:
                check_reachable(url, "CSMS")
    return run_scan(settings, args.report_dir, args.ocpp)


def _certs(args: argparse.Namespace) -> int:
    from csmscheck.pki import generate_pki
    from csmscheck.pki.ca import DEFAULT_HOSTNAMES
    from csmscheck.pki.v2g import V2G_FILES

    with _report_setting_warnings():
        settings = load_settings(args.config)
    hostnames = list(dict.fromkeys([*DEFAULT_HOSTNAMES, *args.host]))
    pki = generate_pki(args.directory, [settings.cp201_sp3, settings.cp16_sp3], hostnames)
    for path in pki.files():
        print(path)
    for name in V2G_FILES:  # the ISO 15118 chain a CSMS signs V2G certificates with
        print(pki.directory / name)
    return EXIT_OK
