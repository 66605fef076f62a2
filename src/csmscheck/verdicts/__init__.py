"""Verdicts shared by ``csmscheck fuzz`` and ``csmscheck scan``: rules, findings, report writers.

A :class:`Rule` is one requirement of the specification (an id such as ``OCPPJ-201-4.2.3`` or
``SCAN-TLS-01``, a title, the reference it cites); a :class:`Finding` is one observed breach of
a rule with what was sent, what came back and how to reproduce it; :class:`Verdicts` collects
the rules checked and their findings. ``write_json``, ``write_junit`` and ``write_html`` write
the three reports.
"""

from csmscheck.verdicts.html import write_html
from csmscheck.verdicts.json_report import write_json
from csmscheck.verdicts.junit import write_junit
from csmscheck.verdicts.model import Finding, Rule, Verdicts

__all__ = ["Finding", "Rule", "Verdicts", "write_html", "write_json", "write_junit"]
