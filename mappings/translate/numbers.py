"""Numbers as legacy clients write them: ASCII digits only.

Python's ``int`` and ``float`` also accept other scripts' digits (``int("\\u0661") == 1``) and
underscores (``int("1_000")``); ``str.isdigit`` accepts superscripts ``int`` then rejects. A legacy
parameter is a number only when written with ASCII digits (issue 8, finding 7).
"""

from __future__ import annotations

import re

_INTEGER = re.compile(r"[+-]?[0-9]{1,30}", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,30}(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?", re.ASCII)


def ascii_int(text: str) -> int | None:
    """``text`` (surrounding whitespace ignored) as an integer, or None."""
    stripped = text.strip()
    return int(stripped) if _INTEGER.fullmatch(stripped) else None


def ascii_digits(text: str) -> bool:
    """Whether ``text`` is a non-empty run of ASCII digits (no sign, no spaces)."""
    return text.isascii() and text.isdigit()


def ascii_float(text: str) -> float | None:
    """``text`` (surrounding whitespace ignored) as a decimal number, or None."""
    stripped = text.strip()
    return float(stripped) if _DECIMAL.fullmatch(stripped) else None
