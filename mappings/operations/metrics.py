"""Legacy v1 metrics (legacy-endpoints.md §D) on the new metrics / events API (new-api-mapping.md §2 D).

Declares the whole family: D1 (list), D2/D3 (timelines, whose shared plan is
``mappings.translate.timelines``) and D4 (export, whose query and answer
``mappings.translate.metric_export`` builds).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from types import MappingProxyType
from typing import Final

from mappings import protocol
from mappings.core import (
    Call,
    CollectAll,
    Collected,
    Family,
    Fidelity,
    Gather,
    LegacyReply,
    LegacyRequest,
    Plan,
    Reply,
    UpstreamBound,
)
from mappings.core.declarer import Declarer
from mappings.translate.event_objects import legacy_metric
from mappings.translate.export_params import BadExport, parse_export
from mappings.translate.metric_export import aggregate_body, export_answer
from mappings.translate.offset_pages import BadPaging, parse_offset_page
from mappings.translate.timelines import LOST, ONE_CHECK_CALLS, SUCCESSOR, Scope, timeline_plan

ops = Declarer(Family.V1)
# The legacy metric object's fields (D1, and D4's `metric`).
METRIC_FIELDS: Final[Mapping[str, str]] = MappingProxyType(
    {"fields[metric]": "name,integration,created,updated"}
)
# get_metrics has no page[size] (<= 200 per page) and no sort: the enumeration keeps the
# upstream order, which is stable between cached walks.
MAX_METRIC_PAGES: Final = 50  # 10 000 metrics


@ops.declare(
    "D1",
    "get_metrics",
    "GET",
    "/api/v1/metrics",
    upstream=("get_metrics",),
    fidelity=Fidelity.LOSSY,
    successor="get_metrics",
    lost="Metrics come in the new API's order (legacy order was not documented); at most 10,000 "
    "metrics; pages may be up to the collection-cache TTL stale for changes "
    "not made through klaviyo-compat.",
    max_upstream_calls=UpstreamBound(
        0,
        MAX_METRIC_PAGES,
        "P: cursor pages of up to 200 metrics (0 while the enumeration is cached, at most 50)",
    ),
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
    collected: Collected = yield CollectAll("get_metrics", query=METRIC_FIELDS, max_pages=MAX_METRIC_PAGES)
    metrics = [m for m in collected.data if isinstance(m, Mapping)]
    data = [legacy_metric(m) for m in paging.slice(metrics)]
    return LegacyReply.json_body(paging.envelope(len(metrics), data))


@ops.declare(
    "D2",
    "metrics_timeline",
    "GET",
    "/api/v1/metrics/timeline",
    upstream=("get_events",),
    fidelity=Fidelity.LOSSY,
    successor=SUCCESSOR,
    lost=LOST,
    max_upstream_calls=1,
)
def metrics_timeline(req: LegacyRequest) -> Plan:
    """Events of every metric, newest first (or oldest first from `since` with sort=asc), in legacy
    `since`/`next` pages: GET /api/events (sort by datetime, page[size]=count, metric and profile
    included). A 10-digit `since` bounds the datetime (before it for desc, from it for asc); `next`
    is a klaviyo-compat token that resumes the same query. Each event carries statistic_id,
    event_name, event_properties, timestamp, datetime (`YYYY-MM-DD HH:MM:SS+00:00`), uuid and the
    full legacy person. count defaults to 50 (max 100)."""
    return (yield from timeline_plan(req, Scope()))


@ops.declare(
    "D3",
    "metric_timeline",
    "GET",
    "/api/v1/metric/{metric_id}/timeline",
    upstream=("get_events", "get_metric"),
    fidelity=Fidelity.LOSSY,
    successor=SUCCESSOR,
    lost=LOST,
    max_upstream_calls=ONE_CHECK_CALLS,
)
def metric_timeline(req: LegacyRequest) -> Plan:
    """Events of one metric, as D2 (GET /api/events filtered on metric_id). An empty first page is
    checked with GET /api/metrics/{id}, so an unknown metric answers 404 as legacy did."""
    return (yield from timeline_plan(req, Scope(metric_id=req.path_params["metric_id"])))


@ops.declare(
    "D4",
    "metric_export",
    "GET",
    "/api/v1/metric/{metric_id}/export",
    upstream=("get_metric", "query_metric_aggregates"),
    fidelity=Fidelity.LOSSY,
    successor="query_metric_aggregates",
    lost='measurement ["sum", "<property>"] has no equivalent (400); where/by only on the 36 '
    "dimensions metric aggregates supports (400 otherwise); buckets are UTC days/weeks/months; "
    "with by, the segments are the top `count` by total.",
    max_upstream_calls=UpstreamBound(2, text="2 (concurrent: get_metric, query_metric_aggregates)"),
)
def metric_export(req: LegacyRequest) -> Plan:
    """Export a metric's counts, unique counts or value sums per day, week or month: POST
    /api/metric-aggregates (UTC, start_date..end_date inclusive, at most 31 days, default the last
    30) with GET /api/metrics/{id} for the `metric` object. measurement count/unique/value maps to
    count/unique/sum_value; `by` segments on one of the new API's dimensions (top `count`
    segments, default 25), `where` filters on one (`[["$attributed_flow","=","ID"]]`). Answers
    {metric, start_date, end_date, unit, measurement, by, where, results: [{segment, data: [{date,
    values}]}]}; without `by` the one segment is "Everyone". Summing an arbitrary property, or
    by/where on another property, is rejected with 400 before any upstream call."""
    metric_id = req.path_params["metric_id"]
    try:
        query = parse_export(req, req.now.astimezone(UTC).date())  # today ends the default window
    except BadExport as exc:
        return protocol.bad_request(Family.V1, str(exc))
    calls = (
        Call("get_metric", path_params={"id": metric_id}, query=METRIC_FIELDS),
        Call("query_metric_aggregates", body=aggregate_body(metric_id, query)),
    )
    metric, aggregate = yield Gather(calls)
    assert isinstance(metric, Reply) and isinstance(aggregate, Reply)
    return LegacyReply.json_body(export_answer(query, metric.body, aggregate.body))
