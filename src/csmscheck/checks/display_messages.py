"""csmscheck checks of OCPP 2.0.1 display messages (block O): messages the CSMS sets, reads and clears.

Ids ``CSC-201-O-01`` to ``-19``. Each is a finding beside the OCTT verdict.
"""

from __future__ import annotations

from csmscheck.checks import ExtraCheck

NO_TRANSACTION_UNASKED = ExtraCheck(
    "CSC-201-O-01",
    "A display message that does not belong to a transaction carries no transactionId: the station would tie it "
    "to a transaction (and drop it when that ends, or refuse it as an UnknownTransaction).",
    "OCPP 2.0.1 O01.FR.04",
)

SHOWN_SOMETIME = ExtraCheck(
    "CSC-201-O-02",
    "A display message can be shown: its endDateTime, when given, lies after its startDateTime and in the future; "
    "a message that ends before it starts, or has ended already, is never displayed.",
    "OCPP 2.0.1 O01.FR.05, MessageInfoType startDateTime/endDateTime",
)

TRANSACTION_MESSAGE_UNSTATED = ExtraCheck(
    "CSC-201-O-03",
    "A display message for a transaction is shown during that transaction: the CSMS does not also give it a "
    "state (such as Idle or Unavailable) in which no transaction runs, so the two conditions never both hold.",
    "OCPP 2.0.1 O02 (MessageInfoType transactionId, state)",
)
