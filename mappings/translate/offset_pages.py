"""Legacy v1 offset pages with totals (legacy-endpoints.md §0.6, style 1).

The new API only has forward cursors and no totals, so a v1 collection is served from a
full enumeration (``CollectAll``, cached by the engine) that is sliced here:

``{"object": "$list", "data": [...], "page": P, "start": S, "end": E, "total": T, "page_size": N}``
with ``N = len(data)``, ``S = P * count`` and ``E = S + N - 1``.

Edge cases, where legacy recordings say nothing beyond the empty collection:

* empty collection (``T == 0``): ``start 0, end 0, page_size 0`` whatever ``page`` is (recorded);
* page past the end (``T > 0``, no rows): ``start = end = P * count``. ``end`` equals ``start``
  when there are no rows, as in the recorded empty case, and stays ``>= T - 1``, so the
  usual client loop ``while end < total - 1: page += 1`` (tap-klaviyo) terminates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from mappings.core import LegacyRequest
from mappings.translate.numbers import ascii_int

T = TypeVar("T")

DEFAULT_COUNT = 50
MAX_COUNT = 100


class BadPaging(ValueError):
    """``page``/``count`` the legacy API would reject; the message is client-facing."""


@dataclass(frozen=True)
class OffsetPage:
    page: int
    count: int

    @property
    def start(self) -> int:
        return self.page * self.count

    def slice(self, items: Sequence[T]) -> list[T]:
        return list(items[self.start : self.start + self.count])

    def envelope(self, total: int, data: list[Any]) -> dict[str, Any]:
        """The style-1 ``$list`` envelope around one slice of a ``total``-long collection."""
        if total == 0:
            start = end = 0
        else:
            start = self.start
            end = start + max(len(data) - 1, 0)
        return {
            "object": "$list",
            "data": data,
            "page": self.page,
            "start": start,
            "end": end,
            "total": total,
            "page_size": len(data),
        }


# Far beyond any real collection; keeps start/end exact in 64-bit and JavaScript numbers.
MAX_PAGE = 10**9


def _integer(raw: Any) -> int | None:
    """An integer parameter from a query/form string or a JSON number; None if it is not one."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else None
    if isinstance(raw, str):
        return ascii_int(raw)
    return None


def parse_offset_page(
    req: LegacyRequest, *, default_count: int = DEFAULT_COUNT, max_count: int = MAX_COUNT
) -> OffsetPage:
    """Read and validate ``page`` (>= 0, default 0) and ``count`` (1..max, default given).

    An absent, null or empty parameter takes its default. Raises ``BadPaging``.
    """
    raw_page = req.get("page")
    raw_count = req.get("count")
    page = 0 if raw_page in (None, "") else _integer(raw_page)
    count = default_count if raw_count in (None, "") else _integer(raw_count)
    if page is None or page < 0 or page > MAX_PAGE:
        raise BadPaging(f"Invalid page {raw_page!r}: page must be an integer from 0 to {MAX_PAGE}.")
    if count is None or not 1 <= count <= max_count:
        raise BadPaging(f"Invalid count {raw_count!r}: count must be an integer between 1 and {max_count}.")
    return OffsetPage(page=page, count=count)
