"""Capability profiles (PICS): the optional features a CSMS declares, and the cases each gates.

A case gated by features applies only when the CSMS declares every one of them; other
cases always apply. The mapping covers both test case documents (all of
``catalogue.CATALOGUE``), implemented or not. Each feature's case list comes from the
cases' prerequisites ("The CSMS supports security profile 3", "supports ISO 15118", "If
the CSMS supports sending a TxProfile while there is no transaction ongoing", ...) and
from what the specifications make optional: the OCPP 1.6 feature profiles other than
Core, the security whitepaper, and the optional functional blocks of OCPP 2.0.1.
``basis`` says which, per feature.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from csmscheck.errors import ConfigError
from csmscheck.suite.catalogue import CATALOGUE, ids_in


@dataclass(frozen=True, eq=False)
class Feature:
    key: str  # what the capabilities file declares
    title: str
    description: str  # one line
    refs: Mapping[str, str]  # OCPP version -> the specification part the feature comes from
    cases: frozenset[str]
    basis: str  # where the case list comes from

    def ref(self, version: str) -> str:
        return self.refs.get(version) or "; ".join(self.refs.values())


def _ids(text: str) -> frozenset[str]:
    """``"A_01 073"`` -> ``{"TC_A_01", "TC_073"}``."""
    return frozenset(f"TC_{short}" for short in text.split())


def _blocks(version: str, *blocks: str) -> frozenset[str]:
    return frozenset(case for block in blocks for case in ids_in(version, block))


FEATURES: tuple[Feature, ...] = (
    Feature(
        "basic_auth", "Basic authentication",
        "Stations authenticate with HTTP Basic authentication (security profile 1 and/or 2)",
        {"2.0.1": "OCPP 2.0.1 A00, A01", "1.6": "OCPP 1.6 security whitepaper, profiles 1 and 2"},
        _ids("A_01 A_02 A_03 A_09 A_10 A_19 073 085"),
        'prerequisite "supports security profile 1 and/or 2"; TC_A_19 upgrades a station from profile 1 or 2',
    ),
    Feature(
        "tls", "TLS",
        "Stations connect over TLS with the CSMS's server certificate (security profile 2 and/or 3)",
        {"2.0.1": "OCPP 2.0.1 A00", "1.6": "OCPP 1.6 security whitepaper, profiles 2 and 3"},
        _ids("A_04 A_06 A_19 075_1 075_2 078 086"),
        'prerequisite "supports security profile 2 and/or 3"; TC_A_19 upgrades a station to profile 2 or 3',
    ),
    Feature(
        "mutual_tls", "TLS client certificates",
        "Stations authenticate with TLS client certificates (security profile 3)",
        {"2.0.1": "OCPP 2.0.1 A00, A02", "1.6": "OCPP 1.6 security whitepaper, profile 3"},
        _ids("A_07 A_08 A_11 A_13 A_14 074 077 087"),
        'prerequisite "supports security profile 3"',
    ),
    Feature(
        "security_extension", "OCPP 1.6 security extension",
        "Security profiles, certificates, security events and log, signed firmware (1.6 security whitepaper)",
        {"1.6": "OCPP 1.6 security whitepaper"},
        _blocks("1.6", "3.21"),
        "chapter 3.21 Security (prerequisites: a security profile, Firmware Management)",
    ),
    Feature(
        "pending_registration", "Pending registration",
        "Answers a BootNotification with Pending (or Rejected) before it accepts the station",
        {"2.0.1": "OCPP 2.0.1 B02, B03"},
        _ids("B_02 B_30 B_31"),
        'prerequisite "The CSMS is configured to first respond to a BootNotificationRequest with status Pending"',
    ),
    Feature(
        "summary_inventory", "SummaryInventory report",
        "Requests the optional SummaryInventory base report",
        {"2.0.1": "OCPP 2.0.1 B07"},
        _ids("B_14"),
        'prerequisite "CSMS implementation supports the optional SummaryInventory report"',
    ),
    Feature(
        "authorization_cache", "Authorization cache",
        "Handles idTokens a station authorized from its cache, and clears that cache (ClearCache)",
        {"2.0.1": "OCPP 2.0.1 C11, C12"},
        _ids("C_08 C_20 C_37 C_38"),
        "OCPP 2.0.1 C11/C12 (the authorization cache is optional); in 1.6 ClearCache is Core",
    ),
    Feature(
        "master_pass", "Master pass",
        "Knows a master pass group whose tokens may stop any transaction",
        {"2.0.1": "OCPP 2.0.1 C16"},
        _ids("C_47 C_48 C_49"),
        "OCPP 2.0.1 C16 (MasterPassGroupId is optional); memory state: a master pass idToken is configured",
    ),
    Feature(
        "iso15118", "ISO 15118",
        "ISO 15118 / Plug & Charge: contract and V2G certificates, EV charging needs",
        {"2.0.1": "OCPP 2.0.1 A02, C07, K15-K17, M"},
        _ids("A_12 A_13 C_50 C_51 C_52 K_53 K_55 K_57 K_58 K_59 M_03 M_04 M_14 M_15 M_16 M_18 M_24 M_26 M_28"),
        'prerequisite "supports ISO 15118"; contract certificates (C07), load leveling by high level '
        "communication (K15-K17), V2G and MO certificates (M)",
    ),
    Feature(
        "ocsp", "OCSP",
        "Checks certificate status with an OCSP responder",
        {"2.0.1": "OCPP 2.0.1 C07, M06"},
        _ids("C_50 C_51 C_52 M_24"),
        "prerequisite: a responder URL pointing to the OCTT's OCSP service (C07); M06 certificate status",
    ),
    Feature(
        "local_auth_list", "Local authorization list",
        "Manages the station's local authorization list (SendLocalList, GetLocalListVersion)",
        {"2.0.1": "OCPP 2.0.1 D", "1.6": "OCPP 1.6 Local Auth List Management profile"},
        _blocks("1.6", "3.14") | _blocks("2.0.1", "D") | _ids("C_40 C_43 N_46"),
        'prerequisite "supports the Local Auth List Management feature profile" (1.6); block D; '
        "cases that use a local list (C09 with a local list, N10 updating it)",
    ),
    Feature(
        "reservation", "Reservation",
        "Reserves EVSEs or connectors and cancels reservations (ReserveNow, CancelReservation)",
        {"2.0.1": "OCPP 2.0.1 H", "1.6": "OCPP 1.6 Reservation profile"},
        _blocks("1.6", "3.17") | _blocks("2.0.1", "H"),
        'prerequisite "supports the Reservation feature profile" (1.6); block H',
    ),
    Feature(
        "tariff_cost", "Tariff and cost",
        "Tells stations the running and final cost of transactions (CostUpdated, totalCost)",
        {"2.0.1": "OCPP 2.0.1 I"},
        _blocks("2.0.1", "I"),
        "block I (tariff and cost is optional)",
    ),
    Feature(
        "smart_charging", "Smart charging",
        "Charging profiles: set, clear, get, composite schedules, external limits",
        {"2.0.1": "OCPP 2.0.1 K", "1.6": "OCPP 1.6 Smart Charging profile"},
        _blocks("1.6", "3.19") | _blocks("2.0.1", "K"),
        'prerequisite "supports the Smart Charging feature profile" (1.6); block K',
    ),
    Feature(
        "tx_profile_without_transaction", "TxProfile without a transaction",
        "Sends a TxProfile to an EVSE while no transaction is ongoing there",
        {"2.0.1": "OCPP 2.0.1 K01"},
        _ids("K_02"),
        'prerequisite "If the CSMS supports sending a TxProfile while there is no transaction ongoing"',
    ),
    Feature(
        "firmware_management", "Firmware management",
        "Updates station firmware and follows its status (1.6: also diagnostics upload)",
        {"2.0.1": "OCPP 2.0.1 L", "1.6": "OCPP 1.6 Firmware Management profile"},
        _blocks("1.6", "3.15", "3.16") | _ids("080 081") | _blocks("2.0.1", "L"),
        'prerequisite "supports the Firmware Management feature profile" (1.6, incl. secure firmware update); '
        "GetDiagnostics belongs to that profile (3.16); block L",
    ),
    Feature(
        "publish_firmware", "Publish firmware",
        "Publishes and unpublishes firmware on a Local Controller (PublishFirmware, UnpublishFirmware)",
        {"2.0.1": "OCPP 2.0.1 L03, L04"},
        _ids("L_17 L_19 L_20 L_21 L_22 L_23 L_24"),
        "OCPP 2.0.1 L03/L04 (only for Local Controllers)",
    ),
    Feature(
        "certificate_management", "Certificate management",
        "Installs, lists and deletes CA certificates on stations (InstallCertificate and the like)",
        {"2.0.1": "OCPP 2.0.1 M03-M05"},
        _ids("M_01 M_02 M_03 M_04 M_05 M_12 M_13 M_14 M_15 M_16 M_17 M_18 M_19 M_20 M_21"),
        "OCPP 2.0.1 M03-M05 (block M, ISO 15118 certificate management, also for CSMS/manufacturer roots)",
    ),
    Feature(
        "monitoring", "Monitoring",
        "Variable monitoring: monitoring reports, monitors, level and base, event notifications",
        {"2.0.1": "OCPP 2.0.1 N02-N08"},
        _ids("N_01 N_02 N_03 N_05 N_08 N_09 N_16 N_17 N_18 N_21 N_24 N_44 N_47 N_48 N_49 N_50 N_60"),
        "OCPP 2.0.1 N02-N08 (monitoring is optional)",
    ),
    Feature(
        "customer_information", "Customer information",
        "Retrieves and clears customer information on stations (CustomerInformation)",
        {"2.0.1": "OCPP 2.0.1 N09, N10"},
        _ids("N_27 N_28 N_29 N_30 N_31 N_32 N_46 N_62 N_63"),
        "OCPP 2.0.1 N09/N10",
    ),
    Feature(
        "customer_identifier", "Customer information by identifier",
        "Retrieves and clears customer information by customerIdentifier",
        {"2.0.1": "OCPP 2.0.1 N10"},
        _ids("N_62"),
        'prerequisite "The CSMS supports retrieving/deleting CustomerInformation - CustomerIdentifier"',
    ),
    Feature(
        "customer_certificate", "Customer information by certificate",
        "Retrieves and clears customer information by customerCertificate",
        {"2.0.1": "OCPP 2.0.1 N10"},
        _ids("N_63"),
        'prerequisite "The CSMS supports retrieving/deleting CustomerInformation - CustomerCertificate"',
    ),
    Feature(
        "display_messages", "Display messages",
        "Sets, gets, replaces and clears messages on station displays",
        {"2.0.1": "OCPP 2.0.1 O"},
        _blocks("2.0.1", "O"),
        "block O (display messages are optional)",
    ),
    Feature(
        "remote_trigger", "Remote trigger",
        "Asks a charge point to send a given message (TriggerMessage; Core in 2.0.1)",
        {"1.6": "OCPP 1.6 Remote Trigger profile"},
        _blocks("1.6", "3.18"),
        'prerequisite "supports the Remote Trigger feature profile" (1.6)',
    ),
    Feature(
        "unknown_id_requests", "Requests for unknown ids",
        "Sends requests naming what the station does not know (connector, display message, transaction)",
        {"2.0.1": "OCPP 2.0.1 O02, O04, O05", "1.6": "OCPP 1.6 TriggerMessage"},
        _ids("055 O_05 O_10 O_11"),
        'prerequisites "supports sending a TriggerMessage.req for a non-configured connector" (TC_055), '
        '"supports sending a ClearDisplayMessageRequest with an unknown id" and the like (TC_O_05, _10, _11)',
    ),
    Feature(
        "transaction_readback", "Transaction read-back",
        "Serves what it stored about a transaction through the trigger API (GET .../transactions/{id})",
        {"2.0.1": "csmscheck trigger API, read-back", "1.6": "csmscheck trigger API, read-back"},
        frozenset(),
        "csmscheck's own cases and checks of stored transactions; no OCTT case reads a CSMS's database",
    ),
)

CSMSCHECK_ONLY: frozenset[str] = frozenset({"transaction_readback"})
"""Features that gate only csmscheck's own cases and checks: no OCTT case needs them."""

FEATURES_BY_KEY: dict[str, Feature] = {feature.key: feature for feature in FEATURES}

REQUIRES: dict[str, tuple[Feature, ...]] = {
    case: tuple(f for f in FEATURES if case in f.cases) for case in CATALOGUE
}
"""Every catalogued case id -> the features it needs (empty: it always applies)."""


def features_of(case_id: str, declared_by_case: Iterable[str] = ()) -> tuple[Feature, ...]:
    """The features a case needs: an OCTT case's from the catalogue, a csmscheck case's as it declares them."""
    return REQUIRES.get(case_id, ()) + tuple(FEATURES_BY_KEY[key] for key in declared_by_case)


@dataclass(frozen=True)
class Capabilities:
    """The features a CSMS declares (from ``--capabilities FILE``)."""

    declared: frozenset[str]

    @classmethod
    def everything(cls) -> Capabilities:
        return cls(frozenset(FEATURES_BY_KEY))

    def missing(self, case_id: str, declared_by_case: Iterable[str] = ()) -> tuple[Feature, ...]:
        """The features ``case_id`` needs that the CSMS does not declare."""
        return tuple(f for f in features_of(case_id, declared_by_case) if f.key not in self.declared)

    def not_applicable_reason(self, case_id: str, version: str, declared_by_case: Iterable[str] = ()) -> str | None:
        """Why the case does not apply, or None when it does."""
        missing = self.missing(case_id, declared_by_case)
        if not missing:
            return None
        named = [f"{f.key} ({f.title}, {f.ref(version)})" for f in missing]
        listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
        return f"not applicable: the CSMS does not declare {listed}"


def known_features() -> str:
    return ", ".join(FEATURES_BY_KEY)


def load_capabilities(path: Path) -> Capabilities:
    """Read a capabilities file (``[features]`` table of ``key = true|false``); ConfigError if wrong."""
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"capabilities file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"capabilities file {path} cannot be read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"capabilities file {path} is not valid TOML: {exc}") from None
    for key in data:
        if key != "features":
            raise ConfigError(f"capabilities file {path}: unknown key {key!r}; declare features in a [features] "
                              f"table (known features: {known_features()})")
    features = data.get("features", {})
    if not isinstance(features, dict):
        raise ConfigError(f"capabilities file {path}: 'features' must be a table ([features])")
    return Capabilities(frozenset(_declared(path, features.items())))


def _declared(path: Path, items: Iterable[tuple[str, Any]]) -> Iterable[str]:
    for key, value in items:
        if key not in FEATURES_BY_KEY:
            raise ConfigError(f"capabilities file {path}: unknown feature {key!r} (known: {known_features()})")
        if not isinstance(value, bool):
            raise ConfigError(f"capabilities file {path}: feature {key} must be true or false, got {value!r}")
        if value:
            yield key
