"""An SVG stacked bar chart of legacy calls per day per operation, drawn without any library.

Every bar segment carries ``data-day``, ``data-operation`` and ``data-count`` attributes and a
``<title>`` tooltip, so the chart is checkable from the DOM and readable without hovering.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from html import escape

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
WIDTH, HEIGHT = 960, 320
MAX_SERIES = len(PALETTE)  # beyond that, the smallest operations share one "other" series
OTHER = "other"
LEFT, RIGHT, TOP, BOTTOM = 56, 150, 16, 40


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def days_between(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def axis_top(value: int) -> int:
    """A y-axis maximum of four round integer steps (0, 8, 16, 24, 32 for 27)."""
    return 4 * nice_step(math.ceil(value / 4)) if value > 4 else 4


def series(
    counts: Sequence[tuple[str, str, int]], operations: Sequence[str]
) -> tuple[list[str], dict[tuple[str, str], int]]:
    """Series names (largest first) and per (day, series) totals, folding the tail into OTHER."""
    names = list(operations)
    if len(names) > MAX_SERIES:
        names = [*names[: MAX_SERIES - 1], OTHER]
    keep = set(names)
    totals: dict[tuple[str, str], int] = {}
    for day, op, n in counts:
        key = (day, op if op in keep else OTHER)
        totals[key] = totals.get(key, 0) + n
    return names, totals


def nice_step(value: int) -> int:
    """The smallest round number (1, 2, 3, 4, 5, 6, 8 x 10^n) at or above ``value``."""
    if value <= 1:
        return 1
    magnitude = int(10 ** (len(str(value - 1)) - 1))  # largest power of ten below value
    for step in (1, 2, 3, 4, 5, 6, 8, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def daily_chart(
    days: Sequence[str], counts: Sequence[tuple[str, str, int]], operations: Sequence[str]
) -> str:
    """``counts`` are (day, operation, count); ``operations`` fixes stacking order and colours."""
    names, totals = series(counts, operations)
    per_day: dict[str, list[tuple[str, int]]] = {d: [] for d in days}
    for op in names:
        for day in days:
            if totals.get((day, op)):
                per_day[day].append((op, totals[(day, op)]))
    rank = {op: i for i, op in enumerate(names)}
    top = axis_top(max((sum(n for _, n in v) for v in per_day.values()), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot * 0.7, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="daily-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" '
        f'font-size="11"><title>Legacy calls per day per operation</title>'
    ]
    for i in range(5):  # horizontal grid and y labels
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#ddd"/>')
        label = f"{value:g}"
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{label}</text>')
    label_every = max(1, math.ceil(len(days) / 10))
    for i, day in enumerate(days):
        x = LEFT + i * slot + (slot - bar_w) / 2
        y = TOP + plot_h
        for op, n in per_day[day]:
            h = plot_h * n / top
            y -= h
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{color(rank.get(op, len(rank)))}" data-day="{day}" data-operation="{escape(op)}" '
                f'data-count="{n}"><title>{escape(op)} on {day}: {n} call(s)</title></rect>'
            )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle" '
                f'fill="#555">{day[5:]}</text>'
            )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" stroke="#333"/>'
    )
    for i, op in enumerate(names):  # legend
        y = TOP + 8 + i * 18
        parts.append(f'<rect x="{WIDTH - RIGHT + 16}" y="{y - 9}" width="12" height="12" fill="{color(i)}"/>')
        parts.append(f'<text class="legend" x="{WIDTH - RIGHT + 34}" y="{y + 1}">{escape(op)}</text>')
    if not counts:
        parts.append(
            f'<text x="{LEFT + plot_w / 2}" y="{TOP + plot_h / 2}" text-anchor="middle" fill="#888">'
            "No legacy calls in this window</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
