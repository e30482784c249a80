"""Golden cases: D1 GET /api/v1/metrics and D4 GET /api/v1/metric/{id}/export."""

from __future__ import annotations

from typing import Any

KEY = "pk_0123456789abcdef0123456789abcdef01"
JSON = {"content-type": "application/json"}
METRICS_QUERY = {"fields[metric]": "name,integration,created,updated"}
CURSOR = "Y3Vyc29yLTI="
NEXT = "https://a.klaviyo.com/api/metrics/?fields%5Bmetric%5D=name&page%5Bcursor%5D=Y3Vyc29yLTI%3D"
MID = "Ux4PKj"
EXPORT = f"/api/v1/metric/{MID}/export"


def metric(mid: str, name: str, integration: tuple[str, str, str], created: str) -> dict[str, Any]:
    iid, iname, category = integration
    return {
        "type": "metric",
        "id": mid,
        "attributes": {
            "name": name,
            "created": created,
            "updated": created,
            "integration": {
                "object": "integration",
                "id": iid,
                "key": iname.lower(),
                "name": iname,
                "category": category,
            },
        },
        "relationships": {"flow-triggers": {"links": {"self": "x", "related": "y"}}},
        "links": {"self": f"https://a.klaviyo.com/api/metrics/{mid}/"},
    }


def legacy_metric(mid: str, name: str, integration: tuple[str, str, str], created: str) -> dict[str, Any]:
    iid, iname, category = integration
    return {
        "object": "metric",
        "id": mid,
        "name": name,
        "integration": {"object": "integration", "id": iid, "name": iname, "category": category},
        "created": created,
        "updated": created,
    }


API = ("7FtS4J", "API", "API")
KLAVIYO = ("0rG4eQ", "Klaviyo", "Internal")
SHOPIFY = ("0eMvjm", "Shopify", "eCommerce")
ACTIVE = metric("TmTAms", "Active on Site", API, "2021-10-15T11:30:59+00:00")
BOUNCED = metric("T2iyHs", "Bounced Email", KLAVIYO, "2021-10-08T06:31:47+00:00")
ORDER = metric(MID, "Placed Order", SHOPIFY, "2019-01-01T00:00:00+00:00")
LEGACY_ACTIVE = legacy_metric("TmTAms", "Active on Site", API, "2021-10-15 11:30:59")
LEGACY_BOUNCED = legacy_metric("T2iyHs", "Bounced Email", KLAVIYO, "2021-10-08 06:31:47")
LEGACY_ORDER = legacy_metric(MID, "Placed Order", SHOPIFY, "2019-01-01 00:00:00")


def error_body(status: int, detail: str) -> dict[str, Any]:
    return {"errors": [{"id": "e1", "status": status, "code": "x", "title": detail, "detail": detail}]}


def metrics_call(
    data: list[Any],
    *,
    cursor: str | None = None,
    next_link: str | None = None,
    status: int = 200,
    **reply: Any,
) -> dict[str, Any]:
    query = dict(METRICS_QUERY) if cursor is None else {**METRICS_QUERY, "page[cursor]": cursor}
    body = reply.pop("json", {"data": data, "links": {"self": "x", "next": next_link, "prev": None}})
    return {
        "method": "GET",
        "path": "/api/metrics",
        "query": query,
        "auth": KEY,
        "reply": {"status": status, "json": body, **reply},
    }


def v1(status: int, message: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "status": status,
        "headers": {**JSON, **(headers or {})},
        "json": {"status": status, "message": message},
    }


def envelope(data: list[Any], page: int, start: int, end: int, total: int) -> dict[str, Any]:
    body = {"object": "$list", "data": data, "page": page, "start": start, "end": end, "total": total}
    return {"status": 200, "headers": JSON, "json": {**body, "page_size": len(data)}}


# --------------------------------------------------------------------------- D4 fixtures


def get_metric(status: int = 200) -> dict[str, Any]:
    body = {"data": ORDER, "links": {"self": "x"}} if status == 200 else error_body(status, "Not found.")
    query = {"fields[metric]": "name,integration,created,updated"}
    return {
        "method": "GET",
        "path": f"/api/metrics/{MID}",
        "query": query,
        "auth": KEY,
        "reply": {"status": status, "json": body},
    }


def aggregate(
    attributes: dict[str, Any],
    dates: list[str],
    rows: list[dict[str, Any]] | None = None,
    *,
    status: int = 200,
    **reply: Any,
) -> dict[str, Any]:
    body: Any = {
        "data": {
            "type": "metric-aggregate",
            "id": "agg-1",
            "attributes": {"dates": dates, "data": rows if rows is not None else []},
            "links": {"self": "x"},
        },
        "links": {"self": "x"},
    }
    if status != 200:
        body = reply.pop("json")
    return {
        "method": "POST",
        "path": "/api/metric-aggregates",
        "json": {"data": {"type": "metric-aggregate", "attributes": {"metric_id": MID, **attributes}}},
        "auth": KEY,
        "reply": {"status": status, "json": body, **reply},
    }


def window(start: str, end_exclusive: str) -> list[str]:
    return [f"greater-or-equal(datetime,{start}T00:00:00)", f"less-than(datetime,{end_exclusive}T00:00:00)"]


def attrs(measure: str, start: str, end_exclusive: str, interval: str = "day", **more: Any) -> dict[str, Any]:
    return {
        "measurements": [measure],
        "interval": interval,
        "filter": window(start, end_exclusive),
        "timezone": "UTC",
        **more,
    }


def row(dims: list[str], measure: str, values: list[Any]) -> dict[str, Any]:
    return {"dimensions": dims, "measurements": {measure: values}}


DAYS = ["2021-01-13T00:00:00+00:00", "2021-01-14T00:00:00+00:00"]


def series(*values: float) -> list[dict[str, Any]]:
    return [{"date": f"2021-01-{13 + i} 00:00:00", "values": [v]} for i, v in enumerate(values)]


def export(results: list[Any], **changes: Any) -> dict[str, Any]:
    body = {
        "metric": LEGACY_ORDER,
        "start_date": "2021-01-13 00:00:00",
        "end_date": "2021-01-14 00:00:00",
        "unit": "day",
        "measurement": "count",
        "by": None,
        "where": None,
        "results": results,
    }
    return {"status": 200, "headers": JSON, "json": {**body, **changes}}


def ask(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {"method": "GET", "path": EXPORT, "query": [*pairs, ("api_key", KEY)]}


DATES = (("start_date", "2021-01-13"), ("end_date", "2021-01-14"))
SUM = (
    'measurement ["sum", "<property>"] is not supported by the new Klaviyo API: metric aggregates '
    "can only count events, count unique profiles or sum the event value. Use measurement=value "
    "for the sum of $value, or sum the property over GET /api/events "
    "(https://developers.klaviyo.com/en/reference/get_events)."
)
UNAUTHENTICATED = "Incorrect authentication credentials."

CASES: list[dict[str, Any]] = [
    # ------------------------------------------------------------------ D1
    {
        "id": "D1-first-page-walks-every-cursor-page",
        "request": {
            "method": "GET",
            "path": "/api/v1/metrics",
            "query": [("page", "0"), ("count", "2"), ("api_key", KEY)],
        },
        "upstream": [metrics_call([ACTIVE, BOUNCED], next_link=NEXT), metrics_call([ORDER], cursor=CURSOR)],
        "response": envelope([LEGACY_ACTIVE, LEGACY_BOUNCED], 0, 0, 1, 3),
    },
    {
        "id": "D1-last-partial-page",
        "request": {
            "method": "GET",
            "path": "/api/v1/metrics",
            "query": [("page", "1"), ("count", "2"), ("api_key", KEY)],
        },
        "upstream": [metrics_call([ACTIVE, BOUNCED, ORDER])],
        "response": envelope([LEGACY_ORDER], 1, 2, 2, 3),
    },
    {
        "id": "D1-empty-account-defaults",
        "request": {"method": "GET", "path": "/api/v1/metrics", "query": [("api_key", KEY)]},
        "upstream": [metrics_call([])],
        "response": envelope([], 0, 0, 0, 0),
    },
    {
        "id": "D1-count-over-100",
        "request": {
            "method": "GET",
            "path": "/api/v1/metrics",
            "query": [("count", "101"), ("api_key", KEY)],
        },
        "upstream": [],
        "response": v1(400, "Invalid count '101': count must be an integer between 1 and 100."),
    },
    {
        "id": "D1-429-retry-after",
        "request": {"method": "GET", "path": "/api/v1/metrics", "query": [("api_key", KEY)]},
        "upstream": [
            metrics_call(
                [],
                status=429,
                headers={"retry-after": "12"},
                json=error_body(429, "Request was throttled. Expected available in 12 seconds."),
            )
        ],
        "response": v1(
            429, "Request was throttled. Expected available in 12 seconds.", {"retry-after": "12"}
        ),
    },
    {
        "id": "D1-401-becomes-403",
        "request": {"method": "GET", "path": "/api/v1/metrics", "query": [("api_key", KEY)]},
        "upstream": [
            metrics_call([], status=401, json=error_body(401, "Incorrect authentication credentials."))
        ],
        "response": v1(403, "Incorrect authentication credentials."),
    },
    # ------------------------------------------------------------------ D4
    {
        "id": "D4-count-per-day-legacy-example",
        "request": ask(*DATES),
        "upstream": [
            get_metric(),
            aggregate(attrs("count", "2021-01-13", "2021-01-15"), DAYS, [row([], "count", [12, 9])]),
        ],
        "response": export([{"segment": "Everyone", "data": series(12.0, 9.0)}]),
    },
    {
        "id": "D4-unix-dates-week-value",
        "request": ask(
            ("start_date", "1610524800"),
            ("end_date", "1610611200"),
            ("unit", "week"),
            ("measurement", "value"),
        ),
        "upstream": [
            get_metric(),
            aggregate(
                attrs("sum_value", "2021-01-13", "2021-01-15", "week"),
                ["2021-01-11T00:00:00+00:00"],
                [row([], "sum_value", [35.5])],
            ),
        ],
        "response": export(
            [{"segment": "Everyone", "data": [{"date": "2021-01-11 00:00:00", "values": [35.5]}]}],
            unit="week",
            measurement="value",
        ),
    },
    {
        "id": "D4-by-dimension-top-count-segments",
        "request": ask(*DATES, ("by", "$attributed_flow"), ("count", "2"), ("measurement", "unique")),
        "upstream": [
            get_metric(),
            aggregate(
                attrs(
                    "unique", "2021-01-13", "2021-01-15", by=["$attributed_flow"], page_size=2, sort="-unique"
                ),
                DAYS,
                [
                    row(["FLOW_B"], "unique", [1, 1]),
                    row(["FLOW_A"], "unique", [5, 4]),
                    row([""], "unique", [0, 1]),
                ],
            ),
        ],
        "response": export(
            [
                {"segment": "FLOW_A", "data": series(5.0, 4.0)},
                {"segment": "FLOW_B", "data": series(1.0, 1.0)},
            ],
            by="$attributed_flow",
            measurement="unique",
        ),
    },
    {
        "id": "D4-where-one-dimension-no-rows-gives-zeros",
        "request": ask(*DATES, ("where", '[["$attributed_flow","=","FLOW_ID"]]')),
        "upstream": [
            get_metric(),
            aggregate(
                {
                    **attrs("count", "2021-01-13", "2021-01-15"),
                    "filter": [*window("2021-01-13", "2021-01-15"), 'equals($attributed_flow,"FLOW_ID")'],
                },
                DAYS,
            ),
        ],
        "response": export(
            [{"segment": "Everyone", "data": series(0.0, 0.0)}], where=[["$attributed_flow", "=", "FLOW_ID"]]
        ),
    },
    {
        # The runner's clock: 2026-01-15T12:00:00Z, so the window is 2025-12-16..2026-01-15.
        "id": "D4-default-window-last-30-days",
        "request": ask(),
        "upstream": [
            get_metric(),
            aggregate(
                attrs("count", "2025-12-16", "2026-01-16"),
                ["2026-01-15T00:00:00+00:00"],
                [row([], "count", [3])],
            ),
        ],
        "response": export(
            [{"segment": "Everyone", "data": [{"date": "2026-01-15 00:00:00", "values": [3.0]}]}],
            start_date="2025-12-16 00:00:00",
            end_date="2026-01-15 00:00:00",
        ),
    },
    {
        # "Today" is the request's UTC date: 23:30 in New York on 1 March is 2 March in UTC.
        "id": "D4-default-window-ends-on-the-utc-date-of-the-request",
        "now": "2024-03-01T23:30:00-05:00",
        "request": ask(),
        "upstream": [
            get_metric(),
            aggregate(attrs("count", "2024-02-01", "2024-03-03"), ["2024-03-02T00:00:00+00:00"], []),
        ],
        "response": export(
            [{"segment": "Everyone", "data": [{"date": "2024-03-02 00:00:00", "values": [0.0]}]}],
            start_date="2024-02-01 00:00:00",
            end_date="2024-03-02 00:00:00",
        ),
    },
    {
        # Only start_date: the window ends today (2026-01-15), not 30 days after the start.
        "id": "D4-start-date-only-ends-today",
        "request": ask(("start_date", "2026-01-10")),
        "upstream": [
            get_metric(),
            aggregate(attrs("count", "2026-01-10", "2026-01-16"), ["2026-01-10T00:00:00+00:00"], []),
        ],
        "response": export(
            [{"segment": "Everyone", "data": [{"date": "2026-01-10 00:00:00", "values": [0.0]}]}],
            start_date="2026-01-10 00:00:00",
            end_date="2026-01-15 00:00:00",
        ),
    },
    {
        "id": "D4-sum-of-property-json-list",
        "request": ask(*DATES, ("measurement", '["sum","ItemCount"]')),
        "upstream": [],
        "response": v1(400, SUM),
    },
    {
        "id": "D4-sum-of-property-python-repeated-params",
        "request": ask(*DATES, ("measurement", "sum"), ("measurement", "ItemCount")),
        "upstream": [],
        "response": v1(400, SUM),
    },
    {
        "id": "D4-by-unsupported-property",
        "request": ask(*DATES, ("by", "Item Name")),
        "upstream": [],
        "response": v1(
            400,
            "by on 'Item Name' is not supported by the new Klaviyo API: metric aggregates can only "
            "segment on these properties: $attributed_channel, $attributed_flow, $attributed_message, "
            "$attributed_variation, $campaign_channel, $flow, $flow_channel, $message, "
            "$message_send_cohort, $usage_amount, $value_currency, $variation, $variation_send_cohort, "
            "Bot Click, Bounce Type, Campaign Name, Client Canonical, Client Name, Client Type, "
            "Email Domain, Failure Source, Failure Type, From Number, From Phone Region, Inbox Provider, "
            "List, Message Format, Message Name, Message Type, Method, Segment Count, Subject, "
            "To Number, To Phone Region, URL, form_id.",
        ),
    },
    {
        "id": "D4-where-and-by-together",
        "request": ask(*DATES, ("where", '[["$flow","=","F"]]'), ("by", "$message")),
        "upstream": [],
        "response": v1(400, "where and by cannot be used together."),
    },
    {
        "id": "D4-window-over-31-days",
        "request": ask(("start_date", "2021-01-01"), ("end_date", "2021-02-02")),
        "upstream": [],
        "response": v1(400, "end_date must be at most 31 days after start_date."),
    },
    {
        "id": "D4-bad-unit",
        "request": ask(*DATES, ("unit", "year")),
        "upstream": [],
        "response": v1(400, "Invalid unit 'year': use day, week or month."),
    },
    {
        "id": "D4-bad-date",
        "request": ask(("start_date", "13/01/2021"), ("end_date", "2021-01-14")),
        "upstream": [],
        "response": v1(400, "Invalid start_date '13/01/2021': use YYYY-MM-DD or a 10-digit UNIX timestamp."),
    },
    {
        "id": "D4-unknown-metric-404",
        "request": ask(*DATES),
        "upstream": [
            get_metric(404),
            aggregate(
                attrs("count", "2021-01-13", "2021-01-15"),
                DAYS,
                status=400,
                json=error_body(400, "Unknown metric."),
            ),
        ],
        "response": v1(404, "The requested resource does not exist."),
    },
    {
        "id": "D4-429-retry-after",
        "request": ask(*DATES),
        "upstream": [
            get_metric(),
            aggregate(
                attrs("count", "2021-01-13", "2021-01-15"),
                DAYS,
                status=429,
                headers={"retry-after": "3"},
                json=error_body(429, "Request was throttled. Expected available in 3 seconds."),
            ),
        ],
        "response": v1(429, "Request was throttled. Expected available in 3 seconds.", {"retry-after": "3"}),
    },
    {
        # The metric read and the aggregate run concurrently; both are refused.
        "id": "D4-401-becomes-403",
        "request": ask(*DATES),
        "upstream": [
            {**get_metric(), "reply": {"status": 401, "json": error_body(401, UNAUTHENTICATED)}},
            aggregate(
                attrs("count", "2021-01-13", "2021-01-15"),
                DAYS,
                status=401,
                json=error_body(401, UNAUTHENTICATED),
            ),
        ],
        "response": v1(403, UNAUTHENTICATED),
    },
]
