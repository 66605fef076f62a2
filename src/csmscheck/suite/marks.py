"""The ``@octt`` decorator: a test case's OCTT identity as pytest markers.

Besides the OCTT's cases, csmscheck has cases of its own (``CC_<block>_<nn>`` for OCPP
2.0.1, grouped by OCTT block, ``CC_RPC_<nn>`` for the OCPP-J framework; ``CC16_<nn>`` for
OCPP 1.6, with their chapter or ``RPC``): negative
steps and real-world inputs the OCTT has no case for. They carry the same marker with
``extra=True``; a failure of theirs is a csmscheck finding unless the run is ``--strict``.

Two sets of cases stand beside both: the end-to-end sessions (``E2E_<nn>`` for OCPP 2.0.1,
``E2E16_<nn>`` for 1.6, block ``e2e``), whole sessions with the bill read back and checked,
whose failures fail the run; and the quirks sets (``QK_<nn>``, ``QK16_<nn>``, block
``quirks``), run only with ``--quirks NAME`` (one vendor-behaviour profile each).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

F = TypeVar("F", bound=Callable[..., Any])

_V16_ID = re.compile(r"^TC_\d{3}(_\d+)?$")
_V201_ID = re.compile(r"^TC_([A-P])_\d{2,3}$")
_CC16_ID = re.compile(r"^CC16_\d{2}$")
_CC201_ID = re.compile(r"^CC_([A-P]|RPC)_\d{2}$")  # RPC: the OCPP-J framework (Part 4), not a functional block
_E2E201_ID = re.compile(r"^E2E_\d{2}$")
_E2E16_ID = re.compile(r"^E2E16_\d{2}$")
_QK201_ID = re.compile(r"^QK_\d{2}$")
_QK16_ID = re.compile(r"^QK16_\d{2}$")
E2E = "e2e"  # the block (and selection token) of the end-to-end sessions
QUIRKS = "quirks"  # the block of the quirks sets (selected by --quirks, never by default)
_SETS = {E2E: E2E, "E2E": E2E}


@dataclass(frozen=True)
class CaseId:
    id: str
    version: str
    block: str
    name: str
    reqs: tuple[str, ...]
    extra: bool = False  # a csmscheck case (CC_...), not an OCTT one
    features: tuple[str, ...] = ()  # capability features a csmscheck case needs (OCTT cases: the catalogue)


def normalise_id(text: str) -> str:
    """``tc_b_01_csms`` → ``TC_B_01``."""
    upper = text.strip().upper()
    return upper.removesuffix("_CSMS")


def octt(test_id: str, *, reqs: Sequence[str] = (), chapter: str | None = None,
         features: Sequence[str] = ()) -> Callable[[F], F]:
    """Mark a test with its OCTT id (or a csmscheck case's ``CC_`` id); 2.0.1 blocks come from the id,
    1.6 needs its chapter. ``features`` names the capability features a csmscheck case needs."""
    case = normalise_id(test_id)
    extra = bool(_CC16_ID.match(case) or _CC201_ID.match(case))
    if own_set := _own_set(case):
        version, block = ("1.6" if "16_" in case else "2.0.1"), own_set
    elif _V16_ID.match(case) or _CC16_ID.match(case):
        if chapter is None:
            raise ValueError(f"{case}: OCPP 1.6 cases need chapter=")
        version, block = "1.6", chapter
    elif match := (_V201_ID.match(case) or _CC201_ID.match(case)):
        version, block = "2.0.1", match.group(1)
    else:
        raise ValueError(f"{test_id!r} is not an OCTT CSMS test case id nor a csmscheck case id")
    if features and not (extra or own_set):
        raise ValueError(f"{case}: an OCTT case's features come from the capability catalogue")

    def apply(function: F) -> F:
        name = (function.__doc__ or case).strip().splitlines()[0].rstrip(".")
        marked = pytest.mark.octt(id=case, version=version, block=block, name=name, reqs=tuple(reqs),
                                  extra=extra, features=tuple(features))(function)
        return pytest.mark.asyncio(marked)  # type: ignore[no-any-return]

    return apply


def _own_set(case: str) -> str | None:
    """The set an end-to-end (``e2e``) or quirks case belongs to; None for OCTT and csmscheck cases."""
    if _E2E201_ID.match(case) or _E2E16_ID.match(case):
        return E2E
    if _QK201_ID.match(case) or _QK16_ID.match(case):
        return QUIRKS
    return None


def case_of(item: pytest.Item) -> CaseId | None:
    marker = item.get_closest_marker("octt")
    if marker is None:
        return None
    kw = marker.kwargs
    return CaseId(kw["id"], kw["version"], kw["block"], kw["name"], kw["reqs"], kw.get("extra", False),
                  kw.get("features", ()))


def selected(case: CaseId, selection: Sequence[str]) -> bool:
    """SELECTION: ids (with or without _CSMS), 2.0.1 blocks (K, 2.0.1/K), versions (1.6, 2.0.1) and the
    end-to-end set (e2e, 1.6/e2e, 2.0.1/e2e). No selection: everything (the plugin keeps the quirks sets
    apart: they run only with --quirks, and then alone)."""
    if not selection:
        return True
    for raw in selection:
        token = raw.strip()
        version, _, name = token.rpartition("/")
        if name in _SETS and _SETS[name] == case.block and version in ("", case.version):
            return True
        if token in ("1.6", "16", "1.6J") and case.version == "1.6":
            return True
        if token in ("2.0.1", "201") and case.version == "2.0.1":
            return True
        block = token.removeprefix("2.0.1/").upper()
        if case.version == "2.0.1" and (len(block) == 1 or block == "RPC") and block == case.block:
            return True
        if token.startswith("1.6/") and case.version == "1.6" and token.removeprefix("1.6/") == case.block:
            return True
        if normalise_id(token) == case.id:
            return True
    return False


def valid_selection_token(token: str) -> bool:
    text = token.strip()
    version, _, name = text.rpartition("/")
    if name in _SETS and version in ("", "1.6", "2.0.1"):
        return True
    if text in ("1.6", "16", "1.6J", "2.0.1", "201") or text.startswith("1.6/"):
        return True
    block = text.removeprefix("2.0.1/").upper()
    if (len(block) == 1 and "A" <= block <= "P") or block == "RPC":
        return True
    case = normalise_id(text)
    return any(pattern.match(case) for pattern in (_V16_ID, _V201_ID, _CC16_ID, _CC201_ID, _E2E201_ID, _E2E16_ID,
                                                _QK201_ID, _QK16_ID))
