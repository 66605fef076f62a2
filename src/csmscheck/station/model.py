"""What a virtual station remembers: connector statuses, its transaction and the EV's state."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


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

    def new_transaction(self, evse_id: int, connector_id: int, transaction_id: str | None = None) -> Transaction:
        self.transaction = Transaction(transaction_id or uuid.uuid4().hex[:20], evse_id, connector_id,
                                       meter_wh=self.meter_wh)
        return self.transaction

    def end_transaction(self) -> None:
        self.transaction = None
        self.authorized = self.charging = self.suspended = self.stop_authorized = False

    def add_energy(self, wh: float) -> float:
        self.meter_wh += wh
        if self.transaction is not None:
            self.transaction.meter_wh = self.meter_wh
        return self.meter_wh
