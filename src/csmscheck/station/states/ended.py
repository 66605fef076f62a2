"""What runs once a transaction has ended: hooks the suite registers (the station knows no CSMS).

The reusable states (and the cases' own ways to end a transaction) call
:func:`transaction_ended` after the CSMS answered the Ended TransactionEvent (2.0.1) or the
StopTransaction.req (1.6); ``csmscheck.suite.stored`` registers the hook that reads back
what the CSMS stored. A hook never fails a step: it reports findings.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from csmscheck.station.station import Station

EndHook = Callable[[Station, str], Awaitable[None]]

_HOOKS: list[EndHook] = []


def on_transaction_end(hook: EndHook) -> EndHook:
    """Register ``hook(station, transaction_id)`` to run after every transaction that ends."""
    if hook not in _HOOKS:
        _HOOKS.append(hook)
    return hook


async def transaction_ended(station: Station, transaction_id: str) -> None:
    """The CSMS answered the message that ended ``transaction_id``: run the registered hooks."""
    for hook in tuple(_HOOKS):
        await hook(station, transaction_id)
