"""OCPP 1.6J messages a charge point sends, with sensible defaults, and its configuration keys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from csmscheck.settings import Settings
from csmscheck.timestamps import rfc3339

Payload = dict[str, Any]


def boot_notification(cfg: Settings) -> Payload:
    return {"chargePointVendor": cfg.vendor_name[:20], "chargePointModel": cfg.model[:20],
            "chargePointSerialNumber": "CSMSCHECK-0001", "firmwareVersion": "1.0.0"}


def status_notification(connector_id: int, status: str, error_code: str = "NoError") -> Payload:
    return {"connectorId": connector_id, "errorCode": error_code, "status": status, "timestamp": rfc3339()}


def start_transaction(connector_id: int, id_tag: str, meter_start_wh: float,
                      reservation_id: int | None = None, *, timestamp: datetime | None = None) -> Payload:
    """``timestamp`` is when the transaction started (a moment in the past for one started offline)."""
    payload: Payload = {"connectorId": connector_id, "idTag": id_tag, "meterStart": int(meter_start_wh),
                        "timestamp": rfc3339(timestamp)}
    if reservation_id is not None:
        payload["reservationId"] = reservation_id
    return payload


def stop_transaction(transaction_id: int, meter_stop_wh: float, reason: str | None = None,
                     id_tag: str | None = None, *, timestamp: datetime | None = None,
                     transaction_data: list[Payload] | None = None) -> Payload:
    payload: Payload = {"transactionId": transaction_id, "meterStop": int(meter_stop_wh),
                        "timestamp": rfc3339(timestamp)}
    if reason:
        payload["reason"] = reason
    if id_tag:
        payload["idTag"] = id_tag
    if transaction_data:
        payload["transactionData"] = transaction_data
    return payload


def energy_sample(wh: float, timestamp: datetime | None = None, context: str = "Sample.Periodic") -> Payload:
    """One MeterValue: the energy register at ``timestamp`` (default now)."""
    return {"timestamp": rfc3339(timestamp), "sampledValue": [
        {"value": f"{wh:.0f}", "context": context, "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}


def meter_values(connector_id: int, wh: float, transaction_id: int | None = None, *,
                 timestamp: datetime | None = None) -> Payload:
    payload: Payload = {"connectorId": connector_id, "meterValue": [energy_sample(wh, timestamp)]}
    if transaction_id is not None:
        payload["transactionId"] = transaction_id
    return payload


# -- configuration keys -------------------------------------------------------------------

MEASURANDS = frozenset({
    "Current.Export", "Current.Import", "Current.Offered", "Energy.Active.Export.Register",
    "Energy.Active.Import.Register", "Energy.Reactive.Export.Register", "Energy.Reactive.Import.Register",
    "Energy.Active.Export.Interval", "Energy.Active.Import.Interval", "Energy.Reactive.Export.Interval",
    "Energy.Reactive.Import.Interval", "Frequency", "Power.Active.Export", "Power.Active.Import",
    "Power.Factor", "Power.Offered", "Power.Reactive.Export", "Power.Reactive.Import", "RPM", "SoC",
    "Temperature", "Voltage",
})


def _is_int(value: str) -> bool:
    return value.isdigit()  # no sign: intervals, counts and sizes are never negative


def _is_bool(value: str) -> bool:
    return value.lower() in ("true", "false")


def _is_measurand_list(value: str) -> bool:
    return all(item.strip() in MEASURANDS for item in value.split(",") if item.strip())


def _any(_value: str) -> bool:
    return True


@dataclass
class ConfigurationKey:
    value: str
    readonly: bool = False
    valid: Callable[[str], bool] = _any  # may the value be set to this?


def _standard_keys(connectors: int) -> dict[str, ConfigurationKey]:
    """The Core, Local Auth List Management and Smart Charging keys a 1.6 charge point holds."""
    def rw_int(value: str) -> ConfigurationKey:
        return ConfigurationKey(value, valid=_is_int)

    def rw_bool(value: str) -> ConfigurationKey:
        return ConfigurationKey(value, valid=_is_bool)

    def rw_measurands(value: str) -> ConfigurationKey:
        return ConfigurationKey(value, valid=_is_measurand_list)

    return {
        "AllowOfflineTxForUnknownId": rw_bool("false"),
        "AuthorizationCacheEnabled": rw_bool("true"),
        "AuthorizeRemoteTxRequests": rw_bool("true"),
        "ClockAlignedDataInterval": rw_int("0"),
        "ConnectionTimeOut": rw_int("60"),
        "ConnectorPhaseRotation": ConfigurationKey(",".join(f"{n}.RST" for n in range(connectors + 1))),
        "GetConfigurationMaxKeys": ConfigurationKey("50", readonly=True),
        "HeartbeatInterval": rw_int("300"),
        "LocalAuthorizeOffline": rw_bool("true"),
        "LocalPreAuthorize": rw_bool("false"),
        "MeterValuesAlignedData": rw_measurands("Energy.Active.Import.Register"),
        "MeterValuesSampledData": rw_measurands("Energy.Active.Import.Register"),
        "MeterValueSampleInterval": rw_int("0"),
        "NumberOfConnectors": ConfigurationKey(str(connectors), readonly=True),
        "ResetRetries": rw_int("1"),
        "StopTransactionOnEVSideDisconnect": rw_bool("true"),
        "StopTransactionOnInvalidId": rw_bool("true"),
        "StopTxnAlignedData": rw_measurands(""),
        "StopTxnSampledData": rw_measurands(""),
        "SupportedFeatureProfiles": ConfigurationKey(
            "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger",
            readonly=True),
        "TransactionMessageAttempts": rw_int("3"),
        "TransactionMessageRetryInterval": rw_int("60"),
        "UnlockConnectorOnEVSideDisconnect": rw_bool("true"),
        "WebSocketPingInterval": rw_int("0"),
        "LocalAuthListEnabled": rw_bool("true"),
        "LocalAuthListMaxLength": ConfigurationKey("100", readonly=True),
        "SendLocalListMaxLength": ConfigurationKey("20", readonly=True),
        "ChargeProfileMaxStackLevel": ConfigurationKey("10", readonly=True),
        "ChargingScheduleAllowedChargingRateUnit": ConfigurationKey("Current,Power", readonly=True),
        "ChargingScheduleMaxPeriods": ConfigurationKey("24", readonly=True),
        "MaxChargingProfilesInstalled": ConfigurationKey("10", readonly=True),
    }


@dataclass
class ChargePointConfiguration:
    """A 1.6 charge point's configuration keys, answering GetConfiguration and ChangeConfiguration.

    Keys are case-insensitive (CiString). An unknown key is NotSupported; a read-only key
    or a value of the wrong kind (``-1`` for an interval) is Rejected.
    """

    connectors: int = 2
    keys: dict[str, ConfigurationKey] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.keys:
            self.keys = _standard_keys(self.connectors)

    def find(self, key: str) -> str | None:
        """The key's own spelling, or None when the charge point does not know it."""
        wanted = key.lower()
        return next((name for name in self.keys if name.lower() == wanted), None)

    def value(self, key: str) -> str | None:
        name = self.find(key)
        return self.keys[name].value if name else None

    def entry(self, name: str) -> Payload:
        key = self.keys[name]
        return {"key": name, "readonly": key.readonly, "value": key.value}

    def get_configuration(self, request: Payload) -> Payload:
        wanted = request.get("key") or []
        if not wanted:
            return {"configurationKey": [self.entry(name) for name in self.keys]}
        known = [(key, self.find(key)) for key in wanted]
        answer: Payload = {"configurationKey": [self.entry(name) for _, name in known if name]}
        unknown = [key for key, name in known if name is None]
        if unknown:
            answer["unknownKey"] = unknown
        return answer

    def change_configuration(self, request: Payload) -> Payload:
        name = self.find(request["key"])
        if name is None:
            return {"status": "NotSupported"}
        key = self.keys[name]
        if key.readonly or not key.valid(request["value"]):
            return {"status": "Rejected"}
        key.value = request["value"]
        return {"status": "Accepted"}
