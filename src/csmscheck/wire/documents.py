"""Walking decoded JSON documents: how deep they nest, and where a value sits.

Used only off the hot path (a frame that already looks suspicious, an error being
described), so plain iterative Python is enough; no recursion, so no depth breaks it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

# No OCPP message nests deeper than about ten levels; 64 leaves room for any vendor's
# DataTransfer data and stays far below the limits of the JSON libraries (orjson writes at
# most 255 levels, jsonschema-rs describes at most ~300), so nothing deeper reaches them.
MAX_DEPTH = 64


def too_deep(text: str | bytes, document: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``document`` (decoded from ``text``) nests more than ``limit`` levels.

    A document can nest no deeper than it has opening brackets, and counting them in the
    text costs next to nothing, so only a frame with more than ``limit`` of them is walked.
    """
    if len(text) <= 2 * limit:  # each level takes two brackets
        return False
    opened = text.count("[") + text.count("{") if isinstance(text, str) else text.count(b"[") + text.count(b"{")
    if opened <= limit:
        return False
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def leaves(document: Any) -> Iterator[tuple[str, Any]]:
    """Every value that is no object or array, with its path (``meterValue/0/timestamp``)."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((f"{path}/{key}" if path else str(key), value) for key, value in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((f"{path}/{index}" if path else str(index), value)
                         for index, value in reversed(list(enumerate(node))))
        else:
            yield path, node


def path_of(document: Any, wanted: Callable[[Any], bool]) -> str | None:
    """The path of the first value in ``document`` that is ``wanted``; ``<root>`` for the document itself."""
    return next(((path or "<root>") for path, value in leaves(document) if wanted(value)), None)
