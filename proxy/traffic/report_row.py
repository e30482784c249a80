"""One row of the unmigrated-traffic report: a legacy operation and one caller of it.

A module of its own so ``report`` (which builds rows) and ``fold`` (which merges them) both
import it and neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportRow:
    operation: str
    legacy: str  # METHOD /path of the legacy operation
    mode: str  # the route's mode now
    caller: str | None
    label: str | None
    user_agent: str | None
    count: int
    errors: int
    error_rate: float
    rejected: int
    clients: int
    first_seen: str
    last_seen: str
    fidelity: str
    successor: str  # METHOD /path of the new-API operation
    doc: str
    callers: int = 1  # callers this row stands for: more than 1 on a folded "other" row
