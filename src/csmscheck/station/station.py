"""A virtual charging station: a session plus the state its reusable states build on."""

from __future__ import annotations

import ssl
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from csmscheck.checks import Findings
from csmscheck.settings import Settings
from csmscheck.station.certificates import StationCertificates, serve_certificates
from csmscheck.station.charging_profiles import ChargingProfiles, serve_charging_profiles
from csmscheck.station.customer_information import CustomerData, serve_customers
from csmscheck.station.device_model import DeviceModel
from csmscheck.station.display_messages import DisplayMessages, serve_display_messages
from csmscheck.station.firmware import StationFirmware, serve_firmware
from csmscheck.station.logs import StationLogs, serve_logs
from csmscheck.station.model import StationModel
from csmscheck.station.monitoring import Monitoring, serve_monitoring
from csmscheck.station.replies import Reply
from csmscheck.station.reports import send_reports
from csmscheck.station.session import ReceivedCall, StationSession
from csmscheck.wire import CallError, CallResult
from csmscheck.wire.transcript import FrameListener, FrameRecord
from csmscheck.wire.versions import OcppVersion


@dataclass(frozen=True)
class Endpoint:
    """How a station reaches the CSMS: URL, basic-auth password and TLS context."""

    url: str
    password: str | None = None
    ssl_context: ssl.SSLContext | None = None


class Station:
    """What a test drives. ``cfg`` is the run's settings; ``model`` the station's state;
    ``findings`` the csmscheck checks that failed in the test (shared by its stations)."""

    def __init__(self, station_id: str, version: OcppVersion, cfg: Settings, endpoint: Endpoint,
                 listener: FrameListener | None = None, findings: Findings | None = None) -> None:
        self.id = station_id
        self.version = version
        self.cfg = cfg
        self.endpoint = endpoint
        self.findings = findings if findings is not None else Findings()
        self.model = StationModel()
        self.session = StationSession(station_id, version, timeout=cfg.message_wait, listener=listener)
        self.device_model = DeviceModel()
        self.charging_profiles = ChargingProfiles(self.model, lambda: self.cfg.number_of_evses)
        self.certificates = StationCertificates(cfg.pki_dir / "ca.pem" if cfg.pki_dir is not None else None,
                                                lambda: self.endpoint.ssl_context is not None)
        self.display_messages = DisplayMessages(self.model, self.device_model)
        self.monitoring = Monitoring(lambda: self.cfg.number_of_evses, clear_items=cfg.clear_monitoring_items)
        self.firmware = StationFirmware()  # block L: firmware updates and publishing (2.0.1)
        self.logs = StationLogs()  # block N: log uploads (2.0.1)
        self.customers = CustomerData()  # block N: customer information and the local list (2.0.1)
        if version == "2.0.1":
            self.session.replies["GetVariables"] = self.device_model.get_variables
            self.session.replies["SetVariables"] = self.device_model.set_variables
            send_reports(self.session, self.device_model)
            serve_charging_profiles(self.session, self.charging_profiles)
            serve_certificates(self.session, self.certificates)
            serve_logs(self.session, self.logs)
            serve_customers(self.session, self.customers)
            serve_firmware(self.session, self.firmware)
            self.device_model.set("MonitoringCtrlr", "ItemsPerMessage", str(cfg.clear_monitoring_items),
                                  "ClearVariableMonitoring")
            serve_monitoring(self.session, self.monitoring)
            serve_display_messages(self.session, self.display_messages)

    async def connect(self, subprotocols: list[str] | None = None) -> None:
        await self.session.connect(self.endpoint.url, password=self.endpoint.password,
                                   ssl_context=self.endpoint.ssl_context, subprotocols=subprotocols)

    async def reconnect(self) -> None:
        """Drop the connection and open a new one, as a station does after a reboot."""
        await self.session.close()
        self.model.booted = False
        await self.connect()

    async def close(self) -> None:
        await self.session.close()

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return await self.session.call(action, payload)

    async def send(self, action: str, payload: dict[str, Any]) -> CallResult | CallError:
        return await self.session.send(action, payload)

    def expect(self, action: str, *, reply: Reply | None = None,
               timeout: float | None = None) -> AbstractAsyncContextManager[ReceivedCall]:
        """Expect the CSMS to send ``action``; waits up to CSMS_ACTION_TIMEOUT by default."""
        return self.session.expect(action, reply=reply, timeout=timeout or self.cfg.csms_action_timeout)

    async def wait_for(self, action: str, *, reply: Reply | None = None) -> ReceivedCall:
        return await self.session.wait_for(action, reply=reply, timeout=self.cfg.csms_action_timeout)

    @property
    def frames(self) -> list[FrameRecord]:
        return self.session.transcript.frames
