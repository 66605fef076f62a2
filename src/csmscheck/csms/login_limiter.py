"""Failed basic-auth logins, counted per station id and per source address.

Every password check is an scrypt run (~16 ms of CPU). A key (a station id, an address)
with ``limit`` failed checks in the last ``window`` seconds gets no more checks until the
oldest of them ages out: its handshakes are refused without running scrypt. A check
counts from the moment it starts, so a burst of concurrent guesses is bounded as well as
a sequence; a check that succeeds is taken back.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("csmscheck.csms")

_MAX_KEYS = 100_000  # keys kept at most (addresses are not bounded by the station table)


@dataclass
class _Failures:
    times: deque[float] = field(default_factory=deque)
    reported: bool = False  # the "limited" log line was written for this episode


class LoginLimiter:
    """Failed logins of one kind of key (``what``: "station", "address") in a sliding window; ``limit`` 0 = off."""

    def __init__(self, what: str, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self.limit = limit
        self.window = window
        self._clock = clock
        self._keys: OrderedDict[str, _Failures] = OrderedDict()

    def _recent(self, key: str) -> _Failures | None:
        entry = self._keys.get(key)
        if entry is None:
            return None
        horizon = self._clock() - self.window
        while entry.times and entry.times[0] <= horizon:
            entry.times.popleft()
        if not entry.times:
            del self._keys[key]
            return None
        return entry

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may have its password checked again; 0 when it may now."""
        entry = self._recent(key)
        if self.limit <= 0 or entry is None or len(entry.times) < self.limit:
            if entry is not None:
                entry.reported = False
            return 0.0
        return entry.times[0] + self.window - self._clock()

    def start(self, key: str) -> float:
        """A password check begins: it counts as failed until :meth:`succeeded` says otherwise."""
        stamp = self._clock()
        if self.limit <= 0:
            return stamp
        entry = self._recent(key) or _Failures()
        entry.times.append(stamp)
        self._keys[key] = entry
        self._keys.move_to_end(key)
        if len(self._keys) > _MAX_KEYS:
            self._keys.popitem(last=False)
        return stamp

    def succeeded(self, key: str, stamp: float) -> None:
        entry = self._keys.get(key)
        if entry is not None and stamp in entry.times:
            entry.times.remove(stamp)

    def failed(self, key: str) -> None:
        """A check failed; writes one log line when that makes ``key`` limited."""
        wait = self.retry_after(key)
        entry = self._keys.get(key)
        if wait > 0 and entry is not None and not entry.reported:
            entry.reported = True
            log.warning("login limiter: %s %r had %d failed logins within %gs; its handshakes are refused "
                        "without a password check for %.0fs", self.what, key, self.limit, self.window, wait)


class Logins:
    """The two limiters a basic-auth handshake passes: its station id's and its source address's."""

    def __init__(self, per_station: int, per_address: int, window: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.station = LoginLimiter("station", per_station, window, clock)
        self.address = LoginLimiter("address", per_address, window, clock)

    def retry_after(self, station_id: str, address: str) -> float:
        return max(self.station.retry_after(station_id), self.address.retry_after(address))

    def start(self, station_id: str, address: str) -> tuple[float, float]:
        return self.station.start(station_id), self.address.start(address)

    def finish(self, station_id: str, address: str, stamps: tuple[float, float], ok: bool) -> None:
        if ok:
            self.station.succeeded(station_id, stamps[0])
            self.address.succeeded(address, stamps[1])
        else:
            self.station.failed(station_id)
            self.address.failed(address)
