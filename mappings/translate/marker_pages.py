"""Legacy v2 ``marker`` pages (legacy-endpoints.md §0.6 style 3) over new-API cursors (§6 item 2).

A legacy page holds 1000 records: up to 10 upstream pages of 100 read with ``CollectPages``.
When rows remain, the upstream cursor is kept in the engine's token store and the client
gets an integer ``marker`` for it; the last page has no ``marker`` key. The stored value is
scoped to the operation and list/segment, so a marker cannot resume a different walk.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from mappings import protocol
from mappings.core import (
    Collected,
    CollectPages,
    Family,
    LegacyReply,
    LegacyRequest,
    LoadToken,
    SaveToken,
    Step,
)
from mappings.translate.numbers import ascii_int

UPSTREAM_PAGES: Final = 10  # x 100 profiles = one legacy page of 1000 records
PAGE_SIZE: Final = "100"


class BadMarker(ValueError):
    """A ``marker`` that is not an integer; the message is client-facing."""


def parse_marker(raw: Any) -> int | None:
    """The ``marker`` parameter (JSON number, or query/form string); None when absent or empty."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise BadMarker(f"Invalid marker {raw!r}: it must be the integer returned by the previous page.")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and (value := ascii_int(raw)) is not None:
        return value
    raise BadMarker(f"Invalid marker {raw!r}: it must be the integer returned by the previous page.")


@dataclass(frozen=True)
class Position:
    """Where a legacy page starts: the upstream operation and cursor (None = first page)."""

    op: str
    cursor: str | None


def unknown_marker(marker: int) -> LegacyReply:
    return protocol.bad_request(
        Family.V2,
        f"The marker {marker} is unknown or has expired. Start again from the first page (no marker).",
    )


def resume(req: LegacyRequest, scope: str, first_op: str) -> Generator[Step, Any, Position | LegacyReply]:
    """Sub-plan: the page position for the request's ``marker``, or the legacy 400 to answer."""
    try:
        marker = parse_marker(req.get("marker"))
    except BadMarker as exc:
        return protocol.bad_request(Family.V2, str(exc))
    if marker is None:
        return Position(first_op, None)
    saved: Any = yield LoadToken(marker)
    if not isinstance(saved, Mapping) or saved.get("scope") != scope:
        return unknown_marker(marker)
    op, cursor = saved.get("op"), saved.get("cursor")
    if not isinstance(op, str) or not isinstance(cursor, str):
        return unknown_marker(marker)
    return Position(op, cursor)


def read_page(position: Position, path_params: Mapping[str, str], query: Mapping[str, str]) -> CollectPages:
    """The step reading one legacy page (1000 rows) from ``position``."""
    return CollectPages(
        position.op,
        path_params=path_params,
        query=query,
        cursor=position.cursor,
        max_pages=UPSTREAM_PAGES,
    )


def page_body(
    records: list[Any], collected: Collected, scope: str, op: str
) -> Generator[Step, Any, dict[str, Any]]:
    """Sub-plan: ``{"records": [...], "marker": <int>}``; no ``marker`` key on the last page."""
    body: dict[str, Any] = {"records": records}
    if collected.next_cursor is not None:
        value = {"scope": scope, "op": op, "cursor": collected.next_cursor}
        body["marker"] = yield SaveToken(value, numeric=True)
    return body
