"""Compares a CSMS's answer with the recorded (golden) one, ignoring what must differ between runs.

Ignored: message ids (the player maps them), any two valid RFC 3339 date-times (timestamps, ``currentTime``,
expiry dates), certificates' validity dates (two PEM certificates with the same subject and issuer are equal)
and transaction ids the CSMS assigns (OCPP 1.6 ``transactionId``), which are mapped consistently instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509

from csmscheck.wire.frames import CallError, CallResult

PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"


@dataclass(frozen=True)
class Difference:
    """One difference: ``frame`` is the recorded CSMS frame's number among the transcript's frames (from 1)."""

    frame: int
    action: str
    path: str
    recorded: Any
    got: Any
    note: str = ""

    def __str__(self) -> str:
        if self.note:
            return f"frame {self.frame} {self.action}: {self.path or '/'}: {self.note}"
        return (f"frame {self.frame} {self.action}: {self.path or '/'}: recorded {_shown(self.recorded)}, "
                f"got {_shown(self.got)}")

    def as_dict(self) -> dict[str, Any]:
        return {"frame": self.frame, "action": self.action, "path": self.path or "/", "recorded": self.recorded,
                "got": self.got, "text": str(self)}


@dataclass
class TransactionIds:
    """Recorded transaction ids (OCPP 1.6, assigned by the CSMS) and the ones the CSMS assigned this time."""

    mapped: dict[Any, Any] = field(default_factory=dict)

    def learn(self, recorded: Any, got: Any) -> None:
        self.mapped[recorded] = got

    def rewrite(self, document: Any) -> Any:
        """``document`` with every ``transactionId`` that was recorded replaced by this run's."""
        if isinstance(document, dict):
            return {key: (self.mapped.get(value, value) if key == "transactionId" and _hashable(value)
                          else self.rewrite(value)) for key, value in document.items()}
        if isinstance(document, list):
            return [self.rewrite(value) for value in document]
        return document


def _hashable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def is_datetime(value: Any) -> bool:
    if not isinstance(value, str) or len(value) < 20 or "T" not in value.upper():
        return False
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return False
    return parsed.tzinfo is not None


def _same_certificate(recorded: str, got: str) -> bool:
    try:
        a = x509.load_pem_x509_certificate(recorded.encode())
        b = x509.load_pem_x509_certificate(got.encode())
    except ValueError:
        return False
    return a.subject == b.subject and a.issuer == b.issuer


def equivalent(recorded: Any, got: Any) -> bool:
    """Equal, or two values that may differ between runs (date-times, certificates' validity)."""
    if recorded == got:
        return True
    if is_datetime(recorded) and is_datetime(got):
        return True
    if isinstance(recorded, str) and isinstance(got, str) and recorded.startswith(PEM_CERTIFICATE):
        return got.startswith(PEM_CERTIFICATE) and _same_certificate(recorded, got)
    return False


def diff_documents(recorded: Any, got: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Every JSON path (``/idTagInfo/status``) where ``got`` differs from ``recorded``."""
    if isinstance(recorded, dict) and isinstance(got, dict):
        found: list[tuple[str, Any, Any]] = []
        for key in [*recorded, *(k for k in got if k not in recorded)]:
            where = f"{path}/{_escaped(key)}"
            if key not in got:
                found.append((where, recorded[key], None))
            elif key not in recorded:
                found.append((where, None, got[key]))
            else:
                found.extend(diff_documents(recorded[key], got[key], where))
        return found
    if isinstance(recorded, list) and isinstance(got, list) and len(recorded) == len(got):
        return [d for i, (r, g) in enumerate(zip(recorded, got, strict=True))
                for d in diff_documents(r, g, f"{path}/{i}")]
    return [] if equivalent(recorded, got) else [(path, recorded, got)]


def _escaped(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")  # RFC 6901


def compare_answer(number: int, action: str, recorded: CallResult | CallError, got: CallResult | CallError,
                   ids: TransactionIds, assigns_transaction_id: bool) -> list[Difference]:
    """The differences of the CSMS's answer ``got`` from the ``recorded`` one (frame ``number``)."""
    if isinstance(recorded, CallError) or isinstance(got, CallError):
        if isinstance(recorded, CallError) and isinstance(got, CallError):
            return [Difference(number, action, "/errorCode", recorded.code, got.code)] if recorded.code != got.code \
                else []
        return [Difference(number, action, "", _kind(recorded), _kind(got))]
    payload = dict(got.payload)
    if assigns_transaction_id and "transactionId" in recorded.payload and "transactionId" in payload:
        ids.learn(recorded.payload["transactionId"], payload["transactionId"])
        payload["transactionId"] = recorded.payload["transactionId"]
    return [Difference(number, action, path, r, g) for path, r, g in diff_documents(recorded.payload, payload)]


def _kind(frame: CallResult | CallError) -> str:
    return f"CALLERROR {frame.code}" if isinstance(frame, CallError) else "CALLRESULT"
