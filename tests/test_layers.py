"""Lower layers never import higher ones: wire → station/csms → suite/load → cli."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "csmscheck"
LOWER = ("wire", "station", "csms", "checks", "trigger", "pki", "report", "verdicts")
HIGHER = ("csmscheck.suite", "csmscheck.load", "csmscheck.fuzz", "csmscheck.scan", "csmscheck.replay",
          "csmscheck.cli")


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("layer", LOWER)
def test_a_lower_layer_imports_no_higher_one(layer: str) -> None:
    wrong = [f"{path.relative_to(PACKAGE)} imports {name}"
             for path in sorted((PACKAGE / layer).rglob("*.py")) for name in _imports(path)
             if name.startswith(HIGHER)]
    assert not wrong, "\n".join(wrong)


def test_the_load_generator_does_not_import_the_suite() -> None:
    wrong = [f"{path.relative_to(PACKAGE)} imports {name}"
             for path in sorted((PACKAGE / "load").rglob("*.py")) for name in _imports(path)
             if name.startswith(("csmscheck.suite", "csmscheck.cli"))]
    assert not wrong, "\n".join(wrong)


def test_the_fuzzer_does_not_import_the_suite() -> None:
    wrong = [f"{path.relative_to(PACKAGE)} imports {name}"
             for path in sorted((PACKAGE / "fuzz").rglob("*.py")) for name in _imports(path)
             if name.startswith(("csmscheck.suite", "csmscheck.cli", "csmscheck.load", "csmscheck.scan"))]
    assert not wrong, "\n".join(wrong)


def test_record_and_replay_do_not_import_the_suite() -> None:
    wrong = [f"{path.relative_to(PACKAGE)} imports {name}"
             for path in sorted((PACKAGE / "replay").rglob("*.py")) for name in _imports(path)
             if name.startswith(("csmscheck.suite", "csmscheck.cli", "csmscheck.load", "csmscheck.fuzz",
                                 "csmscheck.scan"))]
    assert not wrong, "\n".join(wrong)
