"""JSON carried inside legacy parameters (the track ``data`` payload, ``$unset``, ``where``...).

One loader for all of them: any failure, including nesting deep enough to exhaust the
parser's recursion, is a ``ValueError`` the mapping turns into its legacy error answer.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32  # the new API accepts at most 10 levels; legacy payloads never needed more


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Nested deeper than ``limit``; iterative, so it cannot fail on the input it guards against."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False


def _brackets(text: str | bytes) -> int:
    if isinstance(text, str):
        return text.count("{") + text.count("[")
    return text.count(b"{") + text.count(b"[")


def loads(text: str | bytes) -> Any:
    """``json.loads`` that raises only ``ValueError`` and refuses absurd nesting."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    # Nesting needs an opening bracket per level: text with few of them cannot be too deep, and
    # counting is far cheaper than walking the value (brackets inside strings only overcount).
    if _brackets(text) > MAX_DEPTH and too_deep(value):
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
    return value
