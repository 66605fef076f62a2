"""Security profile 3: the client certificates a CSMS must refuse, and the one it must accept.

Every refusal OCPP allows counts (a failed TLS handshake, a 4xx answer to the upgrade, a
dropped or at once closed connection); what must never happen is a served connection.
The expired and server-only certificates are issued by the run's own CA, so only a CSMS that
checks validity and key usage refuses them; they need the CA's key (``ca.key``) and are not
applicable without it.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from csmscheck.pki.tls import client_ssl_context
from csmscheck.pki.untrusted import invalid_issued_client_context, untrusted_client_context
from csmscheck.scan import rules
from csmscheck.scan.attempts import attempt, describe, received
from csmscheck.scan.context import ScanContext
from csmscheck.station.handshake import Attempt
from csmscheck.verdicts import Rule


def client_files(pki_dir: Path, station_id: str) -> tuple[Path, Path] | None:
    cert, key = pki_dir / f"client-{station_id}.pem", pki_dir / f"client-{station_id}.key"
    return (cert, key) if cert.is_file() and key.is_file() else None


def _other_station(scan: ScanContext, ca: Path, station_id: str) -> tuple[ssl.SSLContext, str] | None:
    """Another known station's own certificate when the PKI holds one, else one the CA issues for ``<id>X``."""
    pki_dir = ca.parent
    cfg = scan.cfg
    for other in (cfg.cp16_sp3, cfg.cp201_sp3, cfg.cp201_sp2, cfg.cp201_sp1, cfg.cp16_sp1):
        files = client_files(pki_dir, other) if other != station_id else None
        if files is not None:
            return client_ssl_context(ca, *files), f"the certificate of station {other}"
    if (pki_dir / "ca.key").is_file():
        name = f"{station_id}X"
        return (invalid_issued_client_context(ca, pki_dir / "ca.key", name),
                f"a certificate of the run's CA for {name}")
    return None


async def scan_client_certificates(scan: ScanContext, url: str, ca: Path) -> None:
    """Every profile-3 client-certificate rule against the endpoint ``url``."""
    record = scan.record
    where = f"profile 3 {url}"
    station_id = scan.station_id(3)
    ca_key = ca.parent / "ca.key"
    invalid: list[tuple[Rule, ssl.SSLContext | None, str]] = [
        (rules.NO_CLIENT_CERT, client_ssl_context(ca), "no client certificate"),
        (rules.FOREIGN_CA_CERT, untrusted_client_context(ca, station_id),
         f"a certificate for {station_id} from another CA of the same name"),
    ]
    if ca_key.is_file():
        invalid += [
            (rules.EXPIRED_CERT, invalid_issued_client_context(ca, ca_key, station_id, expired=True),
             f"a certificate of the run's CA for {station_id} that expired yesterday"),
            (rules.SERVER_ONLY_CERT, invalid_issued_client_context(ca, ca_key, station_id, usage="server"),
             f"a certificate of the run's CA for {station_id} with extended key usage serverAuth only"),
        ]
    else:
        for rule in (rules.EXPIRED_CERT, rules.SERVER_ONLY_CERT):
            record.skip(rule, where, f"needs the CA's key to issue the certificate ({ca_key} not found)")
    other = _other_station(scan, ca, station_id)
    if other is None:
        record.skip(rules.OTHER_STATION_CERT, where, "needs another station's certificate or the CA's key")
    else:
        invalid.append((rules.OTHER_STATION_CERT, other[0], other[1]))
    for rule, context, what in invalid:
        how = Attempt(url, ssl_context=context)
        async with scan.station(station_id, url, ssl_context=context) as station:
            outcome = await attempt(station, how)
        sent = f"{describe(how, station_id)}, presenting {what}"
        if isinstance(outcome, str):
            record.skip(rule, where, outcome)
        elif outcome.refused:
            record.passed(rule, where, f"{what}: {outcome.how}")
        else:
            record.finding(rule, where, sent, received(outcome), f"served station {station_id} presenting {what}: "
                                                                 f"{outcome.how}")
    own = client_files(ca.parent, station_id)
    if own is None:
        record.skip(rules.OWN_CERT_ACCEPTED, where, f"no certificate of {station_id} in {ca.parent}")
        return
    context = client_ssl_context(ca, *own)
    how = Attempt(url, ssl_context=context)
    async with scan.station(station_id, url, ssl_context=context) as station:
        outcome = await attempt(station, how)
    if isinstance(outcome, str):
        record.skip(rules.OWN_CERT_ACCEPTED, where, outcome)
    elif outcome.upgraded and not outcome.refused:
        record.passed(rules.OWN_CERT_ACCEPTED, where, outcome.how)
    else:
        record.finding(rules.OWN_CERT_ACCEPTED, where, f"{describe(how, station_id)}, presenting its own certificate",
                       received(outcome), f"refused station {station_id} presenting its own certificate: "
                                          f"{outcome.how}")
