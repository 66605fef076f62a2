"""The virtual 2.0.1 station's network connection profiles, the TLS 1.1 ClientHello probe, and the settings
TC_A_19 reads (its CSMS URL defaults to the run's listener of the next security profile)."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest

from csmscheck.errors import ConfigError
from csmscheck.pki import generate_pki
from csmscheck.pki.legacy_tls import TLS_1_1, legacy_client_hello
from csmscheck.settings import load_settings
from csmscheck.station import Station
from csmscheck.station.network_profiles import NetworkProfiles, keep_network_profiles
from csmscheck.station.station import Endpoint

Payload = dict[str, Any]


def _profile(slot: int, security_profile: int, url: str = "wss://csms.test/ocpp") -> Payload:
    return {"configurationSlot": slot, "connectionData": {
        "messageTimeout": 30, "ocppCsmsUrl": url, "ocppInterface": "Wired0", "ocppTransport": "JSON",
        "ocppVersion": "OCPP20", "securityProfile": security_profile}}


def test_a_profile_is_kept_unless_it_lowers_the_security_profile() -> None:
    profiles = NetworkProfiles(2)
    assert profiles.set_network_profile(_profile(1, 3))["status"] == "Accepted"
    assert profiles.set_network_profile(_profile(2, 1))["status"] == "Rejected"
    assert set(profiles.slots) == {1}


def test_the_priority_names_held_slots_of_no_lower_profile() -> None:
    profiles = NetworkProfiles(1)
    profiles.set_network_profile(_profile(1, 2))
    assert profiles.priority_status("3") == "Rejected"  # a slot it does not hold
    assert profiles.priority_status("x") == "Rejected"
    assert profiles.first() is None
    assert profiles.priority_status("1") == "Accepted"
    assert profiles.first() == _profile(1, 2)["connectionData"]
    upgraded = NetworkProfiles(3, dict(profiles.slots))
    assert upgraded.priority_status("1") == "Rejected"  # A05.FR.04: below the current profile


def test_the_endpoint_after_a_reboot_follows_the_first_slot(tmp_path: Path) -> None:
    pki = generate_pki(tmp_path / "pki", ["CS-3"])
    cfg = load_settings(environ={}).replace(pki_dir=pki.directory)
    profiles = NetworkProfiles(1)
    profiles.set_network_profile(_profile(1, 2, "wss://localhost:8443/ocpp"))
    profiles.priority_status("1")
    endpoint = profiles.endpoint(cfg, "CS-3", "secret")
    assert (endpoint.url, endpoint.password) == ("wss://localhost:8443/ocpp", "secret")
    assert endpoint.ssl_context is not None
    profiles.set_network_profile(_profile(2, 3, "wss://localhost:9443/ocpp"))
    profiles.priority_status("2,1")
    endpoint = profiles.endpoint(cfg, "CS-3", "secret")
    assert (endpoint.url, endpoint.password) == ("wss://localhost:9443/ocpp", None)
    profiles.set_network_profile(_profile(3, 1, "ws://localhost:8080/ocpp"))
    profiles.priority_status("3")
    assert profiles.endpoint(cfg, "CS-3", "secret") == Endpoint("ws://localhost:8080/ocpp", "secret")


def test_the_station_answers_by_its_profiles_and_its_device_model() -> None:
    station = Station("CS-1", "2.0.1", load_settings(environ={}), Endpoint("ws://localhost/ocpp"))
    profiles = keep_network_profiles(station, 1)
    assert station.session.replies["SetNetworkProfile"](_profile(4, 2)) == {"status": "Accepted"}  # type: ignore[operator]
    answer = station.session.replies["SetVariables"]({"setVariableData": [  # type: ignore[operator]
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}, "attributeValue": "60"},
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "NetworkConfigurationPriority"},
         "attributeValue": "4"},
        {"component": {"name": "Nope"}, "variable": {"name": "Nope"}, "attributeValue": "1"}]})
    assert [r["attributeStatus"] for r in answer["setVariableResult"]] == ["Accepted", "Accepted", "UnknownVariable"]
    assert profiles.priority == [4]
    assert station.device_model.values[("OCPPCommCtrlr", "", "HeartbeatInterval", "")] == "60"


def test_the_legacy_client_hello_offers_tls_1_1_at_most() -> None:
    hello = legacy_client_hello("csms.test")
    kind, record_version, length = struct.unpack(">BHH", hello[:5])
    assert (kind, record_version, length) == (0x16, 0x0301, len(hello) - 5)
    assert hello[5] == 0x01  # ClientHello
    assert struct.unpack(">H", hello[9:11])[0] == TLS_1_1
    assert b"csms.test" in hello
    assert b"127.0.0.1" not in legacy_client_hello("127.0.0.1")  # no server_name for an address


def test_the_csms_url_defaults_to_the_listener_of_the_next_profile() -> None:
    targets = {"target": "ws://h:1/ocpp", "target_sp2": "wss://h:2/ocpp", "target_sp3": "wss://h:3/ocpp"}
    assert load_settings(environ={}).ocpp_csms_url is None
    assert load_settings(environ={}).replace(**targets).ocpp_csms_url == "wss://h:2/ocpp"
    two = load_settings(environ={"CONFIGURED_SECURITY_PROFILE": "2"})
    assert two.replace(**targets).ocpp_csms_url == "wss://h:3/ocpp"
    given = load_settings(environ={"CONFIGURED_OCPP_CSMS_URL": "wss://csms.test/ocpp"})
    assert given.replace(**targets).ocpp_csms_url == "wss://csms.test/ocpp"


@pytest.mark.parametrize(("environ", "named"), [
    ({"CONFIGURED_OCPP_CSMS_URL": "https://csms.test/ocpp"}, "CONFIGURED_OCPP_CSMS_URL"),
    ({"CONFIGURED_CONFIGURATION_SLOT": "-1"}, "CONFIGURED_CONFIGURATION_SLOT"),
    ({"CONFIGURED_MESSAGE_TIMEOUT": "0"}, "CONFIGURED_MESSAGE_TIMEOUT"),
    ({"CONFIGURED_OCPP_INTERFACE": "Wired9"}, "CONFIGURED_OCPP_INTERFACE"),
])
def test_network_profile_settings_are_checked(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(environ=environ)
