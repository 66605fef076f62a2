"""csmscheck checks of transactions, meter values and cost: what the CSMS stored and chose (both versions).

The stored checks (``CSC-TX-nn``) compare what the CSMS stored about a transaction, read back
through the trigger API (``GET …/transactions/{id}``, capability ``transaction_readback``),
with what the station sent: after every transaction a case ends, and in csmscheck's own
transaction cases. The others check values the CSMS chose itself.
"""

from __future__ import annotations

from csmscheck.checks import ExtraCheck

# -- what the CSMS stored (both versions) ------------------------------------------------------

TRANSACTION_STORED = ExtraCheck(
    "CSC-TX-01",
    "A transaction the CSMS acknowledged is a transaction it keeps: it answered the station's TransactionEvents "
    "(2.0.1) or gave the transaction its id (1.6), so it bills and reports it, and reading it back finds it "
    "in the documented shape, on the EVSE and connector and for the idToken (1.6: idTag) the station named.",
    "J02.FR.19, E01 (2.0.1); OCPP 1.6 §4.8, §4.10",
)

STOP_REASON_STORED = ExtraCheck(
    "CSC-TX-02",
    "The CSMS keeps why a transaction stopped as the station said it: the stoppedReason of the Ended event "
    "(2.0.1), the reason of StopTransaction.req (1.6); a station leaves it out only when it is Local.",
    "E03.FR.05, TransactionType.stoppedReason (2.0.1); OCPP 1.6 §4.10, StopTransaction.req reason",
)

METER_STORED = ExtraCheck(
    "CSC-TX-03",
    "The CSMS keeps the energy register at the start and at the stop as metered, and bills the difference: 1.6 "
    "meterStart and meterStop; 2.0.1 the Energy.Active.Import.Register reading of context Transaction.Begin and "
    "Transaction.End (the measurand a sampled value without one has), in Wh whatever the unit (kWh) and "
    "multiplier, the total and not a phase; energy = stop - start.",
    "OCPP 1.6 §4.8, §4.10, SampledValue; OCPP 2.0.1 SampledValueType, UnitOfMeasureType, ReadingContextEnumType",
)

TIMES_STORED = ExtraCheck(
    "CSC-TX-04",
    "The CSMS keeps when a transaction started and stopped as the station stated it, as the instant the RFC 3339 "
    "time names (an offset such as +02:00 shifts it to UTC, it is not dropped), also for events queued offline "
    "and delivered later (their own timestamp, not the time they arrived).",
    "RFC 3339 §5.6 (OCPP-J dateTime); E04, E12 (2.0.1 offline events); OCPP 1.6 §4.8, §4.10 timestamp",
)

EVENTS_APPLIED_ONCE = ExtraCheck(
    "CSC-TX-05",
    "Every TransactionEvent the CSMS answered is applied to its transaction, each seqNo once: a station resends "
    "an event whose answer it lost and delivers its offline queue late, out of order or with gaps, and neither "
    "counts twice nor reopens a transaction that ended; the transaction's state (its chargingState) follows event "
    "time, not arrival order.",
    "E01.FR.07 (seqNo), J02.FR.19, E04, E12",
)

COST_STORED = ExtraCheck(
    "CSC-TX-06",
    "The final cost the CSMS keeps for a transaction is the totalCost it told the station at the Ended event: the "
    "driver sees the amount that is billed.",
    "I03 (TransactionEventResponse.totalCost)",
)

REMOTE_START_STORED = ExtraCheck(
    "CSC-TX-07",
    "A transaction a remote start caused names its remoteStartId in a TransactionEvent (F02.FR.01); the CSMS links "
    "them, also when the station reports the transaction before it answers RequestStartTransaction.",
    "F02.FR.01",
)

# -- values the CSMS chose ---------------------------------------------------------------------

FINAL_COST_SENT = ExtraCheck(
    "CSC-201-I-02",
    "A CSMS that runs tariffs (capability tariff_cost) tells the station the total cost when a transaction it "
    "authorized ends: the TransactionEventResponse to the Ended event carries totalCost (0.00 for a free one), "
    "as TC_I_02 validates for one transaction; it holds for every one.",
    "I03 (TransactionEventResponse.totalCost)",
)

TRANSACTION_IDS_UNIQUE = ExtraCheck(
    "CSC-16-TX-01",
    "The transactionId of StartTransaction.conf is how the charge point names the transaction afterwards "
    "(StopTransaction.req, MeterValues.req, RemoteStopTransaction.req): each transaction of a charge point gets "
    "its own id, and a positive one, since charge point stacks hold 0 or -1 for a transaction whose id they do "
    "not have yet. A repeated StartTransaction.req (the same one again) may get the same id.",
    "OCPP 1.6 §4.8, §4.10, §5.12",
)
