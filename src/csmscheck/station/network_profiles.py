"""A 2.0.1 station's network connection profiles (B09, A05): the slots it holds, their priority, and
where it connects after a reboot.

SetNetworkProfile is kept in its slot (Accepted) unless it would lower the station's security
profile (Rejected). SetVariables OCPPCommCtrlr.NetworkConfigurationPriority is accepted when every
slot it names is held and none of them has a lower security profile than the station's current
one (A05.FR.04; Rejected otherwise). After a reboot the station connects with the first slot of
the priority: :meth:`NetworkProfiles.endpoint` says how (URL, basic-auth password, TLS client).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any

from csmscheck.settings import Settings
from csmscheck.station.device_model import key_of
from csmscheck.station.handshake import tls_context
from csmscheck.station.station import Endpoint, Station

Payload = dict[str, Any]
PRIORITY = ("OCPPCommCtrlr", "NetworkConfigurationPriority")


def _slots(value: str) -> list[int] | None:
    try:
        slots = [int(part) for part in value.split(",")]
    except ValueError:
        return None
    return slots or None


@dataclass
class NetworkProfiles:
    """The connection data per configurationSlot, the priority of the slots, the security profile in use."""

    security_profile: int
    slots: dict[int, Payload] = field(default_factory=dict)
    priority: list[int] = field(default_factory=list)

    def set_network_profile(self, request: Payload) -> Payload:
        data = request["connectionData"]
        if data["securityProfile"] < self.security_profile:
            return {"status": "Rejected", "statusInfo": {"reasonCode": "SecurityProfileDowngrade"}}
        self.slots[request["configurationSlot"]] = dict(data)
        return {"status": "Accepted"}

    def priority_status(self, value: str) -> str:
        """How the station answers NetworkConfigurationPriority = ``value`` (and takes it when Accepted)."""
        slots = _slots(value)
        if slots is None or any(slot not in self.slots for slot in slots):
            return "Rejected"
        if any(self.slots[slot]["securityProfile"] < self.security_profile for slot in slots):
            return "Rejected"  # A05.FR.04: only profiles at or above the current security profile
        self.priority = slots
        return "Accepted"

    def first(self) -> Payload | None:
        """The connection data the station uses after a reboot; None: its configured connection."""
        return self.slots[self.priority[0]] if self.priority else None

    def endpoint(self, cfg: Settings, station_id: str, password: str | None,
                 certificate: ssl.SSLContext | None = None) -> Endpoint:
        """How the station connects with the first slot of its priority: ``password`` is its basic-auth password
        (profiles 1 and 2); ``certificate`` a TLS context with its client certificate (profile 3; default: the
        one of the run's PKI)."""
        data = self.first()
        if data is None:
            raise ValueError("no network connection profile has priority")
        profile = data["securityProfile"]
        url = data["ocppCsmsUrl"]
        if profile == 1:
            return Endpoint(url, password)
        if profile == 2:
            return Endpoint(url, password, tls_context(cfg))
        return Endpoint(url, None, certificate or tls_context(cfg, station_id))


def keep_network_profiles(station: Station, security_profile: int) -> NetworkProfiles:
    """Have ``station`` (on ``security_profile``) answer SetNetworkProfile and NetworkConfigurationPriority
    from a :class:`NetworkProfiles` it keeps; other variables go on to its device model."""
    profiles = NetworkProfiles(security_profile)
    device_model = station.device_model
    station.session.replies["SetNetworkProfile"] = profiles.set_network_profile

    def set_variables(request: Payload) -> Payload:
        others = [d for d in request["setVariableData"] if key_of(d["component"], d["variable"])[::2] != PRIORITY]
        answered = iter(device_model.set_variables({"setVariableData": others})["setVariableResult"])
        results = []
        for data in request["setVariableData"]:
            if key_of(data["component"], data["variable"])[::2] == PRIORITY:
                results.append({"attributeStatus": profiles.priority_status(str(data["attributeValue"])),
                                "component": data["component"], "variable": data["variable"]})
            else:
                results.append(next(answered))
        return {"setVariableResult": results}

    station.session.replies["SetVariables"] = set_variables
    device_model.set("SecurityCtrlr", "SecurityProfile", str(security_profile))
    return profiles
