"""TLS options of ``record`` and ``replay``: certificate, key and CA files checked one by one (a one-line error
naming the option), then the ``ssl.SSLContext`` built by the PKI's builders."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from csmscheck.errors import ConfigError
from csmscheck.pki.tls import client_ssl_context, server_ssl_context_from_files


@dataclass(frozen=True)
class Option:
    """A file option as the user wrote it: its name (``--listen-cert``) and value."""

    name: str
    path: Path | None

    def __str__(self) -> str:
        return f"{self.name} {self.path}"


def _read(option: Option) -> bytes:
    assert option.path is not None
    try:
        return option.path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{option}: {exc.strerror or exc}") from None


def _certificates(option: Option) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(_read(option))
    except ValueError:
        raise ConfigError(f"{option}: no PEM certificate in it") from None


def _check_pair(cert: Option, key: Option) -> None:
    leaf = _certificates(cert)[0]
    try:
        private = serialization.load_pem_private_key(_read(key), password=None)
    except (ValueError, TypeError):
        raise ConfigError(f"{key}: not an unencrypted PEM private key") from None
    encoding, form = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if private.public_key().public_bytes(encoding, form) != leaf.public_key().public_bytes(encoding, form):
        raise ConfigError(f"{key}: the key does not match the certificate of {cert}")


def _only_with_wss(url_option: str, url: str, options: list[Option]) -> None:
    given = [option.name for option in options if option.path is not None]
    if given and urlsplit(url).scheme != "wss":
        raise ConfigError(f"{given[0]}: only with a wss:// {url_option} (it is {url})")


def _pair(cert: Option, key: Option) -> None:
    if cert.path is not None and key.path is None:
        raise ConfigError(f"{cert.name} needs {key.name} (the private key of that certificate)")
    if key.path is not None and cert.path is None:
        raise ConfigError(f"{key.name} needs {cert.name} (the certificate of that key)")
    if cert.path is not None:
        _check_pair(cert, key)


def server_context(url_option: str, url: str, cert: Option, key: Option, client_ca: Option) -> ssl.SSLContext | None:
    """The listening side's context: None for ws://; for wss:// the certificate and key are required."""
    _only_with_wss(url_option, url, [cert, key, client_ca])
    if urlsplit(url).scheme != "wss":
        return None
    if cert.path is None:
        raise ConfigError(f"{url_option} {url}: give {cert.name} and {key.name} (the certificate stations see)")
    _pair(cert, key)
    assert key.path is not None
    if client_ca.path is not None:
        _certificates(client_ca)
    try:
        return server_ssl_context_from_files([(cert.path, key.path)], client_ca=client_ca.path)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"{cert}, {key}: {exc}") from None


def client_context(url_option: str, url: str, ca: Option, cert: Option, key: Option) -> ssl.SSLContext | None:
    """The connecting side's context: None for ws://; for wss:// the CA (default: the system's trust store) and
    an optional client certificate."""
    _only_with_wss(url_option, url, [ca, cert, key])
    if urlsplit(url).scheme != "wss":
        return None
    if ca.path is not None:
        _certificates(ca)
    _pair(cert, key)
    try:
        return client_ssl_context(ca.path, cert.path, key.path)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"{ca}, {cert}, {key}: {exc}") from None
