"""The traffic store interface: SQLite by default; a shared backend implements the same protocol.

Methods are synchronous (the engine calls them in a worker thread) and take Unix-time windows
``[since, until)``. Aggregation happens in the store, so a large history never crosses it row
by row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from proxy.traffic.record import TrafficRecord


@dataclass(frozen=True)
class CallerUsage:
    """One legacy operation as used by one caller (key or token hash plus label) in a window."""

    operation: str
    caller: str | None
    label: str | None
    user_agent: str | None  # of the caller's latest call
    fidelity: str  # recorded with the latest call
    count: int
    errors: int
    rejected: int  # answered 410 by reject or brownout
    clients: int  # distinct client addresses (hashed)
    first_seen: float
    last_seen: float


@dataclass(frozen=True)
class DayCount:
    day: str  # YYYY-MM-DD, UTC
    operation: str
    count: int


class TrafficStore(Protocol):
    def write(self, records: Sequence[TrafficRecord]) -> None: ...

    def usage(self, since: float, until: float) -> list[CallerUsage]: ...

    def total(self, since: float, until: float) -> int: ...

    def daily(self, since: float, until: float) -> list[DayCount]: ...

    def prune(self, before: float) -> int:
        """Delete records older than ``before``; returns how many rows (a row may count several calls)."""
        ...

    def close(self) -> None: ...
