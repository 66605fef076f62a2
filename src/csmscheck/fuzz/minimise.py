"""Smaller variants of a payload, for shrinking a finding to the frame that shows it with least noise."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from csmscheck.fuzz.mutate import Path, get


def smaller(payload: dict[str, Any], keep: Path) -> Iterator[dict[str, Any]]:
    """``payload`` with one object member or one array item removed, never on the way to ``keep`` (the
    mutated place). Largest parts first, so a few tries remove most of the noise."""
    places: list[tuple[int, Path]] = []
    stack: list[Path] = [()]
    while stack:
        path = stack.pop()
        node = get(payload, path)
        children = list(node) if isinstance(node, dict) else range(len(node)) if isinstance(node, list) else ()
        on_path = len(keep) > len(path) and keep[: len(path)] == path
        for child in children:
            child_path = (*path, child)
            if isinstance(node[child], dict | list):
                stack.append(child_path)
            moves = on_path and isinstance(child, int) and isinstance(step := keep[len(path)], int) and child < step
            if keep[: len(child_path)] != child_path and not moves:  # never drop or move what leads to the mutation
                places.append((len(repr(node[child])), child_path))
    for _, path in sorted(places, key=lambda p: -p[0]):
        variant = copy.deepcopy(payload)
        parent = get(variant, path[:-1])
        del parent[path[-1]]
        yield variant
