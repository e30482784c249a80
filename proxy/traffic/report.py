"""The unmigrated-traffic report: which legacy operations are still called, by whom, how faithfully.

One row per legacy operation and caller (key or token hash plus caller label), sorted by what
most needs migrating: most calls first, then the highest error rate, then catalog order; only
the top ``max_callers`` rows are kept, the rest folded per operation (``proxy.traffic.fold``).
The summary compares the window with the window of the same length just before it; calls to
paths no legacy operation matches (``unmapped``) are counted on a line of their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from mappings import protocol
from mappings.core import Operation
from proxy.policy.modes import ModeTable
from proxy.policy.successor import successor_endpoint
from proxy.traffic.fold import DEFAULT_MAX_CALLERS, fold
from proxy.traffic.record import UNMAPPED
from proxy.traffic.report_row import ReportRow
from proxy.traffic.store import CallerUsage, TrafficStore

DEFAULT_WINDOW = "7d"  # `klaviyo-compat report`, the dashboard and /_compat/report alike

_SINCE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_WINDOW_DAYS = 3650  # ten years: far beyond any retention, and every date stays printable


def parse_since(text: str) -> float:
    """``30m``, ``12h``, ``7d``, ``2w`` -> seconds (at most ``MAX_WINDOW_DAYS``)."""
    m = _SINCE.match(text)
    if m is None or float(m.group(1)) <= 0:
        raise ValueError(f"since must be a positive duration like 12h, 7d or 2w, got {text[:40]!r}")
    seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2).lower()]
    if seconds > MAX_WINDOW_DAYS * 86400:
        raise ValueError(f"since must be at most {MAX_WINDOW_DAYS}d, got {text[:40]!r}")
    return seconds


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Report:
    generated_at: str
    since: str
    until: str
    window: str
    calls: int
    previous_calls: int
    rows: tuple[ReportRow, ...]
    daily: tuple[dict[str, Any], ...]  # {"day", "operation", "count"}
    modes: tuple[dict[str, str], ...]  # {"operation", "legacy", "mode"}, catalog order
    default_mode: str
    sunset: str
    operations: int  # legacy operations called (unmapped paths not counted)
    callers: int  # distinct callers (hash plus label) of those operations
    unmapped_calls: int = 0  # calls to legacy paths no operation matches
    unmapped_callers: int = 0
    sunset_chosen: bool = True  # False: no `sunset` setting, the header carries the retirement date

    def sunset_note(self) -> str | None:
        """The warning shown while the operator has set no Sunset date of their own."""
        if self.sunset_chosen:
            return None
        return (
            f"No sunset date set: legacy answers carry Sunset {self.sunset} (the day Klaviyo retired "
            "the legacy API, already past). Set `sunset` to your own cut-off date."
        )

    def unmapped_summary(self) -> str | None:
        """The line about calls to unmapped legacy paths, when there were any."""
        if not self.unmapped_calls:
            return None
        return (
            f"Unmapped legacy paths: {self.unmapped_calls:,} call(s) by {self.unmapped_callers} caller(s) "
            "(no legacy operation matches them; see the migration guide)."
        )

    def summary(self) -> str:
        if self.previous_calls:
            change = (self.calls - self.previous_calls) / self.previous_calls
            versus = f"previous {self.window}: {self.previous_calls:,}, {change:+.0%}"
        else:
            versus = f"previous {self.window}: 0"
        return (
            f"Legacy calls in the last {self.window}: {self.calls:,} ({versus}); "
            f"{self.operations} legacy operation(s) still called by {self.callers} caller(s)."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at,
            "window": {"since": self.since, "until": self.until, "length": self.window},
            "summary": {
                "text": self.summary(),
                "calls": self.calls,
                "previous_calls": self.previous_calls,
                "operations": self.operations,
                "callers": self.callers,
                "unmapped_calls": self.unmapped_calls,
                "unmapped_callers": self.unmapped_callers,
                "unmapped_text": self.unmapped_summary(),
            },
            "rows": [asdict(r) for r in self.rows],
            "daily": list(self.daily),
            "modes": list(self.modes),
            "default_mode": self.default_mode,
            "sunset": self.sunset,
            "sunset_set": self.sunset_chosen,
            "sunset_note": self.sunset_note(),
        }


def _row(
    use: CallerUsage, ops: Mapping[str, Operation], spec: Mapping[str, Mapping[str, Any]], modes: ModeTable
) -> ReportRow:
    op = ops.get(use.operation)
    if op is None:  # unmapped paths, or an operation removed since it was recorded
        legacy, mode, fidelity, successor, doc = "-", "-", use.fidelity, "-", protocol.MIGRATION_GUIDE
    else:
        legacy, mode, fidelity = f"{op.method} {op.path}", modes.for_op(op.id).describe(), op.fidelity.value
        successor, doc = successor_endpoint(op, spec), op.successor
    return ReportRow(
        operation=use.operation,
        legacy=legacy,
        mode=mode,
        caller=use.caller,
        label=use.label,
        user_agent=use.user_agent,
        count=use.count,
        errors=use.errors,
        error_rate=round(use.errors / use.count, 4) if use.count else 0.0,
        rejected=use.rejected,
        clients=use.clients,
        first_seen=iso(use.first_seen),
        last_seen=iso(use.last_seen),
        fidelity=fidelity,
        successor=successor,
        doc=doc,
    )


def build_report(
    store: TrafficStore,
    *,
    window_seconds: float,
    window: str,
    now: float,
    operations: Sequence[Operation],
    spec: Mapping[str, Mapping[str, Any]],
    modes: ModeTable,
    max_callers: int = DEFAULT_MAX_CALLERS,
) -> Report:
    since = now - window_seconds
    ops = {op.id: op for op in operations}
    order = {op.id: i for i, op in enumerate(operations)}
    usage = store.usage(since, now + 1)
    mapped = [u for u in usage if u.operation != UNMAPPED]
    unmapped = [u for u in usage if u.operation == UNMAPPED]
    rows = [_row(u, ops, spec, modes) for u in usage]
    rows.sort(key=lambda r: (-r.count, -r.error_rate, order.get(r.operation, len(order)), r.caller or ""))
    daily = tuple(
        {"day": d.day, "operation": d.operation, "count": d.count} for d in store.daily(since, now + 1)
    )
    mode_rows = tuple(
        {"operation": op.id, "legacy": f"{op.method} {op.path}", "mode": modes.for_op(op.id).describe()}
        for op in operations
    )
    return Report(
        generated_at=iso(now),
        since=iso(since),
        until=iso(now),
        window=window,
        calls=store.total(since, now + 1),
        previous_calls=store.total(since - window_seconds, since),
        rows=tuple(fold(rows, max_callers)),
        daily=daily,
        modes=mode_rows,
        default_mode=modes.default.describe(),
        sunset=modes.sunset.isoformat(),
        sunset_chosen=modes.sunset_chosen,
        operations=len({u.operation for u in mapped}),
        callers=len({(u.caller, u.label) for u in mapped}),
        unmapped_calls=sum(u.count for u in unmapped),
        unmapped_callers=len({(u.caller, u.label) for u in unmapped}),
    )
