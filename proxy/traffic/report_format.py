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

from proxy.traffic.report import Report
from proxy.traffic.report_row import ReportRow

FORMATS = ("table", "csv", "json")
_TABLE = (
    ("OP", "operation"),
    ("LEGACY ROUTE", "legacy"),
    ("MODE", "mode"),
    ("CALLER", "caller"),
    ("LABEL", "label"),
    ("CALLS", "count"),
    ("ERRORS", "error_rate"),
    ("FIRST SEEN", "first_seen"),
    ("LAST SEEN", "last_seen"),
    ("FIDELITY", "fidelity"),
    ("SUCCESSOR", "successor"),
    ("DOC", "doc"),
)
_NUMERIC = frozenset({"count", "error_rate"})
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


def as_table(report: Report) -> str:
    header = [title for title, _ in _TABLE]
    body = [[_cell(row, name) for _, name in _TABLE] for row in report.rows]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            name = _TABLE[i][1]
            last = i == len(cells) - 1
            out.append(cell.rjust(widths[i]) if name in _NUMERIC else cell if last else cell.ljust(widths[i]))
        return "  ".join(out)

    unmapped = report.unmapped_summary()
    lines = [report.summary(), *([unmapped] if unmapped else []), ""]
    if body:
        lines += [line(header), *(line(r) for r in body)]
    else:
        lines.append(f"No legacy calls recorded in the last {report.window}.")
    return "\n".join(lines)


def as_csv(report: Report) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180; a CR or LF in a cell is quoted
    writer.writerow([f.name for f in fields(ReportRow)])
    for row in report.rows:
        writer.writerow([inert(v) for v in astuple(row)])
    return buf.getvalue().rstrip("\r\n")


def as_json(report: Report) -> str:
    return orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode()


def render(report: Report, fmt: str) -> str:
    if fmt == "csv":
        return as_csv(report)
    if fmt == "json":
        return as_json(report)
    return as_table(report)
