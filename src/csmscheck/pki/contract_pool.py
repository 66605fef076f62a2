"""A stand-in contract certificate pool for runs against the bundled reference CSMS.

A real pool (the mobility operator's contract provisioning, reached over e.g. an OPCP-style
backend) answers an EV's CertificateInstallationReq/CertificateUpdateReq with contract data
signed and encrypted for that EV. This stub has no contracts and decodes no EXI: it counts
the requests and answers each with a fixed, recognisable EXI stream (an EXI header byte and
an ASCII marker naming the stub, the action and a digest of the request). That is enough to
exercise the CSMS's forwarding and relaying (TC_M_26, TC_M_28); no EV would accept it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

EXI_HEADER = b"\x80"  # distinguishing bits 10, no options, EXI version 1


def stub_response(action: str, exi_request: bytes) -> bytes:
    """The EXI bytes the stub answers ``exi_request`` with."""
    marker = f"csmscheck contract pool stub {action} {hashlib.sha256(exi_request).hexdigest()[:16]}"
    return EXI_HEADER + marker.encode()


class ContractPoolStub:
    """An HTTP server on loopback (a free port) speaking the reference CSMS's pool protocol."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.requests = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's naming
                stub.requests += 1
                try:
                    body: Any = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                    exi = base64.b64decode(body["exiRequest"], validate=True)
                    answer = stub_response(str(body["action"]), exi)
                except (ValueError, KeyError, TypeError, binascii.Error):
                    self.send_error(400, "expected JSON with action and a base64 exiRequest")
                    return
                data = json.dumps({"exiResponse": base64.b64encode(answer).decode()}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="contract-pool-stub", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/contract-data"

    def start(self) -> ContractPoolStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
