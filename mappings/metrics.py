"""Legacy v1 metrics (legacy-endpoints.md §D) on the new metrics / events API (new-api-mapping.md §2 D).

D1 lives here; D2/D3 (timelines) come from ``mappings.timelines`` and D4 (export) from
``mappings.metric_export``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from mappings import protocol
from mappings.base import (
    CollectAll,
    Collected,
    Family,
    Fidelity,
    LegacyReply,
    LegacyRequest,
    Operation,
    Plan,
    UpstreamError,
    declare,
)
from mappings.event_objects import legacy_metric
from mappings.metric_export import metric_export
from mappings.offset_pages import BadPaging, parse_offset_page
from mappings.timelines import METRIC_TIMELINES

# get_metrics has no page[size] (<= 200 per page) and no sort: the enumeration keeps the
# upstream order, which is stable between cached walks.
METRICS_QUERY: Final[Mapping[str, str]] = MappingProxyType(
    {"fields[metric]": "name,integration,created,updated"}
)
MAX_METRIC_PAGES: Final = 50  # 10 000 metrics


@declare(
    id="D1",
    name="get_metrics",
    method="GET",
    path="/api/v1/metrics",
    family=Family.V1,
    upstream=("get_metrics",),
    fidelity=Fidelity.LOSSY,
    successor="https://developers.klaviyo.com/en/reference/get_metrics",
    lost=(
        "Metrics come in the new API's order (legacy order was not documented); at most 10,000 "
        "metrics; pages may be up to the collection-cache TTL stale."
    ),
    max_upstream_calls="P: cursor pages of up to 200 metrics (0 while the enumeration is cached, at most 50)",
)
def get_metrics(req: LegacyRequest) -> Plan:
    """List the account's metrics in legacy v1 page/count pages with totals (count default 50, max
    100). Walks every page of GET /api/metrics (the enumeration is cached briefly so later pages do
    not walk it again) and slices the requested page. Each metric has id, name, its integration
    (object, id, name, category) and created/updated as `YYYY-MM-DD HH:MM:SS` (UTC)."""
    try:
        paging = parse_offset_page(req)
    except BadPaging as exc:
        return protocol.bad_request(Family.V1, str(exc))
    try:
        collected: Collected = yield CollectAll(
            "get_metrics", query=METRICS_QUERY, max_pages=MAX_METRIC_PAGES
        )
    except UpstreamError as exc:
        return protocol.translate_error(Family.V1, exc.reply)
    metrics = [m for m in collected.data if isinstance(m, Mapping)]
    data = [legacy_metric(m) for m in paging.slice(metrics)]
    return LegacyReply.json_body(paging.envelope(len(metrics), data))


OPERATIONS: tuple[Operation, ...] = (get_metrics, *METRIC_TIMELINES, metric_export)
