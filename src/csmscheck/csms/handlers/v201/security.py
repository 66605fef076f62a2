"""Block A (security), OCPP 2.0.1: the station's basic-auth password (A01) and its security profile (A05).

Password: a SecurityCtrlr.BasicAuthPassword the station accepted (SetVariables) is its
password from its next connection; one it rejected changes nothing (A01.FR.04: the old one
keeps working).

Security profile: the CSMS records each SetNetworkProfile the station accepted (the slot and
its connection data). A SetVariables OCPPCommCtrlr.NetworkConfigurationPriority the station
accepted whose first slot holds a profile of a higher security profile is a pending upgrade
(:mod:`csmscheck.csms.security_profile`): the station may connect with it, and with its current
profile until it first does; that first connection makes it final. Before sending, an operator's
SetNetworkProfile is vetted: never a lower security profile than the station's (A05: no
downgrade), a ws:// or wss:// URL that fits the profile (2 and 3 are TLS: wss://), JSON
transport and an OCPP version this CSMS speaks. A priority that would put a known slot of a
lower profile first is refused too.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from csmscheck.csms import security_profile
from csmscheck.csms.connection import StationConnection
from csmscheck.csms.network_profile_models import NetworkProfile
from csmscheck.csms.passwords import remember_password
from csmscheck.csms.router import Payload, on_response, vets
from csmscheck.csms.store import now

if TYPE_CHECKING:
    from csmscheck.csms.app import CsmsContext

log = logging.getLogger("csmscheck.csms")

# SetVariables / SetNetworkProfile results under which the station takes the new value.
_TAKEN = ("Accepted", "RebootRequired")
# OCPPVersionEnumType values this CSMS speaks (it has no OCPP 1.2 or 1.5).
_SPOKEN = ("OCPP16", "OCPP20")


def _is_variable(data: Payload, component: str, variable: str) -> bool:
    return bool(data["component"]["name"] == component and data["variable"]["name"] == variable)


def _is_password(data: Payload) -> bool:
    return _is_variable(data, "SecurityCtrlr", "BasicAuthPassword")


def _is_priority(data: Payload) -> bool:
    return _is_variable(data, "OCPPCommCtrlr", "NetworkConfigurationPriority")


def priority_slots(value: str) -> list[int] | None:
    """The slots of a NetworkConfigurationPriority value ("1,0"), most preferred first; None: not a list of slots."""
    try:
        slots = [int(part) for part in value.split(",")]
    except ValueError:
        return None
    return slots if slots and all(slot >= 0 for slot in slots) else None


@on_response("2.0.1", "SetVariables")
async def variables_set(connection: StationConnection, request: Payload, response: Payload) -> None:
    """A01.FR.03: a BasicAuthPassword the station accepted is its password from its next connection.
    A05: a NetworkConfigurationPriority it accepted may start a move to a higher security profile."""
    store, station_id = connection.csms.store, connection.station_id
    for data, result in zip(request["setVariableData"], response["setVariableResult"], strict=False):
        if result["attributeStatus"] not in _TAKEN:
            continue
        if _is_password(data):
            await remember_password(store, station_id, str(data["attributeValue"]))
            log.info("%s: basic-auth password changed (BasicAuthPassword)", station_id)
        elif _is_priority(data):
            await _priority_taken(connection, str(data["attributeValue"]))


async def _priority_taken(connection: StationConnection, value: str) -> None:
    slots = priority_slots(value)
    if slots is None:
        return
    async with connection.csms.store.session() as db:
        first = await db.get(NetworkProfile, (connection.station_id, slots[0]))
        target = None if first is None else first.security_profile
    if target is not None and await security_profile.request_change(connection.csms.store, connection.station_id,
                                                                     target):
        log.info("%s: moving to security profile %d (network profile slot %d first)", connection.station_id,
                 target, slots[0])


@on_response("2.0.1", "SetNetworkProfile")
async def network_profile_set(connection: StationConnection, request: Payload, response: Payload) -> None:
    """B09/A05: the connection data the station now holds in the slot (only when it accepted it)."""
    if response.get("status") != "Accepted":
        return
    data = request["connectionData"]
    async with connection.csms.store.session() as db:
        key = (connection.station_id, request["configurationSlot"])
        row = await db.get(NetworkProfile, key)
        if row is None:
            row = NetworkProfile(station_id=key[0], slot=key[1])
            db.add(row)
        row.security_profile, row.csms_url = data["securityProfile"], data["ocppCsmsUrl"]
        row.ocpp_version, row.ocpp_interface, row.accepted_at = data["ocppVersion"], data["ocppInterface"], now()
    log.info("%s: network profile slot %d holds security profile %d at %s", connection.station_id,
             request["configurationSlot"], data["securityProfile"], data["ocppCsmsUrl"])


def connection_data_problems(data: Payload, current: int | None) -> list[str]:
    """Why the station should not be given ``data`` (empty: nothing); ``current`` is its security profile."""
    problems: list[str] = []
    profile = data["securityProfile"]
    if profile not in security_profile.PROFILES:
        problems.append(f"connectionData.securityProfile {profile}: security profiles are 1, 2 and 3")
    elif current is not None and profile < current:
        problems.append(f"connectionData.securityProfile {profile} is lower than the station's security profile "
                        f"{current}: a station is never moved to a lower one (A05)")
    url = urlparse(data["ocppCsmsUrl"])
    if url.scheme not in ("ws", "wss") or not url.hostname:
        problems.append(f"connectionData.ocppCsmsUrl {data['ocppCsmsUrl']!r} is not a ws:// or wss:// URL with a host")
    elif url.scheme == "ws" and profile in (2, 3):
        problems.append(f"connectionData.ocppCsmsUrl {data['ocppCsmsUrl']!r} is ws://, but security profile "
                        f"{profile} runs over TLS (wss://)")
    if data["ocppTransport"] != "JSON":
        problems.append(f"connectionData.ocppTransport {data['ocppTransport']}: this CSMS speaks OCPP-J (JSON) only")
    if data["ocppVersion"] not in _SPOKEN:
        problems.append(f"connectionData.ocppVersion {data['ocppVersion']}: this CSMS speaks OCPP 1.6 and 2.0.1 only")
    return problems


@vets("2.0.1", "SetNetworkProfile")
async def vet_network_profile(csms: CsmsContext, station_id: str, request: Payload) -> list[str]:
    async with csms.store.session() as db:
        current = await security_profile.current_profile(db, station_id)
    return connection_data_problems(request["connectionData"], current)


@vets("2.0.1", "SetVariables")
async def vet_priority(csms: CsmsContext, station_id: str, request: Payload) -> list[str]:
    """A NetworkConfigurationPriority must be a list of slots and must not put a lower profile first."""
    problems: list[str] = []
    for data in request["setVariableData"]:
        if not _is_priority(data):
            continue
        value = str(data["attributeValue"])
        slots = priority_slots(value)
        if slots is None:
            problems.append(f"NetworkConfigurationPriority {value!r} is not a comma-separated list of slots")
            continue
        async with csms.store.session() as db:
            current = await security_profile.current_profile(db, station_id)
            first = await db.get(NetworkProfile, (station_id, slots[0]))
        if first is not None and current is not None and first.security_profile < current:
            problems.append(f"NetworkConfigurationPriority {value!r} puts slot {slots[0]} first, which holds security "
                            f"profile {first.security_profile}, lower than the station's {current} (A05)")
    return problems
