"""Proof that block A's connection, password and profile-upgrade cases fail against a broken CSMS, naming the step.

Each test breaks one piece of the in-process reference CSMS (patched here, never a product
flag), runs one case through pytest and checks its results.json entry: a failed OCTT verdict,
or a csmscheck finding that fails the case with ``--strict``.
"""

from __future__ import annotations

import ssl
import warnings
from http import HTTPStatus
from typing import Any

import pytest
from faults import alter_sent, assert_all_pass_strictly, assert_failed, assert_finding, run_case

import csmscheck.csms.server as server
from csmscheck.bundled import BundledCsms
from csmscheck.csms import security_profile
from csmscheck.csms.handlers.v201 import security
from csmscheck.csms.router import Payload
from csmscheck.pki.tls import OCPP_TLS12_CIPHERS
from csmscheck.settings import load_settings

CASES = ["TC_A_01", "TC_A_02", "TC_A_03", "TC_A_04", "TC_A_06", "TC_A_07", "TC_A_08", "TC_A_09", "TC_A_10",
         "TC_A_19"]
SEEDED_PASSWORD = load_settings(environ={}).basic_auth_password


class _AnyName(str):
    """A name equal to every station id: a CSMS that compares nothing."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = str.__hash__


def test_healthy_csms_passes_every_case_strictly(pytester: pytest.Pytester, bundled: BundledCsms) -> None:
    assert_all_pass_strictly(pytester, bundled, CASES)


# -- basic authentication and passwords ---------------------------------------------------------------


def test_any_user_name_accepted_fails_tc_a_02_at_step_2(pytester: pytest.Pytester, bundled: BundledCsms,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS checks only the password, not that the user name is the station id."""
    real = server._basic_credentials

    def any_user(header: str | None) -> tuple[str, str] | None:
        credentials = real(header)
        return None if credentials is None else (_AnyName(credentials[0]), credentials[1])

    monkeypatch.setattr(server, "_basic_credentials", any_user)
    assert_failed(run_case(pytester, bundled, "TC_A_02"), "Step 2: expected the CSMS to refuse basic authentication as",
                  "the CSMS upgraded the connection")


def test_refusal_without_challenge_is_a_finding_of_tc_a_03(pytester: pytest.Pytester, bundled: BundledCsms,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Wrong credentials answered 403 instead of 401: still a refusal (the OCTT passes), but a finding."""
    real = server.Listener._refuse

    def forbidden(self: server.Listener, connection: Any, status: HTTPStatus, reason: str,
                  headers: dict[str, str] | None = None) -> Any:
        if status == HTTPStatus.UNAUTHORIZED:
            return real(self, connection, HTTPStatus.FORBIDDEN, reason)
        return real(self, connection, status, reason, headers)

    monkeypatch.setattr(server.Listener, "_refuse", forbidden)
    assert_finding(run_case(pytester, bundled, "TC_A_03"), "CSC-201-A-03", "Step 2:", "HTTP 403")
    assert_failed(run_case(pytester, bundled, "TC_A_03", strict=True), "[CSC-201-A-03] Step 2:", "Step 4:")


def test_old_password_still_accepted_fails_tc_a_09_strictly(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """After the station accepted and used a new password, the CSMS still lets the old one in."""
    real = server.check_password

    def also_the_old(password: str, digest: str | None) -> bool:
        return real(password, digest) or password == SEEDED_PASSWORD

    monkeypatch.setattr(server, "check_password", also_the_old)
    entry = run_case(pytester, bundled, "TC_A_09")
    assert_finding(entry, "CSC-201-A-04", "After step 4: expected the CSMS to refuse the old password")
    assert_failed(run_case(pytester, bundled, "TC_A_09", strict=True), "[CSC-201-A-04]")


def test_password_taken_although_rejected_fails_tc_a_10_at_step_4(pytester: pytest.Pytester, bundled: BundledCsms,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS switches to the new password even though the station answered Rejected (A01.FR.04)."""
    monkeypatch.setattr(security, "_TAKEN", ("Accepted", "RebootRequired", "Rejected"))
    assert_failed(run_case(pytester, bundled, "TC_A_10"), "Step 4: HTTP upgrade with the old password",
                  "HTTP 401")


# -- TLS ------------------------------------------------------------------------------------------------


def test_tls_1_1_accepted_fails_tc_a_06_at_step_2(pytester: pytest.Pytester, bundled: BundledCsms,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS's TLS listeners speak TLS 1.0 and 1.1 (with their CBC suites)."""
    contexts = [listener.ssl_context for listener in bundled.csms._listeners  # type: ignore[attr-defined]
                if listener.ssl_context is not None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for context in contexts:
            monkeypatch.setattr(context, "minimum_version", ssl.TLSVersion.TLSv1)
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
    try:
        assert_failed(run_case(pytester, bundled, "TC_A_06"), "Step 2: expected the CSMS to terminate",
                      "ServerHello choosing TLS 1.1")
    finally:
        for context in contexts:
            context.set_ciphers(OCPP_TLS12_CIPHERS)


def test_certificate_of_another_name_accepted_fails_tc_a_08_at_step_4(pytester: pytest.Pytester,
                                                                      bundled: BundledCsms,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS trusts any certificate of its CA, whatever station it names (A00.FR.405)."""
    monkeypatch.setattr(server, "peer_common_name", lambda _ssl_object: _AnyName("anyone"))
    assert_failed(run_case(pytester, bundled, "TC_A_08"), "Step 4 (other commonName certificate)",
                  "expected the CSMS to refuse the connection of CP202_SP3 presenting a client certificate whose "
                  "commonName is CP202_SP3X")


# -- the security profile upgrade ---------------------------------------------------------------------


def test_downgrade_after_the_upgrade_fails_tc_a_19_at_step_11(pytester: pytest.Pytester, bundled: BundledCsms,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The first connection with the new profile never makes the move final: the old profile stays open."""
    async def never_final(*_args: Any) -> None:
        return None

    monkeypatch.setattr(security_profile, "connected_with", never_final)
    assert_failed(run_case(pytester, bundled, "TC_A_19"), "Step 11: expected the CSMS to refuse CP201_SP1 on its "
                                                          "former security profile 1")


def test_network_profile_with_another_security_profile_fails_tc_a_19_at_step_1(
        pytester: pytest.Pytester, bundled: BundledCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS sends the operator's network profile with the station's current security profile."""
    def same_profile(payload: Payload) -> None:
        payload["connectionData"]["securityProfile"] = 1

    alter_sent(monkeypatch, "SetNetworkProfile", same_profile)
    assert_failed(run_case(pytester, bundled, "TC_A_19"), "Step 1: SetNetworkProfileRequest", "securityProfile")


def test_no_move_to_the_new_profile_fails_tc_a_19_at_step_8(pytester: pytest.Pytester, bundled: BundledCsms,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSMS ignores the accepted NetworkConfigurationPriority: the station is refused on its new profile."""
    async def not_taken(*_args: Any) -> bool:
        return False

    monkeypatch.setattr(security_profile, "request_change", not_taken)
    assert_failed(run_case(pytester, bundled, "TC_A_19"), "Step 8: connecting with security profile 2",
                  "HTTP 403")
