"""The shared plan of the legacy v1 timelines on GET /api/events (new-api-mapping.md §2 D, §5.4).

Declared by their families: D2/D3 (metric timelines) in ``mappings.operations.metrics``, E3/E4
(a person's timelines) in ``mappings.operations.profiles``.

Legacy style-2 pages (legacy-endpoints.md §0.6): ``since`` is a 10-digit UNIX timestamp or
the ``next`` token of the previous page, ``count`` 1..100, ``sort`` ``desc`` (default, and
forced when ``since`` is absent) or ``asc``. The answer is
``{"object": "$list", "count": N, "data": [...], "next": token | null}``.

``next`` is a proxy token (``SaveToken``) holding the upstream cursor plus the filter and
sort it belongs to, so a resumed page repeats exactly the original query. Tokens the
retired API issued (UUIDs) cannot be resumed: the client gets a 400 telling it to restart
from a timestamp.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from mappings import protocol
from mappings.core import (
    Call,
    Collected,
    CollectPages,
    Family,
    Gather,
    LegacyReply,
    LegacyRequest,
    LoadToken,
    Plan,
    SaveToken,
    UpstreamBound,
)
from mappings.translate.datetimes import unix_to_iso
from mappings.translate.event_objects import legacy_events
from mappings.translate.filter_terms import at, equals
from mappings.translate.numbers import ascii_digits

# Legacy docs: default 50, max 100 (the Python/Node/Ruby SDKs always send count=100).
DEFAULT_COUNT: Final = 50
MAX_COUNT: Final = 100
INCLUDE: Final = "metric,profile"
SUCCESSOR: Final = "get_events"  # the successor of every timeline (a new-API operation id)
LEGACY_UUID: Final = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
RESTART: Final = "Restart the timeline with a 10-digit UNIX timestamp in since."
LOST: Final = (
    "next tokens are minted by klaviyo-compat and expire (token TTL); tokens issued by the retired "
    "API (UUIDs) cannot be resumed (400). event_name is the metric's current name."
)
# Upstream calls of a timeline scoped by one path ID (D3, E3).
ONE_CHECK_CALLS: Final = UpstreamBound(
    1, 1, "1 (+1 existence check of the path ID when a first page is empty)"
)


class BadTimeline(ValueError):
    """Invalid timeline parameters; the message is client-facing."""


@dataclass(frozen=True)
class Scope:
    """Which events a timeline shows: one metric, one profile, both or neither."""

    metric_id: str | None = None
    profile_id: str | None = None

    @property
    def key(self) -> str:
        return f"metric={self.metric_id or '*'};profile={self.profile_id or '*'}"

    def terms(self) -> list[str]:
        out = []
        if self.metric_id is not None:
            out.append(equals("metric_id", self.metric_id))
        if self.profile_id is not None:
            out.append(equals("profile_id", self.profile_id))
        return out


@dataclass(frozen=True)
class TimelineParams:
    count: int
    descending: bool
    since: int | None = None  # UNIX seconds
    token: str | None = None  # a `next` from a previous page


def _count(raw: Any) -> int:
    if raw is None or raw == "":
        return DEFAULT_COUNT
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and ascii_digits(raw.strip()):
        value = int(raw.strip())
    if value is None or not 1 <= value <= MAX_COUNT:
        raise BadTimeline(f"Invalid count {raw!r}: count must be an integer between 1 and {MAX_COUNT}.")
    return value


def parse_timeline(req: LegacyRequest) -> TimelineParams:
    """Read ``since``, ``count`` and ``sort``; raises ``BadTimeline``."""
    count = _count(req.get("count"))
    sort = req.get("sort")
    sort = "desc" if sort in (None, "") else str(sort).strip().lower()
    if sort not in ("asc", "desc"):
        raise BadTimeline(f"Invalid sort {req.get('sort')!r}: sort must be asc or desc.")
    since = req.get("since")
    if isinstance(since, int | float) and not isinstance(since, bool):
        since = str(int(since))
    text = "" if since is None else str(since).strip()
    if not text:
        return TimelineParams(count, descending=True)  # since defaults to now: always descending
    if ascii_digits(text):
        try:
            unix_to_iso(text)
        except ValueError:
            raise BadTimeline(f"Invalid since {since!r}: not a usable UNIX timestamp.") from None
        return TimelineParams(count, descending=sort == "desc", since=int(text))
    if LEGACY_UUID.match(text):
        raise BadTimeline(
            f"The since token {text!r} was issued by the retired Klaviyo API and cannot be resumed "
            f"through the new API. {RESTART}"
        )
    return TimelineParams(count, descending=sort == "desc", token=text)


def events_query(scope: Scope, params: TimelineParams) -> dict[str, str]:
    """GET /api/events query for a first page (no cursor), without ``page[size]``."""
    terms = scope.terms()
    if params.since is not None:
        operator = "less-than" if params.descending else "greater-or-equal"
        terms.append(at(operator, "datetime", unix_to_iso(params.since)))
    query = {"sort": "-datetime" if params.descending else "datetime", "include": INCLUDE}
    if terms:
        query["filter"] = ",".join(terms)
    return query


def _resumed(state: Any, scope: Scope, token: str) -> tuple[dict[str, str], str]:
    """(query, cursor) saved with a token; raises ``BadTimeline`` if unusable here."""
    if not isinstance(state, Mapping) or not isinstance(state.get("cursor"), str):
        raise BadTimeline(f"The since token {token!r} is unknown or has expired. {RESTART}")
    if state.get("timeline") != scope.key:
        raise BadTimeline(f"The since token {token!r} belongs to another timeline. {RESTART}")
    query = state.get("query")
    if not isinstance(query, Mapping):
        raise BadTimeline(f"The since token {token!r} is unknown or has expired. {RESTART}")
    return {str(k): str(v) for k, v in query.items()}, state["cursor"]


def _existence_checks(scope: Scope) -> tuple[Call, ...]:
    """Lookups that turn an empty timeline of an unknown metric / person into the legacy 404."""
    calls = []
    if scope.profile_id is not None:
        calls.append(
            Call("get_profile", path_params={"id": scope.profile_id}, query={"fields[profile]": "email"})
        )
    if scope.metric_id is not None:
        calls.append(
            Call("get_metric", path_params={"id": scope.metric_id}, query={"fields[metric]": "name"})
        )
    return tuple(calls)


def timeline_plan(req: LegacyRequest, scope: Scope) -> Plan:
    """The shared plan of D2, D3, E3 and E4."""
    try:
        params = parse_timeline(req)
    except BadTimeline as exc:
        return protocol.bad_request(Family.V1, str(exc))
    cursor: str | None = None
    if params.token is not None:
        state = yield LoadToken(params.token)
        try:
            query, cursor = _resumed(state, scope, params.token)
        except BadTimeline as exc:
            return protocol.bad_request(Family.V1, str(exc))
    else:
        query = events_query(scope, params)
    page: Collected = yield CollectPages(
        "get_events", query={**query, "page[size]": str(params.count)}, cursor=cursor, max_pages=1
    )
    checks = _existence_checks(scope) if not page.data and cursor is None else ()
    if checks:
        yield Gather(checks)
    token: str | int | None = None
    if page.next_cursor is not None:
        token = yield SaveToken({"timeline": scope.key, "query": query, "cursor": page.next_cursor})
    events = legacy_events(page.data, page.included)
    return LegacyReply.json_body({"object": "$list", "count": len(events), "data": events, "next": token})
