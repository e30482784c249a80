"""The report as an aligned text table, CSV (spreadsheets) or JSON (scripts, ``/_compat/report``).

CSV cells are made inert for spreadsheets: a text cell starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return (a formula to Excel, LibreOffice and Sheets) gets a leading ``'``.
Recorded values (User-Agent, caller label) come from callers, so they must never run.
"""

from __future__ import annotations

import csv
import io
from dataclasses import astuple, fields

import orjson

from proxy.traffic import text_table
from proxy.traffic.report import Report
from proxy.traffic.report_row import ReportRow

FORMATS = ("table", "csv", "json", "markdown")
_TABLE = (
    ("OP", "operation"),
    ("LEGACY ROUTE", "legacy"),
    ("MODE", "mode"),
    ("CALLER", "caller"),
    ("LABEL", "label"),
    ("USER-AGENT", "user_agent"),
    ("CALLS", "count"),
    ("ERRORS", "error_rate"),
    ("FIRST SEEN", "first_seen"),
    ("LAST SEEN", "last_seen"),
    ("FIDELITY", "fidelity"),
    ("SUCCESSOR", "successor"),
    ("DOC", "doc"),
)
_NUMERIC = frozenset({"count", "error_rate"})
# Narrowed (cut with "…") to fit a terminal; ids, modes, counts and dates never are.
_SHRINKABLE = frozenset({"legacy", "caller", "label", "user_agent", "fidelity", "successor", "doc"})
# Left out, in this order, when even narrowed the table is wider than the terminal.
_DROP_ORDER = ("first_seen", "doc", "fidelity", "successor", "error_rate")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(row: ReportRow, name: str) -> str:
    value = getattr(row, name)
    if name == "error_rate":
        return f"{value:.1%}"
    if value is None:
        return "-"
    if name == "caller" and row.callers > 1:
        return f"{value} ({row.callers} callers)"
    return str(value)


def inert(value: object) -> object:
    """A CSV cell a spreadsheet shows as text, never evaluates; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def as_table(report: Report, width: int | None = None) -> str:
    """The rows as an aligned table; with ``width``, long text columns are cut to fit it."""
    header = [title for title, _ in _TABLE]
    body = [[_cell(row, name) for _, name in _TABLE] for row in report.rows]
    names = [name for _, name in _TABLE]
    table = text_table.render(
        [header, *body],
        numeric={i for i, n in enumerate(names) if n in _NUMERIC},
        shrinkable={i for i, n in enumerate(names) if n in _SHRINKABLE},
        droppable=[names.index(n) for n in _DROP_ORDER],
        width=width,
    )
    unmapped = report.unmapped_summary()
    lines = [report.summary(), *([unmapped] if unmapped else []), ""]
    if body:
        lines.append(table)
    else:
        lines.append(f"No legacy calls recorded in the last {report.window}.")
    note = report.sunset_note()
    return "\n".join([*lines, *(["", note] if note else [])])


def as_csv(report: Report) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180; a CR or LF in a cell is quoted
    writer.writerow([f.name for f in fields(ReportRow)])
    for row in report.rows:
        writer.writerow([inert(v) for v in astuple(row)])
    return buf.getvalue().rstrip("\r\n")


def as_markdown(report: Report) -> str:
    """Every column whole, as a Markdown table (a ticket, a wiki page)."""

    def cell(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    header = [title for title, _ in _TABLE]
    lines = [report.summary(), ""]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in report.rows:
        lines.append("| " + " | ".join(cell(_cell(row, name)) for _, name in _TABLE) + " |")
    note = report.sunset_note()
    return "\n".join([*lines, *(["", note] if note else [])])


def as_json(report: Report) -> str:
    return orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode()


def render(report: Report, fmt: str, width: int | None = None) -> str:
    if fmt == "csv":
        return as_csv(report)
    if fmt == "json":
        return as_json(report)
    if fmt == "markdown":
        return as_markdown(report)
    return as_table(report, width)
