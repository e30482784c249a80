"""Bounded report rows: the top callers by calls, the rest folded into one ``other`` row per operation.

A caller is a key/token hash plus the caller label header, so anything that sends many keys,
tokens or labels (a scanner, a misconfigured app) would otherwise add a row for each. Folding
keeps every operation's totals (calls, errors, rejections) exact; an ``other`` row's ``clients``
is the sum over the callers it stands for (an upper bound: one address may call as several).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from proxy.traffic.report_row import ReportRow

OTHER = "other"  # the caller of a folded row
DEFAULT_MAX_CALLERS = 50


def fold(rows: Sequence[ReportRow], keep: int) -> list[ReportRow]:
    """``rows`` (already in report order) with everything after the first ``keep`` folded per operation."""
    if len(rows) <= keep:
        return list(rows)
    kept, rest = list(rows[:keep]), rows[keep:]
    folded: dict[str, ReportRow] = {}
    for row in rest:
        have = folded.get(row.operation)
        if have is None:
            folded[row.operation] = replace(row, caller=OTHER, label=None, user_agent=None)
            continue
        count, errors = have.count + row.count, have.errors + row.errors
        folded[row.operation] = replace(
            have,
            count=count,
            errors=errors,
            error_rate=round(errors / count, 4) if count else 0.0,
            rejected=have.rejected + row.rejected,
            clients=have.clients + row.clients,
            first_seen=min(have.first_seen, row.first_seen),  # ISO strings: text order is time order
            last_seen=max(have.last_seen, row.last_seen),
            callers=have.callers + row.callers,
        )
    return kept + sorted(folded.values(), key=lambda r: -r.count)
