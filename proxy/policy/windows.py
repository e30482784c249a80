"""Brownout windows: the times a route in ``brownout`` mode is rejected.

Three spellings, all in UTC (an ISO interval may carry its own offset instead):

* ``2026-12-01T10:00/2026-12-01T11:00``: once, from start (inclusive) to end (exclusive);
* ``daily 14:00-14:15 UTC``: every day; a window may wrap past midnight (``daily 23:50-00:10``);
* ``tue,thu 09:00-09:30 UTC``: on those weekdays (``mon`` .. ``sun``), counted from the start.

The trailing ``UTC`` is optional; no other zone is accepted, so a window never moves with DST.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RECURRING = re.compile(
    r"^(?P<days>daily|[a-z]{3}(?:,[a-z]{3})*)\s+"
    r"(?P<h1>\d{1,2}):(?P<m1>\d{2})\s*-\s*(?P<h2>\d{1,2}):(?P<m2>\d{2})(?:\s+UTC)?$",
    re.IGNORECASE,
)


class Window(Protocol):
    def contains(self, now: datetime) -> bool: ...


@dataclass(frozen=True)
class Interval:
    """A one-off window between two instants."""

    start: datetime
    end: datetime
    text: str

    def contains(self, now: datetime) -> bool:
        return self.start <= now < self.end

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Recurring:
    """A window at the same UTC time of day on some weekdays (0 = Monday)."""

    days: frozenset[int]
    start: int  # seconds after midnight UTC
    end: int
    text: str

    def contains(self, now: datetime) -> bool:
        now = now.astimezone(UTC)
        second = now.hour * 3600 + now.minute * 60 + now.second
        day = now.weekday()
        if self.start < self.end:
            return day in self.days and self.start <= second < self.end
        # Wraps past midnight: the late part belongs to today, the early part to yesterday.
        return (day in self.days and second >= self.start) or (
            (day - 1) % 7 in self.days and second < self.end
        )

    def __str__(self) -> str:
        return self.text


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not an ISO date-time like 2026-12-01T10:00") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _clock(hours: str, minutes: str, text: str) -> int:
    h, m = int(hours), int(minutes)
    if h > 23 or m > 59:
        raise ValueError(f"window {text!r}: {hours}:{minutes} is not a time of day")
    return h * 3600 + m * 60


def _days(spec: str, text: str) -> frozenset[int]:
    if spec.lower() == "daily":
        return frozenset(range(7))
    days: set[int] = set()
    for name in spec.lower().split(","):
        if name not in WEEKDAYS:
            raise ValueError(f"window {text!r}: {name!r} is not a weekday ({', '.join(WEEKDAYS)})")
        days.add(WEEKDAYS.index(name))
    return frozenset(days)


def parse_window(text: str) -> Window:
    """Parse one window; ``ValueError`` names the window and what is wrong with it."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"a window must be a non-empty string, got {text!r}")
    text = text.strip()
    if "/" in text:
        first, _, second = text.partition("/")
        start, end = _instant(first), _instant(second)
        if end <= start:
            raise ValueError(f"window {text!r}: the end is not after the start")
        return Interval(start, end, text)
    m = _RECURRING.match(text)
    if m is None:
        raise ValueError(
            f"window {text!r} is not 'START/END' (ISO date-times), 'daily HH:MM-HH:MM UTC' "
            "or 'mon,wed HH:MM-HH:MM UTC'"
        )
    opens = _clock(m["h1"], m["m1"], text)
    closes = _clock(m["h2"], m["m2"], text)
    if opens == closes:
        raise ValueError(f"window {text!r}: start and end are the same time")
    return Recurring(_days(m["days"], text), opens, closes, text)
