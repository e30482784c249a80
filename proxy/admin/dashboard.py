"""The migration dashboard: one self-contained HTML page (inline CSS, inline SVG, no script).

Works offline: nothing is fetched from anywhere, not even from this proxy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from html import escape

from proxy.admin.chart import daily_chart, days_between
from proxy.traffic.report import Report

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.summary{font-size:15px;margin:8px 0 16px}.muted{color:#666;font-size:13px}
table{border-collapse:collapse;background:#fff;font-size:13px;width:100%}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0}td.n{text-align:right;font-variant-numeric:tabular-nums}
.mode-reject{color:#b00020;font-weight:600}.mode-brownout{color:#b06000;font-weight:600}
.mode-dry-run{color:#00639b;font-weight:600}code{font-size:12px}
.warn{background:#fff4e5;border:1px solid #e0a040;padding:6px 10px;font-size:14px}
.chart{background:#fff;border:1px solid #ddd;padding:8px;display:inline-block}
"""


def _table(table_id: str, header: Sequence[str], rows: Iterable[Sequence[str]], numeric: set[int]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="n">{cell}</td>' if i in numeric else f"<td>{cell}</td>" for i, cell in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    if not body:
        body.append(
            f'<tr><td colspan="{len(header)}" class="muted">Nothing recorded in this window.</td></tr>'
        )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _mode(text: str) -> str:
    kind = text.split(" ", 1)[0]
    return f'<span class="mode-{escape(kind)}">{escape(text)}</span>'


def _link(url: str) -> str:
    if not url.startswith(("https://", "http://")):
        return escape(url)
    return f'<a href="{escape(url)}">{escape(url)}</a>'


def _routes(report: Report) -> str:
    totals: dict[str, list[int]] = {}
    first = {r.operation: r for r in reversed(report.rows)}
    for r in report.rows:  # one row per caller, or a folded "other" row standing for several
        t = totals.setdefault(r.operation, [0, 0, 0, 0])
        t[0], t[1], t[2], t[3] = t[0] + r.count, t[1] + r.errors, t[2] + r.rejected, t[3] + r.callers
    ordered = sorted(totals, key=lambda op: -totals[op][0])
    rows = []
    for op in ordered:
        r, (count, errors, rejected, callers) = first[op], totals[op]
        rows.append(
            (
                f"<code>{escape(op)}</code>",
                f"<code>{escape(r.legacy)}</code>",
                _mode(r.mode),
                str(count),
                str(callers),
                f"{errors / count:.1%}",
                str(rejected),
                escape(r.fidelity),
                f"<code>{escape(r.successor)}</code><br>{_link(r.doc)}",
            )
        )
    header = ("Op", "Legacy route", "Mode", "Calls", "Callers", "Errors", "Rejected", "Fidelity", "Successor")
    return _table("routes", header, rows, {3, 4, 5, 6})


def _callers(report: Report) -> str:
    rows = [
        (
            f"<code>{escape(r.caller or '-')}</code>" + (f" ({r.callers} callers)" if r.callers > 1 else ""),
            escape(r.label or "-"),
            escape(r.user_agent or "-"),
            f"<code>{escape(r.operation)}</code>",
            str(r.count),
            f"{r.error_rate:.1%}",
            escape(r.first_seen),
            escape(r.last_seen),
        )
        for r in report.rows
    ]
    header = ("Caller (hash)", "Label", "User-Agent", "Op", "Calls", "Errors", "First seen", "Last seen")
    return _table("callers", header, rows, {4, 5})


def _modes(report: Report) -> str:
    own = [m for m in report.modes if m["mode"] != report.default_mode]
    rest = [m for m in report.modes if m["mode"] == report.default_mode]
    intro = (
        f'<p id="default-mode">Default mode: {_mode(report.default_mode)}; '
        f"{len(own)} operation(s) with a mode of their own (listed first).</p>"
    )
    return intro + _mode_table([*own, *rest])


def _mode_table(modes: Sequence[dict[str, str]]) -> str:
    rows = [
        (f"<code>{escape(m['operation'])}</code>", f"<code>{escape(m['legacy'])}</code>", _mode(m["mode"]))
        for m in modes
    ]
    return _table("modes", ("Op", "Legacy route", "Mode"), rows, set())


def _sunset(report: Report) -> str:
    note = report.sunset_note()
    return f'<p class="warn" id="sunset-unset">{escape(note)}</p>' if note else ""


def _unmapped(report: Report) -> str:
    line = report.unmapped_summary()
    return f'<p class="muted" id="unmapped">{escape(line)}</p>' if line else ""


def render_dashboard(report: Report, report_href: str) -> str:
    plan_href = report_href.replace("report?", "plan?", 1)  # the plan view of the same window
    days = days_between(date.fromisoformat(report.since[:10]), date.fromisoformat(report.until[:10]))
    counts = [(d["day"], d["operation"], d["count"]) for d in report.daily]
    by_volume: dict[str, int] = {}
    for _, op, n in counts:
        by_volume[op] = by_volume.get(op, 0) + n
    ops = sorted(by_volume, key=lambda op: -by_volume[op])
    chart = daily_chart(days, counts, ops)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>klaviyo-compat: legacy migration</title>"
        f'<meta name="viewport" content="width=device-width"><style>{CSS}</style></head><body>'
        "<h1>Legacy API migration</h1>"
        f'<p class="muted">Window {escape(report.since)} to {escape(report.until)} '
        f"({escape(report.window)}); "
        f"Sunset header: {escape(report.sunset)}; "
        f'<a href="{escape(report_href)}">JSON report</a>; '
        f'<a id="plan-link" href="{escape(plan_href)}">Plan per caller</a></p>'
        f'<p class="summary" id="summary">{escape(report.summary())}</p>'
        f"{_sunset(report)}{_unmapped(report)}"
        f'<h2>Legacy calls per day</h2><div class="chart">{chart}</div>'
        f"<h2>Routes by traffic</h2>{_routes(report)}"
        f"<h2>Callers still using the legacy API</h2>{_callers(report)}"
        f"<h2>Modes</h2>{_modes(report)}"
        "</body></html>"
    )
