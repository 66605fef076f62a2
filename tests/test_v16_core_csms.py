"""The reference CSMS's OCPP 1.6 Core logic, seen from a station and from its database.

Transaction ids, transactions and meter values that arrive late (offline, after a power
loss) and the configuration keys the CSMS learns from GetConfiguration/ChangeConfiguration.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import DEFAULTS, CsmsStarter, RunningCsms, StationOpener
from sqlalchemy import select

from csmscheck.csms.authorization import as_utc
from csmscheck.csms.models import MeterValue, Transaction, Variable
from csmscheck.csms.store import Store
from csmscheck.station.session import StationSession
from csmscheck.station.v16 import ChargePointConfiguration, energy_sample, meter_values, start_transaction
from csmscheck.station.v16 import stop_transaction as stop_payload
from csmscheck.timestamps import parse_time

VALID, BLOCKED, EXPIRED, UNKNOWN = (DEFAULTS.valid_id_token, DEFAULTS.blocked_id_token, DEFAULTS.expired_id_token,
                                    DEFAULTS.invalid_id_token)


@pytest.fixture
async def api(reference_csms: RunningCsms) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=reference_csms.api, timeout=10.0) as client:
        yield client


@pytest.fixture
async def db(reference_csms: RunningCsms) -> AsyncIterator[Store]:
    """A second connection to the CSMS's database, to see what it recorded."""
    store = Store(reference_csms.db_url)
    yield store
    await store.close()


async def transaction(db: Store, transaction_id: int) -> Transaction:
    async with db.session() as session:
        row = await session.scalar(select(Transaction).filter_by(transaction_id=str(transaction_id)))
    assert row is not None, f"transaction {transaction_id} not recorded"
    return row


async def start(station: StationSession, id_tag: str = VALID, at: datetime | None = None,
                connector_id: int = 1, meter_start: float = 0.0) -> dict[str, Any]:
    return await station.call("StartTransaction", start_transaction(connector_id, id_tag, meter_start, timestamp=at))


def ago(minutes: float) -> datetime:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).replace(microsecond=0)


# -- transaction ids ------------------------------------------------------------------------


async def test_transaction_ids_are_unique_and_increasing(reference_csms: RunningCsms,
                                                         open_station: StationOpener) -> None:
    one = await open_station(reference_csms, "CP16_SP1")
    other = await open_station(reference_csms, "CP16_SP3")
    ids = [(await start(station, connector_id=c))["transactionId"]
           for station, c in ((one, 1), (other, 1), (one, 2), (other, 2))]
    assert ids == sorted(ids) and len(set(ids)) == len(ids), ids
    for station, tx_id in zip((one, other, one, other), ids, strict=True):
        assert await station.call("StopTransaction", stop_payload(tx_id, 100, "Local")) == {}


async def test_repeated_start_transaction_gets_the_same_id(reference_csms: RunningCsms,
                                                           open_station: StationOpener) -> None:
    """A station that never saw the answer sends the same StartTransaction again: one transaction."""
    station = await open_station(reference_csms, "CP16_SP1")
    payload = start_transaction(1, VALID, 42, timestamp=ago(3))
    first = await station.call("StartTransaction", payload)
    again = await station.call("StartTransaction", payload)
    assert again["transactionId"] == first["transactionId"]
    later = await start(station, meter_start=42)
    assert later["transactionId"] > first["transactionId"]
    for tx_id in (first["transactionId"], later["transactionId"]):
        await station.call("StopTransaction", stop_payload(tx_id, 100, "Local"))


# -- late messages: offline and power loss --------------------------------------------------


async def test_offline_transaction_is_stored_with_its_own_timestamps(reference_csms: RunningCsms,
                                                                     open_station: StationOpener,
                                                                     db: Store) -> None:
    station = await open_station(reference_csms, "CP16_SP1")
    online = await start(station, connector_id=2)
    started_at, sampled_at, ended_at = ago(60), ago(50), ago(40)
    offline = await start(station, at=started_at, meter_start=1000)
    assert offline["idTagInfo"]["status"] == "Accepted"
    assert offline["transactionId"] > online["transactionId"]
    await station.call("MeterValues", meter_values(1, 1400, offline["transactionId"], timestamp=sampled_at))
    data = [energy_sample(1000, started_at, "Transaction.Begin"), energy_sample(1800, ended_at, "Transaction.End")]
    await station.call("StopTransaction", stop_payload(offline["transactionId"], 1800, "Local", VALID,
                                                       timestamp=ended_at, transaction_data=data))
    await station.call("StopTransaction", stop_payload(online["transactionId"], 100, "Local"))

    recorded = await transaction(db, offline["transactionId"])
    assert as_utc(recorded.started_at) == started_at
    assert recorded.stopped_at is not None and as_utc(recorded.stopped_at) == ended_at
    assert (recorded.meter_start_wh, recorded.meter_stop_wh, recorded.stopped_reason) == (1000, 1800, "Local")
    async with db.session() as session:
        samples = (await session.scalars(select(MeterValue).filter_by(transaction_pk=recorded.pk)
                                         .order_by(MeterValue.timestamp))).all()
        by_start = (await session.scalars(select(Transaction.transaction_id).filter(Transaction.transaction_id.in_(
            [str(offline["transactionId"]), str(online["transactionId"])])).order_by(Transaction.started_at))).all()
    assert [(as_utc(s.timestamp), s.value) for s in samples] == [
        (started_at, 1000), (sampled_at, 1400), (ended_at, 1800)]
    # Ordered by when they happened, the offline transaction (handed out later) comes first.
    assert by_start == [str(offline["transactionId"]), str(online["transactionId"])]


async def test_offline_start_with_invalid_tag_is_answered_and_its_stop_recorded(
        reference_csms: RunningCsms, open_station: StationOpener, db: Store) -> None:
    station = await open_station(reference_csms, "CP16_SP1")
    answer = await start(station, UNKNOWN, at=ago(10))
    assert answer["idTagInfo"] == {"status": "Invalid"}
    assert await station.call("StopTransaction", stop_payload(answer["transactionId"], 50, "DeAuthorized")) == {}
    recorded = await transaction(db, answer["transactionId"])
    assert (recorded.id_token, recorded.stopped_reason) == (UNKNOWN, "DeAuthorized")
    assert recorded.stopped_at is not None


async def test_power_loss_stop_after_reboot_is_recorded(reference_csms: RunningCsms,
                                                        open_station: StationOpener, db: Store) -> None:
    station = await open_station(reference_csms, "CP16_SP1")
    tx_id = (await start(station))["transactionId"]
    power_lost_at = ago(1)
    await station.close()
    rebooted = await open_station(reference_csms, "CP16_SP1")  # boots again on a new connection
    assert await rebooted.call("StopTransaction", stop_payload(tx_id, 700, "PowerLoss", timestamp=power_lost_at)) == {}
    recorded = await transaction(db, tx_id)
    assert recorded.stopped_reason == "PowerLoss"
    assert recorded.stopped_at is not None and as_utc(recorded.stopped_at) == power_lost_at
    # A second stop (e.g. repeated after a lost answer) changes nothing.
    await rebooted.call("StopTransaction", stop_payload(tx_id, 999, "Local"))
    assert (await transaction(db, tx_id)).meter_stop_wh == 700


# -- authorization and status -----------------------------------------------------------------


async def test_authorize_answers_from_the_token_table(reference_csms: RunningCsms,
                                                      open_station: StationOpener) -> None:
    station = await open_station(reference_csms, "CP16_SP1")
    valid = await station.call("Authorize", {"idTag": VALID})
    assert valid["idTagInfo"] == {"status": "Accepted", "parentIdTag": DEFAULTS.group_id}
    expired = await station.call("Authorize", {"idTag": EXPIRED})
    assert expired["idTagInfo"]["status"] == "Expired"
    assert parse_time(expired["idTagInfo"]["expiryDate"]) < datetime.now(UTC)
    assert (await station.call("Authorize", {"idTag": BLOCKED}))["idTagInfo"] == {"status": "Blocked"}
    assert (await station.call("Authorize", {"idTag": UNKNOWN}))["idTagInfo"] == {"status": "Invalid"}


async def test_status_of_connector_zero_is_recorded(reference_csms: RunningCsms, open_station: StationOpener,
                                                    api: httpx.AsyncClient) -> None:
    station = await open_station(reference_csms, "CP16_SP1")
    for connector_id, status in ((0, "Unavailable"), (1, "Faulted")):
        await station.call("StatusNotification", {"connectorId": connector_id, "status": status,
                                                  "errorCode": "ConnectorLockFailure" if connector_id else "NoError"})
    view = (await api.get("/api/stations/CP16_SP1")).json()
    statuses = {c["connectorId"]: c["status"] for c in view["connectors"]}
    assert statuses[0] == "Unavailable" and statuses[1] == "Faulted"
    for connector_id in (0, 1):
        await station.call("StatusNotification", {"connectorId": connector_id, "status": "Available",
                                                  "errorCode": "NoError"})


# -- configuration keys ---------------------------------------------------------------------


async def recorded_keys(db: Store, station_id: str) -> dict[str, tuple[str | None, Any]]:
    async with db.session() as session:
        rows = (await session.scalars(select(Variable).filter_by(station_id=station_id, component=""))).all()
    return {row.variable: (row.value, (row.characteristics or {}).get("readonly")) for row in rows}


async def configured_station(csms: RunningCsms, open_station: StationOpener) -> tuple[StationSession,
                                                                                    ChargePointConfiguration]:
    station = await open_station(csms, "CP16_SP1")
    config = ChargePointConfiguration()
    station.replies["GetConfiguration"] = config.get_configuration
    station.replies["ChangeConfiguration"] = config.change_configuration
    return station, config


async def test_configuration_is_recorded_only_when_accepted(reference_csms: RunningCsms,
                                                            open_station: StationOpener,
                                                            api: httpx.AsyncClient, db: Store) -> None:
    _, config = await configured_station(reference_csms, open_station)

    async def change(key: str, value: str) -> str:
        response = await api.post("/api/octt/1.6/CP16_SP1/change-configuration", json={"key": key, "value": value})
        return str(response.json()["response"]["status"])

    all_keys = (await api.post("/api/octt/1.6/CP16_SP1/get-configuration", json={})).json()["response"]
    assert len(all_keys["configurationKey"]) == len(config.keys)
    keys = await recorded_keys(db, "CP16_SP1")
    assert set(keys) == set(config.keys)
    assert keys["NumberOfConnectors"] == ("2", True) and keys["MeterValueSampleInterval"] == ("0", False)

    assert await change("MeterValueSampleInterval", "60") == "Accepted"
    assert await change("metervaluesampleinterval", "-1") == "Rejected"  # keys are case-insensitive
    assert await change("NumberOfConnectors", "5") == "Rejected"  # read-only
    assert await change("NoSuchKey", "1") == "NotSupported"
    keys = await recorded_keys(db, "CP16_SP1")
    assert keys["MeterValueSampleInterval"] == ("60", False)
    assert keys["NumberOfConnectors"] == ("2", True)
    assert "NoSuchKey" not in keys

    # The station no longer has a key the CSMS recorded: asked for it, it says so; the CSMS forgets it.
    del config.keys["WebSocketPingInterval"]
    answer = (await api.post("/api/octt/1.6/CP16_SP1/get-configuration",
                             json={"key": ["WebSocketPingInterval"]})).json()["response"]
    assert answer == {"configurationKey": [], "unknownKey": ["WebSocketPingInterval"]}
    assert "WebSocketPingInterval" not in await recorded_keys(db, "CP16_SP1")


async def test_get_configuration_respects_get_configuration_max_keys(reference_csms: RunningCsms,
                                                                      open_station: StationOpener,
                                                                      api: httpx.AsyncClient) -> None:
    station, config = await configured_station(reference_csms, open_station)
    config.keys["GetConfigurationMaxKeys"].value = "2"
    async with station.expect("GetConfiguration"):
        await api.post("/api/octt/1.6/CP16_SP1/get-configuration", json={"key": ["GetConfigurationMaxKeys"]})
    wanted = ["HeartbeatInterval", "ConnectionTimeOut", "ResetRetries", "NumberOfConnectors", "Nope"]
    async with station.expect("GetConfiguration") as a, station.expect("GetConfiguration") as b, \
            station.expect("GetConfiguration") as c:
        response = await api.post("/api/octt/1.6/CP16_SP1/get-configuration", json={"key": wanted})
    assert [got.payload["key"] for got in (a, b, c)] == [wanted[0:2], wanted[2:4], wanted[4:]]
    merged = response.json()["response"]
    assert [item["key"] for item in merged["configurationKey"]] == wanted[:4]
    assert c.answer == {"configurationKey": [], "unknownKey": ["Nope"]}
    config.keys["GetConfigurationMaxKeys"].value = "50"
    async with station.expect("GetConfiguration"):  # leave the CSMS's record as it was
        await api.post("/api/octt/1.6/CP16_SP1/get-configuration", json={"key": ["GetConfigurationMaxKeys"]})


async def test_secret_key_is_recorded_without_its_value(start_csms: CsmsStarter,
                                                        open_station: StationOpener) -> None:
    """A write-only secret the station accepted: the CSMS knows the key, never stores its value.

    (Own CSMS: accepting an AuthorizationKey changes the station's password.)
    """
    csms = start_csms()
    station = await open_station(csms, "CP16_SP1")
    station.replies["ChangeConfiguration"] = {"status": "Accepted"}
    async with httpx.AsyncClient(base_url=csms.api, timeout=10.0) as api:
        response = await api.post("/api/octt/1.6/CP16_SP1/change-configuration",
                                  json={"key": "AuthorizationKey", "value": "0123456789abcdef0123"})
    assert response.json() == {"response": {"status": "Accepted"}}
    store = Store(csms.db_url)
    try:
        assert (await recorded_keys(store, "CP16_SP1"))["AuthorizationKey"] == (None, None)
    finally:
        await store.close()
