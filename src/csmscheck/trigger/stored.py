"""What a CSMS stored about a transaction, as the trigger API reads it back.

``GET /api/octt/{version}/{station_id}/transactions/{transaction_id}`` answers with a
:class:`StoredTransaction`: the CSMS's own view of the transaction, from its database.
The suite compares it with what the station sent (csmscheck checks ``CSC-TX-nn``).
Every field but the id may be ``null``: a CSMS states what it keeps, and only what it
states is checked; what it bills is required: the energy once the station reported the
register at the start and later, the final cost once it told the station one, and the
stop time and reason of a stopped transaction. Times are instants (RFC 3339 with ``Z`` or an offset; one without a
zone is read as UTC), energies in Wh. An unknown transaction is ``404`` with a
:class:`UnknownTransaction` body, which names the transaction: any other ``404`` means
the CSMS does not serve the route.

The server (the reference CSMS) and the client share these models.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class StoredEvent(BaseModel):
    """One OCPP 2.0.1 TransactionEvent the CSMS applied to the transaction (a replay is not another one)."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    seqNo: int
    eventType: str = Field(description="Started, Updated or Ended")
    triggerReason: str
    timestamp: datetime = Field(description="when the event happened, as the station stated it (UTC)")
    offline: bool | None = Field(default=None, description="the station queued it while offline")


class StoredTransaction(BaseModel):
    """The CSMS's view of one transaction: what it will bill and report."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    transactionId: str = Field(description="2.0.1: the station's id; 1.6: the id the CSMS gave (as a string)")
    stationId: str | None = None
    evseId: int | None = Field(default=None, description="1.6: the connector id")
    connectorId: int | None = None
    idToken: str | None = Field(default=None, description="the idToken (1.6: idTag) that started the transaction")
    remoteStartId: int | None = Field(default=None, description="2.0.1: the remote start that caused it (F02)")
    chargingState: str | None = Field(default=None, description="2.0.1: the latest chargingState the station "
                                      "reported, by event time (not by arrival)")
    startedAt: datetime | None = Field(default=None, description="when the transaction started (UTC)")
    stoppedAt: datetime | None = Field(default=None, description="when it stopped (UTC); null while it runs")
    stoppedReason: str | None = Field(default=None, description="why it stopped (Local when the station named "
                                      "no reason); null while it runs")
    meterStartWh: float | None = Field(default=None, description="the energy register at the start, in Wh "
                                       "(1.6: meterStart; 2.0.1: the Transaction.Begin reading)")
    meterStopWh: float | None = Field(default=None, description="the energy register at the stop, in Wh "
                                      "(1.6: meterStop; 2.0.1: the Transaction.End reading); null while it runs")
    energyWh: float | None = Field(default=None, description="energy delivered: meterStopWh - meterStartWh once "
                                   "stopped; while it runs, the latest register reading minus meterStartWh. "
                                   "Required once the station reported the register at the start and later")
    durationS: float | None = Field(default=None, description="how long the session lasted, in seconds, as the "
                                    "CSMS bills and reports it: the true time elapsed from startedAt to stoppedAt "
                                    "(an hour of a DST change counts as it passed); null while it runs")
    totalCost: float | None = Field(default=None, description="the cost the CSMS bills (2.0.1: as reported to the "
                                    "station in TransactionEventResponse, the running cost while it runs); "
                                    "required once it sent a final cost")
    events: list[StoredEvent] | None = Field(default=None, description="2.0.1: the TransactionEvents applied, "
                                             "each once, by seqNo; 1.6: empty")


class UnknownTransaction(BaseModel):
    """The 404 answer for a transaction the CSMS does not know (the route itself is served)."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    detail: str
    stationId: str
    transactionId: str
