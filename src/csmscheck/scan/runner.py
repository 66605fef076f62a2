"""``csmscheck scan``: every connection-security rule against a CSMS, or the bundled reference CSMS on all
three security profiles (with the run's fresh PKI) when no target is given."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from csmscheck.bundled import BundledCsms
from csmscheck.errors import ConfigError
from csmscheck.pki.tls import client_ssl_context
from csmscheck.scan import rules
from csmscheck.scan.client_certs import client_files, scan_client_certificates
from csmscheck.scan.connections import duplicate_connection, oversized_frame, password_burst
from csmscheck.scan.context import Printer, Recorder, ScanContext
from csmscheck.scan.handshakes import BasicAuthScan
from csmscheck.scan.report import write_reports
from csmscheck.scan.tls import TlsEndpoint, scan_tls
from csmscheck.settings import Settings
from csmscheck.wire.versions import OcppVersion

EXIT_CLEAN, EXIT_FINDINGS = 0, 1
_TLS_RULES = (rules.TLS_10_REFUSED, rules.TLS_11_REFUSED, rules.TLS_12_ACCEPTED, rules.TLS_13_ACCEPTED,
              rules.CIPHER_SUITES, rules.SERVER_CHAIN, rules.SERVER_NAME, rules.SERVER_VALIDITY, rules.SERVER_KEY)
_CLIENT_CERT_RULES = (rules.NO_CLIENT_CERT, rules.FOREIGN_CA_CERT, rules.EXPIRED_CERT, rules.SERVER_ONLY_CERT,
                      rules.OTHER_STATION_CERT, rules.OWN_CERT_ACCEPTED)


def check_settings(cfg: Settings) -> None:
    """A scan of a given target needs the PKI for its wss:// endpoints: one line naming what is missing."""
    if cfg.target is None and (cfg.target_sp2 or cfg.target_sp3):
        raise ConfigError("setting target (CSMS_ADDRESS or --target) is required with --target-sp2/--target-sp3")
    wss = [u for u in (cfg.target, cfg.target_sp2, cfg.target_sp3) if u and u.startswith("wss://")]
    if wss and (cfg.pki_dir is None or not (cfg.pki_dir / "ca.pem").is_file()):
        raise ConfigError(f"setting pki_dir (CSMSCHECK_PKI_DIR or --pki-dir) with ca.pem is required to scan {wss[0]}")


async def scan_target(cfg: Settings, record: Recorder, version: OcppVersion = "2.0.1") -> None:
    """Every rule against the CSMS ``cfg`` points at, as stations of OCPP ``version``."""
    scan = ScanContext(cfg, record, version)
    ca = cfg.pki_dir / "ca.pem" if cfg.pki_dir is not None else None
    for profile, url in ((2, cfg.target_sp2), (3, cfg.target_sp3)):
        where = f"profile {profile}"
        if url is None or ca is None:
            record.skip_all(_TLS_RULES, where, "no wss:// endpoint given" if url is None else "no PKI (--pki-dir)")
            continue
        record.out(f"TLS of {where} {url}")
        client = client_files(ca.parent, scan.station_id(3)) if profile == 3 else None
        await scan_tls(scan, TlsEndpoint(f"{where} {url}", url, ca, client))
    if cfg.target_sp3 is not None and ca is not None:
        record.out(f"client certificates on profile 3 {cfg.target_sp3}")
        await scan_client_certificates(scan, cfg.target_sp3, ca)
    else:
        why = "no wss:// endpoint given" if cfg.target_sp3 is None else "no PKI (--pki-dir)"
        record.skip_all(_CLIENT_CERT_RULES, "profile 3", why)
    assert cfg.target is not None
    profile = 2 if cfg.target.startswith("wss://") else 1
    context = client_ssl_context(ca) if profile == 2 and ca is not None else None
    basic = BasicAuthScan(scan, cfg.target, scan.station_id(profile), cfg.basic_auth_password, context,
                          f"profile {profile} {cfg.target}")
    record.out(f"opening handshakes on profile {profile} {cfg.target}")
    await basic.refusals()
    record.out(f"connections of {basic.station_id}")
    await oversized_frame(basic)
    await duplicate_connection(basic)
    await password_burst(basic)  # last: a CSMS that limits failed logins may refuse the station for a while


def _not_eof_noise(entry: logging.LogRecord) -> bool:
    return "eof_received()" not in entry.getMessage()


def run_scan(cfg: Settings, report_dir: Path, version: OcppVersion = "2.0.1", out: Printer = print) -> int:
    """Scan the target of ``cfg`` (the bundled CSMS when it has none), write the reports; the exit status."""
    bundled = None
    if cfg.target is None:
        out("csmscheck scan: starting the bundled reference CSMS (profiles 1, 2 and 3, a fresh PKI)")
        bundled = BundledCsms(cfg)
        cfg = bundled.settings_for(cfg)
    check_settings(cfg)
    record = Recorder(out)
    # A TLS peer's EOF makes asyncio's stream protocol log a harmless warning for every probe that ends that way.
    logging.getLogger("asyncio").addFilter(_not_eof_noise)
    started = time.monotonic()
    try:
        asyncio.run(scan_target(cfg, record, version))
    finally:
        if bundled is not None:
            bundled.stop()
    facts = {"ocpp": version, "target": "bundled reference CSMS" if bundled is not None else cfg.target,
             "target_sp2": cfg.target_sp2, "target_sp3": cfg.target_sp3,
             "duration_s": round(time.monotonic() - started, 2)}
    paths = write_reports(report_dir, record, facts)
    verdicts = record.verdicts
    out(f"{len(verdicts.rules)} rules checked: {verdicts.passed} passed, {verdicts.failed} with findings "
        f"({len(verdicts.findings())} findings), {len(record.notes)} informational, "
        f"{len(record.not_applicable)} not applicable; reports: {', '.join(str(p) for p in paths)}")
    return EXIT_FINDINGS if verdicts else EXIT_CLEAN
