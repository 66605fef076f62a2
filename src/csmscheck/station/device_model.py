"""A small OCPP 2.0.1 device model for the virtual station, answering Get/SetVariables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Payload = dict[str, Any]
VariableKey = tuple[str, str, str, str]  # component, component instance, variable, variable instance

_DEFAULTS: dict[VariableKey, str] = {
    ("OCPPCommCtrlr", "", "OfflineThreshold", ""): "60",
    ("OCPPCommCtrlr", "", "HeartbeatInterval", ""): "300",
    ("AuthCtrlr", "", "AuthorizeRemoteStart", ""): "true",
    ("AuthCtrlr", "", "LocalPreAuthorize", ""): "false",
    ("DeviceDataCtrlr", "", "ItemsPerMessage", "GetReport"): "10",
    ("DeviceDataCtrlr", "", "ItemsPerMessage", "GetVariables"): "10",
    ("DeviceDataCtrlr", "", "ItemsPerMessage", "SetVariables"): "10",
    ("DeviceDataCtrlr", "", "BytesPerMessage", "GetReport"): "65000",
    ("DeviceDataCtrlr", "", "BytesPerMessage", "GetVariables"): "65000",
    ("DeviceDataCtrlr", "", "BytesPerMessage", "SetVariables"): "65000",
    ("SecurityCtrlr", "", "SecurityProfile", ""): "1",
    ("TxCtrlr", "", "TxStartPoint", ""): "PowerPathClosed",
    ("TxCtrlr", "", "TxStopPoint", ""): "EVConnected",
    # Smart charging (K): what the station supports, so a CSMS can learn it before it sends profiles.
    ("SmartChargingCtrlr", "", "Enabled", ""): "true",
    ("SmartChargingCtrlr", "", "Available", ""): "true",
    ("SmartChargingCtrlr", "", "RateUnit", ""): "A,W",
    ("SmartChargingCtrlr", "", "ProfileStackLevel", ""): "8",
    ("SmartChargingCtrlr", "", "PeriodsPerSchedule", ""): "24",
    ("SmartChargingCtrlr", "", "Entries", "ChargingProfiles"): "0",
    ("SmartChargingCtrlr", "", "LimitChangeSignificance", ""): "10",
    ("SmartChargingCtrlr", "", "ExternalControlSignalsEnabled", ""): "true",
    ("SmartChargingCtrlr", "", "NotifyChargingLimitWithSchedules", ""): "false",
    ("SmartChargingCtrlr", "", "ACPhaseSwitchingSupported", ""): "false",
    ("SmartChargingCtrlr", "", "Phases3to1", ""): "false",
    # Display messages (O): what the station can show. SupportedStates is this station's own list of the
    # MessageStateEnumType values it takes (2.0.1 names variables for formats and priorities only).
    ("DisplayMessageCtrlr", "", "Enabled", ""): "true",
    ("DisplayMessageCtrlr", "", "Available", ""): "true",
    ("DisplayMessageCtrlr", "", "SupportedFormats", ""): "ASCII,HTML,URI,UTF8",
    ("DisplayMessageCtrlr", "", "SupportedPriorities", ""): "AlwaysFront,InFront,NormalCycle",
    ("DisplayMessageCtrlr", "", "SupportedStates", ""): "Charging,Faulted,Idle,Unavailable",
}


def key_of(component: Payload, variable: Payload) -> VariableKey:
    return (component["name"], component.get("instance", ""), variable["name"], variable.get("instance", ""))


@dataclass
class DeviceModel:
    """Actual values by (component, instance, variable, instance); EVSE scoping is ignored."""

    values: dict[VariableKey, str] = field(default_factory=lambda: dict(_DEFAULTS))

    def set(self, component: str, variable: str, value: str, variable_instance: str = "") -> None:
        self.values[(component, "", variable, variable_instance)] = value

    def get_variables(self, request: Payload) -> Payload:
        results = []
        for data in request["getVariableData"]:
            value = self.values.get(key_of(data["component"], data["variable"]))
            result: Payload = {"attributeStatus": "Accepted" if value is not None else "UnknownVariable",
                               "attributeType": data.get("attributeType", "Actual"),
                               "component": data["component"], "variable": data["variable"]}
            if value is not None:
                result["attributeValue"] = value
            results.append(result)
        return {"getVariableResult": results}

    def set_variables(self, request: Payload) -> Payload:
        results = []
        for data in request["setVariableData"]:
            key = key_of(data["component"], data["variable"])
            known = key in self.values
            if known:
                self.values[key] = data["attributeValue"]
            results.append({"attributeStatus": "Accepted" if known else "UnknownVariable",
                            "attributeType": data.get("attributeType", "Actual"),
                            "component": data["component"], "variable": data["variable"]})
        return {"setVariableResult": results}

    def report_data(self) -> list[Payload]:
        """Every variable as NotifyReport reportData."""
        return [{"component": {"name": c, **({"instance": ci} if ci else {})},
                 "variable": {"name": v, **({"instance": vi} if vi else {})},
                 "variableAttribute": [{"type": "Actual", "value": value, "mutability": "ReadWrite"}],
                 "variableCharacteristics": {"dataType": "string", "supportsMonitoring": False}}
                for (c, ci, v, vi), value in sorted(self.values.items())]
