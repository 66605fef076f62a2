"""The 1.6 transaction ids a Central System handed out during the run: each transaction its own, positive.

Every StartTransaction.conf the reusable states get is recorded here, per run (the run's
settings object) and charge point, with the StartTransaction.req it answered. An id given
to two different transactions of the charge point, or an id of 0 or below, is a finding of
csmscheck check CSC-16-TX-01. The same StartTransaction.req sent again (its answer was
lost) may get the same id.
"""

from __future__ import annotations

from csmscheck.checks.transactions import TRANSACTION_IDS_UNIQUE
from csmscheck.station.run_state import PerRun
from csmscheck.station.station import Station
from csmscheck.station.v16 import Payload

# Each (charge point, transaction id) the Central System gave in this run, with the request it answered.
_given: PerRun[dict[tuple[str, int], Payload]] = PerRun(dict)


def _same_request(first: Payload, again: Payload) -> bool:
    return all(first.get(key) == again.get(key) for key in ("connectorId", "idTag", "meterStart", "timestamp"))


def record(station: Station, request: Payload, response: Payload, step: str) -> None:
    """Check and remember the transactionId the Central System gave for ``request``."""
    transaction_id = response["transactionId"]
    station.findings.check(
        TRANSACTION_IDS_UNIQUE, transaction_id > 0,
        f"{step}: transactionId: expected a positive id of the Central System's own, got {transaction_id}")
    given = _given(station.cfg)
    earlier = given.get((station.id, transaction_id))
    if earlier is not None and not _same_request(earlier, request):
        station.findings.check(
            TRANSACTION_IDS_UNIQUE, False,
            f"{step}: transactionId: expected an id no other transaction of {station.id} has, got {transaction_id}, "
            f"already given to the transaction started on connector {earlier['connectorId']} at "
            f"{earlier['timestamp']} (meterStart {earlier['meterStart']})")
    given[(station.id, transaction_id)] = request
