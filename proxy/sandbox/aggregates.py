"""``POST /api/metric-aggregates``: counts, unique profiles and value sums of a metric's events.

Events are bucketed by ``interval`` (hour/day/week/month, weeks starting Monday) in the
requested ``timezone``, between the mandatory ``greater-or-equal`` / ``less-than`` datetime
bounds, optionally partitioned by event properties named in ``by``. Datetimes without an
offset are read as UTC (Klaviyo reads them in the query's timezone).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.responses import Response

from proxy.sandbox import body
from proxy.sandbox.errors import invalid, required
from proxy.sandbox.filters import Condition, compile_filter, conditions, rule, select
from proxy.sandbox.ids import parse_iso
from proxy.sandbox.jsonapi import Ctx, resource, respond, single
from proxy.sandbox.models import Event
from proxy.sandbox.operation import Handler

DIMENSIONS = (
    "$attributed_channel",
    "$attributed_flow",
    "$attributed_message",
    "$attributed_variation",
    "$campaign_channel",
    "$flow",
    "$flow_channel",
    "$message",
    "$message_send_cohort",
    "$usage_amount",
    "$value_currency",
    "$variation",
    "$variation_send_cohort",
    "Bot Click",
    "Bounce Type",
    "Campaign Name",
    "Client Canonical",
    "Client Name",
    "Client Type",
    "Email Domain",
    "Failure Source",
    "Failure Type",
    "From Number",
    "From Phone Region",
    "Inbox Provider",
    "List",
    "Message Format",
    "Message Name",
    "Message Type",
    "Method",
    "Segment Count",
    "Subject",
    "To Number",
    "To Phone Region",
    "URL",
    "form_id",
)
MEASUREMENTS = ("count", "sum_value", "unique")
INTERVALS = ("day", "hour", "month", "week")
MAX_RANGE = timedelta(days=366)
FILTERS = {
    "datetime": rule("datetime", single="greater-or-equal greater-than less-or-equal less-than"),
    **{name: rule("string", single="equals contains", many="any equals") for name in DIMENSIONS},
}


def _floor(moment: datetime, interval: str) -> datetime:
    start = moment.replace(minute=0, second=0, microsecond=0)
    if interval == "hour":
        return start
    start = start.replace(hour=0)
    if interval == "week":
        return start - timedelta(days=start.weekday())
    return start.replace(day=1) if interval == "month" else start


def _step(moment: datetime, interval: str) -> datetime:
    if interval == "hour":
        return moment + timedelta(hours=1)
    if interval == "day":
        return moment + timedelta(days=1)
    if interval == "week":
        return moment + timedelta(days=7)
    return moment.replace(year=moment.year + moment.month // 12, month=moment.month % 12 + 1)


def _bounds(nodes: list[Condition]) -> tuple[datetime, datetime]:
    lower = next(
        (c.value for c in nodes if c.field == "datetime" and c.op in ("greater-or-equal", "greater-than")),
        None,
    )
    upper = next(
        (c.value for c in nodes if c.field == "datetime" and c.op in ("less-than", "less-or-equal")), None
    )
    if not isinstance(lower, datetime) or not isinstance(upper, datetime):
        raise invalid(
            "The filter must bound datetime with greater-or-equal and less-than.",
            pointer="/data/attributes/filter",
        )
    if not lower < upper or upper - lower > MAX_RANGE:
        raise invalid(
            "The datetime range must be positive and at most one year.", pointer="/data/attributes/filter"
        )
    return lower, upper


def _dimension(event: Event, name: str) -> Any:
    value = event.event_properties.get(name)
    return None if value is None else str(value)


def query_metric_aggregates(ctx: Ctx) -> Response:
    data = body.data_object(ctx.body, "metric-aggregate")
    attrs = body.attributes(data)
    pointer = "/data/attributes"
    metric_id = body.string(attrs, "metric_id", pointer, needed=True)
    if metric_id not in ctx.store.metrics:
        raise invalid(f"Metric {metric_id} does not exist.", pointer=f"{pointer}/metric_id")
    measurements = body.string_list(attrs, "measurements", pointer) or []
    if not measurements or any(m not in MEASUREMENTS for m in measurements):
        raise invalid(
            f"measurements must be a non-empty list of {', '.join(MEASUREMENTS)}.",
            pointer=f"{pointer}/measurements",
        )
    interval = body.choice(attrs, "interval", pointer, INTERVALS) or "day"
    by = body.string_list(attrs, "by", pointer) or []
    for index, name in enumerate(by):
        if name not in DIMENSIONS:
            raise invalid(f"'{name}' is not a supported dimension.", pointer=f"{pointer}/by/{index}")
    zone_name = body.string(attrs, "timezone", pointer) or "UTC"
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(f"Unknown timezone '{zone_name}'.", pointer=f"{pointer}/timezone") from None
    texts = body.string_list(attrs, "filter", pointer)
    if not texts:
        raise required(f"{pointer}/filter")
    nodes = tuple(node for text in texts for node in compile_filter(text, FILTERS))
    lower, upper = _bounds(conditions(nodes))

    of_metric = (e for e in ctx.store.events.values() if e.metric_id == metric_id)
    events = select(
        of_metric, nodes, lambda e, name: e.datetime if name == "datetime" else _dimension(e, name)
    )
    dates: list[datetime] = []
    cursor = _floor(lower.astimezone(zone), interval)
    while cursor < upper:
        dates.append(cursor)
        cursor = _step(cursor, interval)
    rows: dict[tuple[str, ...], list[list[Event]]] = defaultdict(lambda: [[] for _ in dates])
    if not by:
        rows[()] = [[] for _ in dates]  # one row, all zeros when nothing happened
    for event in events:
        moment = (parse_iso(event.datetime) or lower).astimezone(zone)
        index = max(i for i, start in enumerate(dates) if start <= moment)
        rows[tuple(_dimension(event, name) or "" for name in by)][index].append(event)
    out = [
        {"dimensions": list(key), "measurements": _measure(buckets, measurements)}
        for key, buckets in rows.items()
    ]
    result = {"dates": [d.isoformat() for d in dates], "data": out}
    return respond(
        single(
            ctx,
            resource(
                ctx, "metric-aggregate", f"{metric_id}-{interval}", result, collection="metric-aggregates"
            ),
        )
    )


def _measure(buckets: list[list[Event]], measurements: list[str]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for name in measurements:
        if name == "count":
            out[name] = [float(len(b)) for b in buckets]
        elif name == "unique":
            out[name] = [float(len({e.profile_id for e in b})) for b in buckets]
        else:
            out[name] = [float(sum(_value(e) for e in b)) for b in buckets]
    return out


def _value(event: Event) -> float:
    value = event.event_properties.get("$value")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


# Spec operation id -> handler; method, path and rate limits come from the spec table.
HANDLERS: dict[str, Handler] = {
    "query_metric_aggregates": query_metric_aggregates,
}
