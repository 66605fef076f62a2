"""Starts the reference CSMS for a test run: free loopback ports, fresh PKI, temporary database."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from csmscheck.csms.app import CsmsThread
from csmscheck.csms.config import CsmsConfig
from csmscheck.pki import generate_pki
from csmscheck.pki.contract_pool import ContractPoolStub
from csmscheck.settings import Settings

BUNDLED_PENDING_INTERVAL = 1  # seconds a station answered Pending (or Rejected) waits before it boots again


class BundledCsms:
    """A reference CSMS in a background thread, seeded from the run's settings."""

    def __init__(self, settings: Settings) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="csmscheck-"))
        pki = generate_pki(self._dir / "pki", [settings.cp201_sp3, settings.cp16_sp3])
        self.pki_dir = pki.directory
        # The run's heartbeat interval is the CSMS's. A short Pending interval unless the run sets one: TC_B_02
        # waits it out before booting again, and a run should stay quick.
        self.pending_interval = (BUNDLED_PENDING_INTERVAL if settings.pending_interval is None
                                 else settings.pending_interval)
        # The bundled CSMS relays EV contract certificate requests (M01/M02) to a stand-in pool.
        self.contract_pool = ContractPoolStub().start()
        config = CsmsConfig(ws_port=0, tls_port=0, mtls_port=0, api_port=0, db=f"sqlite:///{self._dir / 'csms.db'}",
                            pki_dir=self.pki_dir, heartbeat_interval=settings.heartbeat_interval,
                            pending_interval=self.pending_interval, contract_pool_url=self.contract_pool.url,
                            seed=settings)
        self._thread = CsmsThread(config)
        self.endpoints = self._thread.start()

    @property
    def csms(self) -> object:
        return self._thread.csms

    def settings_for(self, settings: Settings) -> Settings:
        """The run's settings pointed at this CSMS (with the retry interval it gives)."""
        return settings.replace(target=self.endpoints.ws, target_sp2=self.endpoints.wss_tls,
                                target_sp3=self.endpoints.wss_mtls, trigger=self.endpoints.api,
                                pki_dir=self.pki_dir, pending_interval=self.pending_interval)

    def stop(self) -> None:
        try:
            self._thread.stop()
        finally:
            self.contract_pool.stop()
            shutil.rmtree(self._dir, ignore_errors=True)
