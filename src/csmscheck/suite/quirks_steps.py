"""The steps both versions' quirks sets share: a station that behaves as a vendor-behaviour profile says.

:class:`Vendor` sends what a case asks for the way the profile's chargers do (every CALL
reshaped by :meth:`QuirksProfile.shape`; boot retries, reboots, statuses, DataTransfer,
tokens and offline batches as the profile's fields say; what a profile leaves out is the
behaviour of a charger that writes OCPP as the specification's examples do) and checks what a
correct CSMS must do whatever the vendor: every answer valid and in time, the connection alive,
tokens compared without regard to letter case and kept as text, and what it stored (energy,
instants, cost) as meant, read back through the trigger API.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from csmscheck.errors import ConfigError, NotApplicable, StepFailed
from csmscheck.expect import about_now, assert_matches, step
from csmscheck.station import Station
from csmscheck.station import v16 as msg16
from csmscheck.station import v201 as msg201
from csmscheck.station.quirks import QuirksProfile, load_profiles
from csmscheck.suite.bill import check_bill
from csmscheck.suite.operator import Csms
from csmscheck.suite.sent_transactions import sent_transaction
from csmscheck.suite.stored import ENERGY_TOLERANCE_WH, TARIFF, TIME_TOLERANCE_S, declares, differences, read_stored
from csmscheck.timestamps import rfc3339
from csmscheck.trigger.stored import StoredTransaction

Payload = dict[str, Any]
REGISTER = "Energy.Active.Import.Register"
DEFAULT_VENDOR_ID = "org.csmscheck.quirks"  # the DataTransfer of a profile that names no vendor of its own
# 2.0.1 has no Preparing/Finishing connector status: the connector is Occupied, the session's state its chargingState.
CHARGING_STATE = {"Preparing": "EVConnected", "Charging": "Charging", "SuspendedEV": "SuspendedEV",
                  "SuspendedEVSE": "SuspendedEVSE", "Finishing": "EVConnected"}
REBOOT_REASON = {"1.6": None, "2.0.1": "Watchdog"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Each quirks case runs once per profile ``--csms-quirks`` names (``all``: every shipped one)."""
    if "quirks" not in metafunc.fixturenames:
        return
    names = metafunc.config.getoption("csms_quirks") or ["all"]  # without the option the cases are deselected
    try:
        profiles = load_profiles(names)
    except ConfigError as exc:  # one line naming the profile or key
        raise pytest.UsageError(str(exc)) from None
    metafunc.parametrize("quirks", profiles, ids=[p.name for p in profiles])


def applicable(quirks: QuirksProfile, version: str) -> None:
    if not quirks.applies_to(version):
        raise NotApplicable(f"quirks profile {quirks.name} is for OCPP {' and '.join(quirks.ocpp)} only")


def token_note(token: str) -> str:
    """Why the CSMS must know the token as the charger wrote it."""
    if token.isdigit():
        return "; a token is text: its leading zeros are part of it" if token.startswith("0") else ""
    return "; idTokens are case-insensitive"


def ago(minutes: float) -> datetime:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).replace(microsecond=0)


@dataclass
class Metered:
    """One session as the case means it (the register in Wh, instants in UTC), before the vendor writes it."""

    transaction_id: str
    token: str
    meter_start_wh: int
    meter_stop_wh: int
    started_at: datetime
    stopped_at: datetime

    @property
    def energy_wh(self) -> int:
        return self.meter_stop_wh - self.meter_start_wh


@dataclass
class Vendor:
    """A station of the profile's vendor."""

    station: Station
    profile: QuirksProfile

    @property
    def version(self) -> str:
        return self.station.version

    @property
    def v16(self) -> bool:
        return self.station.version == "1.6"

    async def call(self, action: str, payload: Payload, label: str) -> Payload:
        """``payload`` written the vendor's way; a CALLERROR, an invalid answer or none fails ``label``."""
        try:
            response = await self.station.call(action, self.profile.shape(self.version, action, payload))
        except StepFailed as exc:  # the label names the message: no need to repeat the action
            raise StepFailed(f"{label}: {str(exc).removeprefix(f'{action}: ')}") from None
        return response

    # -- boot, heartbeat, status ----------------------------------------------------------------

    async def boot(self, label: str, reason: str | None = None) -> Payload:
        payload = msg16.boot_notification(self.station.cfg) if self.v16 else \
            msg201.boot_notification(self.station.cfg, reason or "PowerUp")
        response = await self.call("BootNotification", payload, label)
        assert_matches(response, {"status": "Accepted", "currentTime": about_now()}, f"{label}: BootNotification "
                       "answer (a charger the CSMS knows is accepted, whatever its way of writing OCPP)")
        self.station.model.booted = True
        return response

    async def heartbeat(self, label: str) -> None:
        response = await self.call("Heartbeat", {}, label)
        assert_matches(response, {"currentTime": about_now()}, f"{label}: Heartbeat answer")

    async def status(self, status: str, label: str, connector: int | None = None) -> None:
        """A connector's status as the vendor reports it (twice when the profile repeats statuses); 2.0.1
        reports a session status as its connector Occupied (the session's state is in its TransactionEvents)."""
        cfg = self.station.cfg
        if self.v16:
            payload = msg16.status_notification(connector or cfg.connector_id, status)
        else:  # ``connector``: an EVSE's one connector; none: the configured EVSE and connector
            evse, at = (connector, 1) if connector else (cfg.evse_id, cfg.connector_id)
            payload = msg201.status_notification(evse, at, "Available" if status == "Available" else "Occupied")
        for time in range(2 if self.profile.status.repeat else 1):
            await self.call("StatusNotification", payload | {"timestamp": rfc3339()},
                            f"{label}{' (sent again)' if time else ''}")

    async def connectors_available(self, label: str) -> None:
        for connector in range(0 if self.v16 else 1, self.station.cfg.number_of_evses + 1):
            await self.status("Available", label, connector)

    async def data_transfer(self, label: str) -> Payload:
        """A vendor DataTransfer; the CSMS must answer it (any status), not fail it."""
        settings = self.profile.data_transfer
        payload: Payload = {"vendorId": settings.vendor_id if settings else DEFAULT_VENDOR_ID}
        if settings is None or settings.message_id:
            payload["messageId"] = settings.message_id if settings else "Hello"
        if settings is None or settings.data is not None:
            payload["data"] = settings.data if settings else '{"quirks":true}'
        return await self.call("DataTransfer", payload, label)

    async def boot_as_vendor(self, first: int) -> int:
        """Steps from ``first``: boot (and the vendor's DataTransfer on boot), the boot sent again whatever interval
        the CSMS gave, reboots on the same connection, statuses; returns the next step's number.

        The set runs on frames, not on time: the vendor's own retry and heartbeat intervals (which the load
        generator keeps) are sent at once here, the harshest case of an interval the CSMS did not give."""
        n = first
        await self.boot(f"Step {n}: BootNotification")
        if self.profile.data_transfer and self.profile.data_transfer.on_boot:
            n += 1
            await self.data_transfer(f"Step {n}: DataTransfer (the vendor's, on boot)")
        if self.profile.boot.retry_s:
            n += 1
            await self.boot(f"Step {n}: BootNotification (sent again at once: the vendor retries after its own "
                            f"{self.profile.boot.retry_s:g} s, whatever interval the CSMS gave)")
        n += 1
        await self.connectors_available(f"Step {n}: StatusNotification (Available)")
        for reboot in range(1, self.profile.boot.reboots + 1):
            n += 1
            await self.boot(f"Step {n}: BootNotification (reboot {reboot} on the same connection)",
                            REBOOT_REASON[self.version])
            n += 1
            await self.connectors_available(f"Step {n}: StatusNotification (Available after reboot {reboot})")
        return n + 1

    # -- tokens ------------------------------------------------------------------------------------

    def card_uid(self) -> str:
        """A fresh card UID as the CSMS is told it (upper-case hex); the station writes it the vendor's way."""
        return "CA" + secrets.token_hex(3).upper()

    def numbered_token(self) -> str:
        """A token that is a number written with the vendor's leading zeros (kept as text, never a number)."""
        zeros = self.profile.tokens.leading_zeros
        return "0" * zeros + str(secrets.randbelow(9000) + 1000)

    def tokens(self) -> list[tuple[str, str]]:
        """(token, what it is) for each token format the profile's chargers send."""
        found = [(self.card_uid(), "a card UID" + {"lower": ", sent in lower case",
                                                   "upper": ", sent in upper case"}.get(self.profile.tokens.case, ""))]
        if self.profile.tokens.leading_zeros:
            found.append((self.numbered_token(), f"a number with {self.profile.tokens.leading_zeros} leading zeros"))
        return found

    async def provision(self, csms: Csms, token: str) -> None:
        await csms.create_token(token, self.station.cfg.valid_id_token_type, "Accepted")

    async def authorize(self, token: str, label: str) -> None:
        """The driver presents ``token``: the CSMS must accept it, whatever its letter case."""
        if self.v16:
            response = await self.call("Authorize", {"idTag": token}, label)
            status = response["idTagInfo"]["status"]
        else:
            response = await self.call("Authorize", msg201.authorize(token, self.station.cfg.valid_id_token_type),
                                       label)
            status = response["idTokenInfo"]["status"]
        sent = self.profile.shape(self.version, "Authorize", {"idTag": token})["idTag"]
        if status != "Accepted":
            raise StepFailed(f"{label}: Authorize answer: status: expected Accepted (the CSMS knows {token!r}"
                             f"{token_note(token)}; the charger wrote {sent!r}), got {status!r}")

    # -- sessions ----------------------------------------------------------------------------------

    def session_statuses(self) -> list[str]:
        return list(self.profile.status.session)

    async def session(self, token: str, meter_start_wh: int, *, first: int, started_minutes_ago: float = 30.0,
                      offline: bool = False, statuses: bool = True) -> tuple[Metered, int]:
        """A whole metered session on the configured connector, from ``first``: the profile's status sequence,
        meter readings at each charging status, the vendor's DataTransfer during it; returns what it means and
        the next step's number. ``offline``: sent late, after the session (no statuses)."""
        steps = self.session_statuses()
        begin = ago(started_minutes_ago)
        end = begin + timedelta(minutes=len(steps) * 4)
        meter = meter_start_wh
        if self.v16:
            return await self._session_16(token, meter, begin, end, steps, first, offline, statuses)
        return await self._session_201(token, meter, begin, end, steps, first, offline, statuses)

    async def _session_16(self, token: str, meter: int, begin: datetime, end: datetime, steps: list[str],
                          n: int, offline: bool, statuses: bool) -> tuple[Metered, int]:
        connector = self.station.cfg.connector_id
        if statuses:
            await self.status(steps[0], f"Step {n}: StatusNotification ({steps[0]})")
            n += 1
        start = msg16.start_transaction(connector, token, meter, timestamp=begin)
        response = await self.call("StartTransaction", start, f"Step {n}: StartTransaction")
        status = response["idTagInfo"]["status"]
        if status != "Accepted":
            raise StepFailed(f"Step {n}: StartTransaction answer: idTagInfo.status: expected Accepted (the CSMS "
                             f"knows {token!r}{token_note(token)}), got {status!r}")
        transaction_id = int(response["transactionId"])
        started = meter
        for number, status_name in enumerate(steps[1:-1], start=1):
            moment = begin + timedelta(minutes=4 * number)
            n += 1
            if statuses:
                await self.status(status_name, f"Step {n}: StatusNotification ({status_name})")
                n += 1
            if status_name == "Charging":
                meter += 2345
            reading = {"timestamp": rfc3339(moment), "sampledValue": [
                {"value": str(meter), "context": "Sample.Periodic", "measurand": REGISTER, "unit": "Wh"}]}
            await self.call("MeterValues", {"connectorId": connector, "transactionId": transaction_id,
                                            "meterValue": [reading]}, f"Step {n}: MeterValues ({status_name})")
        n = await self._vendor_during_session(n + 1)
        meter += 1234
        stop = msg16.stop_transaction(transaction_id, meter, "EVDisconnected" if offline else "Local", token,
                                      timestamp=end, transaction_data=[{"timestamp": rfc3339(end), "sampledValue": [
                                          {"value": str(meter), "context": "Transaction.End", "measurand": REGISTER,
                                           "unit": "Wh"}]}])
        await self.call("StopTransaction", stop, f"Step {n}: StopTransaction")
        if statuses:
            n += 1
            await self.status(steps[-1], f"Step {n}: StatusNotification ({steps[-1]})")
            n += 1
            await self.status("Available", f"Step {n}: StatusNotification (Available)")
        return Metered(str(transaction_id), token, started, meter, begin, end), n + 1

    async def _session_201(self, token: str, meter: int, begin: datetime, end: datetime, steps: list[str],
                           n: int, offline: bool, statuses: bool) -> tuple[Metered, int]:
        cfg = self.station.cfg
        tx = self.station.model.new_transaction(cfg.evse_id, cfg.connector_id)
        started = meter

        def event(event_type: str, trigger: str, moment: datetime, context: str, **fields: Any) -> Payload:
            payload = msg201.transaction_event(tx, event_type, trigger, offline=offline, **fields)
            payload["timestamp"] = rfc3339(moment)
            payload["meterValue"] = [{"timestamp": rfc3339(moment), "sampledValue": [
                {"value": meter, "context": context, "measurand": REGISTER, "unitOfMeasure": {"unit": "Wh"}}]}]
            tx.started = True
            return payload

        if statuses:
            await self.status(steps[0], f"Step {n}: StatusNotification (Occupied: {steps[0]})")
            n += 1
        response = await self.call("TransactionEvent", event(
            "Started", "Authorized", begin, "Transaction.Begin", charging_state=CHARGING_STATE[steps[0]],
            token=msg201.id_token(token, cfg.valid_id_token_type)), f"Step {n}: TransactionEvent (Started)")
        status = response.get("idTokenInfo", {}).get("status")
        if status != "Accepted":
            raise StepFailed(f"Step {n}: TransactionEvent answer: idTokenInfo.status: expected Accepted (the CSMS "
                             f"knows {token!r}{token_note(token)}), got {status!r}")
        for number, status_name in enumerate(steps[1:-1], start=1):
            n += 1
            if status_name == "Charging":
                meter += 2345
            for again in range(2 if self.profile.status.repeat and statuses else 1):
                await self.call("TransactionEvent", event(
                    "Updated", "ChargingStateChanged", begin + timedelta(minutes=4 * number, seconds=again),
                    "Sample.Periodic", charging_state=CHARGING_STATE[status_name]),
                    f"Step {n}: TransactionEvent (chargingState {CHARGING_STATE[status_name]}"
                    f"{', reported again' if again else ''})")
        n = await self._vendor_during_session(n + 1)
        meter += 1234
        response = await self.call("TransactionEvent", event(
            "Ended", "EVCommunicationLost" if offline else "StopAuthorized", end, "Transaction.End",
            charging_state=CHARGING_STATE[steps[-1]], stopped_reason="EVDisconnected" if offline else "Local",
            **({} if offline else {"token": msg201.id_token(token, cfg.valid_id_token_type)})),
            f"Step {n}: TransactionEvent (Ended)")
        self.station.model.end_transaction()
        if statuses:
            n += 1
            await self.status("Available", f"Step {n}: StatusNotification (Available)")
        return Metered(tx.id, token, started, meter, begin, end), n + 1

    async def _vendor_during_session(self, n: int) -> int:
        if self.profile.data_transfer and self.profile.data_transfer.during_session:
            await self.data_transfer(f"Step {n}: DataTransfer (the vendor's, during the session)")
            return n + 1
        return n

    async def offline_batch(self, csms: Csms, token: str, first: int) -> tuple[list[Metered], int]:
        """Transactions the charger kept while offline (the first ``hours_ago``), sent back to back on reconnect."""
        n = first
        with step(f"Step {n}: the charger loses its connection, charges offline, reconnects"):
            await self.station.close()
            await self.station.connect()
        batch = self.profile.offline
        sessions: list[Metered] = []
        meter = 50_000
        for number in range(batch.transactions):
            minutes = batch.hours_ago * 60 - number * 40
            metered, n = await self.session(token, meter, first=n + 1, started_minutes_ago=minutes, offline=True,
                                            statuses=False)
            sessions.append(metered)
            meter = metered.meter_stop_wh
            n -= 1
        return sessions, n + 1

    # -- what the CSMS stored ----------------------------------------------------------------------

    async def stored(self, csms: Csms, meant: Metered, label: str) -> StoredTransaction:
        """Read the session back: energy, instants, token (as text, any letter case), cost, events applied once."""
        label = f"{label}: read back transaction {meant.transaction_id}"
        try:
            stored = await read_stored(csms.trigger, self.station, meant.transaction_id)
        except StepFailed as exc:
            raise StepFailed(f"{label}: {exc}") from None
        if stored is None:
            raise NotApplicable("in manual mode nothing reads back what the CSMS stored")
        problems: list[str] = []
        if stored.energyWh is None or abs(stored.energyWh - meant.energy_wh) > ENERGY_TOLERANCE_WH:
            problems.append(f"energyWh: expected {meant.energy_wh} (the register went from {meant.meter_start_wh} "
                            f"to {meant.meter_stop_wh} Wh, however the charger wrote it), got {stored.energyWh}")
        for name, expected, got in (("startedAt", meant.started_at, stored.startedAt),
                                    ("stoppedAt", meant.stopped_at, stored.stoppedAt)):
            got_utc = got.replace(tzinfo=got.tzinfo or UTC) if got is not None else None
            if got_utc is None or abs((got_utc - expected).total_seconds()) > TIME_TOLERANCE_S:
                problems.append(f"{name}: expected {rfc3339(expected)} (the instant the charger wrote in its own "
                                f"way), got {rfc3339(got_utc) if got_utc else 'none'}")
        if stored.idToken is not None and stored.idToken.casefold() != meant.token.casefold():
            problems.append(f"idToken: expected {meant.token!r} (as text, in any letter case), got {stored.idToken!r}")
        sent = sent_transaction(self.station, meant.transaction_id)
        if sent is not None:
            problems += [message for _check, message in differences(sent, stored)
                         if not message.startswith(("idToken", "energyWh", "startedAt", "stoppedAt"))]
        if problems:
            raise StepFailed(f"{label}: " + "; ".join(problems))
        if declares(self.station.cfg, TARIFF):
            check_bill(stored.totalCost, self.station.cfg, meant.energy_wh, f"{label}: totalCost",
                       (meant.stopped_at - meant.started_at).total_seconds())
        return stored


# -- the cases, the same for both versions (test_quirks.py of each version names them) -------------


@pytest_asyncio.fixture(name="vendor")
async def vendor_fixture(unbooted_station: Station, quirks: QuirksProfile) -> Vendor:
    """A connected station of the profile's vendor, nothing sent yet (not applicable to the other version)."""
    applicable(quirks, unbooted_station.version)
    return Vendor(unbooted_station, quirks)


async def booted(vendor: Vendor) -> int:
    """Steps 1 and 2: the vendor's boot and its connectors Available; returns the next step's number."""
    await vendor.boot("Step 1: BootNotification")
    await vendor.connectors_available("Step 2: StatusNotification (Available)")
    return 3


async def boot_and_status(vendor: Vendor) -> None:
    """The vendor's boot (its DataTransfer, retries at its own interval, reboots on the same connection), its
    statuses and heartbeats at its own interval: every one answered and accepted, the connection alive."""
    n = await vendor.boot_as_vendor(1)
    beats = 2 if vendor.profile.boot.heartbeat_s else 1
    for beat in range(1, beats + 1):
        note = f" ({beat} of {beats}, back to back: the vendor keeps its own interval)" if beats > 1 else ""
        await vendor.heartbeat(f"Step {n}: Heartbeat{note}")
        n += 1


async def authorization(vendor: Vendor, csms: Csms) -> None:
    """Each token format of the vendor (card UIDs in its letter case, numbers with leading zeros): authorized,
    a transaction started with it, and the token read back as the same text."""
    n = await booted(vendor)
    for token, what in vendor.tokens():
        await vendor.provision(csms, token)
        await vendor.authorize(token, f"Step {n}: Authorize ({token!r}, {what})")
        meant, n = await vendor.session(token, 1000, first=n + 1, statuses=False)
        await vendor.stored(csms, meant, f"Step {n}")
        n += 1


async def metered_session(vendor: Vendor, csms: Csms) -> None:
    """A whole session as the vendor reports it (its statuses, its meter values, its timestamps, its
    DataTransfer): the energy, the instants and the cost read back as meant."""
    n = await booted(vendor)
    token = vendor.card_uid()
    await vendor.provision(csms, token)
    await vendor.authorize(token, f"Step {n}: Authorize")
    meant, n = await vendor.session(token, 12_000, first=n + 1)
    await vendor.stored(csms, meant, f"Step {n}")
    await vendor.heartbeat(f"Step {n + 1}: Heartbeat (the connection lives)")


async def offline_batch(vendor: Vendor, csms: Csms) -> None:
    """Transactions kept while offline and sent back to back on reconnect: each applied once, with its own id,
    its energy and its (hours old) instants."""
    n = await booted(vendor)
    token = vendor.card_uid()
    await vendor.provision(csms, token)
    sessions, n = await vendor.offline_batch(csms, token, n)
    ids = [s.transaction_id for s in sessions]
    if len(set(ids)) < len(ids):
        raise StepFailed(f"Step {n}: transaction ids: expected one of its own for each of the {len(ids)} offline "
                         f"transactions, got {', '.join(ids)}")
    for number, meant in enumerate(sessions, start=1):
        await vendor.stored(csms, meant, f"Step {n} (offline transaction {number} of {len(sessions)})")
    await vendor.heartbeat(f"Step {n + 1}: Heartbeat (the connection lives)")


async def vendor_data_transfer(vendor: Vendor) -> None:
    """The vendor's DataTransfer (on boot, and again later): answered with a DataTransfer answer (any status),
    never an error, and the connection lives."""
    n = await booted(vendor)
    await vendor.data_transfer(f"Step {n}: DataTransfer (the vendor's)")
    await vendor.heartbeat(f"Step {n + 1}: Heartbeat (the connection lives)")
    await vendor.data_transfer(f"Step {n + 2}: DataTransfer (the vendor's, sent again)")
    await vendor.heartbeat(f"Step {n + 3}: Heartbeat (the connection lives)")
