"""The reference CSMS's OCPP 1.6 feature profiles beyond Core, checked on its database.

Reservations (consumed by their idTag or its parentIdTag, refused to others, cancelled,
ended), local list versions, firmware and diagnostics progress, charging profiles
(stacking, clearing, a remote start's TxProfile bound to its transaction) and the
DataTransfer vendor logic. Each test drives a real station session and the trigger API
and reads what the CSMS recorded straight from its database file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import DEFAULTS, RunningCsms, StationOpener
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from csmscheck.csms.v16_models import ChargingProfile, FileTransfer, LocalAuthEntry, LocalAuthList, Reservation
from csmscheck.station.session import StationSession
from csmscheck.timestamps import rfc3339

STATION = "CP16_SP1"
TAG, GROUP = DEFAULTS.valid_id_token, DEFAULTS.group_id  # seeded: the valid idTag and its group
_next_id = iter(range(7001, 8000))


@pytest.fixture
async def api(reference_csms: RunningCsms) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=reference_csms.api, timeout=10.0) as client:
        yield client


@pytest.fixture
def db(reference_csms: RunningCsms) -> Iterator[Session]:
    """A read-only view of the CSMS's database; each query sees what is committed now."""
    engine = create_engine(reference_csms.db_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture
async def station(reference_csms: RunningCsms, open_station: StationOpener) -> StationSession:
    return await open_station(reference_csms, STATION)


async def _send(api: httpx.AsyncClient, station: StationSession, action: str, payload: dict[str, Any],
                reply: dict[str, Any]) -> dict[str, Any]:
    """Have the CSMS send ``action``; the station answers ``reply``. Returns the relayed answer."""
    kebab = "".join(f"-{c.lower()}" if c.isupper() else c for c in action).lstrip("-")
    async with station.expect(action, reply=reply):
        response = await api.post(f"/api/octt/1.6/{STATION}/{kebab}", json=payload)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()["response"]
    return answer


async def _token(api: httpx.AsyncClient, id_tag: str, group: str | None = None) -> None:
    body = {"idToken": id_tag, "type": "ISO14443", "status": "Accepted"} | ({"groupId": group} if group else {})
    response = await api.post("/api/octt/create-token", json=body)
    assert response.status_code == 200, response.text


async def _reserve(api: httpx.AsyncClient, station: StationSession, id_tag: str = TAG, connector_id: int = 1,
                   expiry: timedelta = timedelta(minutes=10), status: str = "Accepted", **extra: Any) -> int:
    reservation_id = next(_next_id)
    payload = {"connectorId": connector_id, "expiryDate": rfc3339(datetime.now(UTC) + expiry), "idTag": id_tag,
               "reservationId": reservation_id} | extra
    await _send(api, station, "ReserveNow", payload, {"status": status})
    return reservation_id


async def _start(station: StationSession, id_tag: str, reservation_id: int | None = None,
                 connector_id: int = 1) -> dict[str, Any]:
    payload: dict[str, Any] = {"connectorId": connector_id, "idTag": id_tag, "meterStart": 0, "timestamp": rfc3339()}
    if reservation_id is not None:
        payload["reservationId"] = reservation_id
    return await station.call("StartTransaction", payload)


async def _stop(station: StationSession, transaction_id: int) -> None:
    await station.call("StopTransaction", {"transactionId": transaction_id, "meterStop": 100, "timestamp": rfc3339()})


def _reservation(db: Session, reservation_id: int) -> Reservation:
    db.expire_all()
    row = db.scalar(select(Reservation).filter_by(station_id=STATION, reservation_id=reservation_id))
    assert row is not None, f"reservation {reservation_id} was not recorded"
    return row


# -- reservations ---------------------------------------------------------------------------


async def test_reservation_is_consumed_by_its_id_tag(api: httpx.AsyncClient, station: StationSession,
                                                     db: Session) -> None:
    reservation_id = await _reserve(api, station)
    assert _reservation(db, reservation_id).status == "Active"
    started = await _start(station, TAG, reservation_id)
    assert started["idTagInfo"]["status"] == "Accepted"
    row = _reservation(db, reservation_id)
    assert (row.status, row.transaction_pk) == ("Used", started["transactionId"])
    await _stop(station, started["transactionId"])


async def test_reservation_is_consumed_by_its_parent_id_tag(api: httpx.AsyncClient, station: StationSession,
                                                            db: Session) -> None:
    await _token(api, "GROUP-MEMBER-7", GROUP)
    reservation_id = await _reserve(api, station, parentIdTag=GROUP)
    started = await _start(station, "GROUP-MEMBER-7", reservation_id)
    assert started["idTagInfo"] == {"status": "Accepted", "parentIdTag": GROUP}
    assert _reservation(db, reservation_id).status == "Used"
    await _stop(station, started["transactionId"])


async def test_reservation_of_the_station_serves_any_connector(api: httpx.AsyncClient, station: StationSession,
                                                               db: Session) -> None:
    reservation_id = await _reserve(api, station, connector_id=0)
    started = await _start(station, TAG, reservation_id, connector_id=2)
    assert started["idTagInfo"]["status"] == "Accepted"
    assert _reservation(db, reservation_id).status == "Used"
    await _stop(station, started["transactionId"])


async def test_someone_elses_reservation_is_refused_and_kept(api: httpx.AsyncClient, station: StationSession,
                                                             db: Session) -> None:
    await _token(api, "STRANGER-7")
    reservation_id = await _reserve(api, station, parentIdTag=GROUP)
    started = await _start(station, "STRANGER-7", reservation_id)
    assert started["idTagInfo"]["status"] == "Invalid"
    assert _reservation(db, reservation_id).status == "Active"
    await _stop(station, started["transactionId"])
    # A reservation of connector 1 does not serve connector 2, even for its own idTag.
    elsewhere = await _start(station, TAG, reservation_id, connector_id=2)
    assert elsewhere["idTagInfo"]["status"] == "Invalid"
    await _stop(station, elsewhere["transactionId"])
    await _send(api, station, "CancelReservation", {"reservationId": reservation_id}, {"status": "Accepted"})


async def test_refused_reservations_are_not_recorded(api: httpx.AsyncClient, station: StationSession,
                                                     db: Session) -> None:
    for status in ("Faulted", "Occupied", "Rejected", "Unavailable"):
        reservation_id = await _reserve(api, station, status=status)
        db.expire_all()
        assert db.scalar(select(Reservation).filter_by(station_id=STATION, reservation_id=reservation_id)) is None


async def test_cancelled_expired_and_ended_reservations_are_not_consumed(api: httpx.AsyncClient,
                                                                         station: StationSession,
                                                                         db: Session) -> None:
    kept = await _reserve(api, station)
    await _send(api, station, "CancelReservation", {"reservationId": next(_next_id)}, {"status": "Rejected"})
    assert _reservation(db, kept).status == "Active"
    await _send(api, station, "CancelReservation", {"reservationId": kept}, {"status": "Accepted"})
    assert _reservation(db, kept).status == "Cancelled"

    ended = await _reserve(api, station)
    await station.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Reserved"})
    await station.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"})
    assert _reservation(db, ended).status == "Ended"

    expired = await _reserve(api, station, expiry=timedelta(seconds=-1))
    for reservation_id in (kept, ended, expired):
        started = await _start(station, TAG, reservation_id)
        assert started["idTagInfo"]["status"] == "Accepted"  # judged on its idTag alone
        await _stop(station, started["transactionId"])
    assert _reservation(db, expired).status == "Active"  # never used: it simply lapsed


# -- local authorization list ----------------------------------------------------------------


def _local_list(db: Session) -> tuple[LocalAuthList, dict[str, str]]:
    db.expire_all()
    state = db.get(LocalAuthList, STATION)
    assert state is not None
    entries = db.scalars(select(LocalAuthEntry).filter_by(station_id=STATION)).all()
    return state, {e.id_tag: e.status for e in entries}


async def test_local_list_version_and_entries_follow_what_the_station_accepted(
        api: httpx.AsyncClient, station: StationSession, db: Session) -> None:
    full = {"listVersion": 3, "updateType": "Full", "localAuthorizationList": [
        {"idTag": "LL-A", "idTagInfo": {"status": "Accepted"}}, {"idTag": "LL-B", "idTagInfo": {"status": "Blocked"}}]}
    assert await _send(api, station, "SendLocalList", full, {"status": "Accepted"}) == {"status": "Accepted"}
    state, entries = _local_list(db)
    assert (state.version, state.supported, entries) == (3, True, {"LL-A": "Accepted", "LL-B": "Blocked"})

    differential = {"listVersion": 4, "updateType": "Differential", "localAuthorizationList": [
        {"idTag": "LL-B"}, {"idTag": "LL-C", "idTagInfo": {"status": "Accepted", "parentIdTag": GROUP}}]}
    await _send(api, station, "SendLocalList", differential, {"status": "Accepted"})
    state, entries = _local_list(db)
    assert (state.version, entries) == (4, {"LL-A": "Accepted", "LL-C": "Accepted"})

    for status in ("Failed", "VersionMismatch"):
        await _send(api, station, "SendLocalList", full | {"listVersion": 9}, {"status": status})
        state, entries = _local_list(db)
        assert (state.version, state.last_update_status, len(entries)) == (4, status, 2)

    await _send(api, station, "GetLocalListVersion", {}, {"listVersion": 0})
    state, entries = _local_list(db)
    assert (state.version, state.supported, entries) == (0, True, {})

    await _send(api, station, "GetLocalListVersion", {}, {"listVersion": -1})
    assert _local_list(db)[0].supported is False
    await _send(api, station, "SendLocalList", full, {"status": "NotSupported"})
    assert _local_list(db)[0].supported is False
    await _send(api, station, "GetLocalListVersion", {}, {"listVersion": 5})
    assert (_local_list(db)[0].version, _local_list(db)[0].supported) == (5, True)


# -- firmware and diagnostics ----------------------------------------------------------------


def _transfer(db: Session, kind: str) -> FileTransfer:
    db.expire_all()
    row = db.get(FileTransfer, (STATION, kind))
    assert row is not None, f"no {kind} transfer recorded"
    return row


async def test_firmware_and_diagnostics_progress_is_recorded(api: httpx.AsyncClient, station: StationSession,
                                                             db: Session) -> None:
    url = "https://firmware.example.test/v2.bin"
    await _send(api, station, "UpdateFirmware", {"location": url, "retrieveDate": rfc3339()}, {})
    assert (_transfer(db, "firmware").location, _transfer(db, "firmware").status) == (url, None)
    for status in ("Downloading", "Downloaded", "Installing", "Installed"):
        assert await station.call("FirmwareStatusNotification", {"status": status}) == {}
        assert _transfer(db, "firmware").status == status

    await _send(api, station, "GetDiagnostics", {"location": "ftp://logs.example.test/"}, {"fileName": "d.zip"})
    diagnostics = _transfer(db, "diagnostics")
    assert (diagnostics.location, diagnostics.file_name) == ("ftp://logs.example.test/", "d.zip")
    assert await station.call("DiagnosticsStatusNotification", {"status": "UploadFailed"}) == {}
    assert _transfer(db, "diagnostics").status == "UploadFailed"


# -- charging profiles -----------------------------------------------------------------------


def _profile(profile_id: int, purpose: str, stack_level: int, **extra: Any) -> dict[str, Any]:
    return {"chargingProfileId": profile_id, "stackLevel": stack_level, "chargingProfilePurpose": purpose,
            "chargingProfileKind": "Relative" if purpose == "TxProfile" else "Absolute",
            "chargingSchedule": {"chargingRateUnit": "A",
                                 "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}} | extra


def _profiles(db: Session) -> dict[int, tuple[int, str, int, int | None]]:
    """profile id -> (connector, purpose, stack level, transaction id)."""
    db.expire_all()
    rows = db.scalars(select(ChargingProfile).filter_by(station_id=STATION)).all()
    return {r.profile_id: (r.connector_id, r.purpose, r.stack_level, r.transaction_id) for r in rows}


async def _set(api: httpx.AsyncClient, station: StationSession, connector_id: int, profile: dict[str, Any],
               status: str = "Accepted") -> None:
    await _send(api, station, "SetChargingProfile", {"connectorId": connector_id, "csChargingProfiles": profile},
                {"status": status})


async def test_charging_profiles_are_recorded_stacked_and_cleared(api: httpx.AsyncClient, station: StationSession,
                                                                  db: Session) -> None:
    await _send(api, station, "ClearChargingProfile", {}, {"status": "Accepted"})
    await _set(api, station, 0, _profile(1, "ChargePointMaxProfile", 0))
    await _set(api, station, 1, _profile(2, "TxDefaultProfile", 0))
    await _set(api, station, 1, _profile(3, "TxDefaultProfile", 1))
    await _set(api, station, 1, _profile(4, "TxDefaultProfile", 2), status="Rejected")
    assert _profiles(db) == {1: (0, "ChargePointMaxProfile", 0, None), 2: (1, "TxDefaultProfile", 0, None),
                             3: (1, "TxDefaultProfile", 1, None)}
    # Same connector, purpose and stack level: the new profile replaces the old one; so does the same id.
    await _set(api, station, 1, _profile(5, "TxDefaultProfile", 1))
    await _set(api, station, 2, _profile(2, "TxDefaultProfile", 0))
    assert _profiles(db) == {1: (0, "ChargePointMaxProfile", 0, None), 2: (2, "TxDefaultProfile", 0, None),
                             5: (1, "TxDefaultProfile", 1, None)}

    await _send(api, station, "ClearChargingProfile", {"id": 5}, {"status": "Accepted"})
    assert set(_profiles(db)) == {1, 2}
    await _send(api, station, "ClearChargingProfile", {"connectorId": 2, "chargingProfilePurpose": "TxDefaultProfile",
                                                       "stackLevel": 0}, {"status": "Accepted"})
    assert set(_profiles(db)) == {1}
    await _send(api, station, "ClearChargingProfile", {}, {"status": "Accepted"})
    assert _profiles(db) == {}


async def test_tx_profiles_follow_their_transaction(api: httpx.AsyncClient, station: StationSession,
                                                    db: Session) -> None:
    await _send(api, station, "ClearChargingProfile", {}, {"status": "Accepted"})
    remote = {"connectorId": 1, "idTag": TAG, "chargingProfile": _profile(21, "TxProfile", 0)}
    await _send(api, station, "RemoteStartTransaction", remote, {"status": "Accepted"})
    assert _profiles(db) == {21: (1, "TxProfile", 0, None)}
    started = await _start(station, TAG)
    tx_id = started["transactionId"]
    assert _profiles(db) == {21: (1, "TxProfile", 0, tx_id)}
    await _set(api, station, 1, _profile(22, "TxProfile", 1, transactionId=tx_id))
    assert _profiles(db)[22] == (1, "TxProfile", 1, tx_id)
    await _stop(station, tx_id)
    assert _profiles(db) == {}

    # A remote start the station rejected leaves nothing waiting.
    await _send(api, station, "RemoteStartTransaction", remote, {"status": "Rejected"})
    assert _profiles(db) == {}


# -- data transfer ---------------------------------------------------------------------------


async def test_data_transfer_vendors(api: httpx.AsyncClient, station: StationSession) -> None:
    unknown = await station.call("DataTransfer", {"vendorId": "com.example.other", "messageId": "Echo"})
    assert unknown == {"status": "UnknownVendorId"}
    echo = await station.call("DataTransfer", {"vendorId": "org.csmscheck", "messageId": "Echo", "data": "ping"})
    assert echo == {"status": "Accepted", "data": "ping"}
    other = await station.call("DataTransfer", {"vendorId": "org.csmscheck", "messageId": "Nope"})
    assert other == {"status": "UnknownMessageId"}
    # The CSMS's own DataTransfer goes out through the trigger API, and the station's answer comes back.
    answer = await _send(api, station, "DataTransfer", {"vendorId": "com.example.station", "data": "x"},
                         {"status": "Rejected"})
    assert answer == {"status": "Rejected"}
