"""Opening-handshake refusals on a basic-auth endpoint (security profile 1, or 2 without one).

Each rule says which refusal a CSMS engineer expects and why (the rule's reference): 404 for
an identity the CSMS does not know (OCPP-J's SHOULD), 401 with a ``WWW-Authenticate``
challenge for missing or wrong credentials (429 while rate-limiting counts too), and for a
subprotocol, path trick or over-long identity any refusal OCPP allows — what must never
happen is that the connection is served.
"""

from __future__ import annotations

import secrets
import ssl

from csmscheck.scan import rules
from csmscheck.scan.attempts import attempt, describe, received
from csmscheck.scan.context import ScanContext
from csmscheck.station.handshake import Attempt, Outcome
from csmscheck.verdicts import Rule

RATE_LIMITED = 429
LONG_IDENTITIES = (1_000, 8_000)  # characters; OCPP 2.0.1 allows 48


def path_tricks(station_id: str) -> list[str]:
    """Identities that a CSMS decoding or normalising the path too eagerly might take for ``station_id``."""
    return [f"..%2F{station_id}", f"%2e%2e%2f{station_id}", f"x%2F..%2F{station_id}", f"{station_id}%00",
            f"{station_id}%2F", f"{station_id}%20", f"x/../{station_id}"]


class BasicAuthScan:
    """The handshake rules against one basic-auth endpoint, as the station ``station_id`` with ``password``."""

    def __init__(self, scan: ScanContext, url: str, station_id: str, password: str,
                 ssl_context: ssl.SSLContext | None, where: str) -> None:
        self.scan, self.url, self.station_id, self.password = scan, url, station_id, password
        self.context, self.where = ssl_context, where

    async def try_as(self, station_id: str, *, password: str | None, username: str | None = None,
                     subprotocols: list[str] | None = None) -> tuple[Attempt, Outcome | str]:
        how = Attempt(self.url, password, username, self.context, subprotocols)
        async with self.scan.station(station_id, self.url, password, self.context) as station:
            return how, await attempt(station, how)

    async def expect(self, rule: Rule, station_id: str, what: str, statuses: tuple[int, ...] = (), *,
                     password: str | None, username: str | None = None, subprotocols: list[str] | None = None,
                     challenge: bool = False) -> None:
        """``rule`` holds when the attempt is refused, with one of ``statuses`` if given (a 401 with a challenge)."""
        how, outcome = await self.try_as(station_id, password=password, username=username, subprotocols=subprotocols)
        record, where = self.scan.record, self.where
        if isinstance(outcome, str):
            record.skip(rule, where, outcome)
            return
        sent, got = f"{describe(how, station_id)} ({what})", received(outcome)
        if not outcome.refused:
            record.finding(rule, where, sent, got, f"served {what}: {outcome.how}")
        elif statuses and outcome.status not in statuses:
            wanted = " or ".join(map(str, statuses))
            record.finding(rule, where, sent, got, f"refused {what}, but not with HTTP {wanted}: {outcome.how}")
        elif challenge and outcome.status == 401 and not outcome.challenge:
            record.finding(rule, where, sent, got, f"refused {what} with 401 but without a WWW-Authenticate challenge")
        else:
            record.passed(rule, where, f"{what}: {got}")

    async def refusals(self) -> None:
        unknown = f"SCAN-UNKNOWN-{secrets.token_hex(4).upper()}"
        await self.expect(rules.UNKNOWN_STATION, unknown, f"the unknown station {unknown}", (404,),
                          password=self.password)
        auth = (401, RATE_LIMITED)
        sid = self.station_id
        await self.expect(rules.NO_CREDENTIALS, sid, f"{sid} without an Authorization header", auth, password=None,
                          challenge=True)
        await self.expect(rules.WRONG_PASSWORD, sid, f"{sid} with a wrong password", auth,
                          password=secrets.token_hex(16), challenge=True)
        await self.expect(rules.EMPTY_PASSWORD, sid, f"{sid} with an empty password", auth, password="",
                          challenge=True)
        await self.expect(rules.WRONG_USER, sid, f"{sid} authenticating as user {sid}X with its own password", auth,
                          password=self.password, username=f"{sid}X", challenge=True)
        await self.expect(rules.NO_SUBPROTOCOL, sid, f"{sid} offering no subprotocol", password=self.password,
                          subprotocols=[])
        await self.expect(rules.UNSUPPORTED_SUBPROTOCOL, sid, f"{sid} offering only subprotocol ocpp0.1",
                          password=self.password, subprotocols=["ocpp0.1"])
        for trick in path_tricks(sid):
            await self.expect(rules.PATH_TRICKS, trick, f"the path trick {trick!r} with {sid}'s credentials",
                              password=self.password, username=sid)
        for length in LONG_IDENTITIES:
            await self.expect(rules.LONG_IDENTITY, "L" * length, f"an identity of {length} characters",
                              password=self.password)
