"""Terms of the new API's ``filter`` language (new-api-mapping.md §1.3), built safely.

Strings are double-quoted with ``\\`` escapes, so a legacy value containing quotes or commas
can never break out of its term. Datetimes are written bare (ISO-8601), as Klaviyo documents.
"""

from __future__ import annotations

from datetime import datetime


def quote(value: str) -> str:
    """A filter string literal: ``"a\\"b"``."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def literal(value: str | int | float | bool) -> str:
    """A scalar filter value: quoted string, bare number, ``true`` / ``false``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return quote(value)


def equals(field: str, value: str | int | float | bool) -> str:
    return f"equals({field},{literal(value)})"


def at(operator: str, field: str, moment: datetime | str) -> str:
    """A datetime comparison, e.g. ``less-than(datetime,2020-10-30T17:26:44+00:00)``."""
    text = moment.isoformat(timespec="seconds") if isinstance(moment, datetime) else moment
    return f"{operator}({field},{text})"
