"""Stations' basic-auth passwords: scrypt hashes, and a memo of the ones already verified.

scrypt costs ~16 ms of CPU by design; a station reconnecting with the password it used
before should not pay it again. :func:`check_password` remembers each (stored hash,
password) pair it verified, as an HMAC under a per-process key (never the password), in a
bounded LRU. The memo needs no invalidation: a new password comes with a new hash (a new
salt), so an old password never matches it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

_SCRYPT = {"n": 2**12, "r": 8, "p": 1}
_MEMO_SIZE = 100_000  # ~20 MB at most


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def scrypt_matches(password: str, stored: str | None) -> bool:
    """The slow check: does ``password`` hash to ``stored``?"""
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), **_SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest)


class _Verified:
    """A bounded LRU of verified credentials; thread-safe (checks run in worker threads)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._key = secrets.token_bytes(32)
        self._entries: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()
        self._checks: dict[bytes, tuple[threading.Lock, int]] = {}  # credential → its check's lock, waiters

    def _digest(self, password: str, stored: str) -> bytes:
        # The stored hash has no NUL, so the first NUL ends it.
        return hmac.digest(self._key, stored.encode() + b"\0" + password.encode(), "sha256")

    def knows(self, password: str, stored: str | None) -> bool:
        if not stored:
            return False
        digest = self._digest(password, stored)
        with self._lock:
            if digest not in self._entries:
                return False
            self._entries.move_to_end(digest)
            return True

    @contextmanager
    def checking(self, password: str, stored: str) -> Iterator[None]:
        """One check of a credential at a time: the same credential checked meanwhile (a storm of
        stations provisioned with one password) waits, then finds it verified instead of paying scrypt."""
        digest = self._digest(password, stored)
        with self._lock:
            lock, waiting = self._checks.get(digest, (threading.Lock(), 0))
            self._checks[digest] = (lock, waiting + 1)
        try:
            with lock:
                yield
        finally:
            with self._lock:
                lock, waiting = self._checks[digest]
                if waiting == 1:
                    del self._checks[digest]
                else:
                    self._checks[digest] = (lock, waiting - 1)

    def add(self, password: str, stored: str) -> None:
        digest = self._digest(password, stored)
        with self._lock:
            self._entries[digest] = None
            self._entries.move_to_end(digest)
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)


_verified = _Verified(_MEMO_SIZE)


def remembered(password: str, stored: str | None) -> bool:
    """True when this password was verified against this hash before (a look-up, no scrypt)."""
    return _verified.knows(password, stored)


def check_password(password: str, stored: str | None) -> bool:
    """Does ``password`` match ``stored``? scrypt the first time, a look-up afterwards. Blocking: run it in a thread."""
    if _verified.knows(password, stored):
        return True
    if not stored:
        return False
    with _verified.checking(password, stored):
        if _verified.knows(password, stored):  # verified by the check this one waited for
            return True
        if not scrypt_matches(password, stored):
            return False
        _verified.add(password, stored)
    return True
