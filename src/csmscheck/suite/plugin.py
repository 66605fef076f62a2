"""The pytest plugin: options, the ``octt`` marker, settings/station/trigger fixtures.

Loaded through the ``pytest11`` entry point, so ``pytest --pyargs csmscheck.suite`` and
``csmscheck run`` share it. Options mirror ``csmscheck run`` with a ``--csms-`` prefix.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import websockets

from csmscheck.bundled import BundledCsms
from csmscheck.checks import CSMS_FRAMES_WELL_FORMED, Finding, Findings
from csmscheck.errors import ConfigError, NotApplicable, StepFailed
from csmscheck.pki import client_ssl_context
from csmscheck.report.model import natural_key
from csmscheck.settings import Settings, SettingWarning, load_settings
from csmscheck.station.session import connect_failure
from csmscheck.station.station import Endpoint, Station
from csmscheck.suite.capabilities import Capabilities, load_capabilities
from csmscheck.suite.marks import E2E, QUIRKS, case_of, selected, valid_selection_token
from csmscheck.suite.operator import Csms
from csmscheck.suite.recorder import Recorder, frame_printer
from csmscheck.suite.watchdog import Watchdog
from csmscheck.trigger.client import HttpTrigger, ManualTrigger
from csmscheck.wire.transcript import FrameRecord
from csmscheck.wire.versions import OcppVersion

SETTINGS = pytest.StashKey[Settings]()
STATIONS = pytest.StashKey[list[Station]]()
FINDINGS = pytest.StashKey[Findings]()
BUNDLED = pytest.StashKey[BundledCsms]()
WATCHDOG = pytest.StashKey[Watchdog]()
OPERATOR = pytest.StashKey[Csms]()
CAPABILITIES = pytest.StashKey[Capabilities]()
StationFactory = Callable[..., Awaitable[Station]]

_OPTIONS = {  # pytest option → settings field
    "csms_target": "target",
    "csms_target_sp2": "target_sp2",
    "csms_target_sp3": "target_sp3",
    "csms_trigger": "trigger",
    "csms_pki_dir": "pki_dir",
    "csms_capabilities": "capabilities",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("csmscheck", "csmscheck: the CSMS under test")
    group.addoption("--csms-target", help="ws:// URL of the CSMS (security profile 1); none: start the bundled CSMS")
    group.addoption("--csms-target-sp2", help="wss:// URL for security profile 2 (TLS + basic auth)")
    group.addoption("--csms-target-sp3", help="wss:// URL for security profile 3 (mutual TLS)")
    group.addoption("--csms-trigger", help="trigger API URL, or 'manual' to prompt an operator")
    group.addoption("--csms-pki-dir", help="directory written by 'csmscheck certs'")
    group.addoption("--csms-config", help="TOML settings file")
    group.addoption("--csms-capabilities", help="TOML file of the optional features the CSMS declares (PICS)")
    group.addoption("--csms-select", action="append", default=[], help="test ids, blocks or versions to run")
    group.addoption("--csms-report-dir", help="write results.json, junit.xml and report.html here")
    group.addoption("--csms-log-messages", action="store_true", help="print every frame as it goes (with -s)")
    group.addoption("--csms-progress", action="store_true", help="print one line per test and a summary table")
    group.addoption("--csms-strict", action="store_true", default=None,
                    help="fail a case whose csmscheck checks (findings) were not met")
    group.addoption("--csms-pace", type=float, help="seconds to pause between cases")
    group.addoption("--csms-quirks", action="append", default=[], metavar="NAME",
                    help="run the quirks set of a vendor-behaviour profile (repeatable) instead of the suite")
    group.addoption("--csms-shuffle", type=int, metavar="SEED",
                    help="run the cases in a random order drawn from SEED (the same seed, the same order)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "octt(id, version, block, name, reqs): an OCTT CSMS test case")
    overrides: dict[str, Any] = {field: config.getoption(opt) for opt, field in _OPTIONS.items()}
    overrides["log_messages"] = config.getoption("csms_log_messages") or None
    overrides["strict"] = config.getoption("csms_strict")
    overrides["pace"] = config.getoption("csms_pace")
    config_file = config.getoption("csms_config")
    for token in config.getoption("csms_select"):
        if not valid_selection_token(token):
            raise pytest.UsageError(f"unknown selection {token!r}: use test ids, blocks (K, 2.0.1/K) or 1.6/2.0.1")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SettingWarning)
            config.stash[SETTINGS] = load_settings(Path(config_file) if config_file else None, overrides=overrides)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    for found in caught:
        # Once per run, in pytest's warnings summary (``csmscheck run`` has printed them already).
        message = found.message
        config.issue_config_time_warning(message if isinstance(message, Warning) else found.category(message), 2)
    if not config.pluginmanager.has_plugin("terminal"):
        # Nobody reads pytest's tracebacks here (csmscheck run): the cheap native style keeps a
        # failing case from costing a quarter of a second of source parsing.
        config.option.tbstyle = "native"
    settings = config.stash[SETTINGS]
    watchdog = Watchdog(settings.max_setup_failures, settings.pace, set(settings.station_ids()))
    config.stash[WATCHDOG] = watchdog
    config.pluginmanager.register(watchdog, "csmscheck-watchdog")
    _load_capabilities(config)
    report_dir = config.getoption("csms_report_dir")
    if report_dir or config.getoption("csms_progress"):
        recorder = Recorder(settings.target, Path(report_dir) if report_dir else None,
                            progress=config.getoption("csms_progress"), watchdog=watchdog)
        config.pluginmanager.register(recorder, "csmscheck-recorder")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the selected cases, in OCTT order: 2.0.1 blocks A–P, then 1.6 by test id."""
    selection = config.getoption("csms_select")
    quirks_run = bool(config.getoption("csms_quirks"))  # the quirks sets run alone, and only when asked for
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        case = case_of(item)
        wanted = case is None or ((case.block == QUIRKS) == quirks_run and selected(case, selection))
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = sorted(keep, key=_octt_order)
    seed = config.getoption("csms_shuffle")
    if seed is not None:
        # Every case must pass in any order (its outcome never depends on the cases before it):
        # a seeded shuffle shows it, and the seed reproduces a failing order.
        random.Random(seed).shuffle(items)
    capabilities = config.stash.get(CAPABILITIES, None)
    if capabilities is not None:
        _mark_not_applicable(items, capabilities)


def _load_capabilities(config: pytest.Config) -> None:
    """Read and check the capabilities file now, before any case runs."""
    path = config.stash[SETTINGS].capabilities
    if path is None:
        return
    try:
        config.stash[CAPABILITIES] = load_capabilities(path)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


def _mark_not_applicable(items: list[pytest.Item], capabilities: Capabilities) -> None:
    """Skip, at collection time (so no fixture runs), each case gated by an undeclared feature."""
    for item in items:
        case = case_of(item)
        if case is None:
            continue
        reason = capabilities.not_applicable_reason(case.id, case.version, case.features)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


def _octt_order(item: pytest.Item) -> tuple[int, tuple[tuple[int, int | str], ...]]:
    case = case_of(item)
    if case is None:
        return (0, ())
    own_set = case.block in (E2E, QUIRKS)  # after the version's OCTT and csmscheck cases
    return (1 if case.version == "2.0.1" else 2, ((int(own_set), ""), *natural_key(case.id)))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Give each report the case's frames, a plain failure message and, after the call, its findings."""
    report = yield
    stations = item.stash.get(STATIONS, [])
    frames: list[FrameRecord] = sorted((f for s in stations for f in s.frames), key=lambda f: f.t)
    report.csms_frames = frames  # type: ignore[attr-defined]
    report.csms_message = failure_message(call.excinfo)  # type: ignore[attr-defined]
    if call.excinfo is not None and call.excinfo.errisinstance(NotApplicable):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"not applicable: {call.excinfo.value}")
        report.csms_message = f"not applicable: {call.excinfo.value}"  # type: ignore[attr-defined]
    report.csms_failed_at = call.stop if report.failed else None  # type: ignore[attr-defined]
    case = case_of(item)
    if report.when == "call" and report.failed and case is not None and case.extra \
            and not item.config.stash[SETTINGS].strict:
        # A csmscheck case checks what the OCTT does not: its failure is a finding, not a failed verdict.
        item.stash.setdefault(FINDINGS, Findings()).items.append(Finding(case.id, report.csms_message))  # type: ignore[attr-defined]
        report.outcome = "passed"
        report.longrepr = None
    if report.when == "call":
        operator = item.stash.get(OPERATOR, None)
        if operator is not None:
            operator.finish()
        findings = _findings(item, stations)
        report.csms_findings = list(findings.items)  # type: ignore[attr-defined]
        if findings and report.passed and item.config.stash[SETTINGS].strict:
            report.outcome = "failed"
            report.longrepr = report.csms_message = (  # type: ignore[attr-defined]
                "csmscheck checks not met (--strict):\n" + findings.summary())
            report.csms_failed_at = call.stop  # type: ignore[attr-defined]
    if report.failed and frames:
        text = "\n".join(f"{'→' if f.direction == 'out' else '←'} {f.station_id} {f.text}" for f in frames)
        report.sections.append(("csmscheck transcript", text))
    return report


def failure_message(excinfo: pytest.ExceptionInfo[BaseException] | None) -> str:
    """What went wrong, in plain words: a step's own message, never pytest's assertion rewrite."""
    if excinfo is None:
        return ""
    exc = excinfo.value
    if isinstance(exc, StepFailed):
        return str(exc)
    if isinstance(exc, AssertionError):  # a plain assert: keep its message, drop pytest's explanation
        return str(exc).split("\nassert ")[0].strip() or "assertion failed"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _findings(item: pytest.Item, stations: list[Station]) -> Findings:
    """The case's findings, plus any frame of the CSMS that was not well-formed OCPP-J."""
    findings = item.stash.get(FINDINGS, Findings())
    for station in stations:
        for problem in station.session.violations:
            findings.check(CSMS_FRAMES_WELL_FORMED, False, f"{station.id}: {problem}")
        station.session.violations.clear()
    return findings


def pytest_collection_finish(session: pytest.Session) -> None:
    """With no target, start the bundled reference CSMS once the run is known to need it."""
    config = session.config
    settings = config.stash[SETTINGS]
    if settings.target is not None or config.option.collectonly:
        return
    if not any(case_of(item) and item.get_closest_marker("skip") is None for item in session.items):
        return  # nothing to run against it (no case selected, or none applicable)
    bundled = BundledCsms(settings)
    config.stash[BUNDLED] = bundled
    config.stash[SETTINGS] = bundled.settings_for(settings)


def pytest_unconfigure(config: pytest.Config) -> None:
    bundled = config.stash.get(BUNDLED, None)
    if bundled is not None:
        bundled.stop()
        del config.stash[BUNDLED]


@pytest.fixture(scope="session")
def cfg(pytestconfig: pytest.Config) -> Settings:
    """The run's settings, pointed at the bundled reference CSMS when no target was given."""
    settings = pytestconfig.stash[SETTINGS]
    if settings.target is None:
        raise ConfigError("setting target (CSMS_ADDRESS) is not set and no bundled CSMS is running")
    return settings


@pytest_asyncio.fixture
async def csms(request: pytest.FixtureRequest, cfg: Settings) -> AsyncIterator[Csms]:
    """The CSMS under test, through the trigger API (or an operator in manual mode)."""
    if cfg.manual:
        trigger: Any = ManualTrigger()
    elif cfg.trigger is None:
        raise ConfigError("setting trigger (CSMS_TRIGGER_ADDRESS) is required with a target")
    else:
        trigger = HttpTrigger(cfg.trigger, cfg.trigger_token, dialect=cfg.trigger_dialect)
    operator = Csms(trigger)
    request.node.stash[OPERATOR] = operator
    try:
        yield operator
    finally:
        await trigger.close()


def endpoint_for(cfg: Settings, profile: int, station_id: str) -> Endpoint:
    if profile == 1:
        if cfg.target is None:
            raise ConfigError("setting target (CSMS_ADDRESS) is not set")
        return Endpoint(cfg.target, cfg.basic_auth_password)
    url = cfg.target_sp2 if profile == 2 else cfg.target_sp3
    if url is None or cfg.pki_dir is None:
        raise NotApplicable(f"security profile {profile} needs CSMS_SP{profile}_ADDRESS and a PKI (CSMSCHECK_PKI_DIR)")
    ca = cfg.pki_dir / "ca.pem"
    if profile == 2:
        return Endpoint(url, cfg.basic_auth_password, client_ssl_context(ca))
    cert, key = cfg.pki_dir / f"client-{station_id}.pem", cfg.pki_dir / f"client-{station_id}.key"
    return Endpoint(url, None, client_ssl_context(ca, cert, key))


@pytest.fixture
def findings(request: pytest.FixtureRequest) -> Findings:
    """The case's csmscheck checks that failed (reported beside the OCTT verdict; failures with --strict)."""
    found: Findings = request.node.stash.setdefault(FINDINGS, Findings())
    return found


@pytest_asyncio.fixture
async def make_station(request: pytest.FixtureRequest, cfg: Settings,
                       findings: Findings) -> AsyncIterator[StationFactory]:
    """Builds connected stations whose frames go into the test's transcript; closes them after."""
    stations: list[Station] = []
    request.node.stash[STATIONS] = stations
    listener = frame_printer() if cfg.log_messages else None

    async def make(version: OcppVersion, station_id: str, profile: int = 1, *, connect: bool = True,
                   endpoint: Endpoint | None = None) -> Station:
        station = Station(station_id, version, cfg, endpoint or endpoint_for(cfg, profile, station_id), listener,
                          findings)
        stations.append(station)
        if connect:
            try:
                await station.connect()
            except (websockets.InvalidHandshake, OSError, TimeoutError) as exc:
                raise StepFailed(f"station {station_id} could not connect to {station.endpoint.url}: "
                                 f"{connect_failure(exc, cfg.message_wait)}") from None
        return station

    try:
        yield make
    finally:
        for station in stations:
            await station.close()
