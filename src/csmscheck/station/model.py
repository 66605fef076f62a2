"""What a virtual station remembers: connector statuses, its transaction and the EV's state."""

from __future__ import annotations

import itertools
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

# NotifyEvent eventIds: unique and rising across every station of the process and, seeded from the
# clock, unlikely to repeat an earlier run's against a long-running CSMS (still within int32).
_EVENT_IDS = itertools.count(int(time.time()) % 1_000_000 * 1_000 + 1)


def next_event_id() -> int:
    """A fresh NotifyEvent eventId, as a real station numbers its events."""
    return next(_EVENT_IDS)


@dataclass(slots=True)
class Transaction:
    """The station's current transaction; 1.6 learns its id from the CSMS."""

    id: str
    evse_id: int
    connector_id: int
    seq_no: int = 0
    meter_wh: float = 0.0
    started: bool = False  # 2.0.1: a TransactionEvent(Started) went out; 1.6: StartTransaction accepted

    def next_seq_no(self) -> int:
        seq_no = self.seq_no
        self.seq_no += 1
        return seq_no


@dataclass(slots=True)
class StationModel:
    """The physical and session state the reusable states build on, so they stay idempotent."""

    connector_status: dict[tuple[int, int], str] = field(default_factory=dict)
    transaction: Transaction | None = None
    authorized: bool = False
    ev_connected: bool = False
    charging: bool = False
    suspended: bool = False
    stop_authorized: bool = False
    booted: bool = False
    meter_wh: float = 0.0
    tx_profile: dict[str, Any] | None = None  # the TxProfile of the transaction (ISO 15118 load levelling)

    def new_transaction(self, evse_id: int, connector_id: int, transaction_id: str | None = None) -> Transaction:
        self.transaction = Transaction(transaction_id or uuid.uuid4().hex[:20], evse_id, connector_id,
                                       meter_wh=self.meter_wh)
        return self.transaction

    def end_transaction(self) -> None:
        self.transaction = self.tx_profile = None
        self.authorized = self.charging = self.suspended = self.stop_authorized = False

    def add_energy(self, wh: float) -> float:
        self.meter_wh += wh
        if self.transaction is not None:
            self.transaction.meter_wh = self.meter_wh
        return self.meter_wh
