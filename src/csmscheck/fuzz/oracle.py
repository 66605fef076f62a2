"""The per-version verdict on what a CSMS answered to one frame, each breach citing its rule.

:class:`Expectation` says what OCPP-J requires for a frame (a CALLRESULT, a CALLERROR of
certain codes with certain message ids, no answer at all, or a CALLERROR allowed but not
required); :func:`judge` compares the answers that came (raw text, read leniently) and how
the connection ended with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from csmscheck.fuzz.rules import RULES
from csmscheck.verdicts import Rule
from csmscheck.wire.errors import MAX_DESCRIPTION, ErrorCode, error_code
from csmscheck.wire.schemas import validators
from csmscheck.wire.versions import OcppVersion

CODES: dict[OcppVersion, frozenset[str]] = {v: frozenset(error_code(c, v) for c in ErrorCode) for v in ("1.6", "2.0.1")}
_OTHER: dict[OcppVersion, OcppVersion] = {"1.6": "2.0.1", "2.0.1": "1.6"}
# What an error description must not show: a Python/Java/.NET stack, SQL, a database driver, a server path.
LEAK = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|\bat [\w.$]+\([\w]+\.(?:java|kt|cs):\d+\)"
    r"|\b(?:SELECT|INSERT INTO|UPDATE|DELETE FROM)\b.+\b(?:FROM|VALUES|SET|WHERE)\b|sqlite3\.|psycopg|SQLSTATE"
    r"|ORA-\d{5}|\bsqlalchemy\.|(?:^|[\s'\"(])/(?:usr|home|opt|var|srv|app|tmp|etc)/[\w.-]+"
    r"|[A-Za-z]:\\(?:Users|Windows|Program Files|inetpub)\\|Exception in thread|NullPointerException"
    r"|\b(?:KeyError|AttributeError|TypeError|ValueError|IndexError)(?::|\()", re.IGNORECASE)

RESULT, ERROR, MAYBE, NONE = "result", "error", "maybe", "none"


@dataclass(frozen=True, slots=True)
class Expectation:
    answer: str  # RESULT, ERROR (a CALLERROR is due), MAYBE (a CALLERROR allowed, none too) or NONE
    rule: Rule | None = None  # the rule a wrong answer breaks
    codes: frozenset[str] = frozenset()  # the CALLERROR codes allowed, spelled for the version
    ids: tuple[str, ...] = ()  # the message ids an answer may carry
    closes: frozenset[int] = frozenset()  # close codes allowed instead of an answer
    result_ok: bool = False  # a CALLRESULT is fine too (schema-valid input that looks odd)

    def describe(self) -> str:
        if self.answer == RESULT:
            return "a CALLRESULT"
        if self.answer == NONE:
            return "no answer"
        codes = " or ".join(sorted(self.codes))
        ids = " or ".join(f'"{i}"' for i in self.ids)
        return f"{'no answer or ' if self.answer == MAYBE else ''}CALLERROR {codes} with messageId {ids}"


@dataclass(slots=True)
class Verdict:
    """What was wrong with the answer to one frame: (rule, message) pairs; empty when all was right."""

    breaches: list[tuple[Rule, str]] = field(default_factory=list)
    suspicious: bool = False  # worth a liveness probe even when nothing broke a rule

    def add(self, rule: Rule, message: str) -> None:
        self.breaches.append((rule, message))


def read(text: str | bytes) -> list[Any] | None:
    """A received frame as a list, or None when it is no JSON array."""
    try:
        frame = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return frame if isinstance(frame, list) else None


def code_problem(code: str, version: OcppVersion) -> str | None:
    """Why ``code`` is no error code of ``version`` (another version's spelling named), or None."""
    if code in CODES[version]:
        return None
    other = _OTHER[version]
    if code in CODES[other]:
        return f"CALLERROR {code} is an OCPP {other} code, not one of OCPP {version}"
    return f"CALLERROR {code!r} is no OCPP {version} error code"


def judge(version: OcppVersion, action: str, expect: Expectation, answers: list[str | bytes],
          closed: int | None, timed_out: bool) -> Verdict:
    """The verdict on ``answers`` (every frame the CSMS sent in answer) and ``closed`` (a close code, or None)."""
    rules, verdict = RULES[version], Verdict()
    frames = [(text, read(text)) for text in answers]
    replies = [(text, f) for text, f in frames if f is None or (f and f[0] in (3, 4))]
    if expect.answer == NONE:
        for text, _ in replies:
            verdict.add(rules.no_answer, f"expected no answer, got {_shown(text)}")
    for text, frame in replies if expect.answer != NONE else ():
        _judge_reply(version, action, expect, text, frame, verdict)
    if not replies and expect.answer in (RESULT, ERROR) and closed is None:
        verdict.suspicious = True
        verdict.add(rules.answered, f"expected {expect.describe()}, got no answer"
                    + (" in time" if timed_out else " before the next frame's"))
    if closed is not None and closed not in expect.closes:
        verdict.add(rules.connection, f"the CSMS closed the connection (code {closed}) instead of answering "
                    f"{expect.describe()}")
    return verdict


def _judge_reply(version: OcppVersion, action: str, expect: Expectation, text: str | bytes,
                 frame: list[Any] | None, verdict: Verdict) -> None:
    rules = RULES[version]
    if frame is None or len(frame) < 3 or not isinstance(frame[1], str):
        verdict.add(rules.codes, f"the answer is no OCPP-J CALLRESULT or CALLERROR: {_shown(text)}")
        verdict.suspicious = True
        return
    if expect.ids and frame[1] not in expect.ids:
        verdict.add(expect.rule or rules.answered,
                    f"expected {expect.describe()}, got an answer with messageId {frame[1]!r}: {_shown(text)}")
    if frame[0] == 3:
        if expect.answer == RESULT:
            problems = _response_problems(version, action, frame[2])
            if problems:
                verdict.add(rules.valid, f"the CALLRESULT breaks the {action} response schema: {problems}")
        elif not expect.result_ok:
            verdict.add(expect.rule or rules.codes, f"expected {expect.describe()}, got a CALLRESULT {_shown(text)}")
        return
    code = frame[2]
    description = frame[3] if len(frame) > 3 else None
    if len(frame) != 5 or not isinstance(code, str) or not isinstance(frame[4], dict):
        verdict.add(rules.codes, f"a CALLERROR must be [4, messageId, errorCode, errorDescription, {{errorDetails}}], "
                    f"got {_shown(text)}")
    if not isinstance(description, str) or (version == "2.0.1" and len(description) > MAX_DESCRIPTION):
        size = f"{len(description)} characters" if isinstance(description, str) else type(description).__name__
        verdict.add(rules.description, f"errorDescription is {size}: {_shown(text)}")
    leak = LEAK.search(f"{description} {orjson.dumps(frame[4:]).decode()}")
    if leak:
        verdict.add(rules.leak, f"the error description shows {leak.group()!r}: {_shown(text)}")
    verdict.suspicious |= code in ("InternalError", "GenericError")
    problem = code_problem(str(code), version)
    if problem:
        verdict.add(rules.codes, f"{problem}: {_shown(text)}")
    elif expect.answer == RESULT:
        verdict.add(rules.valid, f"a schema-valid {action} got CALLERROR {code}: {_shown(text)}")
    elif code not in expect.codes:
        verdict.add(expect.rule or rules.codes, f"expected {expect.describe()}, got CALLERROR {code}: {_shown(text)}")


def _response_problems(version: OcppVersion, action: str, payload: Any) -> str:
    checker = validators(version)
    if not checker.knows(action):
        return ""
    return "; ".join(map(str, checker.check(action, payload, response=True)[:3]))


def _shown(text: str | bytes, limit: int = 600) -> str:
    shown = text if isinstance(text, str) else text.decode(errors="replace")
    return shown if len(shown) <= limit else shown[:limit] + f"… ({len(shown)} characters)"
