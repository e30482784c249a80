"""Aligned plain-text tables that fit a terminal: ``klaviyo-compat routes`` and ``report``.

Without a width every cell is shown whole (a pipe, a file: nothing is lost). With one (the
terminal's, or ``--width``), the widest shrinkable columns are narrowed one character at a time
until each line fits, and a cut cell ends in ``…``; ``--format markdown|csv|json`` keep everything.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

MIN_COLUMN = 6  # narrowest a cut column gets
READABLE = 14  # a low-priority column is left out before others are cut below this
GAP = "  "


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def fitted_widths(
    natural: list[int], shrinkable: Collection[int], width: int, minimum: int = MIN_COLUMN
) -> list[int]:
    """Column widths whose line (gaps included) fits ``width``, narrowing the widest shrinkable
    first, none below ``minimum`` (or its natural width)."""
    widths = list(natural)
    budget = width - len(GAP) * (len(widths) - 1)
    while sum(widths) > budget:
        candidates = [i for i in shrinkable if widths[i] > minimum]
        if not candidates:
            break  # as narrow as it goes: the line may still be longer than the terminal
        widest = max(candidates, key=lambda i: (widths[i], i))
        widths[widest] -= 1
    return widths


def _fits(widths: Sequence[int], width: int) -> bool:
    return sum(widths) + len(GAP) * (len(widths) - 1) <= width


def render(
    rows: Sequence[Sequence[str]],
    *,
    numeric: Collection[int] = (),
    shrinkable: Collection[int] = (),
    droppable: Sequence[int] = (),
    width: int | None = None,
) -> str:
    """``rows[0]`` is the header. Numeric columns are right-aligned; the last column is not padded.

    With ``width``, shrinkable columns narrow first; if the line still does not fit, the
    ``droppable`` columns are left out, in that order, until it does.
    """
    if not rows:
        return ""
    natural = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    keep = list(range(len(natural)))
    if width is not None:
        for column in droppable:
            kept = [natural[i] for i in keep]
            if _fits(fitted_widths(kept, _renumber(shrinkable, keep), width, READABLE), width):
                break
            keep.remove(column)
    rows = [[r[i] for i in keep] for r in rows]
    numeric, shrinkable = _renumber(numeric, keep), _renumber(shrinkable, keep)
    count, natural = len(keep), [natural[i] for i in keep]
    widths = natural if width is None else fitted_widths(natural, shrinkable, width)

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            text = _cut(cell, widths[i])
            if i in numeric:
                out.append(text.rjust(widths[i]))
            else:
                out.append(text if i == count - 1 else text.ljust(widths[i]))
        return GAP.join(out).rstrip() if width is not None else GAP.join(out)

    return "\n".join(line(r) for r in rows)


def _renumber(columns: Collection[int], keep: Sequence[int]) -> set[int]:
    return {keep.index(i) for i in columns if i in keep}


def terminal_width(requested: int | None) -> int | None:
    """``--width`` if given (0: unlimited), else the terminal's when stdout is one, else unlimited."""
    import shutil
    import sys

    if requested is not None:
        return requested or None
    if not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size().columns
