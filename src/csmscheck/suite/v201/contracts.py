"""ISO 15118 contract certificates for the block C cases (C07): the CA the CSMS trusts, the eMAID
token, a port held closed, and the answer to a contract the CSMS cannot verify.

A CSMS verifies a contract certificate and its chain via OCSP (C07.FR.05) and answers with
an authorization status indicating acceptance or a reason for rejection (C07.FR.04). When it
cannot verify the contract (the responder says ``unknown``, is down, or answers what RFC 6960
section 3.2 forbids a client to trust; the certificate is for another eMAID, expired, or not
from a CA the CSMS trusts) it must not accept it: idTokenInfo.status is anything but Accepted
(Invalid, Unknown, ...) and certificateStatus, if present, anything but Accepted
(CertChainError, NoCertificateAvailable, SignatureError, CertificateExpired, ...).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from csmscheck.errors import ConfigError, NotApplicable
from csmscheck.expect import Matcher, assert_matches
from csmscheck.pki.contract import CertificateAuthority, load_ca
from csmscheck.settings import Settings
from csmscheck.station import v201 as msg

Payload = dict[str, Any]

NOT_ACCEPTED: Any = Matcher("<anything but \"Accepted\">", lambda v: v != "Accepted")
NOT_ACCEPTED_IF_PRESENT: Any = Matcher("<absent or anything but \"Accepted\">", lambda v: v != "Accepted")
NOT_ACCEPTED_IF_PRESENT.allows_absent = True  # type: ignore[attr-defined]


def contract_ca(cfg: Settings) -> CertificateAuthority:
    """The CA the CSMS trusts for contract certificates (``ca.pem``/``ca.key`` of ``pki_dir``)."""
    if cfg.pki_dir is None:
        raise NotApplicable("needs the CA the CSMS trusts for contract certificates: set pki_dir "
                            "(CSMSCHECK_PKI_DIR) to a directory written by 'csmscheck certs'")
    try:
        return load_ca(cfg.pki_dir)
    except FileNotFoundError as exc:
        raise NotApplicable(f"needs the CA the CSMS trusts for contract certificates: pki_dir (CSMSCHECK_PKI_DIR) "
                            f"{cfg.pki_dir} has no {Path(exc.filename or 'ca.pem').name}; write one with "
                            f"'csmscheck certs'") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"setting pki_dir (CSMSCHECK_PKI_DIR): cannot load ca.pem/ca.key: {exc}") from None


def emaid(cfg: Settings) -> Payload:
    """The configured eMAID as an idToken (type eMAID)."""
    return msg.id_token(cfg.contract_emaid, "eMAID")


@contextmanager
def held_closed(host: str, port: int) -> Iterator[str]:
    """An OCSP responder URL on ``host``:``port`` that refuses connections: the port is bound (so nothing
    else takes it) but never listens. Yields the URL."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise NotApplicable(f"cannot hold port {port} on {host} closed for a responder that is down: "
                                f"{exc.strerror or exc}") from None
        yield f"http://{f'[{host}]' if ':' in host else host}:{port}/"
    finally:
        sock.close()


def assert_refused(response: Payload, label: str) -> None:
    """The AuthorizeResponse does not accept a contract the CSMS could not verify (C07.FR.04, C07.FR.05)."""
    assert_matches(response, {"idTokenInfo": {"status": NOT_ACCEPTED}, "certificateStatus": NOT_ACCEPTED_IF_PRESENT},
                   label)
