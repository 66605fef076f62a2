"""Rules, findings and the collection of verdicts (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Rule:
    """One requirement a CSMS must meet, e.g. ``Rule("OCPPJ-201-4.2.3", "...", "OCPP-J 2.0.1 §4.2.3")``."""

    id: str
    title: str
    reference: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "reference": self.reference}


@dataclass(frozen=True, slots=True)
class Finding:
    """One breach of ``rule``: what was sent (frame text or connection attempt), what came, how to reproduce."""

    rule: Rule
    sent: str
    received: str
    message: str = ""
    reproduce: str = ""  # a seed, a command line or any other hint that reproduces it
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.rule.id, "message": self.message, "sent": self.sent,
                               "received": self.received, "reproduce": self.reproduce}
        if self.extra:
            out["extra"] = self.extra
        return out


class Verdicts:
    """The rules checked (in the order first checked) and the findings of each."""

    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}
        self._findings: dict[str, list[Finding]] = {}
        self.checks: dict[str, int] = {}  # how many times each rule was applied

    def checked(self, rule: Rule, times: int = 1) -> None:
        """Record that ``rule`` was applied (``times`` times), with or without a finding."""
        self._rules.setdefault(rule.id, rule)
        self._findings.setdefault(rule.id, [])
        self.checks[rule.id] = self.checks.get(rule.id, 0) + times

    def add(self, finding: Finding) -> None:
        self.checked(finding.rule, 0)
        self._findings[finding.rule.id].append(finding)

    @property
    def rules(self) -> list[Rule]:
        return list(self._rules.values())

    def findings(self, rule_id: str | None = None) -> list[Finding]:
        if rule_id is not None:
            return list(self._findings.get(rule_id, []))
        return [f for found in self._findings.values() for f in found]

    def failed_rules(self) -> list[Rule]:
        return [r for r in self._rules.values() if self._findings[r.id]]

    @property
    def passed(self) -> int:
        return len(self._rules) - len(self.failed_rules())

    @property
    def failed(self) -> int:
        return len(self.failed_rules())

    def __bool__(self) -> bool:  # true when there is at least one finding
        return any(self._findings.values())

    def as_dict(self) -> dict[str, Any]:
        return {"rules": [{**r.as_dict(), "checks": self.checks.get(r.id, 0),
                           "passed": not self._findings[r.id],
                           "findings": [f.as_dict() for f in self._findings[r.id]]} for r in self._rules.values()]}
