"""What a virtual station does during a load run, driven by its profile.

A station connects and boots, reports its connectors, sends heartbeats, and charges
session after session. Its transaction messages never wait for the network: while it is
offline they are queued with their original timestamps and replayed, in order, once it
has booted again (2.0.1 marks them ``offline``). The pauses here are the simulated
station's own timing (a meter interval, a session's length), not synchronisation.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

from csmscheck.load import messages
from csmscheck.load.metrics import Metrics
from csmscheck.load.profile import Profile
from csmscheck.load.station import LoadStation, Offline

Payload = dict[str, Any]
BOOT_RETRY_S = (1.0, 30.0)  # a refused connection or boot is tried again after 1 s, doubling up to 30 s


@dataclass
class Plan:
    """What every station of one process shares."""

    url: str
    password: str | None
    ssl_context: ssl.SSLContext | None
    profile: Profile
    metrics: Metrics
    storm: asyncio.Event = field(default_factory=asyncio.Event)  # reconnect-storm: every station drops now
    rng: random.Random = field(default_factory=random.Random)
    transaction_ids: set[int] = field(default_factory=set)  # 1.6 ids the CSMS handed out in this process


class StationLife:
    def __init__(self, station: LoadStation, plan: Plan) -> None:
        self.station = station
        self.plan = plan
        self.profile = plan.profile
        quirks = station.quirks
        self.heartbeat_s = (quirks.boot.heartbeat_s if quirks and quirks.boot.heartbeat_s else None) \
            or self.profile.heartbeat_s
        self.boot_retry_s = quirks.boot.retry_s if quirks and quirks.boot.retry_s else None  # the vendor's own
        self.booted = asyncio.Event()
        self.queue: list[tuple[str, Payload]] = []  # transaction messages made while offline (a few)
        self.meter_wh = 0.0
        self.transaction_id: int | None = None  # 1.6: the id the CSMS gave the running transaction
        self.session_number = 0

    async def run(self) -> None:
        """Live until cancelled (the run's end): online, charging, losing the network as the
        profile says. An idle station is this one task and no other (memory at 20,000 stations)."""
        tasks = []
        if self.profile.sessions.enabled:
            tasks += [asyncio.create_task(self._charge(connector))
                      for connector in range(1, self.profile.connectors + 1)]
        if self.profile.network.drop_every_s or self.profile.scenario == "reconnect-storm":
            tasks.append(asyncio.create_task(self._lose_network()))
        try:
            await self._stay_online()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.station.close()

    # -- being online ------------------------------------------------------------------

    async def _stay_online(self) -> None:
        retry = BOOT_RETRY_S[0]
        while True:
            try:
                booted = await self._connect_and_boot()
            except Exception as exc:  # a generator fault must show in the report, not end a station quietly
                self.plan.metrics.inconsistency("station error", f"{self.station.id}: {exc!r}"[:300])
                self.station.drop()
                booted = False
            if booted:
                retry = BOOT_RETRY_S[0]
                try:
                    await self._heartbeats_until_lost()
                finally:
                    self.booted.clear()
            else:
                await self._pause(retry * (0.5 + self.plan.rng.random()))
                retry = min(retry * 2, BOOT_RETRY_S[1])
            await self._offline_for_a_while()

    async def _offline_for_a_while(self) -> None:
        """After a lost network: the outage a drop planned (see :meth:`_lose_network`)."""
        while self._outage_until > time.monotonic():
            await self._pause(self._outage_until - time.monotonic())

    _outage_until = 0.0

    async def _connect_and_boot(self) -> bool:
        plan = self.plan
        if not await self.station.connect(plan.url, plan.password, plan.ssl_context):
            return False
        try:
            while True:
                answer = await self.station.call("BootNotification", messages.boot(self.station.version))
                if answer is None:
                    self.station.drop()
                    return False
                interval = answer.get("interval")
                if answer.get("status") == "Accepted":
                    if not self.heartbeat_s and isinstance(interval, int) and interval > 0:
                        self.heartbeat_s = float(interval)
                    break
                await self._pause(self.boot_retry_s or (interval if isinstance(interval, int) and interval > 0
                                                        else 10))
            transfer = self.station.quirks.data_transfer if self.station.quirks else None
            if transfer is not None and transfer.on_boot:
                await self.station.call("DataTransfer", messages.data_transfer(transfer))
            if self.profile.status_notifications:
                for connector in range(1, self.profile.connectors + 1):
                    await self.station.call("StatusNotification",
                                            messages.status(self.station.version, connector, "Available"))
            await self._replay()
        except Offline:
            return False
        self.booted.set()
        return True

    async def _heartbeats_until_lost(self) -> None:
        while True:
            try:
                async with asyncio.timeout(self.heartbeat_s or 300.0):
                    await self.station.lost.wait()
                    return
            except TimeoutError:
                pass
            try:
                await self.station.call("Heartbeat", {})
            except Offline:
                return

    async def _replay(self) -> None:
        """The queued transaction messages, oldest first, each acknowledged before the next."""
        while self.queue:
            action, payload = self.queue[0]
            if action != "StartTransaction" and "transactionId" in payload and payload["transactionId"] is None:
                payload["transactionId"] = self.transaction_id or 0
            answer = await self.station.call(action, payload)
            del self.queue[0]
            if answer is None:
                self.plan.metrics.inconsistency("offline event not acknowledged", f"{self.station.id} {action}")
            elif action == "StartTransaction":
                self._started_v16(answer)

    # -- charging ----------------------------------------------------------------------

    async def _charge(self, connector: int) -> None:
        sessions = self.profile.sessions
        rng = self.plan.rng
        await self._pause(rng.uniform(*sessions.idle_s))
        while True:
            await self.booted.wait()
            self.session_number += 1
            if sessions.authorize:
                await self._send_if_online("Authorize", messages.authorize(self.station.version, sessions))
            tx_id = f"{self.station.id}-{connector}-{self.session_number}"
            power_w = sessions.power_kw * 1000 * rng.uniform(0.6, 1.0)  # EVs draw less than the charger offers
            session = messages.Session(tx_id, connector, self.meter_wh, power_w)
            await self._transaction_message(*messages.start(self.station.version, session, sessions))
            transfer = self.station.quirks.data_transfer if self.station.quirks else None
            if transfer is not None and transfer.during_session:
                await self._send_if_online("DataTransfer", messages.data_transfer(transfer))
            ends = time.monotonic() + rng.uniform(*sessions.duration_s)
            while (left := ends - time.monotonic()) > 0:
                await self._pause(min(sessions.meter_interval_s, left))
                session.advance()
                await self._transaction_message(*messages.meter(self.station.version, session))
            self.meter_wh = session.meter_wh
            reason = rng.choice(sessions.stop_reasons)
            await self._transaction_message(*messages.stop(self.station.version, session, reason))
            self.transaction_id = None
            await self._pause(rng.uniform(*sessions.idle_s))

    async def _transaction_message(self, action: str, payload: Payload) -> None:
        """Sent now when online, else queued for the replay after the next boot."""
        if "transactionId" in payload and self.station.version == "1.6" and action != "StartTransaction":
            payload["transactionId"] = self.transaction_id if self.booted.is_set() and not self.queue else None
        if not self.booted.is_set() or self.queue:
            if self.station.version == "2.0.1":
                payload["offline"] = True
            self.queue.append((action, payload))
            return
        try:
            answer = await self.station.call(action, payload)
        except Offline:
            if self.station.version == "2.0.1":
                payload["offline"] = True
            self.queue.append((action, payload))
            return
        if action == "StartTransaction" and answer is not None:
            self._started_v16(answer)

    def _started_v16(self, answer: Payload) -> None:
        transaction_id = answer.get("transactionId")
        if isinstance(transaction_id, int):
            if transaction_id in self.plan.transaction_ids:
                self.plan.metrics.inconsistency("duplicate transactionId",
                                                f"{self.station.id}: {transaction_id} handed out twice")
            self.plan.transaction_ids.add(transaction_id)
            self.transaction_id = transaction_id

    async def _send_if_online(self, action: str, payload: Payload) -> None:
        with contextlib.suppress(Offline):
            await self.station.call(action, payload)

    # -- network faults ----------------------------------------------------------------

    async def _lose_network(self) -> None:
        network, rng = self.profile.network, self.plan.rng
        if self.profile.scenario == "reconnect-storm":
            await self.plan.storm.wait()
            await self._outage(rng.uniform(0, network.reconnect_window_s))
            return
        while True:
            await self._pause(rng.expovariate(1 / network.drop_every_s))
            await self._outage(rng.uniform(*network.offline_s))

    async def _outage(self, seconds: float) -> None:
        """Lose the network for ``seconds``; the time until booted again is the reconnect time."""
        lost_at = time.monotonic()
        self._outage_until = lost_at + seconds
        self.station.drop()
        await self.station.lost.wait()
        await self._pause(seconds)
        await self.booted.wait()
        self.plan.metrics.reconnected(time.monotonic() - lost_at)

    async def _pause(self, seconds: float) -> None:
        """The simulated station's own timing (the run's end cancels it)."""
        if seconds > 0:
            await asyncio.sleep(seconds)
